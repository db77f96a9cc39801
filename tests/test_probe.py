"""Probing: what a file holds, and a clear error for what is not a media file."""

import pytest

from clipindex.errors import MediaError
from clipindex.probe import probe
from conftest import shared


def test_probe_reads_video_without_sound():
    info = probe(shared("goldeneye-vfr-drop3.mp4"))
    assert info.video is not None
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 1280, 544)
    assert info.audio == []
    assert info.duration_s == pytest.approx(9.97, abs=0.01)


def test_probe_reads_rotation_and_audio_stream():
    info = probe(shared("issue-134-rotate.mp4"))
    assert info.video.rotation_deg == -90.0
    assert [(a.codec, a.sample_rate, a.default) for a in info.audio] == [("aac", 44100, True)]
    assert info.default_audio.audio_index == 0


def test_cover_art_is_not_a_video_stream():
    info = probe(shared("Kevin_MacLeod_-_Vibe_Ace.hq.ogg"))
    assert info.video is None
    assert info.audio[0].codec == "vorbis"


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "missing.mp4", "no such file"),
        (lambda tmp: tmp, "is a folder"),
        (lambda tmp: _write(tmp / "empty.mp4", ""), "empty"),
        (lambda tmp: _write(tmp / "notes.mp4", "just some text\n" * 50), "not a media file"),
    ],
    ids=["missing", "folder", "empty", "text-named-mp4"],
)
def test_unreadable_inputs_get_one_clear_line(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(MediaError) as error:
        probe(path)
    text = str(error.value)
    assert message in text and str(path) in text and "\n" not in text


@pytest.mark.parametrize("name", ["still.jpg", "still.png", "still-named.mp4"])
def test_a_still_picture_is_not_indexed_as_a_one_shot_video(tmp_path, name):
    from clipindex import ffmpeg
    from conftest import SAMPLE_VIDEO
    from output_helpers import run_cli

    picture = tmp_path / name
    encoding = ["-f", "image2", "-c:v", "png" if name.endswith(".png") else "mjpeg"]
    ffmpeg.run(
        [ffmpeg.executable(), "-v", "error", "-i", ffmpeg.input_url(SAMPLE_VIDEO), "-frames:v", "1"]
        + encoding
        + [ffmpeg.input_url(picture)],
        what="a still",
    )
    with pytest.raises(MediaError, match=r"a still picture \(\w+\), not a video"):
        probe(picture)
    code, out, err = run_cli("index", picture, "-o", tmp_path / "still.json")
    assert code == 2 and out == ""
    assert (
        err.startswith(f"clipindex: error: {picture}: a still picture (") and err.count("\n") == 1
    )
    assert not (tmp_path / "still.json").exists()
