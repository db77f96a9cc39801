"""Cut detection on synthetic frames (each case alone) and on real footage with truth."""

import numpy as np
import pytest

from clipindex.cuts import CutDetector
from clipindex.frames import Frame, FrameStream
from clipindex.probe import probe
from conftest import shared, truth

FPS = 24.0
RNG = np.random.default_rng(7)


def _shot(colour, frames, drift=0):
    """A textured shot of one colour; ``drift`` pixels of pan per frame."""
    base = RNG.integers(0, 60, size=(90, 320, 3), dtype=np.int16)
    images = []
    for n in range(frames):
        picture = np.clip(np.roll(base, n * drift, axis=1)[:, :160] + np.array(colour), 0, 255)
        images.append(picture.astype(np.uint8))
    return images


def _detect(images):
    detector = CutDetector(fps=FPS)
    for index, image in enumerate(images):
        detector.process(Frame(index, index / FPS, image))
    return detector.finish()


def test_three_frame_shots_are_each_cut():
    images = _shot((150, 40, 40), 20) + _shot((40, 150, 40), 3) + _shot((40, 40, 150), 3)
    images += _shot((150, 150, 40), 20)
    assert [(c.frame, c.kind) for c in _detect(images)] == [
        (20, "hard"),
        (23, "hard"),
        (26, "hard"),
    ]


def test_white_flash_returning_to_the_shot_is_not_a_cut():
    shot = _shot((120, 60, 30), 40)
    flashed = shot[:15] + [np.full_like(shot[0], 250)] * 2 + shot[17:]
    assert _detect(flashed) == []


def test_short_insert_of_another_shot_is_two_cuts():
    shot = _shot((120, 60, 30), 40)
    other = _shot((30, 60, 160), 3)
    assert [c.frame for c in _detect(shot[:15] + other + shot[18:])] == [15, 18]


def test_fade_to_black_and_back_is_reported_as_fades_with_spans():
    shot_a, shot_b = _shot((140, 90, 60), 20), _shot((60, 90, 160), 20)
    fade_out = [
        (img * (1 - k / 10)).astype(np.uint8) for k, img in enumerate(_shot((140, 90, 60), 11))
    ]
    black = [np.zeros_like(shot_a[0])] * 6
    fade_in = [(img * (k / 10)).astype(np.uint8) for k, img in enumerate(_shot((60, 90, 160), 11))]
    cuts = _detect(shot_a + fade_out[1:] + black + fade_in[1:] + shot_b)
    assert [c.kind for c in cuts] == ["fade_out", "fade_in"]
    fade_out_cut, fade_in_cut = cuts
    assert fade_out_cut.start_frame == pytest.approx(20, abs=1) and fade_out_cut.end_frame >= 29
    assert fade_in_cut.start_frame <= 37 and fade_in_cut.end_frame == pytest.approx(45, abs=1)


def test_instant_cut_to_black_is_a_hard_cut():
    images = (
        _shot((140, 90, 60), 20)
        + [np.zeros((90, 160, 3), np.uint8)] * 10
        + _shot((60, 90, 160), 20)
    )
    assert [(c.frame, c.kind) for c in _detect(images)] == [(20, "hard"), (30, "hard")]


def test_fast_pan_within_one_shot_is_not_a_cut():
    assert _detect(_shot((100, 100, 100), 40, drift=7)) == []


@pytest.mark.parametrize(
    "name",
    ["goldeneye-vfr-drop3.mp4", "issue-134-rotate.mp4", "testvideo.mp4", "bbb-two-tracks.mkv"],
)
def test_real_footage_hard_cuts_within_one_frame(name):
    path = shared(name)
    info = probe(path)
    detector = CutDetector(fps=info.video.nominal_fps)
    with FrameStream(info) as frames:
        for frame in frames:
            detector.process(frame)
    cuts = detector.finish()
    expected = truth(path)
    hard = [c.frame for c in cuts if c.kind == "hard"]
    assert len(hard) == len(expected["hard_cuts"])
    for found, want in zip(hard, expected["hard_cuts"], strict=True):
        assert abs(found - want["frame"]) <= 1
    fades = [c for c in cuts if c.kind in ("fade_in", "fade_out")]
    truth_fades = [g for g in expected["gradual_transitions"] if g["type"].startswith("fade")]
    assert len(fades) == len(truth_fades)
    for found, want in zip(fades, truth_fades, strict=True):
        assert want["type"].startswith(found.kind)
        assert abs(found.start_frame - want["start_frame"]) <= 3
        assert abs(found.end_frame - want["end_frame"]) <= 3
