"""The one place clipindex starts ffmpeg: which binary, how arguments are built, how errors read.

The binary comes from the ``imageio-ffmpeg`` wheel, so nothing outside pip is needed. Arguments are
built with ffmpeg-python; failures become :class:`~clipindex.errors.MediaError` with ffmpeg's own
last line kept for detail.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from functools import lru_cache

import ffmpeg as ffmpeg_python
import imageio_ffmpeg

from clipindex.errors import MediaError

_GLOBAL_ARGS = ("-hide_banner", "-nostdin")


@lru_cache(maxsize=1)
def executable() -> str:
    """Path of the ffmpeg binary shipped by imageio-ffmpeg."""
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


def last_line(stderr: str | bytes) -> str:
    """ffmpeg's last meaningful line of output, for an error message."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "no message from ffmpeg"


def run(args: Sequence[str], *, what: str) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg to completion; raise :class:`MediaError` saying ``what`` failed if it does."""
    try:
        result = subprocess.run(list(args), capture_output=True, check=False)
    except OSError as exc:  # the binary itself cannot start
        raise MediaError(f"cannot start ffmpeg ({exc.strerror})") from exc
    if result.returncode != 0:
        raise MediaError(f"{what} (ffmpeg: {last_line(result.stderr)})")
    return result


def start(args: Sequence[str], *, pass_fds: Sequence[int] = ()) -> subprocess.Popen[bytes]:
    """Start ffmpeg with its output on a pipe, for streaming reads."""
    try:
        return subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=tuple(pass_fds),
        )
    except OSError as exc:
        raise MediaError(f"cannot start ffmpeg ({exc.strerror})") from exc


def describe_input(path: str | os.PathLike[str]) -> str:
    """ffmpeg's own description of an input file (what ``ffmpeg -i FILE`` prints)."""
    args = [executable(), *_GLOBAL_ARGS, "-i", input_url(path)]
    try:
        result = subprocess.run(args, capture_output=True, check=False)
    except OSError as exc:
        raise MediaError(f"cannot start ffmpeg ({exc.strerror})") from exc
    return result.stderr.decode("utf-8", "replace")
