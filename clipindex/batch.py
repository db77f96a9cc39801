"""Index many videos in one go: plan the work, skip what is up to date, keep going past failures.

Each video's index is written to ``NAME.clipindex.json`` beside it, or in an output folder. A
credits file beside a video named ``STEM.credits.toml`` (or ``.json``) is used for it, and so is
a corrections file ``STEM.corrections.toml``. An index is up to date when it was written by this
version of clipindex, with the same settings, credits and corrections, for a file with the same
size and SHA-256.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection, wait
from pathlib import Path

from clipindex.corrections import corrections_beside
from clipindex.errors import ClipindexError, OutputError
from clipindex.interrupts import raise_if_stopping, stopping_on_signals

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".ts", ".wmv")
"""File endings taken as videos when a folder is given."""

INDEX_SUFFIX = ".clipindex.json"


@dataclass(frozen=True)
class Job:
    """One video to index: where its index goes, and the credits beside it, if any."""

    video: str
    output: str
    credits: str | None
    corrections: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one job: ``done``, ``skipped`` (up to date) or ``failed`` (with why)."""

    job: Job
    status: str
    message: str = ""


def plan(inputs: list[str], output_folder: str | None) -> list[Job]:
    """The jobs for videos and folders of videos (a folder's videos in name order)."""
    videos: list[str] = []
    for name in inputs:
        if os.path.isdir(name):
            found = sorted(
                entry.path
                for entry in os.scandir(name)
                if entry.is_file() and entry.name.lower().endswith(VIDEO_SUFFIXES)
            )
            if not found:
                raise OutputError(f"{name}: the folder holds no video files")
            videos += found
        else:
            videos.append(name)
    if output_folder is not None and not os.path.isdir(output_folder):
        raise OutputError(f"{output_folder}: with several videos, -o must be an existing folder")
    jobs, targets = [], {}
    for video in videos:
        folder = output_folder if output_folder is not None else os.path.dirname(video)
        output = os.path.join(folder, os.path.basename(video) + INDEX_SUFFIX)
        if output in targets:
            raise OutputError(f"{video} and {targets[output]} would both be indexed to {output}")
        targets[output] = video
        jobs.append(Job(video, output, _credits_beside(video), corrections_beside(video)))
    return jobs


def _credits_beside(video: str) -> str | None:
    stem = os.path.splitext(video)[0]
    for suffix in (".credits.toml", ".credits.json"):
        if os.path.isfile(stem + suffix):
            return stem + suffix
    return None


def is_up_to_date(job: Job, parameters: dict) -> bool:
    """Whether ``job.output`` already holds the index these settings would write."""
    from clipindex import __version__
    from clipindex.files import sha256_of
    from clipindex.index import load_index

    try:
        index = load_index(job.output)
        size = os.path.getsize(job.video)
    except (ClipindexError, OSError):
        return False
    return (
        index.generator.version == __version__
        and index.generator.parameters == parameters
        and index.source.size_bytes == size
        and index.source.sha256 == sha256_of(job.video)
    )


def run_job(
    job: Job, settings: object, thumbnails_dir: str | None, on_frames: Callable[[int], None]
) -> Outcome:
    """Index one video and write its index; a failure is an outcome, not an exception (but a
    stop signal is, whatever error it brought about)."""
    from clipindex.credits import load_credits
    from clipindex.files import check_output_path, file_digest, write_atomically
    from clipindex.pipeline import index_video

    try:
        check_output_path(job.output, [job.video] + ([job.credits] if job.credits else []))
        credits = load_credits(job.credits) if job.credits else None
        thumbnails = None
        if thumbnails_dir is not None:
            from clipindex.outputs.thumbnails import ThumbnailWriter

            stem = Path(job.video).stem
            thumbnails = ThumbnailWriter(
                os.path.join(thumbnails_dir, stem),
                relative_to=os.path.dirname(job.output) or ".",
            )
        index = index_video(
            job.video,
            credits,
            settings,
            on_frames=on_frames,
            thumbnails=thumbnails,
            credits_sha256=file_digest(job.credits),
        )
        if job.corrections:
            from clipindex.corrections import apply_corrections, load_corrections

            corrections = load_corrections(job.corrections)
            digest = file_digest(job.corrections)
            index = apply_corrections(index, corrections, credits, digest)
        write_atomically(job.output, index.to_json())
    except ClipindexError as error:
        raise_if_stopping()
        return Outcome(job, "failed", str(error))
    except Exception as error:  # a bug on one file must not lose the others' work
        raise_if_stopping()
        return Outcome(job, "failed", f"internal error: {type(error).__name__}: {error}")
    cuts, segments = len(index.cuts), len(index.segments)
    return Outcome(
        job,
        "done",
        f"{cuts} cut{'s' * (cuts != 1)}, {segments} segment{'s' * (segments != 1)}",
    )


def run_jobs(
    jobs: list[Job],
    settings: object,
    *,
    workers: int,
    thumbnails_dir: str | None,
    on_frames: Callable[[int], None],
) -> Iterator[Outcome]:
    """Run jobs, ``workers`` at a time (each its own process past one), yielding each outcome.

    The worker processes belong to this call: however it ends (done, an error, Ctrl-C, SIGTERM,
    or the caller stops iterating), they are stopped, their ffmpeg and temporary files with
    them, and waited for. A worker whose parent is gone stops by itself.
    """
    if workers <= 1:
        for job in jobs:
            yield run_job(job, settings, thumbnails_dir, on_frames)
        return
    pool = _Pool(settings, thumbnails_dir)
    try:
        yield from pool.run(jobs, min(workers, len(jobs)), on_frames)
    finally:
        pool.stop()


_STOP_WAIT_S = 10.0
"""Seconds a worker is given to stop its ffmpeg and remove its files before it is killed."""


@dataclass
class _Worker:
    """A worker process, the parent's end of the pipe to it, the job it is indexing, and
    whether it has been told to finish (there is no job left)."""

    process: multiprocessing.process.BaseProcess
    connection: Connection
    job: Job | None = None
    finishing: bool = False


class _Pool:
    """Worker processes, each indexing one video at a time: jobs go to them over a pipe, and
    progress (a frame count) and outcomes come back the same way."""

    def __init__(self, settings: object, thumbnails_dir: str | None):
        self._context = multiprocessing.get_context("spawn")
        self._arguments = (settings, thumbnails_dir)
        self._workers: list[_Worker] = []

    def _start_worker(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(theirs, *self._arguments), daemon=True)
        with _ctrl_c_blocked():  # which the worker inherits
            process.start()
            worker = _Worker(process, ours)
            self._workers.append(worker)
        theirs.close()
        return worker

    def run(
        self, jobs: list[Job], size: int, on_frames: Callable[[int], None]
    ) -> Iterator[Outcome]:
        """Index ``jobs`` in ``size`` workers, yielding each outcome as it comes."""
        waiting = list(reversed(jobs))
        for _ in range(size):
            self._give(self._start_worker(), waiting)
        while busy := [worker for worker in self._workers if worker.job is not None]:
            wait([w.connection for w in busy] + [w.process.sentinel for w in busy])
            for worker in busy:
                try:
                    while worker.connection.poll():
                        message = worker.connection.recv()
                        if isinstance(message, int):
                            on_frames(message)
                            continue
                        worker.job = None
                        yield message
                        self._give(worker, waiting)
                except (EOFError, OSError):  # the worker has died
                    worker.process.join()
                if worker.job is not None and not worker.process.is_alive():
                    job, code = worker.job, worker.process.exitcode
                    self._workers.remove(worker)
                    yield Outcome(job, "failed", f"{job.video}: its worker stopped (exit {code})")
                    if waiting:
                        self._give(self._start_worker(), waiting)

    def _give(self, worker: _Worker, waiting: list[Job]) -> None:
        """Send ``worker`` its next job, or tell it to finish if there is none."""
        worker.job = waiting.pop() if waiting else None
        worker.finishing = worker.job is None
        worker.connection.send(worker.job)

    def stop(self) -> None:
        """Stop the workers not told to finish (as SIGTERM does) and wait for every worker to
        end, killing any that takes too long."""
        for worker in self._workers:
            if not worker.finishing and worker.process.is_alive():
                worker.process.terminate()
        for worker in self._workers:
            worker.process.join(_STOP_WAIT_S)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()


@contextlib.contextmanager
def _ctrl_c_blocked() -> Iterator[None]:
    """SIGINT held back from this thread, and from the processes it starts, within the block.

    A Ctrl-C at the terminal reaches every process of the command: workers started within the
    block never see it, and stop when, and only when, their parent stops them.
    """
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX
        yield
        return
    # multiprocessing starts its resource tracker with the first process, and unblocks SIGINT
    # once it has: start it first.
    resource_tracker.ensure_running()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _serve(connection: Connection, settings: object, thumbnails_dir: str | None) -> None:
    """A worker process: index each job its parent sends until it sends None. Stopped by
    SIGTERM or SIGHUP, or left without a parent, it stops what it is doing (ffmpeg, temporary
    files) and leaves quietly, without waiting for an analysis under way."""
    with stopping_on_signals():
        try:
            while (job := connection.recv()) is not None:
                connection.send(run_job(job, settings, thumbnails_dir, connection.send))
        except (KeyboardInterrupt, EOFError, OSError):
            os._exit(0)
