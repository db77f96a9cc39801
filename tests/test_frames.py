"""Frame decoding: every decoded frame once, at its real presentation time, downscaled."""

import os
import signal
import time

import numpy as np
import pytest

from clipindex import ffmpeg
from clipindex import frames as frames_module
from clipindex.audio import decode_audio
from clipindex.errors import MediaError
from clipindex.frames import FrameStream
from clipindex.probe import probe
from conftest import SAMPLE_VIDEO, shared, truth
from media import FPS, make_clip


def _times(path):
    with FrameStream(path) as frames:
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
    with FrameStream(shared("issue-134-rotate.mp4")) as frames:
        first = next(iter(frames))
        assert frames.size == (256, 602)  # 1280x544 turned by 90 degrees
        assert frames.info.video.rotation_deg == -90.0
    assert first.image.shape == (602, 256, 3)


@pytest.mark.parametrize("width, size", [(256, (256, 108)), (255, (254, 108)), (4000, (1280, 544))])
def test_frames_are_downscaled_never_upscaled(width, size):
    with FrameStream(shared("goldeneye-vfr-drop3.mp4"), width=width) as frames:
        assert frames.size == size
        assert next(iter(frames)).image.shape == (size[1], size[0], 3)


def test_the_decoder_describes_the_file_as_a_probe_does():
    path = shared("bbb-two-tracks.mkv")
    with FrameStream(path) as frames:
        assert frames.info == probe(path)


@pytest.mark.parametrize(
    "name, message",
    [
        ("Kevin_MacLeod_-_Vibe_Ace.hq.ogg", "no video stream"),
        ("README.md", "not a media file ffmpeg can read"),
    ],
)
def test_a_file_without_pictures_is_refused_in_words(name, message):
    with FrameStream(shared(name)) as frames, pytest.raises(MediaError, match=message):
        list(frames)


def _wait_for_ffmpeg(frames, seconds: float) -> bool:
    """Whether the stream's ffmpeg exits within ``seconds``."""
    deadline = time.monotonic() + seconds
    while frames._process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return frames._process.poll() is not None


def test_frames_are_taken_off_the_pipe_while_the_caller_is_busy(tmp_path):
    # 100 frames of 256x144 (11 MB) are more than ffmpeg's pipe holds, not more than the buffer:
    # ffmpeg finishes decoding before the caller reads a single frame.
    with FrameStream(make_clip(tmp_path / "clip.mp4", seconds=4.0)) as frames:
        assert _wait_for_ffmpeg(frames, 30), "ffmpeg waited for the caller to read"
        times = [frame.time_s for frame in frames]
    assert len(times) == 4 * FPS
    assert times == sorted(times) and times[-1] == pytest.approx(4 - 1 / FPS)


def test_frames_held_for_a_busy_caller_are_bounded(tmp_path, monkeypatch):
    clip = make_clip(tmp_path / "clip.mp4", seconds=4.0)
    monkeypatch.setattr(frames_module, "_BUFFER_BYTES", 5 * 256 * 144 * 3)
    with FrameStream(clip) as frames:
        assert frames.size == (256, 144)
        assert not _wait_for_ffmpeg(frames, 1.5), "ffmpeg decoded past the bound"
        assert len(frames._frames) <= 5
        first = [frame.index for _, frame in zip(range(10), frames, strict=False)]
    assert first == list(range(10))  # and leaving early, with the buffer full, does not hang
    with FrameStream(clip) as frames:
        assert len(list(frames)) == 4 * FPS


def test_a_decoder_killed_before_the_end_is_an_error_not_a_shorter_video():
    with FrameStream(SAMPLE_VIDEO) as frames:
        stream = iter(frames)
        next(stream)
        os.kill(frames._process.pid, signal.SIGKILL)
        with pytest.raises(MediaError, match=r"decoding stopped after \d+ frames: .*SIGKILL"):
            for _ in stream:
                pass


@pytest.mark.parametrize(
    "name, sound_codec, offset_s",
    [("late-sound.ts", "mp2", 0), ("late-sound.mkv", "flac", 0), ("late-sound.mp4", "aac", 0),
     ("ten-hours-in.mp4", "aac", 36000)],
)  # fmt: skip
def test_picture_and_sound_share_one_clock_when_the_sound_starts_later(
    tmp_path, name, sound_codec, offset_s
):
    """A white frame and a beep at 2 s, in a file whose sound starts a second after its picture
    (and, in one, whose timestamps start at 10 hours): each decoder finds them at 2 s from the
    file's start, whatever the container."""
    clip = tmp_path / name
    ffmpeg.run(
        [ffmpeg.executable(), "-v", "error",
         "-f", "lavfi", "-i", "color=black:s=160x90:r=25:d=4,"
         "drawbox=c=white:t=fill:enable='between(t,2,2.039)'",
         "-itsoffset", "1", "-f", "lavfi", "-i", "aevalsrc='0.5*sin(2*PI*1000*t)*between(t,1,1.1)':"
         "s=44100:d=3",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", sound_codec,
         "-output_ts_offset", str(offset_s), str(clip)],
        what="making a clip whose sound starts late",
    )  # fmt: skip
    with FrameStream(clip) as frames:
        white_s = next(frame.time_s for frame in frames if frame.image.mean() > 128)
    samples = decode_audio(clip, sr=22050)
    beep_s = np.flatnonzero(np.abs(samples) > 0.1)[0] / 22050
    assert white_s == pytest.approx(2.0, abs=0.05)
    assert beep_s == pytest.approx(white_s, abs=0.05)
