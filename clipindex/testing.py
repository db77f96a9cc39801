"""Check an index against expected boundaries, from the command line or in your own tests.

The expected file uses the truth format of clipindex's samples: ``music_boundaries`` (seconds),
optionally ``tracks`` (titles in playing order), ``hard_cuts`` (``{frame, time_s}``) and
``gradual_transitions`` (spans in which a detected cut is not a false one). Use it in pytest::

    from clipindex.testing import assert_index_matches

    def test_montage_boundaries(tmp_path):
        assert_index_matches("montage.json", "montage.truth.json", tolerance_s=0.25)

Cuts are matched one to one within ``cut_tolerance_frames`` frames, and hand-overs within
``tolerance_s`` seconds, each as a maximum matching (:mod:`clipindex.matching`): as many pairs as
the tolerance allows, so that one missed or extra boundary is reported as such and does not
shift the others. Gradual transitions the file lists with their ``type`` are paired by span, and
each must be found with the right kind.

:func:`check_music` compares the musical half in more depth, with the truth files' optional
``music_crossfade_s`` (a wider tolerance for cross-faded hand-overs, and their overlap),
``music_gaps`` (``{start_s, end_s}``, the stretches without music) and ``track_offsets_s`` (where
each segment starts in its reference recording)::

    from clipindex.testing import check_music

    def test_montage_music(tmp_path):
        result = check_music("montage.json", "montage.truth.json")
        assert result.passed, result.table()
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clipindex.errors import IndexFileError
from clipindex.index import Index, load_index
from clipindex.matching import TRUTH_KINDS, match_events, match_spans

DEFAULT_TOLERANCE_S = 0.25
DEFAULT_CUT_TOLERANCE_FRAMES = 1
DEFAULT_CROSSFADE_TOLERANCE_S = 1.5
DEFAULT_OVERLAP_TOLERANCE_S = 0.5
DEFAULT_OFFSET_TOLERANCE_S = 0.1


@dataclass(frozen=True)
class Row:
    """One compared item: a hand-over, a track title or a cut."""

    what: str
    expected: str
    found: str
    error: str
    passed: bool


@dataclass
class CheckResult:
    """The rows of a comparison; ``passed`` when every row is within tolerance."""

    rows: list[Row] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def failures(self) -> list[Row]:
        return [row for row in self.rows if not row.passed]

    def table(self) -> str:
        """The rows as an aligned plain-text table, with a closing summary line."""
        header = ("what", "expected", "found", "error", "result")
        lines = [header] + [
            (r.what, r.expected, r.found, r.error, "pass" if r.passed else "FAIL")
            for r in self.rows
        ]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        text = [
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in lines
        ]
        failed = len(self.failures)
        text.append(
            f"{len(self.rows) - failed} passed, {failed} failed"
            if self.rows
            else "nothing to compare"
        )
        return "\n".join(text)


def load_expected(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read an expected-boundaries (truth) file."""
    from clipindex.files import read_capped
    from clipindex.index import MAX_INDEX_BYTES, json_problem

    path = Path(path)
    try:
        raw = read_capped(path, MAX_INDEX_BYTES)
        if raw is None:
            raise IndexFileError(f"{path}: too large for a file of expected boundaries")
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise IndexFileError(f"{path}: no such expected file") from None
    except RecursionError:
        raise IndexFileError(
            f"{path}: not a file of expected boundaries (nested too deeply)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexFileError(
            f"{path}: not a readable JSON file of expected boundaries ({exc})"
        ) from None
    problem = json_problem(data)
    if problem is not None:
        raise IndexFileError(f"{path}: {problem}")
    if not isinstance(data, dict) or not any(
        key in data for key in ("music_boundaries", "hard_cuts", "tracks")
    ):
        raise IndexFileError(
            f"{path}: lists no music_boundaries, tracks or hard_cuts to compare against"
        )
    return data


def compare(
    index: Index,
    expected: dict[str, Any],
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    cut_tolerance_frames: int = DEFAULT_CUT_TOLERANCE_FRAMES,
) -> CheckResult:
    """Compare an index with the expected hand-overs, tracks and cuts (those the file lists)."""
    result = CheckResult()
    if "music_boundaries" in expected:
        result.rows += _compare_handovers(index, expected["music_boundaries"], tolerance_s)
    if "tracks" in expected:
        result.rows += _compare_tracks(index, expected["tracks"])
    if "hard_cuts" in expected:
        result.rows += _compare_cuts(index, expected, cut_tolerance_frames)
    if any("type" in g for g in expected.get("gradual_transitions", [])):
        result.rows += _compare_transitions(index, expected, cut_tolerance_frames)
    return result


def _compare_handovers(index: Index, boundaries: list[float], tolerance_s: float) -> list[Row]:
    """Hand-overs paired by time: each expected one found within ``tolerance_s`` or missed,
    and each found one that no expected one claims, extra."""
    found = [segment.start_s for segment in index.segments[1:]]
    pairs = dict(match_events(boundaries, found, tolerance_s))
    rows = []
    for number, want in enumerate(boundaries, start=1):
        if number - 1 in pairs:
            got = found[pairs[number - 1]]
            rows.append(
                Row(
                    f"hand-over {number}",
                    f"{want:.3f} s",
                    f"{got:.3f} s",
                    f"{got - want:+.3f} s",
                    True,
                )
            )
        else:
            nearest = min(found, key=lambda t: abs(t - want), default=None)
            error = f"nearest {nearest - want:+.3f} s" if nearest is not None else ""
            rows.append(Row(f"hand-over {number}", f"{want:.3f} s", "missed", error, False))
    claimed = set(pairs.values())
    for j, got in enumerate(found):
        if j not in claimed:
            rows.append(Row("extra hand-over", "no hand-over", f"{got:.3f} s", "extra", False))
    return rows


def _compare_tracks(index: Index, titles: list[str]) -> list[Row]:
    found = [segment.track.title if segment.track else "(none)" for segment in index.segments]
    rows = []
    for number in range(max(len(titles), len(found))):
        want = titles[number] if number < len(titles) else "(none)"
        got = found[number] if number < len(found) else "(none)"
        rows.append(Row(f"segment {number} track", want, got, "", want == got))
    return rows


def _compare_cuts(index: Index, expected: dict[str, Any], tolerance_frames: int) -> list[Row]:
    hard = [cut for cut in index.cuts if cut.kind == "hard"]
    spans = [(g["start_frame"], g["end_frame"]) for g in expected.get("gradual_transitions", [])]
    wanted = expected["hard_cuts"]
    pairs = dict(
        match_events([w["frame"] for w in wanted], [c.frame for c in hard], tolerance_frames)
    )
    rows = []
    for number, want in enumerate(wanted):
        if number in pairs:
            best = hard[pairs[number]]
            rows.append(
                Row(
                    f"cut at frame {want['frame']}",
                    f"{want['time_s']:.3f} s",
                    f"{best.time_s:.3f} s",
                    f"{best.frame - want['frame']:+d} frames",
                    True,
                )
            )
        else:
            rows.append(
                Row(f"cut at frame {want['frame']}", f"{want['time_s']:.3f} s", "missed", "", False)
            )
    claimed = set(pairs.values())
    unmatched = [cut for n, cut in enumerate(hard) if n not in claimed]
    for extra in unmatched:
        inside = any(
            start - tolerance_frames <= extra.frame <= end + tolerance_frames
            for start, end in spans
        )
        if not inside:
            rows.append(
                Row(
                    f"cut at frame {extra.frame}",
                    "no cut",
                    f"{extra.time_s:.3f} s",
                    "false cut",
                    False,
                )
            )
    return rows


def _compare_transitions(
    index: Index, expected: dict[str, Any], tolerance_frames: int
) -> list[Row]:
    """Gradual transitions paired by span (widened by ``tolerance_frames``), each expected one
    found with the right kind; a found one overlapping none is a false transition."""
    wanted = [g for g in expected["gradual_transitions"] if "type" in g]
    found = [cut for cut in index.cuts if cut.kind != "hard"]
    pairs = dict(
        match_spans(
            [(g["start_frame"], g["end_frame"]) for g in wanted],
            [(c.start_frame, c.end_frame) for c in found],
            tolerance_frames,
        )
    )
    rows = []
    for number, want in enumerate(wanted):
        kind = TRUTH_KINDS.get(want["type"], want["type"])
        what = f"{kind.replace('_', ' ')} at frames {want['start_frame']}-{want['end_frame']}"
        if number in pairs:
            got = found[pairs[number]]
            rows.append(
                Row(
                    what,
                    kind,
                    f"{got.kind} {got.start_frame}-{got.end_frame}",
                    "" if got.kind == kind else "wrong kind",
                    got.kind == kind,
                )
            )
        else:
            rows.append(Row(what, kind, "missed", "", False))
    hard_frames = [w["frame"] for w in expected.get("hard_cuts", [])]
    claimed = set(pairs.values())
    for n, cut in enumerate(found):
        near_a_cut = any(abs(cut.frame - frame) <= tolerance_frames for frame in hard_frames)
        if n not in claimed and not near_a_cut:
            rows.append(
                Row(
                    f"{cut.kind.replace('_', ' ')} at frames {cut.start_frame}-{cut.end_frame}",
                    "no transition",
                    cut.kind,
                    "false transition",
                    False,
                )
            )
    return rows


def check_index(
    index: Index | str | os.PathLike[str],
    expected: dict[str, Any] | str | os.PathLike[str],
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    cut_tolerance_frames: int = DEFAULT_CUT_TOLERANCE_FRAMES,
) -> CheckResult:
    """Like :func:`compare`, taking paths or loaded objects."""
    if not isinstance(index, Index):
        index = load_index(index)
    if not isinstance(expected, dict):
        expected = load_expected(expected)
    return compare(
        index, expected, tolerance_s=tolerance_s, cut_tolerance_frames=cut_tolerance_frames
    )


def assert_index_matches(
    index: Index | str | os.PathLike[str],
    expected: dict[str, Any] | str | os.PathLike[str],
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    cut_tolerance_frames: int = DEFAULT_CUT_TOLERANCE_FRAMES,
) -> CheckResult:
    """Raise ``AssertionError`` with the comparison table unless every boundary is in tolerance."""
    result = check_index(
        index, expected, tolerance_s=tolerance_s, cut_tolerance_frames=cut_tolerance_frames
    )
    if not result.passed:
        raise AssertionError("index does not match the expected boundaries:\n" + result.table())
    return result


def compare_music(
    index: Index,
    expected: dict[str, Any],
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    crossfade_tolerance_s: float = DEFAULT_CROSSFADE_TOLERANCE_S,
    overlap_tolerance_s: float = DEFAULT_OVERLAP_TOLERANCE_S,
    offset_tolerance_s: float = DEFAULT_OFFSET_TOLERANCE_S,
) -> CheckResult:
    """Compare an index's music with the truth: hand-overs, tracks, gaps, overlaps, offsets.

    - Hand-overs (``music_boundaries``) in order, within ``tolerance_s``, or
      ``crossfade_tolerance_s`` when the truth's ``music_crossfade_s`` is above 0.
    - Tracks (``tracks``) segment by segment.
    - Gaps (``music_gaps``) in order, both edges within ``tolerance_s``; a gap found that the
      truth does not list fails.
    - Overlaps, for segments whose track was identified from its reference recording (the only
      ones whose overlap is measured): within ``overlap_tolerance_s`` of ``music_crossfade_s``.
    - Offsets (``track_offsets_s``), for the same segments: within ``offset_tolerance_s``.
    """
    crossfade = float(expected.get("music_crossfade_s", 0.0))
    result = CheckResult()
    if "music_boundaries" in expected:
        within = crossfade_tolerance_s if crossfade > 0 else tolerance_s
        result.rows += _compare_handovers(index, expected["music_boundaries"], within)
    if "tracks" in expected:
        result.rows += _compare_tracks(index, expected["tracks"])
    if "music_gaps" in expected:
        result.rows += _compare_gaps(index, expected["music_gaps"], tolerance_s)
    measured = [s for s in index.segments if s.identified_by == "reference_audio"]
    follows = {s.index for s in index.segments[1:] if _follows_without_gap(index, s.index)}
    for segment in measured:
        if segment.index in follows:
            error = segment.overlap_s - crossfade
            result.rows.append(
                Row(
                    f"segment {segment.index} overlap",
                    f"{crossfade:.3f} s",
                    f"{segment.overlap_s:.3f} s",
                    f"{error:+.3f} s",
                    abs(error) <= overlap_tolerance_s + 1e-9,
                )
            )
    offsets = expected.get("track_offsets_s")
    if offsets is not None:
        for segment in measured:
            if segment.index >= len(offsets) or segment.track_offset_s is None:
                continue
            want, got = float(offsets[segment.index]), segment.track_offset_s
            result.rows.append(
                Row(
                    f"segment {segment.index} offset",
                    f"{want:.3f} s",
                    f"{got:.3f} s",
                    f"{got - want:+.3f} s",
                    abs(got - want) <= offset_tolerance_s + 1e-9,
                )
            )
    return result


def check_music(
    index: Index | str | os.PathLike[str],
    expected: dict[str, Any] | str | os.PathLike[str],
    **tolerances: float,
) -> CheckResult:
    """Like :func:`compare_music`, taking paths or loaded objects."""
    if not isinstance(index, Index):
        index = load_index(index)
    if not isinstance(expected, dict):
        expected = load_expected(expected)
    return compare_music(index, expected, **tolerances)


def _follows_without_gap(index: Index, number: int) -> bool:
    """Whether segment ``number`` starts where the one before ends (a hand-over, not a gap)."""
    before, segment = index.segments[number - 1], index.segments[number]
    return abs(segment.start_s - before.end_s) < 1e-6


def _compare_gaps(index: Index, gaps: list[dict[str, float]], tolerance_s: float) -> list[Row]:
    rows = []
    found = index.gaps
    for number in range(max(len(gaps), len(found))):
        want = gaps[number] if number < len(gaps) else None
        got = found[number] if number < len(found) else None
        expected = f"{want['start_s']:.3f}-{want['end_s']:.3f} s" if want else "no gap"
        seen = f"{got.start_s:.3f}-{got.end_s:.3f} s" if got else "missed"
        if want and got:
            errors = (got.start_s - want["start_s"], got.end_s - want["end_s"])
            error = f"{errors[0]:+.3f} / {errors[1]:+.3f} s"
            passed = all(abs(e) <= tolerance_s + 1e-9 for e in errors)
        else:
            error, passed = "", False
        rows.append(Row(f"gap {number + 1}", expected, seen, error, passed))
    return rows
