"""Indexing many videos: an index each, up-to-date ones skipped, failures listed at the end, and
every worker stopped with the command."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from media import make_clip
from processes import descendants, is_running, wait_for


def _run(*args):
    done = subprocess.run(
        [sys.executable, "-m", "clipindex", "index", *map(str, args)],
        capture_output=True,
        text=True,
    )
    return done.returncode, done.stderr


@pytest.fixture
def archive(tmp_path_factory, tmp_path):
    """A folder with two short clips, credits beside the first, and a file that is not a video."""
    seed = tmp_path_factory.getbasetemp() / "batch-seed"
    if not seed.exists():
        seed.mkdir()
        make_clip(seed / "first.mp4", seconds=20.0)
        make_clip(seed / "second.mkv", seconds=4.0)
    folder = tmp_path / "archive"
    shutil.copytree(seed, folder)
    (folder / "first.credits.toml").write_text('title = "First"\n[[tracks]]\ntitle = "Theme"\n')
    (folder / "broken.mp4").write_text("not a video")
    return folder


def test_folder_is_indexed_file_by_file_and_failures_are_listed_at_the_end(archive):
    code, err = _run(archive, "--jobs", "2")
    assert code == 2
    first = json.loads((archive / "first.mp4.clipindex.json").read_text())
    assert first["title"] == "First" and first["segments"][0]["track"]["title"] == "Theme"
    second = json.loads((archive / "second.mkv.clipindex.json").read_text())
    assert second["source"]["n_frames"] == 100
    assert not (archive / "broken.mp4.clipindex.json").exists()
    assert "indexed 2, up to date 0, failed 1" in err
    assert err.strip().splitlines()[-1].startswith(f"failed: {archive / 'broken.mp4'}: ")


def test_up_to_date_indexes_are_skipped_unless_forced_or_changed(archive):
    (archive / "broken.mp4").unlink()
    assert _run(archive)[0] == 0
    written = (archive / "second.mkv.clipindex.json").stat().st_mtime_ns
    code, err = _run(archive)
    assert code == 0 and "indexed 0, up to date 2, failed 0" in err
    assert (archive / "second.mkv.clipindex.json").stat().st_mtime_ns == written
    (archive / "first.credits.toml").write_text('title = "First"\n[[tracks]]\ntitle = "New"\n')
    code, err = _run(archive)
    assert "indexed 1, up to date 1" in err
    code, err = _run(archive, "--force")
    assert "indexed 2, up to date 0" in err


def test_output_folder_collects_the_indexes(archive, tmp_path):
    out = tmp_path / "indexes"
    out.mkdir()
    _run(archive / "first.mp4", archive / "second.mkv", "-o", out)
    assert sorted(p.name for p in out.iterdir()) == [
        "first.mp4.clipindex.json",
        "second.mkv.clipindex.json",
    ]
    code, err = _run(archive / "first.mp4", archive / "second.mkv", "-o", tmp_path / "missing")
    assert code == 2 and "must be an existing folder" in err


def test_one_credits_file_for_many_videos_is_refused(archive):
    code, err = _run(archive / "first.mp4", archive / "second.mkv", "--credits", "x.toml")
    assert code == 2 and "STEM.credits.toml" in err


def test_a_worker_killed_mid_video_fails_that_video_and_the_others_are_indexed(archive):
    command = subprocess.Popen(
        [sys.executable, "-m", "clipindex", "index", str(archive), "--jobs", "2"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def decoding_first() -> list:
            return [
                p
                for p in descendants(command.pid)
                if "first.mp4" in p.command and "rawvideo" in p.command
            ]

        assert wait_for(decoding_first, 60), "first.mp4 was never decoded"
        os.kill(decoding_first()[0].parent, signal.SIGKILL)  # as the system does, out of memory
        _, err = command.communicate(timeout=120)
    finally:
        if command.poll() is None:
            command.kill()
    assert command.returncode == 2
    assert "indexed 1, up to date 0, failed 2" in err
    assert f"failed: {archive / 'first.mp4'}: its worker stopped (exit -9)" in err
    assert json.loads((archive / "second.mkv.clipindex.json").read_text())["cuts"]


@pytest.fixture(scope="module")
def long_archive(tmp_path_factory):
    """Four two-minute clips: indexing them two at a time takes many times longer than
    stopping should."""
    folder = tmp_path_factory.mktemp("long-archive")
    make_clip(folder / "clip-1.mp4", seconds=120.0)
    for number in (2, 3, 4):
        shutil.copy(folder / "clip-1.mp4", folder / f"clip-{number}.mp4")
    return folder


@pytest.mark.parametrize(
    "signum, whom, message",
    [
        (signal.SIGTERM, "the command", "clipindex: interrupted (SIGTERM)"),
        (signal.SIGINT, "the command", "clipindex: interrupted"),
        (signal.SIGINT, "its process group", "clipindex: interrupted"),  # Ctrl-C
        (signal.SIGHUP, "its process group", "clipindex: interrupted (SIGHUP)"),  # hung up
    ],
)
def test_a_stop_signal_stops_every_worker_and_its_ffmpeg(long_archive, signum, whom, message):
    command = subprocess.Popen(
        [sys.executable, "-m", "clipindex", "index", str(long_archive), "--jobs", "2"],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as a shell gives a command
    )
    try:
        decoding = wait_for(
            lambda: sum("rawvideo" in p.command for p in descendants(command.pid)) == 2, 120
        )
        assert decoding, "the two workers did not start decoding"
        running = descendants(command.pid)  # the workers, their ffmpeg, multiprocessing's own
        signalled = time.monotonic()
        if whom == "the command":
            os.kill(command.pid, signum)
        else:
            os.killpg(command.pid, signum)
        _, err = command.communicate(timeout=60)
        assert time.monotonic() - signalled < 10.0, "it waited for the videos under way"
        assert command.returncode == 128 + signum
        assert "Traceback" not in err and err.strip().splitlines()[-1] == message
        assert wait_for(lambda: not any(map(is_running, running)), 10), [
            p.command for p in running if is_running(p)
        ]
    finally:  # whatever happened, leave nothing running
        with contextlib.suppress(ProcessLookupError):
            os.killpg(command.pid, signal.SIGKILL)
    indexed = sorted(p.name for p in long_archive.iterdir())
    assert indexed == [f"clip-{n}.mp4" for n in range(1, 5)], "an index was written after all"


def test_workers_whose_command_is_killed_outright_stop_by_themselves(long_archive):
    command = subprocess.Popen(
        [sys.executable, "-m", "clipindex", "index", str(long_archive), "--jobs", "2"],
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        decoding = wait_for(
            lambda: sum("rawvideo" in p.command for p in descendants(command.pid)) == 2, 120
        )
        assert decoding, "the two workers did not start decoding"
        running = descendants(command.pid)
        command.kill()  # SIGKILL: nothing of the command's own can run
        command.wait()
        assert wait_for(lambda: not any(map(is_running, running)), 5.0), [
            p.command for p in running if is_running(p)
        ]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(command.pid, signal.SIGKILL)
