"""The accuracy harness (``benchmarks/accuracy.py``), its scores, and the transitions sample it
measures cut detection on."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from types import ModuleType

import numpy as np
import pytest

from clipindex import ffmpeg
from conftest import ROOT, SAMPLES


def load_script(name: str, path) -> ModuleType:
    """A script of the repository (not part of the package) as a module."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their own module up while being built
    spec.loader.exec_module(module)
    return module


accuracy = load_script("accuracy", ROOT / "benchmarks" / "accuracy.py")
load_script("make_sample", SAMPLES / "make_sample.py")  # make_transitions builds on it
make_transitions = load_script("make_transitions", SAMPLES / "make_transitions.py")

TRANSITIONS_VIDEO = SAMPLES / "transitions.mp4"
TRANSITIONS_TRUTH = SAMPLES / "transitions.truth.json"


# ---------------------------------------------------------------------------------------------
# The scores.
# ---------------------------------------------------------------------------------------------


def test_each_truth_cut_is_matched_once_within_one_frame():
    assert accuracy.match_cuts([10, 50], [9, 10, 11, 52]) == [(10, 9)]
    score = accuracy.score_cuts([10, 50], [9, 10, 11, 52])
    assert (score.hits, score.false, score.missed) == (1, 3, 1)
    assert score.precision == 0.25 and score.recall == 0.5 and score.f1 == pytest.approx(1 / 3)


def test_matching_pairs_as_many_cuts_as_possible():
    # Greedy nearest-first pairing would give 11 to 10 and leave 12 unpaired.
    assert accuracy.match_cuts([10, 12], [11, 13]) == [(10, 11), (12, 13)]


def test_cuts_inside_a_transition_are_not_false_and_cuts_in_traps_are():
    score = accuracy.score_cuts([100], [100, 40, 41, 70], transitions=[(30, 40)], traps=[(65, 75)])
    assert (score.hits, score.false, score.missed, score.in_traps) == (1, 1, 0, 1)


def test_no_cut_and_none_expected_is_a_perfect_score():
    assert accuracy.score_cuts([], []).f1 == 1.0


def test_a_transition_counts_when_found_with_its_kind():
    truth = [("dissolve", (10, 20)), ("dip", (50, 60)), ("fade_out", (90, 99))]
    found = [("dissolve", (12, 21)), ("fade_out", (50, 55)), ("fade_out", (200, 210))]
    assert accuracy.score_transitions(truth, found) == (1, 1)


# ---------------------------------------------------------------------------------------------
# The harness, end to end on a small case.
# ---------------------------------------------------------------------------------------------


def test_harness_reports_every_detector_on_a_small_video(tmp_path, capsys):
    video = tmp_path / "small.mp4"
    shots = (
        "testsrc2=s=320x180:r=24:d=1[a];smptebars=s=320x180:r=24:d=2[b];"
        "mandelbrot=s=320x180:r=24,trim=end_frame=48,setpts=PTS-STARTPTS[c];"
        "[a][b]concat=n=2:v=1:a=0,settb=1/24[ab];"
        "[ab][c]xfade=transition=fade:duration=0.5:offset=2.5,format=yuv420p[v]"
    )
    ffmpeg.run(
        [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error",
         "-filter_complex", shots, "-map", "[v]", "-c:v", "libx264", "-crf", "20",
         ffmpeg.input_url(video)],
        what="cannot make the test video",
    )  # fmt: skip
    truth = tmp_path / "small.mp4.truth.json"
    truth.write_text(
        json.dumps(
            {
                "file": "small.mp4",
                "hard_cuts": [{"frame": 24, "time_s": 1.0}],
                "gradual_transitions": [
                    {"type": "cross_dissolve", "start_frame": 61, "end_frame": 72}
                ],
                "no_cut_traps": [],
            }
        )
    )
    report = tmp_path / "ACCURACY.md"
    assert accuracy.main([str(truth), "--write", str(report)]) == 0
    printed = capsys.readouterr().out
    learned = ["transnetv2"] if accuracy.HAS_TRANSNETV2 else []
    detectors = ["clipindex", *learned, "content", "adaptive", "hash", "histogram"]
    assert "| " + " | ".join(detectors) + " |" in printed
    row = next(line for line in printed.splitlines() if line.startswith("| small.mp4 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:5] == ["small.mp4", "real", "108", "1", "1.000 (1/0/0)"]
    scored = cells[5 : 4 + len(detectors)]
    assert all(re.fullmatch(r"\d\.\d{3} \(.*\)", cell) for cell in scored)
    assert cells[4 + len(detectors)] == "1/1"
    assert all(float(cell) > 0 for cell in cells[5 + len(detectors) :])  # seconds
    # what each measure adds, on this (real, as it is outside samples/) file
    assert "| all measures (the default) | 1.000 (1/0/0) |" in printed
    assert report.read_text().startswith("# Accuracy\n\n## Cuts\n")
    assert printed in report.read_text()


def test_committed_report_lists_every_truth_file():
    report = (ROOT / "benchmarks" / "ACCURACY.md").read_text()
    corpus = sorted((ROOT / "benchmarks" / "corpus" / "truth").glob("*.truth.json"))
    for truth in sorted(SAMPLES.glob("*.truth.json")) + corpus:
        video = json.loads(truth.read_text())["file"]
        assert f"| {video} |" in report
    assert "at least TransNetV2's on every file of real footage: yes" in report


# ---------------------------------------------------------------------------------------------
# The transitions sample: its truth is its shot list's, and the picture holds what it says.
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def transitions_truth() -> dict:
    return json.loads(TRANSITIONS_TRUTH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def thumbnails() -> np.ndarray:
    """Every frame of the transitions sample as an 80 x 45 RGB picture."""
    args = [
        ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error",
        "-i", ffmpeg.input_url(TRANSITIONS_VIDEO), "-map", "0:v:0", "-fps_mode", "passthrough",
        "-vf", "scale=80:45,format=rgb24", "-f", "rawvideo", "-",
    ]  # fmt: skip
    result = ffmpeg.run(args, what="cannot decode the transitions sample")
    return np.frombuffer(result.stdout, np.uint8).reshape(-1, 45, 80, 3).astype(np.float64)


def test_committed_transitions_truth_is_the_shot_lists(transitions_truth):
    assert transitions_truth == make_transitions.build_truth()


def test_transitions_sample_has_every_kind_of_transition(transitions_truth):
    types = [span["type"] for span in transitions_truth["gradual_transitions"]]
    assert set(types) == {
        "fade_in_from_black",
        "fade_out_to_black",
        "cross_dissolve",
        "dip_to_black",
        "dip_to_white",
    }
    assert types.count("cross_dissolve") >= 3
    traps = {trap["what"] for trap in transitions_truth["no_cut_traps"]}
    assert traps == {"lightning, a double flash", "fast pan within one shot"}
    cuts = [cut["frame"] for cut in transitions_truth["hard_cuts"]]
    assert min(np.diff(cuts)) == 3
    assert TRANSITIONS_VIDEO.stat().st_size <= 5_000_000


def test_transitions_picture_changes_where_the_truth_says(transitions_truth, thumbnails):
    frames = thumbnails
    assert len(frames) == transitions_truth["n_frames_decoded"]
    change = np.zeros(len(frames))
    change[1:] = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    cuts = [cut["frame"] for cut in transitions_truth["hard_cuts"]]
    for frame in cuts:  # the change is at the listed frame, not one before or after
        assert change[frame] > 1.5 * max(change[frame - 1], change[frame + 1]), frame
    excused = set(cuts)
    listed = transitions_truth["gradual_transitions"] + transitions_truth["no_cut_traps"]
    for span in listed:
        excused.update(range(span["start_frame"], span["end_frame"] + 1))
    unlisted = [frame for frame in range(len(change)) if frame not in excused]
    assert change[unlisted].max() < change[cuts].min() / 3

    brightness = frames.mean(axis=(1, 2, 3))
    for span in transitions_truth["gradual_transitions"]:
        start, end, kind = span["start_frame"], span["end_frame"], span["type"]
        before, after = frames[start - 1], frames[end]
        middle = frames[(start - 1 + end) // 2]
        if kind == "cross_dissolve":  # the middle frame is a mix of the frames either side
            off_mix = min(
                np.abs(middle - (w * after + (1 - w) * before)).mean()
                for w in np.linspace(0, 1, 21)
            )
            assert off_mix < 0.2 * np.abs(after - before).mean(), span
        elif kind == "dip_to_black" or kind.startswith("fade"):
            assert brightness[start - 1 : end + 1].min() < 2, span
        elif kind == "dip_to_white":
            assert brightness[start : end + 1].max() > 250, span

    lightning = next(t for t in listed if t.get("what", "").startswith("lightning"))
    lit = brightness[lightning["start_frame"] : lightning["end_frame"]]
    night = brightness[lightning["start_frame"] - 1]
    assert sorted(lit - night > 50) == [False, False, True, True, True, True]
    assert abs(brightness[lightning["end_frame"]] - night) < 3
