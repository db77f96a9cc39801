"""Stop signals: SIGTERM and SIGHUP raise as Ctrl-C does, never where the exception would be lost,
and never twice into the cleanup the first one started."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import time

import pytest

from clipindex import interrupts
from clipindex.interrupts import Interrupted, stopping_on_signals


def _wait_for_the_signal() -> None:
    time.sleep(5)
    pytest.fail("no Interrupted within 5 s")


@pytest.mark.parametrize("signum, exit_code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_stop_signal_raises_as_ctrl_c_does_and_the_handlers_are_put_back(signum, exit_code):
    before = signal.getsignal(signum)
    with stopping_on_signals() as received:
        with pytest.raises(Interrupted) as stopped:
            os.kill(os.getpid(), signum)
            _wait_for_the_signal()
        assert isinstance(stopped.value, KeyboardInterrupt)
        assert (stopped.value.signum, stopped.value.exit_code) == (signum, exit_code)
        assert received.signum == signum
    assert signal.getsignal(signum) is before


def test_a_second_signal_does_not_cut_the_cleanup_short_but_a_later_one_stops_it(monkeypatch):
    monkeypatch.setattr(interrupts, "_CLEANUP_S", 1.0)
    with stopping_on_signals():
        with pytest.raises(Interrupted):
            os.kill(os.getpid(), signal.SIGTERM)
            _wait_for_the_signal()
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C pressed again while cleaning up:
        time.sleep(1.2)  # not raised, the cleanup goes on
        with pytest.raises(Interrupted) as again:  # the cleanup seems stuck: pressed again
            os.kill(os.getpid(), signal.SIGINT)
            _wait_for_the_signal()
        assert again.value.signum == signal.SIGINT


class _SignalInsideImport:
    """A module finder that makes SIGTERM arrive while Python's import machinery runs."""

    def find_spec(self, name, path, target=None):
        if name == "clipindex_never_a_module":
            signal.getsignal(signal.SIGTERM)(signal.SIGTERM, sys._getframe(1))
        return None


def test_a_signal_inside_the_import_machinery_is_raised_just_after_it():
    """Raised inside importlib, the exception could be dropped, or leave an import lock held
    that the next import on another thread would wait for forever."""
    finder = _SignalInsideImport()
    with stopping_on_signals():
        sys.meta_path.insert(0, finder)
        try:
            try:
                importlib.import_module("clipindex_never_a_module")
            except ModuleNotFoundError:  # the import ends as it would have
                pass
            except Interrupted:
                pytest.fail("raised inside the import machinery")
            with pytest.raises(Interrupted):
                _wait_for_the_signal()
        finally:
            sys.meta_path.remove(finder)
