"""Timelines editors import: the index as an OpenTimelineIO timeline, written as OTIO, an EDL,
Final Cut Pro X XML or Final Cut Pro 7 XML by OpenTimelineIO's own adapters.

One video track over the whole video: a clip for each shot (so a cut at every cut of the index),
each gradual transition as a transition over its span, and markers for the chapters and the
musical segments, named from the credits and coloured by track. Times are whole frames at the
video's own constant frame rate (NTSC rates as 24000/1001, 30000/1001 and 60000/1001, which the
EDL writes as drop-frame timecode at 29.97 and 59.94); a variable-frame-rate video is refused,
as editors place cuts on a constant grid.

Editors know dissolves and wipes between clips, not fades or dips: every gradual transition is a
dissolve, named by its kind ("fade out", "dip to black"…), with the kind in its metadata.
Needs ``pip install 'clipindex[editors]'``.
"""

from __future__ import annotations

import importlib.util
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clipindex.errors import ClipindexError, MissingExtraError
from clipindex.index import Index
from clipindex.outputs.chapters import Chapters, credit_line

if TYPE_CHECKING:
    import opentimelineio as otio

FORMATS = {"otio": "otio_json", "edl": "cmx_3600", "fcpxml": "fcpx_xml", "fcp7": "fcp_xml"}
"""Export formats and the OpenTimelineIO adapter that writes each."""

SUFFIXES = {"otio": ".otio", "edl": ".edl", "fcpxml": ".fcpxml", "fcp7": ".xml"}
"""The usual file name ending of each format."""

_ADAPTER_PACKAGES = {
    "cmx_3600": ("otio_cmx3600_adapter", "otio-cmx3600-adapter"),
    "fcpx_xml": ("otio_fcpx_xml_adapter", "otio-fcpx-xml-adapter"),
    "fcp_xml": ("otio_fcp_adapter", "otio-fcp-adapter"),
}

TRACK_COLOURS = ("RED", "BLUE", "GREEN", "YELLOW", "PURPLE", "CYAN", "ORANGE", "MAGENTA", "PINK")
"""Marker colours (OpenTimelineIO's names), one per credited track in order of first play."""

UNCREDITED_COLOUR = "WHITE"
"""The colour of the markers of music without credits and of chapters without music."""

_NTSC_RATES = (24000 / 1001, 30000 / 1001, 60000 / 1001)

_KIND_NAMES = {
    "dissolve": "dissolve",
    "dip": "dip to black",
    "fade_in": "fade in",
    "fade_out": "fade out",
    "white": "dip to white",
}


class TimelineError(ClipindexError):
    """A timeline that cannot be made from this index (a variable frame rate, no frame rate)."""


@dataclass(frozen=True)
class TimelineMarker:
    """A marker as placed on the timeline: its first frame, length in frames, name and colour."""

    frame: int
    duration_frames: int
    name: str
    colour: str
    kind: str


def check_installed(format_name: str) -> None:
    """Raise :class:`MissingExtraError` unless OpenTimelineIO and the adapter for
    ``format_name`` are installed."""
    needed = [("opentimelineio", "opentimelineio")]
    adapter = FORMATS[format_name]
    if adapter in _ADAPTER_PACKAGES:
        needed.append(_ADAPTER_PACKAGES[adapter])
    missing = [name for module, name in needed if importlib.util.find_spec(module) is None]
    if missing:
        raise MissingExtraError(
            f"--format {format_name} needs {' and '.join(missing)}: "
            "pip install 'clipindex[editors]'"
        )


def frame_rate(index: Index) -> float:
    """The constant frame rate the timeline counts frames at (NTSC rates exact)."""
    source = index.source
    if source.variable_frame_rate:
        raise TimelineError(
            f"{source.path}: the video has a variable frame rate, and editors place cuts on a "
            "constant one; re-encode it at a constant rate first "
            "(ffmpeg -i IN -fps_mode cfr OUT) and index that"
        )
    rate = source.nominal_fps or source.fps
    if not rate or not math.isfinite(rate) or rate <= 0:
        raise TimelineError(f"{source.path}: the index gives no frame rate")
    for ntsc in _NTSC_RATES:
        if abs(rate - ntsc) < 0.005:
            return ntsc
    return float(round(rate, 3))


def markers(index: Index, chapters: Chapters, rate: float) -> list[TimelineMarker]:
    """The chapter and musical-segment markers, in frames at ``rate``, in time order."""
    colours = _track_colours(index)
    found = []
    for chapter in chapters.items:
        start = frame_at(index, chapter.start_s, rate)
        colour = colours.get(chapter.segment, UNCREDITED_COLOUR)
        found.append(TimelineMarker(start, 1, chapter.title, colour, "chapter"))
    for segment in index.segments:
        start = frame_at(index, segment.start_s, rate)
        end = frame_at(index, segment.end_s, rate, end=True)
        title = credit_line(segment.track) if segment.track else f"Music {segment.index + 1}"
        found.append(
            TimelineMarker(
                start,
                max(1, end - start),
                f"Music: {title}",
                colours.get(segment.index, UNCREDITED_COLOUR),
                "segment",
            )
        )
    return sorted(found, key=lambda marker: (marker.frame, marker.kind))


def build_timeline(
    index: Index,
    chapters: Chapters,
    media_path: str | None = None,
    transitions_as_markers: bool = False,
) -> otio.schema.Timeline:
    """The index as an OpenTimelineIO timeline (see the module's description).

    ``media_path`` is where the editor finds the video (default: the index's source path).
    With ``transitions_as_markers``, for formats that hold no transitions (Final Cut Pro X XML
    as OpenTimelineIO writes it), each gradual transition is a marker over its span instead.
    """
    import opentimelineio as otio

    rate = frame_rate(index)
    source = index.source
    n_frames = source.n_frames
    media = otio.schema.ExternalReference(
        target_url=media_path or source.path,
        available_range=_range(0, n_frames, rate),
    )
    name = Path(source.path).stem
    timeline = otio.schema.Timeline(name=chapters.video_title or name)
    timeline.global_start_time = otio.opentime.RationalTime(0, rate)
    track = otio.schema.Track(name="Video", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)

    shots = [(shot.start_frame, shot.end_frame) for shot in index.shots]
    if not shots:
        shots = [(0, n_frames - 1)]
    gradual = {cut.frame: cut for cut in index.cuts if cut.kind != "hard"}
    clips = []
    for number, (start, end) in enumerate(shots):
        cut = gradual.get(start)
        if cut is not None and clips:
            before = start - cut.start_frame
            after = cut.end_frame - start + 1
            if before + after > 1 and after > 0 and not transitions_as_markers:
                kind = _KIND_NAMES.get(cut.kind, cut.kind)
                track.append(
                    otio.schema.Transition(
                        name=kind,
                        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                        in_offset=otio.opentime.RationalTime(before, rate),
                        out_offset=otio.opentime.RationalTime(after, rate),
                        metadata={"clipindex": {"kind": cut.kind, "frame": cut.frame}},
                    )
                )
        clip = otio.schema.Clip(
            name=f"Shot {number + 1}",
            media_reference=media.clone(),
            source_range=_range(start, end - start + 1, rate),
            metadata={"clipindex": {"shot": number}},
        )
        track.append(clip)
        clips.append((start, end, clip))

    placed = markers(index, chapters, rate)
    if transitions_as_markers:
        placed += [
            TimelineMarker(
                cut.start_frame,
                cut.end_frame - cut.start_frame + 1,
                _KIND_NAMES.get(cut.kind, cut.kind),
                "BLACK",
                "transition",
            )
            for cut in gradual.values()
        ]
    for marker in placed:
        _, end, clip = next(c for c in clips if c[0] <= marker.frame <= c[1])
        duration = min(marker.duration_frames, end + 1 - marker.frame)
        clip.markers.append(
            otio.schema.Marker(
                name=marker.name,
                marked_range=_range(marker.frame, max(1, duration), rate),
                color=marker.colour,
                metadata={"clipindex": {"kind": marker.kind, "frame": marker.frame}},
            )
        )
    return timeline


def timeline_text(
    index: Index, chapters: Chapters, format_name: str, media_path: str | None = None
) -> str:
    """The timeline written in ``format_name`` (a key of :data:`FORMATS`)."""
    import opentimelineio as otio

    check_installed(format_name)
    adapter = FORMATS[format_name]
    timeline = build_timeline(
        index, chapters, media_path, transitions_as_markers=adapter == "fcpx_xml"
    )
    if adapter == "cmx_3600":
        # An EDL is ASCII: marker names keep their letters, less their accents and dashes.
        for clip in timeline.find_clips():
            for marker in clip.markers:
                marker.name = _ascii(marker.name)
        return otio.adapters.write_to_string(timeline, adapter, rate=frame_rate(index))
    return otio.adapters.write_to_string(timeline, adapter)


def _ascii(text: str) -> str:
    text = text.replace("\u2014", "-").replace("\u2013", "-")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _track_colours(index: Index) -> dict[int, str]:
    """The colour of each musical segment: one per credited title, in order of first play."""
    by_title: dict[str, str] = {}
    colours = {}
    for segment in index.segments:
        if segment.track is None:
            continue
        title = segment.track.title
        if title not in by_title:
            by_title[title] = TRACK_COLOURS[len(by_title) % len(TRACK_COLOURS)]
        colours[segment.index] = by_title[title]
    return colours


def frame_at(index: Index, time_s: float, rate: float, end: bool = False) -> int:
    """The frame showing at ``time_s``: counted from the start of the shot it falls in, so a
    time on a cut is that cut's frame exactly. With ``end``, a time at or past the video's end
    gives the frame count (an exclusive end)."""
    n_frames = index.source.n_frames
    shots = index.shots
    if not shots or time_s >= shots[-1].end_s:
        return n_frames if end else n_frames - 1
    shot = next((s for s in reversed(shots) if s.start_s <= time_s + 1e-6), shots[0])
    frame = shot.start_frame + round((time_s - shot.start_s) * rate)
    return max(0, min(frame, n_frames - 1))


def _range(start_frame: int, frames: int, rate: float) -> otio.opentime.TimeRange:
    import opentimelineio as otio

    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(start_frame, rate), otio.opentime.RationalTime(frames, rate)
    )
