"""A soundtrack spooled to disk reads back as the samples decoding gives, a slice at a time."""

from __future__ import annotations

import os

import numpy as np
import pytest

from clipindex import audio
from clipindex.audio import decode_audio, spool_audio
from clipindex.errors import MediaError, OutputError
from clipindex.spool import Spool, spool_folder
from conftest import SAMPLE_VIDEO


def test_a_spooled_soundtrack_reads_back_as_the_decoded_samples():
    whole = decode_audio(SAMPLE_VIDEO)
    with spool_audio(SAMPLE_VIDEO) as sound:
        assert len(sound) == len(whole) == 75 * 22050
        for a, b in [(0, 10), (12345, 67890), (len(whole) - 5, len(whole) + 100), (-3, None)]:
            piece = sound[a:b]
            assert piece.dtype == np.float32
            assert np.array_equal(piece, whole[a:b]), (a, b)
        assert len(sound[len(whole) + 10 : len(whole) + 20]) == 0, "past the end: nothing"


def test_a_soundtrack_that_cannot_be_decoded_is_a_media_error(tmp_path):
    not_media = tmp_path / "notes.mp4"
    not_media.write_text("not a video")
    with pytest.raises(MediaError, match="cannot decode the sound"):
        spool_audio(not_media)


def test_rows_appended_read_back_by_ranges():
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((1000, 3)).astype(np.float32)
    with Spool(3) as spool:
        spool.append(rows[:600])
        assert np.array_equal(spool.rows(590, 600), rows[590:600]), "read before all are in"
        spool.append(rows[600:])
        assert len(spool) == 1000
        assert np.array_equal(spool.rows(0, 1000), rows)
        assert np.array_equal(spool.rows(990, 2000), rows[990:]), "clipped to those there are"
        with pytest.raises(ValueError, match="rows of 3 values"):
            spool.append(np.zeros(4, np.float32))


def test_large_temporary_files_go_to_tmpdir_if_set_else_to_a_disk_folder(monkeypatch):
    monkeypatch.setenv("TMPDIR", "/somewhere/chosen")
    assert spool_folder() is None, "Python's own choice, which honours TMPDIR"
    for name in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.delenv(name, raising=False)
    writable = os.path.isdir("/var/tmp") and os.access("/var/tmp", os.W_OK | os.X_OK)
    assert spool_folder() == ("/var/tmp" if writable else None), "on disk where /tmp may not be"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full to stand for a full disk")
def test_a_full_temporary_folder_is_one_line_saying_so(monkeypatch):
    monkeypatch.setattr(audio, "temporary_file", lambda what: open("/dev/full", "w+b"))
    with pytest.raises(OutputError, match=r"no space left in .*: free some, or set TMPDIR"):
        spool_audio(SAMPLE_VIDEO)
    with pytest.raises(OutputError, match="no space left"):
        spool = Spool(2, open("/dev/full", "w+b"))
        spool.append(np.zeros((10, 2), np.float32))
        spool.rows(0, 10)
