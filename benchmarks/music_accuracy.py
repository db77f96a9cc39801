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
from clipindex.music import analyse_music, frame_features, match_references, prepare_reference
from clipindex.pipeline import index_video
from clipindex.testing import compare_music

sys.path.insert(0, str(Path(__file__).resolve().parent))
import montages  # noqa: E402  (the montage builder beside this file)
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


def main(argv: list[str] | None = None) -> None:
    """Print the table; ``--write FILE`` also puts it in that page's "Musical segments" section."""
    argv = sys.argv[1:] if argv is None else argv
    write = Path(argv[argv.index("--write") + 1]) if "--write" in argv else None
    with tempfile.TemporaryDirectory() as folder:
        all_cases = cases(Path(folder))
        lines = [
            "## Musical segments",
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
        write_section(write, "Accuracy", "Musical segments", "\n".join(lines[2:]))


if __name__ == "__main__":
    main()
