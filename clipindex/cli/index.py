"""``clipindex index``: index a video."""

from __future__ import annotations

import sys

import click

from clipindex.cli.app import cli


@cli.command("index")
@click.argument("video", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--credits",
    "credits_path",
    type=click.Path(path_type=str),
    help="Credits file (TOML or JSON): the title and the tracks in playing order.",
)
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    type=click.Path(path_type=str),
    help="Where to write the index JSON ('-' for standard output).",
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
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar (default: when standard error is a terminal).",
)
def index_command(
    video: str,
    credits_path: str | None,
    output: str,
    audio_stream: int | None,
    min_segment_s: float,
    progress: bool | None,
) -> None:
    """Index VIDEO: cuts, shots and musical segments, linked to the credited tracks.

    \b
    Example:
      clipindex index samples/training-montage.mp4 \\
          --credits samples/rocky-iv-training.credits.toml -o montage.json
    """
    from clipindex.credits import load_credits
    from clipindex.files import check_output_path, write_atomically
    from clipindex.pipeline import IndexSettings, index_video

    check_output_path(output, [video] + ([credits_path] if credits_path else []))
    credits = load_credits(credits_path) if credits_path else None
    settings = IndexSettings(audio_stream=audio_stream, min_segment_s=min_segment_s)
    show = sys.stderr.isatty() if progress is None else progress
    index = index_video(video, credits, settings, progress=show)
    write_atomically(output, index.to_json())
    if output != "-":
        titles = ", ".join(
            s.track.title if s.track else f"segment {s.index}" for s in index.segments
        )
        click.echo(
            f"{output}: {len(index.cuts)} cuts, {len(index.shots)} shots, "
            f"{len(index.segments)} musical segments" + (f" ({titles})" if titles else ""),
            err=True,
        )
    for warning in index.warnings:
        click.echo(f"warning: {warning}", err=True)
