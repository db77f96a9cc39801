"""The index: what clipindex found in a video, as a versioned JSON document (schema v1).

The dataclasses here are the contract. clipindex fills them in and writes them as JSON without
loading pydantic, so indexing starts sooner; pydantic checks what is read back
(:func:`load_index`) and generates ``schema/index-v1.schema.json`` from them (``clipindex
schema``), each field's description being its docstring. A test keeps the two in step. Readers
refuse files of a newer schema.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from annotated_types import Interval

from clipindex.errors import IndexFileError, one_line

if TYPE_CHECKING:
    from pydantic import TypeAdapter

SCHEMA_VERSION = 1

MAX_INDEX_BYTES = 64 * 1024 * 1024
"""Largest index file read (an index of a three-hour film is about 2 MB)."""

MAX_TIME_S = 1_000_000.0
"""Largest time an index may hold, in seconds (about eleven and a half days)."""

MAX_FRAMES = 1_000_000_000
"""Largest frame number or count an index may hold."""

CutKind = Literal["hard", "fade_in", "fade_out", "dissolve", "dip"]

Share = Annotated[float, Interval(ge=0.0, le=1.0)]
"""A number from 0 to 1."""

Seconds = Annotated[float, Interval(ge=-MAX_TIME_S, le=MAX_TIME_S)]
"""A time in seconds."""

Length = Annotated[float, Interval(ge=0.0, le=MAX_TIME_S)]
"""A length of time in seconds."""

Count = Annotated[int, Interval(ge=0, le=MAX_FRAMES)]
"""A frame number, a number of frames, or a position in a list."""


class _Part:
    """A part of the index (a dataclass, its fields given by name). How pydantic reads it: no
    unknown fields, no NaN or infinity, and each field's docstring as its description."""

    __pydantic_config__ = {
        "extra": "forbid",
        "use_attribute_docstrings": True,
        "allow_inf_nan": False,
    }


@dataclass(kw_only=True)
class Generator(_Part):
    """The program that wrote the index and the settings it used."""

    name: str = "clipindex"
    version: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class AudioStream(_Part):
    """An audio stream of the source; ``audio_index`` is what ``--audio-stream`` takes."""

    audio_index: Count
    codec: str
    sample_rate: Count | None = None
    channels: str = ""
    language: str | None = None
    default: bool = False


@dataclass(kw_only=True)
class Codecs(_Part):
    video: str
    audio: str | None = None


@dataclass(kw_only=True)
class Source(_Part):
    """The indexed file, as it was when indexed."""

    path: str
    size_bytes: Annotated[int, Interval(ge=0, le=2**63 - 1)]
    sha256: str
    container: str
    duration_s: Length
    fps: Annotated[float, Interval(ge=0.0, le=1e6)]
    """average frames per second over the decoded frames"""
    nominal_fps: Annotated[float, Interval(ge=0.0, le=1e6)] | None = None
    """the rate the container declares"""
    variable_frame_rate: bool
    n_frames: Count
    width: Count
    """as displayed, after rotation"""
    height: Count
    """as displayed, after rotation"""
    rotation_deg: Annotated[float, Interval(ge=-360.0, le=360.0)] = 0.0
    """display rotation from the metadata"""
    interlaced: bool = False
    pix_fmt: str | None = None
    """pixel format, e.g. yuv420p10le"""
    codecs: Codecs
    has_audio: bool
    audio_streams: list[AudioStream] = field(default_factory=list)
    audio_stream_used: Count | None = None


@dataclass(kw_only=True)
class Cut(_Part):
    """A transition; ``frame``/``time_s`` is where the new shot starts.

    Gradual transitions also give their span (``start_*`` to ``end_*``, inclusive frames).
    """

    time_s: Seconds
    frame: Count
    kind: CutKind
    score: float
    start_s: Seconds
    end_s: Seconds
    start_frame: Count
    end_frame: Count
    corrected: bool = False
    """added by the user's corrections file, not found in the picture"""


@dataclass(kw_only=True)
class Shot(_Part):
    """A run of frames between cuts; ``end_frame`` is inclusive, ``end_s`` the next shot's start."""

    index: Count
    start_s: Seconds
    end_s: Seconds
    start_frame: Count
    end_frame: Count
    thumbnail: str | None = None
    """a small JPEG of the shot (index --thumbnails), as written"""


@dataclass(kw_only=True)
class TrackCredit(_Part):
    """The credits of the track that plays in a segment."""

    title: str
    performers: list[str] = field(default_factory=list)
    composers: list[str] = field(default_factory=list)
    album: str | None = None
    label: str | None = None
    release_date: str | None = None
    isrc: str | None = None
    musicbrainz_recording_id: str | None = None


@dataclass(kw_only=True)
class Segment(_Part):
    """A stretch of the video where one piece of music plays.

    ``start_s`` of a segment that follows another without a gap is a hand-over: a switch, or
    the middle of a cross-fade ``overlap_s`` long. ``audio_start_s`` is where the sound alone put
    it, before it was moved onto a cut (``snapped_to_cut``). Segments do not cover the ``gaps``.
    """

    index: Count
    start_s: Seconds
    end_s: Seconds
    track: TrackCredit | None = None
    confidence: Share
    """with reference_audio, how clearly the track is the one heard; otherwise how clearly the
    segment's edges are changes of song rather than of section"""
    snapped_to_cut: bool = False
    audio_start_s: Seconds
    overlap_s: Length = 0.0
    """seconds the song overlaps the previous one (a cross-fade); start_s is the middle of the
    overlap. Measured only with reference recordings; 0 for a switch"""
    identified_by: Literal["credits_order", "reference_audio"] | None = None
    """how the track was named: matched against the credited track's reference recording, or
    taken in credits order (none without credits)"""
    track_offset_s: Seconds | None = None
    """where in the track's reference recording the segment starts, in seconds (with
    reference_audio only)"""
    tempo_bpm: float | None = None
    """beats per minute"""
    tempo_confidence: Share | None = None
    """share of 6 s windows of the segment whose own tempo agrees within 4%"""
    loudness_lufs: float | None = None
    """integrated loudness (ITU-R BS.1770 / EBU R128) of the segment's sound, away from
    cross-fades"""
    loudness_confidence: Share | None = None
    """share of the segment's 400 ms blocks that passed the loudness gates, times 0.8 when the
    source has several channels (measured from their mono mix)"""
    chapter_title: str | None = None
    """the title of the segment's chapter, set by the user's corrections (instead of one made
    from the credits)"""
    corrected: bool = False
    """the user's corrections file moved the segment's start or set its track or chapter"""


@dataclass(kw_only=True)
class Gap(_Part):
    """A stretch without music (silence, or only speech and effects) at the start, between
    songs or at the end."""

    index: Count
    start_s: Seconds
    end_s: Seconds


@dataclass(kw_only=True)
class Curve(_Part):
    """A curve over time, such as the change in the sound the music segmentation used; one value
    per time."""

    times_s: list[Seconds]
    values: list[float]


@dataclass(kw_only=True)
class Index(_Part):
    """Everything clipindex found in one video."""

    schema_version: Literal[1] = SCHEMA_VERSION
    generator: Generator
    title: str | None = None
    source: Source
    cuts: list[Cut]
    shots: list[Shot]
    segments: list[Segment]
    gaps: list[Gap] = field(default_factory=list)
    music_segments_confidence: Share | None = None
    """how sure the number of segments is: 1 when the credits gave it (without reference
    recordings), otherwise 0..1 as decided from the sound or the recordings"""
    music_curve: Curve | None = None
    """the change in the sound over time that placed the hand-overs"""
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """The index as pretty-printed JSON text, ending in a newline."""
        text = json.dumps(self, default=_fields, indent=2, ensure_ascii=False, allow_nan=False)
        return text + "\n"


def _fields(part: Any) -> dict[str, Any]:
    if not isinstance(part, _Part):
        raise TypeError(f"{type(part).__name__} is not part of an index")
    return {each.name: getattr(part, each.name) for each in dataclasses.fields(part)}


@functools.cache
def _reader() -> TypeAdapter[Index]:
    """pydantic's reader of index files, made on first use (loading pydantic takes a while)."""
    from pydantic import TypeAdapter

    return TypeAdapter(Index)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of index files, generated from the dataclasses."""
    schema = _reader().json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://clipindex.invalid/schema/index-v1.schema.json"
    return schema


def json_schema_text() -> str:
    """The JSON Schema as the text committed in ``schema/index-v1.schema.json``."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def load_index(path: str | os.PathLike[str]) -> Index:
    """Read an index file; raise :class:`IndexFileError` naming the file (and the field) if it is
    not one: not JSON, larger than :data:`MAX_INDEX_BYTES`, of a newer schema, or with a value
    out of bounds (a time that is not a finite number of seconds up to :data:`MAX_TIME_S`)."""
    from pydantic import ValidationError

    from clipindex.files import read_capped

    path = Path(path)
    try:
        raw = read_capped(path, MAX_INDEX_BYTES)
    except FileNotFoundError:
        raise IndexFileError(f"{path}: no such index file") from None
    except IsADirectoryError:
        raise IndexFileError(f"{path}: is a folder, not an index file") from None
    except OSError as exc:
        raise IndexFileError(f"{path}: cannot read ({exc.strerror})") from None
    if raw is None:
        raise IndexFileError(
            f"{path}: not a clipindex index (larger than {MAX_INDEX_BYTES // 2**20} MB)"
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise IndexFileError(f"{path}: not a clipindex index (nested too deeply)") from None
    except (UnicodeDecodeError, ValueError):
        raise IndexFileError(f"{path}: not a clipindex index (not JSON)") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise IndexFileError(f"{path}: not a clipindex index (no schema_version)")
    version = data["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise IndexFileError(f"{path}: not a clipindex index (schema_version is not a number)")
    if version > SCHEMA_VERSION:
        raise IndexFileError(
            f"{path}: index schema version {version} is newer than this clipindex reads "
            f"({SCHEMA_VERSION}); upgrade clipindex"
        )
    problem = json_problem(data)
    if problem is not None:
        raise IndexFileError(f"{path}: not a valid clipindex index ({problem})")
    try:
        index = _reader().validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(one_line(str(part)) for part in first["loc"])
        raise IndexFileError(
            f"{path}: not a valid clipindex index ({where}: {first['msg']})"
        ) from None
    curve = index.music_curve
    if curve is not None and len(curve.times_s) != len(curve.values):
        raise IndexFileError(
            f"{path}: not a valid clipindex index (music_curve: {len(curve.times_s)} times but "
            f"{len(curve.values)} values)"
        )
    return index


def json_problem(data: Any) -> str | None:
    """The first value read from JSON (or TOML) that no output could hold, as ``field:
    problem``: a number that is not finite (``NaN``, ``Infinity``, ``1e999``), or text that is
    not Unicode (a lone surrogate such as ``"\\ud800"``); None if there is none."""
    pending: list[tuple[Any, str]] = [(data, "")]
    while pending:
        value, where = pending.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return f"{where or 'file'}: not a finite number ({value})"
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return f"{where or 'file'}: text that is not Unicode, a lone surrogate"
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                name = one_line(str(key))
                pending.append((item, f"{where}.{name}" if where else name))
                pending.append((key, where))
        elif isinstance(value, list):
            pending.extend((item, f"{where}.{n}") for n, item in reversed(list(enumerate(value))))
    return None
