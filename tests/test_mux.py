"""``clipindex mux``: ffmpeg reads the chapters back from the copy; its streams are the input's."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest

from clipindex import ffmpeg
from clipindex.outputs import chapter_list
from conftest import SAMPLE_VIDEO
from output_helpers import chapter_times, make_index, parse_ffmetadata, run_cli, track


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ffmpeg_out(*args: object) -> str:
    done = subprocess.run(
        [ffmpeg.executable(), "-hide_banner", "-v", "error", *map(str, args)],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def _metadata_of(video) -> tuple[dict[str, str], list[dict[str, str]]]:
    """What ffmpeg reads from ``video``: its tags (Matroska's upper-case names lowered) and
    chapters."""
    tags, chapters = parse_ffmetadata(_ffmpeg_out("-i", f"file:{video}", "-f", "ffmetadata", "-"))
    return {key.lower(): value for key, value in tags.items()}, chapters


def _packet_hashes(video) -> list[str]:
    """A hash of each stream's packets, which any re-encoding would change."""
    return _ffmpeg_out(
        "-i", f"file:{video}", "-map", "0:v", "-map", "0:a", "-c", "copy", "-f", "streamhash", "-"
    ).splitlines()


@pytest.fixture(scope="module")
def work(sample_index, tmp_path_factory):
    """A copy of the sample and its index in a folder of their own."""
    folder = tmp_path_factory.mktemp("mux")
    shutil.copy(SAMPLE_VIDEO, folder / "montage.mp4")
    (folder / "montage.json").write_text(sample_index.to_json())
    return folder


@pytest.mark.parametrize("extension", [".mp4", ".mkv"])
def test_ffmpeg_reads_the_chapters_and_credits_back_and_streams_are_copied(
    work, sample_index, extension
):
    video, index = work / "montage.mp4", work / "montage.json"
    before = _sha256(video), _sha256(index)
    out = work / f"chaptered{extension}"
    code, _, err = run_cli("mux", video, index, "-o", out, "--min-chapters", "3")
    assert code == 0, err
    assert err.strip() == f"{out}: 3 chapters"
    assert (_sha256(video), _sha256(index)) == before

    tags, chapters = _metadata_of(out)
    expected = chapter_list(sample_index, min_chapters=3).items
    assert [c["title"] for c in chapters] == [c.title for c in expected]
    assert [tuple(round(t, 3) for t in chapter_times(c)) for c in chapters] == [
        (c.start_s, c.end_s) for c in expected
    ]
    assert tags["title"] == "Rocky training in Russia [Rocky IV]"
    assert tags["artist"] == "Vince DiCola; John Cafferty"
    assert "Hearts on Fire — performed by John Cafferty" in tags["comment"]
    assert _packet_hashes(out) == _packet_hashes(video)
    assert [p.name for p in work.iterdir() if p.name.startswith(".")] == []  # no temporary left


@pytest.mark.parametrize("extension", [".mp4", ".mkv"])
def test_the_videos_own_tags_are_kept_where_the_index_sets_none(work, extension):
    tagged = work / f"tagged{extension}"
    _ffmpeg_out(
        "-i", f"file:{work / 'montage.mp4'}", "-c", "copy",
        "-metadata", "title=The uploader's title", "-metadata", "description=Shot in 1985",
        "-metadata", "copyright=MGM", f"file:{tagged}",
    )  # fmt: skip
    out = work / f"tagged-chaptered{extension}"
    code, _, err = run_cli("mux", tagged, work / "montage.json", "-o", out)
    assert code == 0, err
    tags, chapters = _metadata_of(out)
    assert tags["title"] == "Rocky training in Russia [Rocky IV]", "the index's title wins"
    assert tags["artist"] == "Vince DiCola; John Cafferty"
    assert (tags["description"], tags["copyright"]) == ("Shot in 1985", "MGM")
    assert [c["title"] for c in chapters][-1].startswith("Hearts on Fire")


def test_a_chaptered_copy_can_be_muxed_again_and_its_chapters_are_replaced(work):
    first = work / "again.mp4"
    assert run_cli("mux", work / "montage.mp4", work / "montage.json", "-o", first)[0] == 0
    second = work / "again.mkv"
    code, _, err = run_cli(
        "mux", first, work / "montage.json", "-o", second, "--template", "{index}. {title}"
    )
    assert code == 0, err
    _, chapters = _metadata_of(second)
    assert [c["title"] for c in chapters] == ["1. Training Montage", "2. Hearts on Fire"]


def test_a_cover_picture_does_not_become_a_second_video_in_a_matroska_copy(work):
    cover = work / "cover.jpg"
    _ffmpeg_out("-f", "lavfi", "-i", "testsrc2=s=300x300", "-frames:v", "1", f"file:{cover}")
    covered = work / "covered.mkv"
    _ffmpeg_out(
        "-i", f"file:{work / 'montage.mp4'}", "-attach", cover,
        "-metadata:s:t", "mimetype=image/jpeg", "-c", "copy", f"file:{covered}",
    )  # fmt: skip
    out = work / "covered-chaptered.mkv"
    code, _, err = run_cli("mux", covered, work / "montage.json", "-o", out)
    assert code == 0, err
    streams = [line.split(": ", 1)[1] for line in ffmpeg.describe_input(out).splitlines()
               if line.strip().startswith("Stream #")]  # fmt: skip
    assert [kind.split(":")[0] for kind in streams] == ["Video", "Audio"], streams
    assert len(_metadata_of(out)[1]) == 2


def test_a_video_of_another_length_than_the_indexed_one_is_a_warning(work, tmp_path):
    shorter = make_index([(0.0, 30.0, track("Only", "One"))], 60.0)
    (tmp_path / "other.json").write_text(shorter.to_json())
    out = tmp_path / "out.mp4"
    code, _, err = run_cli("mux", work / "montage.mp4", tmp_path / "other.json", "-o", out)
    assert code == 0
    assert err.splitlines()[0] == (
        f"warning: {work / 'montage.mp4'} lasts 75.0 s, but the index was made from a video of "
        "60.0 s: the chapters may be misplaced"
    )


@pytest.mark.parametrize(
    "target, message",
    [
        ("montage.mp4", "over the input"),
        ("montage.json", "over the input"),
        ("-", "give its name with -o"),
        ("no-extension", "give the output an extension"),
        ("missing-folder/out.mp4", "does not exist"),
    ],
)
def test_bad_outputs_are_refused_before_any_work(work, target, message):
    video, index = work / "montage.mp4", work / "montage.json"
    before = _sha256(video), _sha256(index)
    out = target if target == "-" else work / target
    code, stdout, err = run_cli("mux", video, index, "-o", out)
    assert code == 2 and stdout == ""
    assert message in err and err.count("\n") == 1
    assert (_sha256(video), _sha256(index)) == before


def test_a_failed_mux_leaves_no_file_behind(work):
    """ffmpeg stops part-way (the file grows past what the system allows it)."""
    import resource
    import sys

    out = work / "stopped.mp4"
    done = subprocess.run(
        [sys.executable, "-m", "clipindex", "mux", work / "montage.mp4", work / "montage.json"]
        + ["-o", out],
        capture_output=True,
        text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000)),
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"clipindex: error: {out}: cannot write the chaptered copy")
    assert not out.exists()
    assert [p.name for p in work.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    "target, message",
    [
        ("copy.avi", "a .avi file cannot hold chapters; give the copy one of the extensions "),
        (
            "copy.webm",
            "WebM holds only VP8, VP9 or AV1 video with Vorbis or Opus sound, and {video} is "
            "h264, aac (streams are copied, never re-encoded): write .mkv instead",
        ),
    ],
)
def test_a_container_that_cannot_hold_the_chapters_or_the_streams_is_refused_first(
    work, target, message
):
    video, out = work / "montage.mp4", work / target
    code, stdout, err = run_cli("mux", video, work / "montage.json", "-o", out)
    assert code == 2 and stdout == ""
    assert err.startswith(f"clipindex: error: {out}: {message.format(video=video)}")
    assert err.count("\n") == 1 and not out.exists()


def test_a_chaptered_copy_into_a_pipe_arrives_whole_and_the_pipe_stays(work, tmp_path):
    import os
    import threading

    pipe = tmp_path / "copy.mkv"
    os.mkfifo(pipe)
    received = tmp_path / "received.mkv"
    reader = threading.Thread(target=lambda: received.write_bytes(pipe.read_bytes()), daemon=True)
    reader.start()
    code, _, err = run_cli("mux", work / "montage.mp4", work / "montage.json", "-o", pipe)
    reader.join(timeout=30)
    assert code == 0, err
    assert pipe.is_fifo()
    _, chapters = _metadata_of(received)
    assert len(chapters) == 2
