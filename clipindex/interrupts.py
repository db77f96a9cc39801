"""SIGTERM and SIGHUP stop clipindex as Ctrl-C does, and no stop signal is lost.

Python turns Ctrl-C (SIGINT) into a KeyboardInterrupt in the main thread, and every part of
clipindex that starts a process or writes a file undoes its work when one passes through it.
SIGTERM (``kill``, a service manager or a container stopping) and SIGHUP (the terminal closed)
would otherwise end the program on the spot, leaving ffmpeg running and temporary files behind.
Within :func:`stopping_on_signals`, all three raise :class:`Interrupted`, a KeyboardInterrupt.

A signal that arrives inside Python's import machinery is raised a moment later instead: raised
there (in a callback that frees a module's lock, say), the exception would be dropped, as Python
drops any exception raised in such a callback, and an import lock could be left held, so that
the next import on another thread would wait forever. Any error that a stop brings about is the
stop (:func:`raise_if_stopping`), not a failure to report or to go on from.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""The signals that stop a run: Ctrl-C, ``kill`` and the terminal closing (where they exist)."""

_RETRY_S = 0.05
"""Seconds after which a signal that arrived at an unsafe moment is raised again."""

_CLEANUP_S = 2.0
"""Seconds after a stop is raised during which another signal does not interrupt the cleanup."""


class Interrupted(KeyboardInterrupt):
    """A stop signal: raised in the main thread as Ctrl-C raises KeyboardInterrupt."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a program that a signal stopped."""
        return 128 + self.signum


class Received:
    """The first stop signal received within :func:`stopping_on_signals`, if any."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._raised_at: float | None = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
        if frame is not None and _unsafe_to_raise_in(frame):
            later = threading.Timer(_RETRY_S, self._send_again, (signum,))
            later.daemon = True
            later.start()
            return
        now = time.monotonic()
        if self._raised_at is not None and now - self._raised_at < _CLEANUP_S:
            return  # the program is stopping: let it finish removing what it made
        self._raised_at = now
        raise Interrupted(signum)

    def _send_again(self, signum: int) -> None:
        if _current is self:  # still within the block
            os.kill(os.getpid(), signum)


def _unsafe_to_raise_in(frame: FrameType) -> bool:
    """Whether ``frame`` is of Python's import machinery, where an exception could be dropped,
    or leave a lock held."""
    return frame.f_code.co_filename.startswith("<frozen importlib")


_current: Received | None = None
"""What the innermost :func:`stopping_on_signals` has received."""


def raise_if_stopping() -> None:
    """Raise :class:`Interrupted` if a stop signal has been received: an error that a stop
    brought about (a thread interrupted while starting, say) must not pass for a failure."""
    if _current is not None and _current.signum is not None:
        raise Interrupted(_current.signum)


@contextlib.contextmanager
def stopping_on_signals() -> Iterator[Received]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` in the main thread.

    A second signal soon after the first is noted but not raised, so that it cannot cut short
    the cleanup the first started; one that comes later is raised again. Outside the main
    thread nothing changes. The handlers in place before are put back after the block.

    >>> with stopping_on_signals() as received:  # doctest: +SKIP
    ...     index_video("montage.mp4")           # kill -TERM: Interrupted, exit code 143
    """
    received = Received()
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    global _current
    outer, _current = _current, received
    before = {signum: signal.signal(signum, received._handle) for signum in STOP_SIGNALS}
    try:
        yield received
    finally:
        _current = outer
        for signum, handler in before.items():
            if handler is not None:  # None: set from outside Python, cannot be put back
                signal.signal(signum, handler)
