"""The bundled sample montage holds what its truth file says, and the truth is the shot list's."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from itertools import pairwise
from types import ModuleType

import numpy as np
import pytest
from scipy import signal

from clipindex import ffmpeg
from clipindex.audio import decode_audio
from conftest import SAMPLE_TRUTH, SAMPLE_VIDEO, SAMPLES

FPS = 24
THUMB_W, THUMB_H = 80, 45


def load_make_sample() -> ModuleType:
    """``samples/make_sample.py`` as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("make_sample", SAMPLES / "make_sample.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their own module up while being built
    spec.loader.exec_module(module)
    return module


make_sample = load_make_sample()


@pytest.fixture(scope="module")
def sample_truth() -> dict:
    return json.loads(SAMPLE_TRUTH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def decoded() -> tuple[np.ndarray, list[float]]:
    """Every frame of the sample as a small RGB thumbnail, and each frame's presentation time."""
    args = [
        ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "info",
        "-i", ffmpeg.input_url(SAMPLE_VIDEO), "-map", "0:v:0", "-fps_mode", "passthrough",
        "-vf", f"showinfo,scale={THUMB_W}:{THUMB_H},format=rgb24", "-f", "rawvideo", "-",
    ]  # fmt: skip
    result = ffmpeg.run(args, what="cannot decode the sample")
    frames = np.frombuffer(result.stdout, np.uint8).reshape(-1, THUMB_H, THUMB_W, 3)
    log = result.stderr.decode("utf-8", "replace")
    times = [
        float(t) for t in re.findall(r"\bn:\s*\d+\s+pts:\s*-?\d+\s+pts_time:(-?[\d.e+-]+)", log)
    ]
    return frames, times


@pytest.fixture(scope="module")
def change(decoded: tuple[np.ndarray, list[float]]) -> np.ndarray:
    """Mean absolute RGB difference of each frame from the one before (0 for the first)."""
    frames = decoded[0].astype(np.int16)
    diff = np.zeros(len(frames))
    diff[1:] = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    return diff


def test_committed_truth_is_the_shot_lists(sample_truth: dict) -> None:
    assert sample_truth == make_sample.build_truth()


def test_truth_has_the_features_the_sample_exists_for(sample_truth: dict) -> None:
    cuts = [cut["frame"] for cut in sample_truth["hard_cuts"]]
    shot_lengths = np.diff([0, *cuts, sample_truth["n_frames_decoded"]])
    assert len(cuts) + 1 >= 15
    assert sum(3 <= length <= 8 for length in shot_lengths) >= 5
    assert [span["type"] for span in sample_truth["gradual_transitions"]] == [
        "fade_out_to_black",
        "fade_in_from_black",
    ]
    assert {trap["what"] for trap in sample_truth["no_cut_traps"]} == {
        "white flash",
        "fast pan within one shot",
    }
    assert sample_truth["tracks"] == ["Training Montage", "Hearts on Fire"]


def test_sample_decodes_to_the_truths_frames_at_24_fps(
    sample_truth: dict, decoded: tuple[np.ndarray, list[float]]
) -> None:
    frames, times = decoded
    assert SAMPLE_VIDEO.stat().st_size <= 5_000_000
    assert len(frames) == sample_truth["n_frames_decoded"]
    assert len(times) == len(frames)
    assert np.allclose(times, np.arange(len(times)) / FPS, atol=1e-4)
    for cut in sample_truth["hard_cuts"]:
        assert cut["time_s"] == pytest.approx(times[cut["frame"]], abs=1e-4)


def test_picture_changes_at_every_hard_cut_and_nowhere_unlisted(
    sample_truth: dict, change: np.ndarray
) -> None:
    cuts = [cut["frame"] for cut in sample_truth["hard_cuts"]]
    for frame in cuts:
        # The change is at the listed frame, not one before or after it.
        assert change[frame] > 3 * max(change[frame - 1], change[frame + 1]), frame
    excused = set(cuts)
    for span in sample_truth["gradual_transitions"] + sample_truth["no_cut_traps"]:
        excused.update(range(span["start_frame"], span["end_frame"] + 1))
    unlisted = [frame for frame in range(len(change)) if frame not in excused]
    assert change[unlisted].max() < change[cuts].min() / 3


def test_flash_fade_and_pan_are_in_the_picture(
    sample_truth: dict, decoded: tuple[np.ndarray, list[float]], change: np.ndarray
) -> None:
    frames = decoded[0].astype(np.float64)
    brightness = frames.mean(axis=(1, 2, 3))
    listed = sample_truth["gradual_transitions"] + sample_truth["no_cut_traps"]
    spans = {span.get("type") or span["what"]: span for span in listed}

    flash = spans["white flash"]
    first, back = flash["start_frame"], flash["end_frame"]
    assert brightness[first:back].min() > 200
    # The shot after the flash is the shot before it.
    assert np.abs(frames[back] - frames[first - 1]).mean() < 5
    assert brightness[first - 1] < 100

    fade_out = spans["fade_out_to_black"]
    dimming = brightness[fade_out["start_frame"] - 1 : fade_out["end_frame"] + 1]
    assert np.all(np.diff(dimming) < 0)
    assert dimming[-1] < 2
    fade_in = spans["fade_in_from_black"]
    assert brightness[fade_in["start_frame"] - 1] < 2
    assert brightness[fade_in["end_frame"]] > 60

    pan = spans["fast pan within one shot"]
    assert change[pan["start_frame"] : pan["end_frame"]].min() > 5
    assert change[pan["start_frame"] - 1] < 1 and change[pan["end_frame"] + 1] < 1


def test_music_hands_over_on_a_hard_cut_with_cuts_close_by(sample_truth: dict) -> None:
    (boundary,) = sample_truth["music_boundaries"]
    times = [cut["time_s"] for cut in sample_truth["hard_cuts"]]
    duration = sample_truth["n_frames_decoded"] / FPS
    assert boundary in times
    assert 0.45 <= boundary / duration <= 0.65
    before = max(t for t in times if t < boundary)
    after = min(t for t in times if t > boundary)
    assert 0.3 <= boundary - before <= 0.8
    assert 0.3 <= after - boundary <= 0.8
    for fade in sample_truth["gradual_transitions"]:
        assert abs(fade["start_s"] - boundary) > 5 and abs(fade["end_s"] - boundary) > 5
    assert sample_truth["music_crossfade_s"] == 0.0


def test_sound_is_aligned_and_switches_song_at_the_boundary(sample_truth: dict) -> None:
    sr = make_sample.SAMPLE_RATE
    sound = decode_audio(SAMPLE_VIDEO, sr=sr).astype(np.float64)
    assert len(sound) / sr == pytest.approx(sample_truth["n_frames_decoded"] / FPS, abs=0.05)

    # The file's sound is the synthesised soundtrack with no shift: around the hand-over the best
    # match lies at lag 0.
    (boundary,) = sample_truth["music_boundaries"]
    reference = make_sample.soundtrack()
    start, stop = round((boundary - 1) * sr), round((boundary + 1) * sr)
    lags = range(-200, 201)
    scores = [np.dot(sound[start + lag : stop + lag], reference[start:stop]) for lag in lags]
    assert lags[int(np.argmax(scores))] == 0

    # The change of sound colour at the hand-over is larger than at either song's own section
    # change.
    freqs, times, spec = signal.stft(sound, sr, nperseg=4096, noverlap=2048)
    edges = np.geomspace(40, 16000, 25)
    power = np.abs(spec) ** 2
    bands = np.log10(
        np.array([power[(freqs >= lo) & (freqs < hi)].sum(axis=0) for lo, hi in pairwise(edges)])
        + 1e-9
    )

    def novelty(at: float, width: float = 8.0) -> float:
        before = bands[:, (times >= at - width) & (times < at)].mean(axis=1)
        after = bands[:, (times >= at) & (times < at + width)].mean(axis=1)
        return float(np.abs(before - after).mean())

    hearts_chorus = boundary + make_sample.HEARTS_VERSE_BARS * 240 / make_sample.HEARTS_BPM
    for section_change in (make_sample.TRAINING_SECTION_S, hearts_chorus):
        assert novelty(boundary) > 1.5 * novelty(section_change)
