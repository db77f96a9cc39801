"""Cut detection on synthetic frames (each case alone), and on the samples and real footage with
their truth files."""

import functools

import cv2
import numpy as np
import pytest

from clipindex.cuts import CutDetector, features, gradual
from clipindex.frames import Frame, FrameStream
from clipindex.matching import TRUTH_KINDS
from conftest import SAMPLES, shared, truth

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


def _still(seed, frames, grain=4):
    """A still shot of coloured blocks, laid out by ``seed``, with a little grain on each frame."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(30, 226, size=(9, 16, 3), dtype=np.int16)
    picture = np.kron(blocks, np.ones((10, 10, 1), np.int16))
    noise = rng.integers(-grain, grain + 1, size=(frames, 90, 160, 3), dtype=np.int16)
    return [np.clip(picture + n, 0, 255).astype(np.uint8) for n in noise]


def _mix(a, b, weight):
    """``a`` and ``b`` mixed, ``weight`` of ``b``."""
    return ((1 - weight) * a.astype(np.float64) + weight * b).round().astype(np.uint8)


def _towards(images, colour, frames, first):
    """``frames`` frames from ``images[first:]``, each a step closer to one flat colour."""
    flat = np.full_like(images[0], colour)
    return [_mix(images[first + k], flat, (k + 1) / frames) for k in range(frames)]


def _cuts(images):
    return [(c.kind, c.frame, c.start_frame, c.end_frame) for c in _detect(images)]


def test_scores_are_content_detectors():
    from scenedetect import FrameTimecode, StatsManager
    from scenedetect.detectors import ContentDetector

    images = _still(1, 5) + _shot((40, 150, 40), 5, drift=3) + _still(2, 5)
    reference, stats = ContentDetector(), StatsManager()
    reference.stats_manager = stats
    detector = CutDetector(fps=FPS)
    for index, image in enumerate(images):
        reference.process_frame(FrameTimecode(index, fps=FPS), image)
        detector.process(Frame(index, index / FPS, image))
    expected = [stats.get_metrics(i, ["content_val"])[0] or 0.0 for i in range(len(images))]
    assert list(detector.scores) == pytest.approx(expected, abs=1e-6)


def test_histograms_are_histogram_detectors():
    """The luma histogram the detector compares is PySceneDetect's HistogramDetector's, to the
    bit, although it is computed once per frame from the luma plane the residual shares."""
    from scenedetect.detectors import HistogramDetector

    for image in _sample_frames(every=25):
        expected = HistogramDetector.calculate_histogram(image, bins=features.HISTOGRAM_BINS)
        found = features.luma_histogram(features.luma(image))
        assert np.array_equal(found, expected)


def _sample_frames(every):
    """Every ``every``-th frame of the bundled sample, as decoded for cut detection."""
    with FrameStream(SAMPLES / "training-montage.mp4") as frames:
        return [frame.image for frame in frames if frame.index % every == 0]


def test_recent_distances_are_mean_absolute_differences_of_the_signatures():
    images = _sample_frames(every=5)[:50] + _still(4, 3) + [np.zeros((144, 256, 3), np.uint8)]
    recent = features.RecentSignatures(depth=40, max_lag=30)
    signatures = []
    for n, image in enumerate(images):
        back = recent.add(image)
        signatures.append(features.signature(image).astype(np.float32))
        expected = [
            np.abs(signatures[n] - signatures[n - lag]).mean() if lag <= n else np.inf
            for lag in range(31)
        ]
        assert back.dtype == np.float32 and back.tolist() == expected  # exactly NumPy's
    newest = len(images) - 1
    frames, lags = np.array([newest - 3, newest - 9]), np.array([30, 1])
    assert np.array_equal(recent.signatures(frames), np.array(signatures)[frames])
    assert recent.distances(frames, lags).tolist() == [
        np.abs(signatures[f] - signatures[f - lag]).mean()
        for f, lag in zip(frames, lags, strict=True)
    ]


def _squares(x, y):
    return ((x.astype(np.int64) - y) ** 2).sum(axis=1).astype(np.float64)


def test_middle_frame_test_from_squares_lets_through_every_frame_the_test_passes():
    # Windows of random signatures, their ends 20 to 90 apart, with noisy mixes in the middle.
    rng = np.random.default_rng(3)
    count, size = 20000, features.SIGNATURE_SIZE[0] * features.SIGNATURE_SIZE[1] * 3
    first = rng.integers(0, 256, (count, size))
    contrast = rng.uniform(0.2, 1, (count, 1))
    last = np.clip(first + contrast * rng.integers(-255, 256, (count, size)), 0, 255).round()
    mix = rng.uniform(0.1, 0.9, (count, 1))
    noise = rng.normal(0, 1, (count, size)) * rng.uniform(0, 40, (count, 1)) * contrast
    middle = np.clip((1 - mix) * first + mix * last + noise, 0, 255).round()
    first, middle, last = (x.astype(np.float32) for x in (first, middle, last))
    test = gradual.BlendTest(20.0, 0.25, 0.9, 0.5, 0.5)
    span = last - first
    alpha, residual = gradual._on_line(middle[:, None], first, span, (span * span).sum(axis=1))
    off_middle, residual = np.abs(alpha[:, 0] - 0.5), residual[:, 0]
    passes = (off_middle <= 0.3) & (residual <= test.max_residual)
    may = gradual._may_lie_between(
        _squares(middle, first), _squares(middle, last), _squares(last, first), test
    )
    assert not (passes & ~may).any()
    at_limits = (np.abs(off_middle - 0.3) < 1e-3) | (np.abs(residual - test.max_residual) < 1e-3)
    assert (passes & at_limits).sum() > 50
    beyond = (off_middle > 0.3 + 0.051) | (residual > test.max_residual + 0.051)
    assert beyond.sum() > count / 10 and not (may & beyond).any()  # the slack is 0.05
    ends = _squares(last, first)
    assert not gradual._may_lie_between(np.zeros(count), ends, ends, test).any()  # shot A alone


def test_cross_dissolve_is_one_dissolve_with_its_span():
    a, b = _still(1, 40), _still(2, 40)
    mixes = [_mix(a[19 + k], b[k], k / 12) for k in range(1, 12)]  # frames 20 to 30
    assert _cuts(a[:20] + mixes + b[11:]) == [("dissolve", 25, 20, 31)]  # half-way at 25


def test_short_dissolve_between_moving_shots_is_a_dissolve():
    a, b = _shot((150, 60, 40), 40, drift=2), _shot((40, 80, 170), 40, drift=2)
    mixes = [_mix(a[20 + k], b[k], k / 5) for k in range(1, 5)]
    [(kind, _, start, end)] = _cuts(a[:20] + mixes + b[4:])
    assert kind == "dissolve" and abs(start - 20) <= 1 and abs(end - 24) <= 1


def test_dip_to_black_and_dip_to_white_are_dips():
    a, b, c = _still(1, 30), _still(2, 30), _still(3, 30)
    black = _towards(a, 0, 8, 12) + [np.zeros_like(a[0])] + _towards(b, 0, 8, 0)[::-1]
    white = _towards(b, 255, 8, 12) + [np.full_like(b[0], 255)] + _towards(c, 255, 8, 0)[::-1]
    images = a[:12] + black + b[8:20] + white + c[8:]
    assert _cuts(images) == [("dip", 22, 12, 29), ("dip", 51, 41, 58)]


def test_lightning_twice_and_dying_away_is_not_a_cut():
    night = _shot((20, 20, 40), 40, drift=1)
    lit = [_mix(night[i], np.full_like(night[0], 250), level) for i, level in
           ((15, 0.85), (16, 0.85), (19, 0.7), (20, 0.35))]  # fmt: skip
    assert _cuts(night[:15] + lit[:2] + night[17:19] + lit[2:] + night[21:]) == []


def _pan(seed, frames, speed, tones):
    """A fast pan, motion-blurred, across a wide picture of blocks in the range of ``tones``."""
    blocks = np.random.default_rng(seed).integers(*tones, size=(9, 64, 3), dtype=np.int16)
    wide = np.kron(blocks, np.ones((10, 10, 1), np.int16)).astype(np.uint8)
    return [cv2.blur(wide[:, n * speed : n * speed + 160], (15, 1)) for n in range(frames)]


def test_cut_from_a_moving_shot_into_a_fast_pan_is_one_hard_cut():
    images = _pan(1, 20, 3, (60, 170)) + _pan(2, 30, 10, (100, 210))
    detector = CutDetector(fps=FPS)
    for index, image in enumerate(images):
        detector.process(Frame(index, index / FPS, image))
    # The pan changes nearly as much from frame to frame as the cut does.
    assert detector.scores[20] < 1.5 * min(detector.scores[21:24])
    assert [(c.kind, c.frame) for c in detector.finish()] == [("hard", 20)]


def test_cut_between_grey_shots_of_one_brightness_is_found_by_the_histogram():
    plain = [np.full((90, 160, 3), 128, np.uint8)] * 20
    checks = np.kron(np.indices((9, 16)).sum(axis=0) % 2, np.ones((10, 10), np.int64))
    checked = [np.repeat((80 + 96 * checks)[:, :, None], 3, axis=2).astype(np.uint8)] * 20
    detector = CutDetector(fps=FPS)
    for index, image in enumerate(plain + checked):
        detector.process(Frame(index, index / FPS, image))
    assert detector.scores[20] < detector.parameters.threshold
    assert [(c.kind, c.frame) for c in detector.finish()] == [("hard", 20)]


def test_caption_fading_in_is_not_a_dissolve():
    shot = _still(1, 40)
    caption = [img.copy() for img in shot]
    for k, img in enumerate(caption[10:]):
        img[60:80, 20:140] = _mix(img[60:80, 20:140], np.full((20, 120, 3), 255), min(k / 12, 1))
    assert _cuts(caption) == []


def test_steady_change_of_light_is_not_a_dissolve():
    shot = _still(1, 72)
    assert _cuts([_mix(img, np.full_like(img, 200), k / 100) for k, img in enumerate(shot)]) == []


def test_fade_to_a_white_card_is_a_fade_out():
    shot = _still(1, 30)
    images = shot[:12] + _towards(shot, 255, 10, 12) + [np.full_like(shot[0], 255)] * 20
    assert _cuts(images) == [("fade_out", 21, 12, 21)]


@pytest.mark.parametrize(
    "name",
    ["goldeneye-vfr-drop3.mp4", "issue-134-rotate.mp4", "testvideo.mp4", "bbb-two-tracks.mkv"],
)
def test_real_footage_hard_cuts_within_one_frame(name):
    path = shared(name)
    with FrameStream(path) as frames:
        detector = CutDetector(fps=frames.info.video.nominal_fps)
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


KINDS = TRUTH_KINDS


@functools.cache
def _found_in(path):
    """The cuts found in a video file, as the pipeline finds them."""
    with FrameStream(path) as frames:
        detector = CutDetector(fps=frames.info.video.nominal_fps)
        for frame in frames:
            detector.process(frame)
    return detector.finish()


@pytest.mark.parametrize(
    "name",
    [
        "training-montage.mp4",
        "transitions.mp4",
        "testvideo.mp4",
        "bbb-two-tracks.mkv",
        "big_buck_bunny_0_30.webm",
        "goldeneye-vfr-drop3.mp4",
        "issue-134-rotate.mp4",
    ],
)
def test_every_transition_of_the_truth_files_named_and_nothing_else(name):
    path = SAMPLES / name if (SAMPLES / name).exists() else shared(name)
    expected = truth(path)
    cuts = _found_in(path)
    hard = [c.frame for c in cuts if c.kind == "hard"]
    assert len(hard) == len(expected["hard_cuts"])
    for found, want in zip(hard, expected["hard_cuts"], strict=True):
        assert abs(found - want["frame"]) <= 1, want
    gradual = [c for c in cuts if c.kind != "hard"]
    assert len(gradual) == len(expected["gradual_transitions"])
    for found, want in zip(gradual, expected["gradual_transitions"], strict=True):
        assert found.kind == KINDS[want["type"]], want
        assert abs(found.start_frame - want["start_frame"]) <= 3, want
        assert abs(found.end_frame - want["end_frame"]) <= 3, want
        assert found.start_frame <= found.frame <= found.end_frame
    listed = [cut["frame"] for cut in expected["hard_cuts"]]
    for trap in expected["no_cut_traps"]:
        for cut in cuts:
            if trap["start_frame"] <= cut.frame <= trap["end_frame"]:
                assert min(abs(cut.frame - frame) for frame in listed) <= 1, trap["what"]
