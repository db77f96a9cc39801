"""Corrections: the fixes a user makes to an index, kept in a small TOML file beside the video
(``STEM.corrections.toml``) so that they survive the next ``clipindex index``.

Applied after the analysis, each correction either changes the index or, when it no longer
matches anything (the hand-over it moves is gone, no cut is near the time it removes), says so
in the index's warnings. The file's digest is recorded in ``generator.parameters`` like the
credits', so a changed correction re-indexes a folder's video.

.. code-block:: toml

    [handovers]          # hand-over N, where segment N starts, moved to a time in seconds
    1 = 41.5

    [cuts]
    add_s = [12.5]       # a hard cut at the frame showing at 12.5 s
    remove_s = [33.0]    # the cut within one frame of 33.0 s

    [segments.1]         # segment 1 (counting from 0, as in the index)
    track = "Hearts on Fire"             # the credited track it is
    chapter = "Hearts on Fire (film cut)"  # its chapter's title
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from clipindex.errors import ClipindexError
from clipindex.index import Cut, Index, Segment, Shot, TrackCredit

if TYPE_CHECKING:
    from clipindex.credits import Credits

SUFFIX = ".corrections.toml"
"""The ending of the corrections file beside a video: ``STEM.corrections.toml``."""

_MAX_BYTES = 1_000_000


class CorrectionsError(ClipindexError):
    """A corrections file that is missing or malformed, or a correction that makes no sense."""


@dataclass
class Corrections:
    """What the user corrected: hand-over number (from 1) → seconds, cut times to add and to
    remove, and segment index → credited title or chapter title."""

    handovers_s: dict[int, float] = field(default_factory=dict)
    add_cuts_s: list[float] = field(default_factory=list)
    remove_cuts_s: list[float] = field(default_factory=list)
    tracks: dict[int, str] = field(default_factory=dict)
    chapters: dict[int, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(dataclasses.astuple(self))


def corrections_beside(video: str | os.PathLike[str]) -> str | None:
    """The ``STEM.corrections.toml`` beside ``video``, if there is one."""
    path = os.path.splitext(os.fspath(video))[0] + SUFFIX
    return path if os.path.isfile(path) else None


def default_path(video: str | os.PathLike[str]) -> str:
    """Where the corrections of ``video`` live by default."""
    return os.path.splitext(os.fspath(video))[0] + SUFFIX


def load_corrections(path: str | os.PathLike[str]) -> Corrections:
    """Read and check a corrections file; :class:`CorrectionsError` names what is wrong."""
    import tomllib

    try:
        if not os.path.isfile(path):
            raise CorrectionsError(f"{path}: no such file")
        if os.path.getsize(path) > _MAX_BYTES:
            raise CorrectionsError(f"{path}: too large for a corrections file")
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise CorrectionsError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise CorrectionsError(f"{path}: {error.strerror or error}") from None
    unknown = set(data) - {"handovers", "cuts", "segments"}
    if unknown:
        raise CorrectionsError(
            f"{path}: unknown section {sorted(unknown)[0]!r} (known: handovers, cuts, segments)"
        )
    corrections = Corrections()
    for key, value in _table(path, data, "handovers").items():
        corrections.handovers_s[_number_key(path, "handovers", key, first=1)] = _seconds(
            path, f"handovers.{key}", value
        )
    cuts = _table(path, data, "cuts")
    if set(cuts) - {"add_s", "remove_s"}:
        raise CorrectionsError(f"{path}: [cuts] takes add_s and remove_s, lists of seconds")
    for name, target in (
        ("add_s", corrections.add_cuts_s),
        ("remove_s", corrections.remove_cuts_s),
    ):
        values = cuts.get(name, [])
        if not isinstance(values, list):
            raise CorrectionsError(f"{path}: cuts.{name} must be a list of seconds")
        target.extend(_seconds(path, f"cuts.{name}", value) for value in values)
    for key, entry in _table(path, data, "segments").items():
        number = _number_key(path, "segments", key, first=0)
        if not isinstance(entry, dict) or not entry or set(entry) - {"track", "chapter"}:
            raise CorrectionsError(f"{path}: segments.{key} takes track and chapter, as text")
        for name, target in (("track", corrections.tracks), ("chapter", corrections.chapters)):
            if name in entry:
                text = entry[name]
                if not isinstance(text, str) or not text.strip() or len(text) > 500:
                    raise CorrectionsError(f"{path}: segments.{key}.{name} must be a short text")
                target[number] = text.strip()
    return corrections


def corrections_text(corrections: Corrections) -> str:
    """The corrections as the TOML file :func:`load_corrections` reads."""
    lines = ["# clipindex corrections: applied by `clipindex index` after the analysis", ""]
    if corrections.handovers_s:
        lines.append("[handovers]")
        lines += [f"{n} = {_float(t)}" for n, t in sorted(corrections.handovers_s.items())]
        lines.append("")
    if corrections.add_cuts_s or corrections.remove_cuts_s:
        lines.append("[cuts]")
        for name, values in (
            ("add_s", corrections.add_cuts_s),
            ("remove_s", corrections.remove_cuts_s),
        ):
            if values:
                lines.append(f"{name} = [{', '.join(_float(t) for t in sorted(values))}]")
        lines.append("")
    for number in sorted(set(corrections.tracks) | set(corrections.chapters)):
        lines.append(f"[segments.{number}]")
        for name, values in (("track", corrections.tracks), ("chapter", corrections.chapters)):
            if number in values:
                lines.append(f"{name} = {json.dumps(values[number], ensure_ascii=False)}")
        lines.append("")
    return "\n".join(lines)


def apply_corrections(
    index: Index,
    corrections: Corrections,
    credits: Credits | None = None,
    digest: str | None = None,
) -> Index:
    """``index`` with ``corrections`` applied, and a warning for each that matches nothing.

    ``credits`` name the tracks a segment may be set to; ``digest`` (the file's SHA-256) is
    recorded in ``generator.parameters["corrections_sha256"]``.
    """
    index = copy.deepcopy(index)
    warnings: list[str] = []
    fps = index.source.nominal_fps or index.source.fps or 25.0
    for time_s in corrections.remove_cuts_s:
        _remove_cut(index, time_s, fps, warnings)
    for time_s in corrections.add_cuts_s:
        _add_cut(index, time_s, fps, warnings)
    for number, time_s in sorted(corrections.handovers_s.items()):
        _move_handover(index, number, time_s, fps, warnings)
    for number, title in sorted(corrections.tracks.items()):
        _set_track(index, number, title, credits, warnings)
    for number, title in sorted(corrections.chapters.items()):
        segment = _segment(index, number, "chapter", warnings)
        if segment is not None:
            segment.chapter_title = title
            segment.corrected = True
    index.warnings += [f"correction not applied: {warning}" for warning in warnings]
    index.generator.parameters["corrections_sha256"] = digest
    return index


def _remove_cut(index: Index, time_s: float, fps: float, warnings: list[str]) -> None:
    near = [cut for cut in index.cuts if abs(cut.time_s - time_s) <= 1.0 / fps + 1e-6]
    if not near:
        warnings.append(f"no cut within a frame of {time_s:g} s to remove")
        return
    cut = min(near, key=lambda c: abs(c.time_s - time_s))
    index.cuts.remove(cut)
    shots = index.shots
    at = next(n for n, shot in enumerate(shots) if shot.start_frame == cut.frame)
    before, after = shots[at - 1], shots.pop(at)
    before.end_frame, before.end_s = after.end_frame, after.end_s
    _renumber(shots)


def _add_cut(index: Index, time_s: float, fps: float, warnings: list[str]) -> None:
    shots = index.shots
    if not shots or not 0 < time_s < shots[-1].end_s:
        warnings.append(f"a cut at {time_s:g} s is outside the video")
        return
    at = max(n for n, shot in enumerate(shots) if shot.start_s <= time_s)
    shot = shots[at]
    frame = shot.start_frame + round((time_s - shot.start_s) * fps)
    if frame <= shot.start_frame or frame > shot.end_frame:
        warnings.append(f"a cut at {time_s:g} s is already there (frame {shot.start_frame})")
        return
    cut_s = round(shot.start_s + (frame - shot.start_frame) / fps, 6)
    new = Shot(
        index=0, start_s=cut_s, end_s=shot.end_s, start_frame=frame, end_frame=shot.end_frame
    )
    shot.end_frame, shot.end_s = frame - 1, cut_s
    shots.insert(at + 1, new)
    _renumber(shots)
    cut = Cut(
        time_s=cut_s,
        frame=frame,
        kind="hard",
        score=0.0,
        start_s=cut_s,
        end_s=cut_s,
        start_frame=frame,
        end_frame=frame,
        corrected=True,
    )
    index.cuts = sorted([*index.cuts, cut], key=lambda c: c.frame)


def _move_handover(
    index: Index, number: int, time_s: float, fps: float, warnings: list[str]
) -> None:
    segments = index.segments
    if not 1 <= number < len(segments):
        warnings.append(f"hand-over {number}: the index has {max(0, len(segments) - 1)} hand-overs")
        return
    before, after = segments[number - 1], segments[number]
    if not before.start_s < time_s < after.end_s:
        warnings.append(
            f"hand-over {number} at {time_s:g} s is not between the start of segment "
            f"{number - 1} ({before.start_s:g} s) and the end of segment {number} "
            f"({after.end_s:g} s)"
        )
        return
    old_s = after.start_s
    if math.isclose(before.end_s, old_s, abs_tol=1e-6) or before.end_s > time_s:
        before.end_s = time_s
    for gap in index.gaps:
        if math.isclose(gap.end_s, old_s, abs_tol=1e-6):
            gap.end_s = max(gap.start_s, time_s)
    after.start_s = time_s
    after.snapped_to_cut = any(abs(cut.time_s - time_s) < 0.5 / fps for cut in index.cuts)
    after.confidence = 1.0
    after.corrected = True


def _set_track(
    index: Index, number: int, title: str, credits: Credits | None, warnings: list[str]
) -> None:
    segment = _segment(index, number, "track", warnings)
    if segment is None:
        return
    credited = None
    if credits is not None:
        credited = next((t for t in credits.tracks if t.title.lower() == title.lower()), None)
    if credited is None:
        known = ", ".join(repr(t.title) for t in credits.tracks) if credits else "none"
        warnings.append(f"segment {number}: {title!r} is not among the credited tracks ({known})")
        return
    segment.track = TrackCredit(**credited.model_dump(exclude={"audio"}))
    segment.identified_by = None
    segment.track_offset_s = None
    segment.corrected = True


def _segment(index: Index, number: int, what: str, warnings: list[str]) -> Segment | None:
    if 0 <= number < len(index.segments):
        return index.segments[number]
    warnings.append(f"{what} of segment {number}: the index has {len(index.segments)} segments")
    return None


def _renumber(shots: list[Shot]) -> None:
    for number, shot in enumerate(shots):
        shot.index = number


def _table(path: object, data: dict, name: str) -> dict:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise CorrectionsError(f"{path}: [{name}] must be a table")
    return value


def _number_key(path: object, table: str, key: str, first: int) -> int:
    if not key.isdigit() or int(key) < first or int(key) > 100_000:
        raise CorrectionsError(
            f"{path}: {table}.{key}: the key must be a {'hand-over' if first else 'segment'} "
            f"number from {first}"
        )
    return int(key)


def _seconds(path: object, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CorrectionsError(f"{path}: {name} must be a time in seconds")
    if not math.isfinite(value) or not 0 <= value < 1e6:
        raise CorrectionsError(f"{path}: {name} must be a time in seconds from 0")
    return float(value)


def _float(value: float) -> str:
    return repr(float(value))
