"""Every kind of input a user may have: a clear error or an honest index, never a crash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from clipindex import ffmpeg
from clipindex.credits import load_credits, parse_credits
from clipindex.errors import MediaError
from clipindex.files import sha256_of
from clipindex.pipeline import IndexSettings, index_video
from conftest import SAMPLE_CREDITS, SAMPLE_VIDEO, shared
from media import CUT_S, FPS, make_clip
from processes import Process, descendants, is_running, stop_all, wait_for

SMALL = "320x180"


def _run(*args, cwd=None):
    done = subprocess.run(
        [sys.executable, "-m", "clipindex", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    return done.returncode, done.stdout, done.stderr


def _hard_cut_times(index):
    return [cut.time_s for cut in index.cuts if cut.kind == "hard"]


@pytest.mark.parametrize(
    "name, video, size, check",
    [
        ("hevc.mp4", ["-c:v", "libx265", "-x265-params", "log-level=error"], "320x180", None),
        (
            "vp9.webm",
            ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"],
            SMALL,
            None,
        ),
        (
            "av1.mp4",
            ["-c:v", "libsvtav1", "-preset", "12", "-svtav1-params", "log-level=0"],
            SMALL,
            None,
        ),
        ("tenbit.mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p10le"], "320x180", "yuv420p10le"),
        ("odd.mkv", ["-c:v", "ffv1", "-pix_fmt", "yuv444p"], "321x241", None),
        (
            "interlaced.mp4",
            ["-c:v", "libx264", "-flags", "+ildct+ilme", "-x264opts", "tff=1"],
            "320x180",
            "interlaced",
        ),
    ],
)
def test_codecs_sizes_and_scan_types_index_at_true_times(tmp_path, name, video, size, check):
    index = index_video(make_clip(tmp_path / name, video=video, size=size))
    assert _hard_cut_times(index) == [pytest.approx(CUT_S, abs=1.0 / FPS)]
    width, height = map(int, size.split("x"))
    assert (index.source.width, index.source.height) == (width, height)
    assert index.source.n_frames == 4 * FPS
    if check == "interlaced":
        assert index.source.interlaced is True
    elif check:
        assert index.source.pix_fmt == check


def test_rotation_is_recorded_and_size_is_as_displayed():
    index = index_video(shared("issue-134-rotate.mp4"))
    assert index.source.rotation_deg == -90.0
    assert (index.source.width, index.source.height) == (544, 1280)
    assert [cut.frame for cut in index.cuts if cut.kind == "hard"] == [90, 210]


def test_several_audio_streams_default_or_chosen_and_all_listed(tmp_path):
    clip = make_clip(tmp_path / "two-languages.mkv", audio_streams=2)
    default = index_video(clip)
    assert [s.audio_index for s in default.source.audio_streams] == [0, 1]
    assert default.source.audio_stream_used == 0
    chosen = index_video(clip, settings=IndexSettings(audio_stream=1))
    assert chosen.source.audio_stream_used == 1
    assert chosen.source.codecs.audio == "opus"
    code, _, err = _run("index", clip, "--audio-stream", "5")
    assert code == 2 and "no audio stream 5 (it has 2" in err


def test_video_without_sound_indexes_cuts_with_a_warning(tmp_path):
    clip = make_clip(tmp_path / "silent.mp4", audio_streams=0)
    index = index_video(clip)
    assert _hard_cut_times(index) == [pytest.approx(CUT_S, abs=1.0 / FPS)]
    assert index.segments == [] and index.source.has_audio is False
    assert any("no audio stream" in warning for warning in index.warnings)
    code, _, err = _run("index", clip, "--credits", SAMPLE_CREDITS)
    assert code == 2 and "cannot be placed" in err


@pytest.mark.parametrize("n_frames", [1, 5])
def test_a_video_with_under_half_a_second_of_sound_is_one_musical_segment(tmp_path, n_frames):
    clip = tmp_path / f"{n_frames}-frames.mp4"
    ffmpeg.run(
        [ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", f"testsrc2=s=320x180:r={FPS}",
         "-f", "lavfi", "-i", "sine=frequency=440", "-frames:v", str(n_frames),
         "-t", str(n_frames / FPS), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
         str(clip)],
        what="making a clip of a few frames",
    )  # fmt: skip
    index = index_video(clip)
    assert index.source.n_frames == n_frames
    assert [(s.start_s, s.end_s) for s in index.segments] == [(0.0, index.source.duration_s)]


def test_audio_only_file_is_a_clear_error():
    code, _, err = _run("index", shared("Kevin_MacLeod_-_Vibe_Ace.hq.ogg"))
    assert code == 2 and "no video stream" in err and err.count("\n") == 1


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    """Copies of the sample: cut in half (its index is at the front), cut before its index is
    complete, and with a burst of garbage in the middle of the stream."""
    folder = tmp_path_factory.mktemp("damaged")
    data = SAMPLE_VIDEO.read_bytes()
    cut_half = folder / "cut-half.mp4"
    cut_half.write_bytes(data[: len(data) // 2])
    no_index = folder / "no-index.mp4"
    no_index.write_bytes(data[:2000])
    garbage = bytearray(data)
    start = len(data) // 3
    garbage[start : start + 60_000] = bytes((i * 7919) % 251 for i in range(60_000))
    garbled = folder / "garbled.mp4"
    garbled.write_bytes(bytes(garbage))
    return {"cut-half": cut_half, "no-index": no_index, "garbled": garbled}


def test_file_cut_short_indexes_what_decodes_and_says_where_it_stops(damaged):
    index = index_video(damaged["cut-half"])
    assert 30.0 < index.source.duration_s < 45.0
    assert index.shots[-1].end_s == pytest.approx(index.source.duration_s)
    assert any("looks cut short" in warning for warning in index.warnings)
    full = index_video(SAMPLE_VIDEO)
    expected = [t for t in _hard_cut_times(full) if t < index.source.duration_s - 1.0]
    assert _hard_cut_times(index)[: len(expected)] == expected


def test_file_cut_before_its_index_is_a_clear_error(damaged):
    with pytest.raises(MediaError, match="cut short or unfinished"):
        index_video(damaged["no-index"])


def test_garbage_in_the_stream_is_listed_with_times(damaged):
    index = index_video(damaged["garbled"])
    damage = [warning for warning in index.warnings if warning.startswith("damaged video")]
    assert damage, index.warnings
    assert any(" s" in warning and ("near" in warning or "from" in warning) for warning in damage)
    assert index.source.n_frames > 1500


def test_unicode_titles_and_paths_survive_into_the_index(tmp_path):
    folder = tmp_path / "vidéos d'été"
    folder.mkdir()
    clip = make_clip(folder / "-ça tourne.mp4", seconds=20.0)
    credits = folder / "crédits.toml"
    credits.write_text(
        'title = "Rocky — l\'entraînement 🥊"\n[[tracks]]\ntitle = "Cœur en feu & <flammes>"\n'
        'performers = ["Jöhn Cäfferty"]\n',
        encoding="utf-8",
    )
    out = folder / "índice.json"
    code, _, err = _run("index", "--credits", credits, "-o", out, "--", clip)
    assert code == 0, err
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["title"] == "Rocky — l'entraînement 🥊"
    assert document["segments"][0]["track"]["title"] == "Cœur en feu & <flammes>"


@pytest.fixture(scope="module")
def five_minute_sample(tmp_path_factory):
    """The sample four times over (copied, not re-encoded): long enough that indexing is still
    under way, sound analysis included, seconds after it starts on any machine."""
    video = tmp_path_factory.mktemp("long") / "montage-5min.mp4"
    ffmpeg.run(
        [ffmpeg.executable(), "-v", "error", "-stream_loop", "3", "-i", str(SAMPLE_VIDEO),
         "-c", "copy", str(video)],
        what="repeating the sample",
    )  # fmt: skip
    return video


def _decoders(pid: int, output_format: str) -> list[Process]:
    """The ffmpeg processes under ``pid`` writing ``output_format`` (rawvideo: the picture's
    decoder; f32le: the sound's)."""
    return [p for p in descendants(pid) if f"-f {output_format}" in p.command]


def _wait_until(moment: str, pid: int) -> bool:
    """Wait until indexing has reached ``moment``: ``decoding`` (the picture's decoder has
    started, while clipindex is still loading its modules) or ``listening`` (the sound is
    decoded and being analysed, while the picture still decodes)."""
    if moment == "decoding":
        return wait_for(lambda: _decoders(pid, "rawvideo"), 60)
    sound: list[Process] = []

    def sound_decoder_seen() -> bool:
        sound.extend(_decoders(pid, "f32le"))
        return bool(sound)

    return wait_for(sound_decoder_seen, 60) and wait_for(
        lambda: not any(map(is_running, sound)), 60
    )


@pytest.mark.parametrize(
    "signum, moment",
    [
        (signal.SIGINT, "decoding"),
        (signal.SIGINT, "listening"),
        (signal.SIGTERM, "listening"),
        (signal.SIGHUP, "decoding"),
    ],
)
def test_a_stop_signal_stops_promptly_and_leaves_no_output(
    five_minute_sample, tmp_path, signum, moment
):
    out = tmp_path / "montage.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "clipindex", "index", str(five_minute_sample), "--credits",
         str(SAMPLE_CREDITS), "-o", str(out)],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    running: list[Process] = []
    try:
        assert _wait_until(moment, process.pid), f"indexing never got to {moment}"
        assert process.poll() is None, "indexing finished before it could be interrupted"
        running = descendants(process.pid)
        interrupted = time.monotonic()
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
        # Indexing the rest of the five minutes takes several times longer, even on a busy
        # machine; stopping takes a fraction of a second.
        assert time.monotonic() - interrupted < 5.0, "it went on indexing"
    finally:
        stop_all(process, running)
    assert process.returncode == 128 + signum
    assert "Traceback" not in err and err.strip().startswith("clipindex: interrupted")
    assert os.listdir(tmp_path) == []
    assert wait_for(lambda: not any(map(is_running, running)), 10), "a decoder outlived the run"


@pytest.fixture
def slow_ffmpeg(tmp_path):
    """An ffmpeg that reads its first input in real time (``-re``): a copy of the sample then
    takes 75 s."""
    wrapper = tmp_path / "slow-ffmpeg"
    wrapper.write_text(f'#!/bin/sh\nexec "{ffmpeg.executable()}" -re "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_during_mux_leaves_no_copy_and_no_ffmpeg(
    sample_index, tmp_path, slow_ffmpeg, signum
):
    index = tmp_path / "montage.json"
    index.write_text(sample_index.to_json())
    folder = tmp_path / "out"
    folder.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "clipindex", "mux", str(SAMPLE_VIDEO), str(index),
         "-o", str(folder / "chaptered.mp4")],
        stderr=subprocess.PIPE, text=True,
        env={**os.environ, "IMAGEIO_FFMPEG_EXE": str(slow_ffmpeg)},
    )  # fmt: skip

    def copying() -> bool:
        written = sum(f.stat().st_size for f in folder.iterdir() if f.exists())
        return written > 0 and any("ffmetadata" in p.command for p in descendants(process.pid))

    running: list[Process] = []
    try:
        assert wait_for(copying, 60), "the copy never started"
        running = descendants(process.pid)
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    finally:
        stop_all(process, running)
    assert process.returncode == 128 + signum
    assert "Traceback" not in err
    assert err.strip() == f"clipindex: interrupted ({signal.Signals(signum).name})"
    assert list(folder.iterdir()) == [], "the temporary copy was left behind"
    assert wait_for(lambda: not any(map(is_running, running)), 10), "ffmpeg outlived the run"


def test_input_files_are_never_written(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", seconds=20.0)
    credits = tmp_path / "credits.toml"
    credits.write_text('title = "T"\n[[tracks]]\ntitle = "A"\n')
    before = {path: (sha256_of(path), path.stat().st_mtime_ns) for path in (clip, credits)}
    code, _, err = _run("index", clip, "--credits", credits, "-o", tmp_path / "index.json")
    assert code == 0, err
    assert {path: (sha256_of(path), path.stat().st_mtime_ns) for path in before} == before


def test_verbose_shows_the_traceback_of_a_bug_and_the_default_does_not(monkeypatch, capsys):
    from clipindex.cli import main

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("clipindex.pipeline.index_video", broken)
    assert main(["index", str(SAMPLE_VIDEO)]) == 70
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: simulated bug" in err and "Traceback" not in err
    with pytest.raises(RuntimeError):
        main(["--verbose", "index", str(SAMPLE_VIDEO)])


def test_sample_credits_still_load_for_the_robustness_cases():
    assert len(load_credits(SAMPLE_CREDITS).tracks) == 2


NOT_INDEXES = [
    ('{"title": "x"}', "not a clipindex index"),
    ('{"schema_version": 7}', "schema version 7 is newer"),
]


@pytest.mark.parametrize("content, message", NOT_INDEXES)
@pytest.mark.parametrize("command", ["check", "chapters", "mux", "embed", "report"])
def test_every_reader_refuses_what_is_not_an_index_by_name(tmp_path, command, content, message):
    index = tmp_path / "thing.json"
    index.write_text(content)
    out = tmp_path / "out"
    args = {
        "check": ["check", index, SAMPLE_CREDITS],
        "chapters": ["chapters", index, "--format", "webvtt", "-o", out],
        "mux": ["mux", SAMPLE_VIDEO, index, "-o", tmp_path / "copy.mp4"],
        "embed": ["embed", index, "--src", "video.mp4", "-o", out],
        "report": ["report", index, "-o", out],
    }[command]
    code, stdout, err = _run(*args)
    assert code == 2, err
    assert err.count("\n") == 1 and str(index) in err and message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing.json"]


def test_an_interrupt_does_not_wait_for_the_analysis_under_way(monkeypatch):
    analysing, release = threading.Event(), threading.Event()

    def slow_listen(*args, **kwargs):
        analysing.set()
        release.wait(30)

    def interrupted_decode(*args, **kwargs):
        assert analysing.wait(10)
        raise KeyboardInterrupt

    monkeypatch.setattr("clipindex.pipeline._listen", slow_listen)
    monkeypatch.setattr("clipindex.pipeline._detect_cuts", interrupted_decode)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            index_video(SAMPLE_VIDEO, load_credits(SAMPLE_CREDITS))
        assert time.monotonic() - started < 5.0
    finally:
        release.set()


def test_a_run_that_fails_leaves_another_in_the_same_program_whole(tmp_path):
    """Two indexings on threads (as a library caller or Dask may run them): the one whose
    credits name a text file as a recording fails, and the other still gets every frame."""
    notes = tmp_path / "notes.ogg"
    notes.write_text("not a recording\n")
    # Credits made in the program, not read from a file (whose loader checks recordings first).
    credits = parse_credits({"title": "T", "tracks": [{"title": "A", "audio": str(notes)}]})
    failed = threading.Event()
    with ThreadPoolExecutor(1) as thread:
        # The healthy run holds after its first frames, its decoders running, until the other
        # has failed.
        healthy = thread.submit(index_video, SAMPLE_VIDEO, on_frames=lambda _: failed.wait(60))
        try:
            with pytest.raises(MediaError, match="notes.ogg: cannot decode the sound"):
                index_video(SAMPLE_VIDEO, credits)
        finally:
            failed.set()
        index = healthy.result()
    assert index.source.n_frames == 1800
    assert not any("cut short" in warning for warning in index.warnings)
    assert [segment.end_s for segment in index.segments][-1] == 75.0
