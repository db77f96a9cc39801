"""Which ffmpeg runs: the binary inside the imageio-ffmpeg wheel, found without running it."""

import imageio_ffmpeg
import pytest

from clipindex import ffmpeg
from clipindex.errors import MediaError


def test_the_wheels_binary_is_the_one_imageio_ffmpeg_finds(monkeypatch):
    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    assert ffmpeg.executable.__wrapped__() == imageio_ffmpeg.get_ffmpeg_exe()


def test_a_binary_named_by_the_user_is_taken_as_imageio_ffmpeg_takes_it(monkeypatch):
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", "/opt/ffmpeg/bin/ffmpeg")
    assert ffmpeg.executable.__wrapped__() == "/opt/ffmpeg/bin/ffmpeg"
    assert imageio_ffmpeg.get_ffmpeg_exe() == "/opt/ffmpeg/bin/ffmpeg"


def test_a_binary_that_cannot_run_is_one_line_when_started(tmp_path):
    broken = tmp_path / "ffmpeg"
    broken.write_text("not a program")
    broken.chmod(0o755)
    with pytest.raises(MediaError, match=r"^cannot start ffmpeg \(.+\)$"):
        ffmpeg.start([str(broken), "-version"])
