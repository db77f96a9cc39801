"""Frame decoding: every decoded frame once, at its real presentation time, downscaled."""

import time

import pytest

from clipindex import frames as frames_module
from clipindex.frames import FrameStream, frame_size
from clipindex.probe import probe
from conftest import shared, truth
from media import FPS, make_clip


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


def _wait_for_ffmpeg(frames, seconds: float) -> bool:
    """Whether the stream's ffmpeg exits within ``seconds``."""
    deadline = time.monotonic() + seconds
    while frames._process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return frames._process.poll() is not None


def test_frames_are_taken_off_the_pipe_while_the_caller_is_busy(tmp_path):
    # 100 frames of 256x144 (11 MB) are more than ffmpeg's pipe holds, not more than the buffer:
    # ffmpeg finishes decoding before the caller reads a single frame.
    info = probe(make_clip(tmp_path / "clip.mp4", seconds=4.0))
    with FrameStream(info) as frames:
        assert _wait_for_ffmpeg(frames, 30), "ffmpeg waited for the caller to read"
        times = [frame.time_s for frame in frames]
    assert len(times) == 4 * FPS
    assert times == sorted(times) and times[-1] == pytest.approx(4 - 1 / FPS)


def test_frames_held_for_a_busy_caller_are_bounded(tmp_path, monkeypatch):
    info = probe(make_clip(tmp_path / "clip.mp4", seconds=4.0))
    width, height = frame_size(info)
    monkeypatch.setattr(frames_module, "_BUFFER_BYTES", 5 * width * height * 3)
    with FrameStream(info) as frames:
        assert not _wait_for_ffmpeg(frames, 1.5), "ffmpeg decoded past the bound"
        assert len(frames._frames) <= 5
        first = [frame.index for _, frame in zip(range(10), frames, strict=False)]
    assert first == list(range(10))  # and leaving early, with the buffer full, does not hang
    with FrameStream(info) as frames:
        assert len(list(frames)) == 4 * FPS
