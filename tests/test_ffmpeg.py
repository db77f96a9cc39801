"""Which ffmpeg runs (the binary inside the imageio-ffmpeg wheel, found without running it), and
whose it is: each run stops its own."""

import os
from concurrent.futures import ThreadPoolExecutor

import imageio_ffmpeg
import pytest

from clipindex import ffmpeg
from clipindex.errors import MediaError
from processes import descendants, wait_for


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


def _endless_sound(frequency: int) -> list[str]:
    """An ffmpeg that writes a tone in real time until it is stopped."""
    return [ffmpeg.executable(), "-v", "error", "-re", "-f", "lavfi",
            "-i", f"sine=frequency={frequency}", "-f", "f32le", "-"]  # fmt: skip


def _tones_playing() -> list[str]:
    return [p.command for p in descendants(os.getpid()) if "sine=frequency=" in p.command]


def test_a_run_stops_its_own_ffmpeg_and_no_other():
    mine, theirs = ffmpeg.Children(), ffmpeg.Children()
    with ThreadPoolExecutor(2) as threads:
        stopped = threads.submit(
            ffmpeg.read_array, _endless_sound(441), what="mine", dtype="<f4", children=mine
        )
        running = threads.submit(
            ffmpeg.read_array, _endless_sound(442), what="theirs", dtype="<f4", children=theirs
        )
        assert wait_for(lambda: len(_tones_playing()) == 2, 30)
        mine.stop()
        with pytest.raises(MediaError, match="^mine: ffmpeg was stopped by SIGKILL$"):
            stopped.result(timeout=30)
        playing = _tones_playing()
        assert len(playing) == 1 and "frequency=442" in playing[0]
        theirs.stop()
        with pytest.raises(MediaError, match="^theirs: "):
            running.result(timeout=30)
    assert _tones_playing() == []
    with pytest.raises(MediaError, match="the run was stopped"):
        ffmpeg.run(_endless_sound(443), what="later", children=mine)
