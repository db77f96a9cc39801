"""Accuracy of the musical half of the index: hand-overs, gaps, tracks, offsets, cross-fades.

Every montage with a truth file is indexed three ways: from the sound alone (no credits, so the
number of segments is decided from the sound), with credits in playing order but no reference
recordings (tracks in credits order), and with credits naming each track's recording (tracks
identified from them; for "wrong-order" and "repeated-track" the credits list the tracks in
another order, or once for two plays). The montages are the bundled sample,
../shared/media/bbb-two-tracks.mkv, and those built by ``benchmarks/montages.py``. Each row is
compared with :func:`clipindex.testing.compare_music` (hand-overs within 0.25 s, or 1.5 s for a
cross-fade; gap edges within 0.25 s; offsets within 0.1 s; overlaps within 0.5 s). Then the cost
of the analysis is measured on a 20-minute soundtrack.

Prints a Markdown section::

    python benchmarks/music_accuracy.py --write benchmarks/ACCURACY.md

Takes about three minutes (it builds the montages in a temporary folder first).

With ``--real``, the evaluation that can fail instead: the montages of real recordings over real
footage of ``benchmarks/real_montages.py`` (their recordings fetched first by
``benchmarks/corpus/fetch_music.py``), each indexed in credits order, with reference recordings
and from the sound alone, scored hand-over by hand-over (:func:`score_real`), with one verdict
line per acceptance criterion and the calibration of confident hand-overs::

    python benchmarks/music_accuracy.py --real --write benchmarks/ACCURACY.md
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clipindex.audio import decode_audio
from clipindex.credits import load_credits
from clipindex.index import Index
from clipindex.music import analyse_music, frame_features, match_references, prepare_reference
from clipindex.pipeline import index_video
from clipindex.testing import (
    DEFAULT_CROSSFADE_TOLERANCE_S,
    DEFAULT_TOLERANCE_S,
    compare_music,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import montages  # noqa: E402  (the montage builder beside this file)
import real_montages  # noqa: E402  (the real recordings' montages)
from markdown import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "training-montage.mp4"
SAMPLE_CREDITS = ROOT / "samples" / "rocky-iv-training.credits.toml"
BBB = montages.MEDIA / "bbb-two-tracks.mkv"
BBB_CREDITS = ROOT / "tests" / "data" / "bbb-two-tracks.credits.toml"
SR = 22050


@dataclass(frozen=True)
class Case:
    """A video, its truth, and the credits files of each run (None: that run is not possible)."""

    name: str
    what: str
    video: Path
    truth: dict
    credits_order: Path | None
    credits_audio: Path | None


@dataclass(frozen=True)
class Outcome:
    """One indexed run compared with the truth."""

    handovers: str
    gaps: str
    tracks: str
    offsets: str
    overlaps: str
    passed: bool
    seconds: float


def cases(folder: Path) -> list[Case]:
    """The sample, bbb-two-tracks and the built montages, with credits files in ``folder``."""
    found = [
        Case(
            "training-montage (sample)",
            "two synthesised songs switch on a cut under punches and wind",
            SAMPLE,
            json.loads(SAMPLE.with_suffix(".truth.json").read_text()),
            SAMPLE_CREDITS,
            None,
        )
    ]
    if BBB.exists():
        truth = json.loads(BBB.with_name(BBB.name + ".truth.json").read_text())
        with_audio = folder / "bbb-two-tracks.credits.toml"
        text = BBB_CREDITS.read_text()
        for title, file in zip(truth["tracks"], truth["track_files"], strict=True):
            montages.copy_recording(file, folder)
            text = text.replace(f'title = "{title}"\n', f'title = "{title}"\naudio = "{file}"\n')
        with_audio.write_text(text)
        found.append(
            Case(
                "bbb-two-tracks",
                "the shared two-track video: a switch on a cut",
                BBB,
                truth,
                BBB_CREDITS,
                with_audio,
            )
        )
    for built in montages.build_all(folder):
        found.append(
            Case(
                built.montage.name,
                built.montage.what,
                built.video,
                json.loads(built.truth.read_text()),
                built.credits_without_audio,
                built.credits_with_audio,
            )
        )
    return found


def run(case: Case, credits: Path | None) -> Outcome:
    """Index ``case.video`` with ``credits`` and compare its music with the truth."""
    started = time.perf_counter()
    index = index_video(case.video, load_credits(credits) if credits else None)
    seconds = time.perf_counter() - started
    truth = dict(case.truth)
    truth.setdefault("music_gaps", [])  # the sample and bbb-two-tracks have music throughout
    if credits is None:
        truth.pop("tracks", None)
    result = compare_music(index, truth)

    def cells(prefix: str) -> tuple[str, bool]:
        rows = [row for row in result.rows if row.what.startswith(prefix)]
        if not rows:
            return "–", True
        text = ", ".join((row.error or row.found) + ("" if row.passed else " ✗") for row in rows)
        return text, all(row.passed for row in rows)

    handovers, ok_h = cells("hand-over")
    extra = sum(row.what == "extra hand-over" for row in result.rows)
    if extra:  # a hand-over found where the truth has none
        handovers = ("" if handovers == "–" else handovers + ", ") + f"{extra} extra ✗"
        ok_h = False
    gaps, ok_g = cells("gap")
    if gaps == "–" and "music_gaps" in truth:
        gaps = "none"
    offsets, ok_o = _offsets(result)
    overlaps, ok_v = _overlaps(result)
    track_rows = [row for row in result.rows if row.what.endswith(" track")]
    right = sum(row.passed for row in track_rows)
    tracks = f"{right}/{len(track_rows)}" if track_rows else "–"
    ok_t = right == len(track_rows)
    return Outcome(
        handovers, gaps, tracks, offsets, overlaps, ok_h and ok_g and ok_o and ok_v and ok_t,
        seconds,
    )  # fmt: skip


def _offsets(result) -> tuple[str, bool]:
    rows = [row for row in result.rows if row.what.endswith(" offset")]
    if not rows:
        return "–", True
    worst = max(abs(float(row.error.split()[0])) for row in rows)
    return f"≤ {worst:.3f} s", all(row.passed for row in rows)


def _overlaps(result) -> tuple[str, bool]:
    rows = [row for row in result.rows if row.what.endswith(" overlap")]
    if not rows:
        return "–", True
    text = ", ".join(row.found + ("" if row.passed else " ✗") for row in rows)
    return text, all(row.passed for row in rows)


def speed(minutes: float = 20.0) -> list[str]:
    """Cost of the analysis on a long soundtrack of the three shared songs in 30 s excerpts, of
    identification per minute and per recording, and of the analysis against decoding a video."""
    names = list(montages.RECORDINGS)
    recordings = {
        k: decode_audio(montages.MEDIA / r.file, sr=SR) for k, r in montages.RECORDINGS.items()
    }
    rng = np.random.default_rng(3)
    pieces, total = [], 0
    while total < minutes * 60 * SR:
        song = recordings[names[len(pieces) % len(names)]]
        start = int(rng.uniform(0, len(song) - 31 * SR))
        piece = song[start : start + 30 * SR]
        pieces.append(piece * (0.1 / np.sqrt(np.mean(piece**2))))
        total += len(piece)
    sound = np.concatenate(pieces).astype(np.float32)
    refs = [recordings[k] for k in names]
    timings = {}
    for label, kwargs in (
        ("sound only", {}),
        ("credits order", {"n_tracks": len(pieces)}),
        ("3 reference recordings", {"n_tracks": 3, "references": refs}),
    ):
        timings[label] = _seconds(lambda kwargs=kwargs: analyse_music(sound, SR, **kwargs))
    ref_minutes = sum(len(r) for r in refs) / SR / 60
    prepare = _seconds(lambda: [prepare_reference(r, SR) for r in refs])
    prepared = [prepare_reference(r, SR) for r in refs]
    frames = frame_features(sound, SR)
    match_one = _seconds(lambda: match_references(frames, prepared[:1]))
    match_all = _seconds(lambda: match_references(frames, prepared))
    identify = timings["3 reference recordings"] - timings["sound only"]
    decode_s = _seconds(lambda: decode_audio(montages.MEDIA / montages.RECORDINGS["fishin"].file))
    lines = [
        f"Analysis of a {minutes:.0f}-minute soundtrack (30 s excerpts of the three songs, "
        f"{len(pieces)} segments), on this machine (2 cores, shared):",
        "",
        "| run | seconds | per minute of sound |",
        "| --- | ---: | ---: |",
    ]
    lines += [
        f"| {label} | {seconds:.2f} | {seconds / minutes:.3f} |"
        for label, seconds in timings.items()
    ]
    lines += [
        "",
        f"Identification adds {identify:.2f} s ({identify / minutes:.3f} s per minute of video). "
        f"Of it, preparing the recordings takes {prepare / ref_minutes:.3f} s per minute of "
        f"recording ({ref_minutes:.1f} minutes here); matching the soundtrack against them "
        f"{match_one / minutes:.3f} s per minute of video for one recording and "
        f"{match_all / minutes:.3f} s for three; the rest (offsets to the sample, edges) grows "
        f"with the number of segments. Decoding a recording ({len(recordings['fishin']) / SR:.0f} "
        f"s of Ogg Vorbis) takes {decode_s:.2f} s.",
    ]
    if BBB.exists():
        whole = _seconds(lambda: index_video(BBB))
        music = _seconds(lambda: analyse_music(decode_audio(BBB, sr=SR), SR))
        lines += [
            "",
            f"Indexing bbb-two-tracks.mkv (30 s of 1280x720 VP8) takes {whole:.1f} s, of which "
            f"the music analysis {music:.2f} s ({100 * music / whole:.0f}%).",
        ]
    return lines


def _seconds(work) -> float:
    """Wall-clock seconds ``work()`` takes."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# Real recordings over real footage (--real).
# ---------------------------------------------------------------------------------------------

SYNTHETIC_SECTION = "Musical segments: synthetic montages"
REAL_SECTION = "Musical segments: real recordings"
SURE = 0.8
"""Confidence from which a found hand-over is taken as sure, for calibration."""
CALIBRATION_GOAL = 0.95
"""Share of sure hand-overs that must be within tolerance."""
SEGMENT_COUNT_GOAL = 0.9
"""Share of montages whose number of segments the sound alone must get right."""
REAL_RUNS = ("credits order", "recordings", "sound only")


def handover_tolerance_s(handover: dict) -> float:
    """How far a found hand-over may be from a true one: 0.25 s from a switch; from the middle
    of a cross-fade, 1.5 s or anywhere inside the cross-fade, whichever is wider."""
    if handover["kind"] == "switch":
        return DEFAULT_TOLERANCE_S
    return max(DEFAULT_CROSSFADE_TOLERANCE_S, handover["crossfade_s"] / 2)


def found_handovers(index: Index) -> list[tuple[float, float]]:
    """``(time_s, confidence)`` of each segment that starts where the one before ends.

    A segment's confidence is that of its less sure edge (or, with reference recordings, of its
    identification), so an edge is claimed at least as sure as the surer of the two segments it
    joins: that is the confidence it is given here.
    """
    return [
        (after.start_s, max(before.confidence, after.confidence))
        for before, after in zip(index.segments, index.segments[1:], strict=False)
        if abs(after.start_s - before.end_s) < 1e-6
    ]


def match_handovers(truth: list[dict], found_s: list[float]) -> dict[int, int]:
    """Found hand-overs matched one to one with true ones, each within the true one's
    tolerance (:func:`handover_tolerance_s`), closest pairs first: ``{true: found}``."""
    pairs = sorted(
        (abs(time_s - want["time_s"]), i, j)
        for i, want in enumerate(truth)
        for j, time_s in enumerate(found_s)
        if abs(time_s - want["time_s"]) <= handover_tolerance_s(want) + 1e-9
    )
    matched: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in matched and j not in matched.values():
            matched[i] = j
    return matched


@dataclass(frozen=True)
class RealOutcome:
    """One run of one real montage against its truth."""

    segments_found: int
    segments_true: int
    errors_s: tuple[float | None, ...]
    """Per true hand-over: the matched found one minus it, or None when none is in tolerance."""
    extra_s: tuple[float, ...]
    """Found hand-overs that match no true one."""
    sure: tuple[bool, ...]
    """Per found hand-over at confidence >= SURE: whether it is within tolerance."""
    gaps_found: int
    gaps_true: int
    tracks_right: int | None
    worst_offset_s: float | None
    seconds: float

    @property
    def handovers_right(self) -> bool:
        """Every true hand-over found within tolerance, and no other."""
        return all(e is not None for e in self.errors_s) and not self.extra_s

    @property
    def passed(self) -> bool:
        return self.handovers_right and self.segments_found == self.segments_true


def score_real(index: Index, truth: dict, seconds: float = 0.0) -> RealOutcome:
    """Compare an index's music with a real montage's truth (``real_montages.truth``)."""
    found = found_handovers(index)
    matched = match_handovers(truth["handovers"], [time_s for time_s, _ in found])
    errors = tuple(
        found[matched[i]][0] - want["time_s"] if i in matched else None
        for i, want in enumerate(truth["handovers"])
    )
    used = set(matched.values())
    extra = tuple(time_s for j, (time_s, _) in enumerate(found) if j not in used)
    sure = tuple(j in used for j, (_, confidence) in enumerate(found) if confidence >= SURE)
    gaps_found = sum(
        any(
            abs(g.start_s - want["start_s"]) <= DEFAULT_TOLERANCE_S
            and abs(g.end_s - want["end_s"]) <= DEFAULT_TOLERANCE_S
            for g in index.gaps
        )
        for want in truth["music_gaps"]
    )
    tracks_right, offsets = None, []
    if any(s.track is not None for s in index.segments):
        tracks_right = 0
        for want in truth["segments"]:
            best = max(index.segments, key=lambda s: _overlap_s(s, want))
            if _overlap_s(best, want) > 0 and best.track and best.track.title == want["title"]:
                tracks_right += 1
                if best.track_offset_s is not None:
                    expected = want["offset_s"] + best.start_s - want["start_s"]
                    offsets.append(abs(best.track_offset_s - expected))
    return RealOutcome(
        len(index.segments), len(truth["segments"]), errors, extra, sure, gaps_found,
        len(truth["music_gaps"]), tracks_right, max(offsets) if offsets else None, seconds,
    )  # fmt: skip


def _overlap_s(segment, want: dict) -> float:
    return min(segment.end_s, want["end_s"]) - max(segment.start_s, want["start_s"])


def run_real(built, run: str) -> RealOutcome:
    """Index a built real montage one way (one of ``REAL_RUNS``) and score it."""
    credits = {
        "credits order": built.credits_without_audio,
        "recordings": built.credits_with_audio,
        "sound only": None,
    }[run]
    started = time.perf_counter()
    index = index_video(built.video, load_credits(credits) if credits else None)
    seconds = time.perf_counter() - started
    return score_real(index, json.loads(built.truth.read_text()), seconds)


def _handover_cell(outcome: RealOutcome) -> str:
    cells = [f"{e:+.2f}" if e is not None else "missed ✗" for e in outcome.errors_s]
    cells += [f"extra at {t:.2f} ✗" for t in outcome.extra_s]
    return ", ".join(cells) or "none"


def real_report(results: dict[str, dict[str, RealOutcome]], truths: dict[str, dict]) -> list[str]:
    """The Markdown of the real evaluation: per montage and run, then the verdicts."""
    lines = [
        "| montage | run | segments (found / true) | hand-overs (found − true, s) | gaps | "
        "tracks | offsets | result | s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | ---: |",
    ]
    for name, runs in results.items():
        for run, o in runs.items():
            tracks = "–" if o.tracks_right is None else f"{o.tracks_right}/{o.segments_true}"
            offsets = "–" if o.worst_offset_s is None else f"≤ {o.worst_offset_s:.3f} s"
            count = f"{o.segments_found} / {o.segments_true}" + (
                "" if o.segments_found == o.segments_true else " ✗"
            )
            lines.append(
                f"| {name} | {run} | {count} | {_handover_cell(o)} | "
                f"{o.gaps_found}/{o.gaps_true} | {tracks} | {offsets} | "
                f"{'pass' if o.passed else '**FAIL**'} | {o.seconds:.1f} |"
            )
    lines += ["", "### Verdicts", ""]
    lines += real_verdicts(results)
    lines += ["", "### By kind of hand-over", ""]
    lines += _by_kind(results, truths)
    lines += ["", "### Calibration", ""]
    lines += _calibration(results)
    return lines


def real_verdicts(results: dict[str, dict[str, RealOutcome]]) -> list[str]:
    """One line per acceptance criterion, each beginning PASS or FAIL."""
    lines = []
    n = len(results)
    for run in ("credits order", "recordings"):
        outcomes = [runs[run] for runs in results.values()]
        right = sum(o.handovers_right for o in outcomes)
        within = sum(e is not None for o in outcomes for e in o.errors_s)
        total = sum(len(o.errors_s) for o in outcomes)
        extra = sum(len(o.extra_s) for o in outcomes)
        lines.append(
            f"- **{'PASS' if right == n else 'FAIL'}** {run}: every hand-over within tolerance "
            f"on {right} of {n} montages ({within} of {total} hand-overs within tolerance, "
            f"{extra} found where there is none)."
        )
    outcomes = [runs["sound only"] for runs in results.values()]
    counted = sum(o.segments_found == o.segments_true for o in outcomes)
    found = sum(len(o.errors_s) - o.errors_s.count(None) + len(o.extra_s) for o in outcomes)
    within = sum(len(o.errors_s) - o.errors_s.count(None) for o in outcomes)
    lines.append(
        f"- **{'PASS' if counted >= SEGMENT_COUNT_GOAL * n else 'FAIL'}** sound only: the right "
        f"number of segments on {counted} of {n} montages (goal: {SEGMENT_COUNT_GOAL:.0%})."
    )
    lines.append(
        f"- **{'PASS' if within == found else 'FAIL'}** sound only: {within} of the {found} "
        "hand-overs found are within tolerance (goal: all)."
    )
    sure = [s for runs in results.values() for o in runs.values() for s in o.sure]
    if sure:
        share = sum(sure) / len(sure)
        verdict = "PASS" if share >= CALIBRATION_GOAL else "FAIL"
        lines.append(
            f"- **{verdict}** calibration: of the {len(sure)} hand-overs found at confidence "
            f"≥ {SURE} (all three runs), {sum(sure)} are within tolerance: {share:.1%} "
            f"(goal: ≥ {CALIBRATION_GOAL:.0%})."
        )
    else:
        lines.append(f"- **FAIL** calibration: no hand-over was found at confidence ≥ {SURE}.")
    return lines


def _by_kind(results: dict[str, dict[str, RealOutcome]], truths: dict[str, dict]) -> list[str]:
    """True hand-overs within tolerance per run, by kind (a switch or a cross-fade, on a cut or
    not) and for pieces by the same performer back to back."""
    kinds = {
        "switch on a cut": lambda h: h["kind"] == "switch" and h["on_cut"],
        "switch off cuts": lambda h: h["kind"] == "switch" and not h["on_cut"],
        "cross-fade on a cut": lambda h: h["kind"] == "crossfade" and h["on_cut"],
        "cross-fade off cuts": lambda h: h["kind"] == "crossfade" and not h["on_cut"],
        "same performer both sides": lambda h: h["same_performer"],
        "all": lambda h: True,
    }
    lines = [
        "| hand-overs | " + " | ".join(REAL_RUNS) + " |",
        "| --- | " + " | ".join("---:" for _ in REAL_RUNS) + " |",
    ]
    for label, wanted in kinds.items():
        cells = []
        for run in REAL_RUNS:
            hits = total = 0
            for name, runs in results.items():
                for handover, error in zip(
                    truths[name]["handovers"], runs[run].errors_s, strict=True
                ):
                    if wanted(handover):
                        total += 1
                        hits += error is not None
            cells.append(f"{hits}/{total}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _calibration(results: dict[str, dict[str, RealOutcome]]) -> list[str]:
    """Found hand-overs at confidence >= SURE per run, and how many are within tolerance."""
    lines = [
        f"Hand-overs found at confidence ≥ {SURE} (a hand-over's confidence is that of the surer "
        "of the two segments it joins), and how many are within tolerance of a true one:",
        "",
        "| run | found at ≥ 0.8 | within tolerance | share |",
        "| --- | ---: | ---: | ---: |",
    ]
    for run in REAL_RUNS:
        sure = [s for runs in results.values() for s in runs[run].sure]
        share = f"{sum(sure) / len(sure):.1%}" if sure else "–"
        lines.append(f"| {run} | {len(sure)} | {sum(sure)} | {share} |")
    return lines


def main_real(write: Path | None) -> None:
    """Fetch the recordings, build the real montages, run each three ways, print the section."""
    missing_footage = [
        m.footage
        for m in real_montages.load_montages()
        if not (montages.MEDIA / m.footage).exists()
    ]
    if missing_footage:
        raise SystemExit(f"footage absent from ../shared/media: {', '.join(missing_footage)}")
    if real_montages.fetch_music.fetch():
        raise SystemExit("some recordings could not be fetched (see above)")
    results: dict[str, dict[str, RealOutcome]] = {}
    truths: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        for built in real_montages.build_all(Path(folder)):
            name = built.montage.name
            truths[name] = json.loads(built.truth.read_text())
            results[name] = {run: run_real(built, run) for run in REAL_RUNS}
            print(f"{name}: done", file=sys.stderr)
    n_handovers = sum(len(t["handovers"]) for t in truths.values())
    recordings = real_montages.recordings()
    used = sorted({key for t in truths.values() for key in t["track_keys"]})
    lines = [
        f"## {REAL_SECTION}",
        "",
        "Generated by `python benchmarks/music_accuracy.py --real --write benchmarks/ACCURACY.md` "
        f"from {len(truths)} montages of {len(used)} real recordings "
        "(`benchmarks/corpus/music.toml`: Debian packages and ../shared/media) over real "
        "footage with its own sound 12 LU under "
        f"the music, {n_handovers} hand-overs in all (`benchmarks/corpus/music-montages.toml`, "
        "built by `benchmarks/real_montages.py`). Each is indexed three ways: *credits order* "
        "(credits with titles only, in playing order), *recordings* (credits naming each track's "
        "recording), *sound only* (no credits). A hand-over is within tolerance 0.25 s from a "
        "switch, or for a cross-fade within 1.5 s of its middle or inside it; ✗ marks what is "
        "not. Gaps: true gaps found with both edges within 0.25 s. Offsets: the worst error of "
        "where in its recording a segment starts, given where it was found to start (game music "
        "repeats itself: an error of whole bars, such as 12.000 s at 120 BPM, is the same music "
        "found at another repeat).",
        "",
        *real_report(results, truths),
        "",
        "What each montage holds:",
        "",
        *[f"- **{name}**: {truth['what']}." for name, truth in truths.items()],
        "",
        "Recordings: "
        + "; ".join(
            f"{recordings[k].title} ({recordings[k].performer}, {recordings[k].source})"
            for k in used
        )
        + ".",
    ]
    print("\n".join(lines))
    if write is not None:
        write_section(write, "Accuracy", REAL_SECTION, "\n".join(lines[2:]))


def main(argv: list[str] | None = None) -> None:
    """Print the table; ``--write FILE`` also puts it in that page's music section (``--real``:
    the real recordings' section)."""
    argv = sys.argv[1:] if argv is None else argv
    write = Path(argv[argv.index("--write") + 1]) if "--write" in argv else None
    if "--real" in argv:
        main_real(write)
        return
    with tempfile.TemporaryDirectory() as folder:
        all_cases = cases(Path(folder))
        lines = [
            f"## {SYNTHETIC_SECTION}",
            "",
            "Generated by `python benchmarks/music_accuracy.py --write benchmarks/ACCURACY.md`. "
            "Errors are found minus true, in "
            "seconds; ✗ marks what is out of tolerance (hand-overs 0.25 s, or 1.5 s for a "
            "cross-fade; gap edges 0.25 s; offsets 0.1 s; overlaps 0.5 s). *sound only*: no "
            "credits; *credits order*: credits without recordings; *recordings*: credits naming "
            "each track's recording.",
            "",
            "| montage | run | hand-overs | gaps (start / end) | tracks | offsets | overlaps | "
            "result | s |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | ---: |",
        ]
        failures = 0
        for case in all_cases:
            runs = [("sound only", None), ("credits order", case.credits_order)]
            if case.credits_audio is not None:
                runs.append(("recordings", case.credits_audio))
            for label, credits in runs:
                outcome = run(case, credits)
                failures += not outcome.passed
                lines.append(
                    f"| {case.name} | {label} | {outcome.handovers} | {outcome.gaps} | "
                    f"{outcome.tracks} | {outcome.offsets} | {outcome.overlaps} | "
                    f"{'pass' if outcome.passed else '**FAIL**'} | {outcome.seconds:.1f} |"
                )
        lines += ["", f"{failures} run(s) out of tolerance.", ""]
        lines += ["What each montage holds:", ""]
        lines += [f"- **{case.name}**: {case.what}." for case in all_cases]
        lines += ["", "### Cost", "", *speed()]
    print("\n".join(lines))
    if write is not None:
        write_section(write, "Accuracy", SYNTHETIC_SECTION, "\n".join(lines[2:]))


if __name__ == "__main__":
    main()
