"""What runs under a process, read from /proc: for tests that no ffmpeg or worker outlives a run."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Process:
    """A process as /proc shows it; ``started`` tells it from a later one given the same id."""

    pid: int
    started: int
    command: str
    parent: int


def _read(pid: int) -> tuple[int, int, str, str] | None:
    """(parent id, start time, state, command line) of ``pid``, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except (OSError, IndexError):
        return None
    return int(fields[1]), int(fields[19]), fields[0], command


def descendants(pid: int) -> list[Process]:
    """Every process under ``pid``: its children, theirs, and so on."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (entry := _read(int(name))) is not None:
            table[int(name)] = entry
    found, parents = [], {pid}
    while parents:
        children = [p for p, (parent, *_) in table.items() if parent in parents]
        found += [Process(p, table[p][1], table[p][3], table[p][0]) for p in children]
        parents = set(children)
    return found


def is_running(process: Process) -> bool:
    """Whether ``process`` still runs (a zombie waiting to be reaped has ended)."""
    entry = _read(process.pid)
    return entry is not None and entry[1] == process.started and entry[2] != "Z"


def wait_for(condition, seconds: float) -> bool:
    """Whether ``condition()`` becomes true within ``seconds``, polling."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def stop_all(command: subprocess.Popen, processes: list[Process]) -> None:
    """Kill ``command`` and whichever of ``processes`` still run: what a failed test leaves."""
    if command.poll() is None:
        command.kill()
        command.wait()
    for process in processes:
        if is_running(process):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
