"""Index many videos in one go: plan the work, skip what is up to date, keep going past failures.

Each video's index is written to ``NAME.clipindex.json`` beside it, or in an output folder. A
credits file beside a video named ``STEM.credits.toml`` (or ``.json``) is used for it, and so is
a corrections file ``STEM.corrections.toml``. An index is up to date when it was written by this
version of clipindex, with the same settings, credits and corrections, for a file with the same
size and SHA-256.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from clipindex.corrections import corrections_beside
from clipindex.errors import ClipindexError, OutputError

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
    """Index one video and write its index; a failure is an outcome, not an exception."""
    from clipindex.credits import load_credits
    from clipindex.files import check_output_path, credits_digest, write_atomically
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
            credits_sha256=credits_digest(job.credits),
        )
        if job.corrections:
            from clipindex.corrections import (
                apply_corrections,
                corrections_digest,
                load_corrections,
            )

            corrections = load_corrections(job.corrections)
            digest = corrections_digest(job.corrections)
            index = apply_corrections(index, corrections, credits, digest)
        write_atomically(job.output, index.to_json())
    except ClipindexError as error:
        return Outcome(job, "failed", str(error))
    except Exception as error:  # a bug on one file must not lose the others' work
        return Outcome(job, "failed", f"internal error: {type(error).__name__}: {error}")
    cuts, segments = len(index.cuts), len(index.segments)
    return Outcome(
        job,
        "done",
        f"{cuts} cut{'s' * (cuts != 1)}, {segments} segment{'s' * (segments != 1)}",
    )


def _run_in_worker(
    job: Job, settings: object, thumbnails_dir: str | None, frames: queue.Queue
) -> Outcome:
    return run_job(job, settings, thumbnails_dir, frames.put)


def run_jobs(
    jobs: list[Job],
    settings: object,
    *,
    workers: int,
    thumbnails_dir: str | None,
    on_frames: Callable[[int], None],
) -> Iterator[Outcome]:
    """Run jobs, ``workers`` at a time (each its own process past one), yielding each outcome."""
    if workers <= 1:
        for job in jobs:
            yield run_job(job, settings, thumbnails_dir, on_frames)
        return
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
        frames = manager.Queue()
        pending: set[Future[Outcome]] = {
            pool.submit(_run_in_worker, job, settings, thumbnails_dir, frames) for job in jobs
        }
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(frames, on_frames)
            for future in done:
                yield future.result()
        _drain(frames, on_frames)


def _drain(frames: queue.Queue, on_frames: Callable[[int], None]) -> None:
    while True:
        try:
            on_frames(frames.get_nowait())
        except queue.Empty:
            return
