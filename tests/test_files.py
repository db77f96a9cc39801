"""Outputs: checked before work, written whole or not at all, never over an input."""

import os

import pytest

from clipindex.errors import OutputError
from clipindex.files import check_output_path, write_atomically


def test_output_over_the_input_is_refused_however_it_is_spelled(tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"video")
    link = tmp_path / "link.mp4"
    link.symlink_to(video)
    for output in (video, tmp_path / "." / "clip.mp4", link):
        with pytest.raises(OutputError, match="over the input"):
            check_output_path(output, [video])


@pytest.mark.parametrize(
    "where, message", [("missing/out.json", "does not exist"), (".", "is a folder")]
)
def test_unwritable_targets_are_refused(tmp_path, where, message):
    with pytest.raises(OutputError, match=message):
        check_output_path(tmp_path / where, [])


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "index.json"
    target.write_text("old")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["index.json"]


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / "index.json"
    target.write_text("old content that is longer")
    write_atomically(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["index.json"]
