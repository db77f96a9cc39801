"""Shot thumbnails from the decoded frames: memory stays flat, and each picture is its shot's."""

from __future__ import annotations

import tracemalloc

import cv2
import numpy as np
import pytest

from clipindex.cuts import FrameRecord
from clipindex.errors import OutputError
from clipindex.frames import Frame
from clipindex.index import Shot
from clipindex.outputs.thumbnails import ThumbnailWriter

FPS = 25.0


def _shot_colour(shot: int) -> tuple[int, int, int]:
    return (37 * shot % 200 + 40, 91 * shot % 200 + 40, 53 * shot % 200 + 40)


def _feed(writer: ThumbnailWriter, shot_starts: list[int], n_frames: int, size=(160, 90)):
    """Stream frames of flat-coloured shots (with some noise) through ``writer``, recorded as a
    cut detector would: each shot's first frame may start a shot."""
    rng = np.random.default_rng(0)
    shot = -1
    for index in range(n_frames):
        if shot + 1 < len(shot_starts) and index == shot_starts[shot + 1]:
            shot += 1
        image = np.empty((size[1], size[0], 3), np.uint8)
        image[:] = _shot_colour(shot)
        image[rng.integers(0, size[1], 20), rng.integers(0, size[0], 20)] = 255
        starts = index == shot_starts[shot] and index > 0
        record = FrameRecord(index, index / FPS, dark=False, may_start_shot=starts)
        writer.add(Frame(index, index / FPS, image), record)


def _shots(shot_starts: list[int], n_frames: int) -> list[Shot]:
    ends = shot_starts[1:] + [n_frames]
    return [
        Shot(index=n, start_frame=a, end_frame=b - 1, start_s=a / FPS, end_s=b / FPS)
        for n, (a, b) in enumerate(zip(shot_starts, ends, strict=True))
    ]


def test_each_shot_gets_a_picture_of_itself_even_three_frames_long(tmp_path):
    starts = [0, 40, 43, 46, 200, 203, 900]
    writer = ThumbnailWriter(tmp_path / "thumbs", relative_to=tmp_path)
    _feed(writer, starts, 1000)
    shots = writer.write(_shots(starts, 1000))
    for shot in shots:
        assert shot.thumbnail == f"thumbs/shot-{shot.index:04d}.jpg"
        picture = cv2.imread(str(tmp_path / shot.thumbnail))
        assert np.abs(np.median(picture, axis=(0, 1)) - _shot_colour(shot.index)).max() < 6


def test_memory_stays_flat_however_long_the_video(tmp_path):
    n_frames = 6000  # 4 minutes; every frame kept would be 260 MB
    starts = list(range(0, n_frames, 50))
    writer = ThumbnailWriter(tmp_path, relative_to=tmp_path)
    tracemalloc.start()
    try:
        _feed(writer, starts, n_frames, size=(240, 135))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000
    assert len(writer.write(_shots(starts, n_frames))) == len(starts)


def test_a_folder_that_cannot_be_made_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="not a folder"):
        ThumbnailWriter(tmp_path / "file")
    with pytest.raises(OutputError, match="cannot create"):
        ThumbnailWriter(tmp_path / "file" / "below")


def test_a_full_disk_leaves_no_new_picture_and_no_folder_made_for_them(tmp_path, monkeypatch):
    import errno
    import os

    from clipindex import files
    from clipindex.errors import WriteError

    starts = [0, 40, 80, 120, 160]
    writer = ThumbnailWriter(tmp_path / "new" / "thumbs", relative_to=tmp_path)
    _feed(writer, starts, 200)
    written = []

    def full_after_two(descriptor):
        written.append(descriptor)
        if len(written) > 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", full_after_two)
    with pytest.raises(WriteError, match=r"shot-0002\.jpg: cannot write \(No space left"):
        writer.write(_shots(starts, 200))
    assert os.listdir(tmp_path) == []


def test_a_picture_never_replaces_a_link_or_a_device(tmp_path):
    starts = [0, 40]
    target = tmp_path / "precious.txt"
    target.write_text("precious")
    (tmp_path / "thumbs").mkdir()
    (tmp_path / "thumbs" / "shot-0001.jpg").symlink_to(target)
    writer = ThumbnailWriter(tmp_path / "thumbs", relative_to=tmp_path)
    _feed(writer, starts, 80)
    with pytest.raises(OutputError, match="shot-0001.jpg: not a regular file"):
        writer.write(_shots(starts, 80))
    assert target.read_text() == "precious"
    assert sorted(p.name for p in (tmp_path / "thumbs").iterdir()) == ["shot-0001.jpg"]


@pytest.mark.parametrize("failure", ["index", "analysis"])
def test_a_failed_index_leaves_no_picture_and_no_thumbnails_folder(tmp_path, failure):
    """The index cannot be written (a full device), or the analysis fails after the pictures
    are taken (more credited tracks than the sound can hold): neither the pictures nor the
    folder made for them are left."""
    from conftest import SAMPLE_VIDEO
    from output_helpers import run_cli

    if failure == "index":
        args, expected = ["-o", "/dev/full"], (74, "/dev/full: cannot write (No space left on")
    else:
        credits = tmp_path / "many.toml"
        credits.write_text('title = "T"\n' + '[[tracks]]\ntitle = "A"\n' * 12)
        args = ["--credits", credits, "-o", tmp_path / "montage.json"]
        expected = (2, "credited tracks")
    code, out, err = run_cli("index", SAMPLE_VIDEO, "--thumbnails", tmp_path / "thumbs", *args)
    last = err.splitlines()[-1]
    assert (code, out) == (expected[0], "") and last.startswith("clipindex: error: "), err
    assert expected[1] in last and "Traceback" not in err
    assert not (tmp_path / "thumbs").exists()
    assert not (tmp_path / "montage.json").exists()
