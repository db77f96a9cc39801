"""Frame decoding: every decoded frame once, at its real presentation time, downscaled."""

import pytest

from clipindex.frames import FrameStream, frame_size
from clipindex.probe import probe
from conftest import shared, truth


def _times(path):
    with FrameStream(probe(path)) as frames:
        return [(frame.index, frame.time_s, frame.image.shape) for frame in frames]


def test_variable_frame_rate_keeps_true_times():
    path = shared("goldeneye-vfr-drop3.mp4")
    frames = _times(path)
    expected = truth(path)
    assert len(frames) == expected["n_frames_decoded"]
    for cut in expected["hard_cuts"]:
        assert frames[cut["frame"]][1] == pytest.approx(cut["time_s"], abs=0.001)


def test_stream_start_offset_is_kept():
    frames = _times(shared("bbb-two-tracks.mkv"))
    assert frames[0][1] == pytest.approx(0.003, abs=1e-6)
    assert frames[376][1] == pytest.approx(15.67, abs=1e-6)


def test_rotated_video_is_decoded_upright():
    info = probe(shared("issue-134-rotate.mp4"))
    width, height = frame_size(info)
    assert height > width  # 1280x544 turned by 90 degrees
    with FrameStream(info) as frames:
        first = next(iter(frames))
    assert first.image.shape == (height, width, 3)


def test_frames_are_downscaled_never_upscaled():
    info = probe(shared("goldeneye-vfr-drop3.mp4"))
    assert frame_size(info, 256) == (256, 108)
    assert frame_size(info, 4000) == (1280, 544)
