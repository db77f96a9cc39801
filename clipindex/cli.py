"""The ``clipindex`` command: a thin shell over the library's public functions.

Exit codes: 0 done, 1 a check failed, 2 bad input or usage, 70 an internal error (a bug; rerun
with --verbose for the traceback), 130 interrupted.
"""

from __future__ import annotations

import sys

import click

from clipindex import __version__
from clipindex.errors import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    ClipindexError,
)

_VERBOSE_FLAGS = ("--verbose", "-v")


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Example: clipindex index samples/training-montage.mp4 "
    "--credits samples/rocky-iv-training.credits.toml -o montage.json",
)
@click.version_option(__version__, prog_name="clipindex")
@click.option("-v", "--verbose", is_flag=True, help="Show the traceback of an internal error.")
def cli(verbose: bool) -> None:
    """Index a video montage: every cut, the musical segments, and the credits of each track.

    Exit codes: 0 done, 1 check failed, 2 bad input or usage, 70 internal error, 130 interrupted.
    """


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


@cli.command("check")
@click.argument("index_path", metavar="INDEX", type=click.Path(path_type=str))
@click.argument("expected", type=click.Path(path_type=str))
@click.option(
    "--tolerance",
    "tolerance_s",
    type=click.FloatRange(min=0.0),
    default=0.25,
    show_default=True,
    help="Largest hand-over error that passes, in seconds.",
)
@click.option(
    "--cut-tolerance",
    "cut_tolerance_frames",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Largest cut error that passes, in frames.",
)
def check_command(
    index_path: str, expected: str, tolerance_s: float, cut_tolerance_frames: int
) -> None:
    """Compare INDEX with EXPECTED boundaries; exit 1 if any is out of tolerance.

    EXPECTED is a JSON file with music_boundaries (seconds), and optionally tracks (titles in
    order) and hard_cuts ({frame, time_s}), as in samples/training-montage.truth.json.

    \b
    Example:
      clipindex check montage.json samples/training-montage.truth.json --tolerance 0.25
    """
    from clipindex.testing import check_index

    result = check_index(
        index_path, expected, tolerance_s=tolerance_s, cut_tolerance_frames=cut_tolerance_frames
    )
    click.echo(result.table())
    if not result.passed:
        sys.exit(EXIT_CHECK_FAILED)


@cli.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of index files.

    \b
    Example:
      clipindex schema > index.schema.json
    """
    from clipindex.index import json_schema_text

    click.echo(json_schema_text(), nl=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; turn user errors into one line and an exit code, never a traceback."""
    args = sys.argv[1:] if argv is None else argv
    verbose = any(flag in args for flag in _VERBOSE_FLAGS)
    try:
        cli.main(args=args, prog_name="clipindex", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("clipindex: interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except ClipindexError as error:
        click.echo(f"clipindex: error: {error}", err=True)
        return error.exit_code
    except KeyboardInterrupt:
        click.echo("clipindex: interrupted", err=True)
        return EXIT_INTERRUPTED
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
    except Exception as error:  # a bug: one line unless asked for the traceback
        if verbose:
            raise
        click.echo(
            f"clipindex: internal error: {type(error).__name__}: {error} "
            "(rerun with --verbose for the traceback)",
            err=True,
        )
        return EXIT_INTERNAL
    return 0


def entry_point() -> None:
    """Console-script entry point."""
    sys.exit(main())
