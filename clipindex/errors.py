"""Errors a user can cause, each with a message written for that user and an exit code.

The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``. Anything that is not
a :class:`ClipindexError` is a bug and stays a traceback (shown with ``--verbose``).
"""

from __future__ import annotations

import unicodedata

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70
EXIT_WRITE_FAILED = 74
"""An output could not be written once the work was done (the disk is full, say); ``EX_IOERR``
of ``sysexits.h``."""
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
"""What reads standard output stopped reading (``clipindex ... | head``): 128 + SIGPIPE, the
status a shell shows for any program stopped that way."""


class ClipindexError(Exception):
    """A problem with the user's input or environment, reported as one line."""

    exit_code = EXIT_BAD_INPUT


class MediaError(ClipindexError):
    """A video or audio file that cannot be read or decoded."""


class CreditsError(ClipindexError):
    """A credits file that is missing, malformed or inconsistent with the video."""


class IndexFileError(ClipindexError):
    """A file given as an index that is not a readable clipindex index."""


class OutputError(ClipindexError):
    """An output path that cannot or must not be written."""


class WriteError(OutputError):
    """An output that could not be written once the work was done; nothing of it is left."""

    exit_code = EXIT_WRITE_FAILED


class BrokenPipe(OutputError):
    """Standard output (or a pipe given with ``-o``) was closed by its reader before all was
    written; the command stops quietly, as command-line tools do."""

    exit_code = EXIT_BROKEN_PIPE


class MissingExtraError(ClipindexError):
    """An optional part of clipindex was asked for, but what it needs is not installed."""


def one_line(text: str) -> str:
    """``text`` as one line for a terminal: line breaks and other control characters (an
    escape sequence hidden in a file name or a field's name) written as ``\\n``, ``\\x1b``..."""
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Zl", "Zp")
        else char
        for char in text
    )
