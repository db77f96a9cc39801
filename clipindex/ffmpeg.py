"""The one place clipindex starts ffmpeg: which binary, how arguments are built, how errors read.

The binary comes from the ``imageio-ffmpeg`` wheel, so nothing outside pip is needed. Arguments are
built with ffmpeg-python; failures become :class:`~clipindex.errors.MediaError` in the user's terms,
with ffmpeg's own last line kept for detail. An ffmpeg that was killed, or exited with an error,
is a failure however much it wrote first.

Each ffmpeg belongs to whoever started it: a run that starts several (indexing decodes the
picture and the sound at once) keeps them in its own :class:`Children`, and stops those, and
only those, when it fails or is interrupted. ffmpeg runs in a process group of its own, so a
Ctrl-C at the terminal reaches clipindex alone, which then stops its ffmpeg itself.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import ffmpeg as ffmpeg_python

from clipindex.errors import MediaError

if TYPE_CHECKING:  # NumPy loads on first use: the decoder can start before it has
    import numpy as np

_GLOBAL_ARGS = ("-hide_banner", "-nostdin")

_PLAIN_WORDS = (
    ("moov atom not found", "the file is cut short or unfinished (its index is missing)"),
    ("End of file", "the file is cut short or unfinished (it ends inside its own index)"),
    ("Invalid data found when processing input", "not a media file ffmpeg can read"),
    ("does not contain any stream", "the file holds no audio or video"),
    ("Permission denied", "permission denied"),
    ("No such file or directory", "no such file"),
    ("Stream map", "no such stream in the file"),
    ("matches no streams", "no such stream in the file"),
)


@lru_cache(maxsize=1)
def executable() -> str:
    """Path of the ffmpeg binary shipped by imageio-ffmpeg (or named by ``IMAGEIO_FFMPEG_EXE``).

    The wheel's binary is found in its folder without running it: imageio-ffmpeg's own lookup
    first runs ``ffmpeg -version`` to check it, which would delay the decoder's start by a
    fiftieth of a second on every run. A binary that cannot run is still reported, in one line,
    when ffmpeg is started. Without the wheel's binary, imageio-ffmpeg looks further (conda,
    the system's ffmpeg).
    """
    named = os.environ.get("IMAGEIO_FFMPEG_EXE")
    if named:
        return named
    package = importlib.util.find_spec("imageio_ffmpeg")
    if package is not None and package.origin is not None:
        shipped = [
            path
            for path in (Path(package.origin).parent / "binaries").glob("ffmpeg*")
            if path.is_file() and os.access(path, os.X_OK)
        ]
        if len(shipped) == 1:
            return str(shipped[0])
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def input_url(path: str | os.PathLike[str]) -> str:
    """An ffmpeg input URL that names ``path`` as a plain file.

    The ``file:`` prefix keeps names with colons, leading dashes or protocol-like prefixes from
    being read as anything but a file.
    """
    return "file:" + os.path.abspath(os.fspath(path))


def compile_args(stream: ffmpeg_python.nodes.OutputStream, *, loglevel: str = "error") -> list[str]:
    """The full command line for an ffmpeg-python output stream, our binary first."""
    return [executable(), *_GLOBAL_ARGS, "-loglevel", loglevel] + stream.compile(cmd=[])


def same_clock_as_sound(
    source: ffmpeg_python.nodes.FilterableStream,
) -> ffmpeg_python.nodes.OutputStream:
    """An output that reads the first video stream and every audio stream of ``source`` and
    keeps nothing (``-f null``), for a decoder of the picture or the sound to add to its own.

    ffmpeg counts a file's times from where the streams it reads begin; with some containers
    (MPEG-TS, as .ts, .mts and .m2ts) that is where the one decoded stream begins. Every
    decoder reading the same streams, the picture's and the sound's times share one zero,
    the file's start (where players and ``mux`` count from), whichever stream begins first.
    """
    return ffmpeg_python.output(source["v:0?"], source["a?"], "-", format="null", c="copy")


def last_line(stderr: str | bytes) -> str:
    """ffmpeg's last meaningful line of output, for an error message."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "no message from ffmpeg"


def explain(stderr: str | bytes) -> str:
    """ffmpeg's complaint in the user's terms, ending with ffmpeg's own last line for detail."""
    line = last_line(stderr)
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    for needle, plain in _PLAIN_WORDS:
        if needle in text:
            return f"{plain} (ffmpeg: {line})"
    return f"ffmpeg: {line}"


def failure(what: str, returncode: int, stderr: str | bytes) -> MediaError:
    """The error for an ffmpeg that ended with ``returncode`` (not 0), in the user's terms."""
    if returncode < 0:  # killed by a signal, by the system or by someone else
        return MediaError(f"{what}: ffmpeg was stopped by {signal.Signals(-returncode).name}")
    return MediaError(f"{what}: {explain(stderr)}")


def run(
    args: Sequence[str],
    *,
    what: str,
    children: Children | None = None,
    into: BinaryIO | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg to completion; raise :class:`MediaError` saying ``what`` failed if it does.

    ``children``: the run's processes, to start it among them (see :class:`Children`).
    ``into``: an open file ffmpeg writes its standard output to, rather than a pipe.
    """
    process = _start(args, children, into)
    try:
        stdout, stderr = process.communicate()
    except BaseException:  # interrupted while waiting: ffmpeg must not outlive the wait
        kill(process)
        raise
    finally:
        if children is not None:
            children.finished(process)
    if process.returncode != 0:
        raise failure(what, process.returncode, stderr)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


_READ_BYTES = 1 << 20
"""Bytes asked of ffmpeg's output pipe at a time by :func:`read_array`."""


def read_array(
    args: Sequence[str],
    *,
    what: str,
    dtype: np.dtype | str,
    expected_items: int = 0,
    children: Children | None = None,
) -> np.ndarray:
    """Run ffmpeg writing raw ``dtype`` values to its standard output, read straight into one
    array as they come; raise :class:`MediaError` saying ``what`` failed if ffmpeg does.

    With ``expected_items`` about right, the output is never copied: a long soundtrack costs
    its own size in memory, not twice that. ``children``: as for :func:`run`.
    """
    import numpy as np

    dtype = np.dtype(dtype)
    values = np.empty(max(expected_items, _READ_BYTES // dtype.itemsize), dtype)
    process = _start(args, children)
    complaints = bytearray()
    reader = threading.Thread(target=lambda: complaints.extend(process.stderr.read()))
    reader.start()
    filled = 0  # bytes
    try:
        while True:
            if filled == values.nbytes:  # longer than expected: grow by half
                values = np.concatenate([values, np.empty(len(values) // 2 + 1, dtype)])
            room = memoryview(values).cast("B")[filled : filled + _READ_BYTES]
            count = process.stdout.readinto(room)
            if not count:
                break
            filled += count
        process.wait()
    except BaseException:  # interrupted while reading: ffmpeg must not outlive the read
        kill(process)
        raise
    finally:
        reader.join()
        process.stdout.close()
        process.stderr.close()
        if children is not None:
            children.finished(process)
    if process.returncode != 0:
        raise failure(what, process.returncode, bytes(complaints))
    items = filled // dtype.itemsize
    return values[:items] if items > 0.9 * len(values) else values[:items].copy()


def start(args: Sequence[str], *, into: BinaryIO | None = None) -> subprocess.Popen[bytes]:
    """Start ffmpeg with its output on pipes, for streaming reads (or its standard output into the
    open file ``into``). The caller owns it: it must :func:`kill` it if it stops reading before
    the end."""
    try:
        return subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if into is None else into,
            stderr=subprocess.PIPE,
            start_new_session=True,  # signals from the terminal are for clipindex to act on
        )
    except OSError as exc:  # the binary itself cannot start
        raise MediaError(f"cannot start ffmpeg ({exc.strerror})") from exc


def kill(process: subprocess.Popen[bytes]) -> None:
    """Stop ``process`` at once if it still runs, and wait for it to end."""
    if process.poll() is None:
        process.kill()
    process.wait()


class Children:
    """The ffmpeg processes of one run, started on any of its threads.

    :meth:`stop` kills those still running and refuses to start more: a run that fails, or is
    interrupted, stops its other decoders at once, and never those of another run in the same
    program (a library caller may index several videos on threads).

    >>> children = Children()                               # doctest: +SKIP
    >>> run(args, what="decoding", children=children)       # doctest: +SKIP
    >>> children.stop()  # from another thread, on Ctrl-C  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._stopped = False

    def start(
        self, args: Sequence[str], *, into: BinaryIO | None = None
    ) -> subprocess.Popen[bytes]:
        """:func:`start` ffmpeg as one of this run's processes."""
        with self._lock:
            if self._stopped:
                raise MediaError("ffmpeg not started: the run was stopped")
            process = start(args, into=into)
            self._running.add(process)
        return process

    def finished(self, process: subprocess.Popen[bytes]) -> None:
        """Forget a process that has ended."""
        with self._lock:
            self._running.discard(process)

    def stop(self) -> None:
        """Kill every process of this run still running; start no more."""
        with self._lock:
            self._stopped = True
            processes, self._running = self._running, set()
        for process in processes:
            kill(process)


def _start(
    args: Sequence[str], children: Children | None, into: BinaryIO | None = None
) -> subprocess.Popen[bytes]:
    return start(args, into=into) if children is None else children.start(args, into=into)


def describe_input(path: str | os.PathLike[str]) -> str:
    """ffmpeg's own description of an input file (what ``ffmpeg -i FILE`` prints)."""
    process = start([executable(), *_GLOBAL_ARGS, "-i", input_url(path)])
    try:
        _, stderr = process.communicate()
    except BaseException:  # interrupted while waiting: ffmpeg must not outlive the wait
        kill(process)
        raise
    return stderr.decode("utf-8", "replace")
