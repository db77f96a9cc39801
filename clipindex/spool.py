"""Large intermediate data kept on disk while a long video is indexed, so that memory stays flat.

A two-hour soundtrack is 635 MB of samples at 22,050 Hz, and its spectra half as much again. The
analysis needs them only once the sound has been heard to its end, and then a slice at a time, so
they wait in unnamed temporary files (gone when closed, or when the process ends, however it ends)
rather than in memory.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from clipindex.errors import OutputError


def spool_folder() -> str | None:
    """Where large temporary files go: ``$TMPDIR`` (or ``$TEMP``, ``$TMP``) when set, as Python
    would choose, else ``/var/tmp`` if it can be written to, as it is on disk by convention where
    ``/tmp`` is often in memory; None (Python's choice) if neither."""
    if any(os.environ.get(name) for name in ("TMPDIR", "TEMP", "TMP")):
        return None
    folder = "/var/tmp"
    return folder if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK) else None


def temporary_file(what: str) -> BinaryIO:
    """A new unnamed temporary file in :func:`spool_folder`, named ``clipindex-WHAT-`` while
    the system lists it at all."""
    return tempfile.TemporaryFile(prefix=f"clipindex-{what}-", dir=spool_folder())


def no_room(what: str) -> OutputError:
    """The error for a temporary folder too full to hold ``what``."""
    folder = spool_folder() or tempfile.gettempdir()
    return OutputError(
        f"no space left in {folder} for {what} (a minute of sound takes 5.3 MB there while it "
        "is analysed): free some, or set TMPDIR to a folder with more room"
    )


@contextlib.contextmanager
def _room_for(what: str) -> Iterator[None]:
    """Turn a write that finds the disk full into :func:`no_room`'s error."""
    try:
        yield
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise no_room(what) from None
        raise


class Spool:
    """Rows of ``width`` float32 values in an unnamed temporary file: appended as they come, read
    back by ranges.

    With ``width`` 1 it stands in for a 1-D array wherever one is read by slices: ``len(spool)``
    and ``spool[a:b]`` (a new float32 array) behave as on the array. ``file`` is an open file
    already holding rows (e.g. written by ffmpeg); by default a new empty one is made. Close the
    spool (or use it as a context manager) to free the disk space.

    >>> with Spool(2) as spool:
    ...     spool.append(np.arange(6, dtype=np.float32).reshape(3, 2))
    ...     spool.rows(1, 3).tolist()
    [[2.0, 3.0], [4.0, 5.0]]
    """

    def __init__(self, width: int = 1, file: BinaryIO | None = None, *, what: str = "data"):
        self.width = width
        self._file = file if file is not None else temporary_file(what)
        self._row_bytes = 4 * width
        self._length = os.fstat(self._file.fileno()).st_size // self._row_bytes
        self._unflushed = False

    def append(self, rows: np.ndarray) -> None:
        """Add rows (``(n, width)``, or ``(n,)`` when ``width`` is 1) at the end."""
        rows = np.ascontiguousarray(rows, "<f4")
        if rows.size % self.width:
            raise ValueError(f"rows of {self.width} values expected, not shape {rows.shape}")
        self._file.seek(0, os.SEEK_END)
        with _room_for("the spectra of the sound"):
            self._file.write(memoryview(rows).cast("B"))
        self._length += rows.size // self.width
        self._unflushed = True

    def __len__(self) -> int:
        return self._length

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start`` to ``stop`` (clipped to those there are) as a new float32 array:
        ``(n, width)``, or ``(n,)`` when ``width`` is 1."""
        start, stop, _ = slice(start, stop).indices(self._length)
        if self._unflushed:
            with _room_for("the spectra of the sound"):
                self._file.flush()
            self._unflushed = False
        values = np.empty(max(0, stop - start) * self.width, "<f4")
        view = memoryview(values).cast("B")
        done = 0
        while done < len(view):
            read = os.preadv(self._file.fileno(), [view[done:]], start * self._row_bytes + done)
            if not read:
                raise OSError(f"a spooled file ends {len(view) - done} bytes early")
            done += read
        values = values.astype(np.float32, copy=False)
        return values if self.width == 1 else values.reshape(-1, self.width)

    def __getitem__(self, index: slice) -> np.ndarray:
        if not isinstance(index, slice):
            raise TypeError(f"a spool is read by slices, not by {type(index).__name__}")
        start, stop, step = index.indices(self._length)
        if step != 1:
            raise ValueError("a spool is read by slices of step 1")
        return self.rows(start, stop)

    def close(self) -> None:
        """Delete the rows."""
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
