"""Read and check a credits file: the video's title and its tracks in playing order.

TOML (``*.toml``) or JSON (any other name) of the same shape::

    title = "Rocky training in Russia [Rocky IV]"

    [[tracks]]
    title = "Training Montage"
    performers = ["Vince DiCola"]
    composers = ["Vince DiCola"]
    album = "Rocky IV: Original Motion Picture Soundtrack"
    label = "Scotti Bros. Records"
    release_date = 1985-11-27

A file with a mistake gets one line naming the file, the field and the problem.

A track's reference recording (``audio``) is a path relative to the credits file that stays inside
its folder (no absolute path, no ``..`` or link leading out of it), naming a regular file of at
most :data:`MAX_RECORDING_BYTES` that ffmpeg reads as sound: a credits file from elsewhere cannot
make clipindex read anything but the recordings beside it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from clipindex.errors import CreditsError, MediaError, one_line

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_CREDITS_BYTES = 1024 * 1024
"""Largest credits file read (a thousand tracks take about 300 kB)."""

MAX_RECORDING_BYTES = 2 * 1024**3
"""Largest reference recording accepted (an hour of CD-quality WAV is about 600 MB)."""

_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")


def _names(value: Any) -> Any:
    """Let a single name stand for a list of one."""
    return [value] if isinstance(value, str) else value


Names = Annotated[list[Annotated[str, Field(min_length=1)]], BeforeValidator(_names)]


class Track(BaseModel):
    """One credited recording."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1)
    performers: Names = Field(default_factory=list)
    composers: Names = Field(default_factory=list)
    album: str | None = None
    label: str | None = None
    release_date: str | None = Field(
        default=None, description="YYYY, YYYY-MM or YYYY-MM-DD (a TOML date is accepted too)"
    )
    isrc: str | None = Field(default=None, description="International Standard Recording Code")
    musicbrainz_recording_id: str | None = Field(default=None, description="a MusicBrainz UUID")
    audio: str | None = Field(
        default=None, description="reference recording, relative to the credits file"
    )

    @field_validator("release_date", mode="before")
    @classmethod
    def _release_date(cls, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, int):
            value = str(value)
        if isinstance(value, str) and not _PARTIAL_DATE.match(value.strip()):
            raise ValueError("must be a date like 1985-11-27, 1985-11 or 1985")
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                dt.date.fromisoformat(value.strip())
            except ValueError as exc:
                raise ValueError(f"is not a real date ({exc})") from None
        return value

    @field_validator("isrc")
    @classmethod
    def _isrc(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = value.replace("-", "").upper()
        if not _ISRC.match(compact):
            raise ValueError("must be an ISRC like USSB18500001 (12 letters and digits)")
        return compact

    @field_validator("musicbrainz_recording_id")
    @classmethod
    def _mbid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", value):
            raise ValueError("must be a MusicBrainz id (a UUID like 8f3471b5-...)")
        return value.lower()


class Credits(BaseModel):
    """The video's title and its tracks, in the order they play."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1)
    tracks: list[Track] = Field(min_length=1)


def _location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{item}]"]
        else:
            parts.append(one_line(str(item)))
    return ".".join(parts) or "file"


def _did_you_mean(loc: tuple[Any, ...]) -> str:
    """`` (did you mean 'performers'?)`` for a mistyped field name, when one is close."""
    import difflib

    name = str(loc[-1])
    known = Track.model_fields if len(loc) > 1 and loc[0] == "tracks" else Credits.model_fields
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _one_line(error: ValidationError) -> str:
    errors = error.errors()
    # A misspelt field is also a missing one: name the misspelling, which says what to fix.
    first = next(
        (e for e in errors if e["type"] == "extra_forbidden" and _did_you_mean(e["loc"])),
        errors[0],
    )
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field" + _did_you_mean(first["loc"])
    elif first["type"] == "missing":
        message = "is required but missing"
    return f"{_location(first['loc'])}: {message}"


def parse_credits(
    data: dict[str, Any], *, base_dir: Path | None = None, name: str = "credits"
) -> Credits:
    """Check credits already read into a dict; ``audio`` paths are resolved from ``base_dir``,
    and must stay inside it (see the module's description)."""
    from clipindex.index import json_problem

    problem = json_problem(data)
    if problem is not None:
        raise CreditsError(f"{name}: {problem}")
    try:
        credits = Credits.model_validate(data)
    except ValidationError as exc:
        raise CreditsError(f"{name}: {_one_line(exc)}") from None
    if base_dir is not None:
        for number, track in enumerate(credits.tracks):
            if track.audio is not None:
                where = f"{name}: tracks[{number}].audio"
                track.audio = str(reference_recording(track.audio, base_dir, where))
    return credits


def reference_recording(audio: str, base_dir: Path, where: str = "audio") -> Path:
    """The recording ``audio`` names, relative to ``base_dir``, as an absolute path; raise
    :class:`CreditsError` (starting with ``where``) if it leads out of that folder, is not a
    regular file, is too large, or holds no sound ffmpeg can read."""
    shown = repr(audio)
    if not audio or "\0" in audio:
        raise CreditsError(f"{where}: {shown} is not a file name")
    if PurePosixPath(audio).is_absolute() or PureWindowsPath(audio).drive:
        raise CreditsError(
            f"{where}: {shown} must be a path relative to the credits file, in its folder"
        )
    folder = base_dir.resolve()
    try:
        path = (folder / audio).resolve(strict=True)
    except FileNotFoundError:
        raise CreditsError(f"{where}: no such file {shown}") from None
    except (OSError, RuntimeError) as exc:  # a loop of links, a file taken for a folder
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "a loop of links"
        raise CreditsError(f"{where}: {shown} cannot be read ({reason})") from None
    if not path.is_relative_to(folder):
        raise CreditsError(
            f"{where}: {shown} leads out of the credits file's folder; put the recording "
            "in that folder (or below it)"
        )
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise CreditsError(f"{where}: {shown} is {kind}")
    if info.st_size == 0:
        raise CreditsError(f"{where}: {shown} is empty")
    if info.st_size > MAX_RECORDING_BYTES:
        raise CreditsError(
            f"{where}: {shown} is larger than {MAX_RECORDING_BYTES // 1024**3} GB; a reference "
            "recording is one song"
        )
    if not os.access(path, os.R_OK):
        raise CreditsError(f"{where}: {shown} is not readable (permission denied)")
    _check_sound(path, shown, where)
    return path


def _check_sound(path: Path, shown: str, where: str) -> None:
    """Refuse a recording in which ffmpeg finds no sound (a text file, a picture, a video
    without sound), before the video is analysed."""
    from clipindex.probe import probe

    try:
        info = probe(path)
    except MediaError:
        raise CreditsError(f"{where}: {shown} is not a sound file ffmpeg can read") from None
    if not info.audio:
        raise CreditsError(f"{where}: {shown} holds no sound")


def load_credits(path: str | os.PathLike[str]) -> Credits:
    """Read a credits file (TOML for ``*.toml``, JSON otherwise) and check every field.

    >>> credits = load_credits("samples/rocky-iv-training.credits.toml")  # doctest: +SKIP
    >>> [track.title for track in credits.tracks]                         # doctest: +SKIP
    ['Training Montage', 'Hearts on Fire']
    """
    from clipindex.files import read_capped

    path = Path(path)
    try:
        raw = read_capped(path, MAX_CREDITS_BYTES)
    except FileNotFoundError:
        raise CreditsError(f"{path}: no such credits file") from None
    except IsADirectoryError:
        raise CreditsError(f"{path}: is a folder, not a credits file") from None
    except OSError as exc:
        raise CreditsError(f"{path}: cannot read ({exc.strerror})") from None
    if raw is None:
        raise CreditsError(
            f"{path}: larger than {MAX_CREDITS_BYTES // 1024**2} MB; not a credits file"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CreditsError(f"{path}: not a text file (credits are UTF-8 TOML or JSON)") from None
    try:
        if path.suffix.lower() == ".toml":
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise CreditsError(f"{path}: invalid TOML: {exc}") from None
        else:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CreditsError(
                    f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
                ) from None
            except ValueError as exc:  # a number of thousands of digits
                raise CreditsError(f"{path}: invalid JSON: {exc}") from None
    except RecursionError:
        raise CreditsError(f"{path}: nested too deeply to be credits") from None
    if not isinstance(data, dict):
        raise CreditsError(f"{path}: the credits must be a table/object with title and tracks")
    return parse_credits(data, base_dir=path.parent, name=str(path))
