"""``clipindex check`` and ``clipindex schema``: compare an index with expected boundaries."""

from __future__ import annotations

import sys

import click

from clipindex.cli.app import cli
from clipindex.errors import EXIT_CHECK_FAILED


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
    from clipindex.errors import IndexFileError
    from clipindex.files import STDOUT, check_output_path, write_atomically
    from clipindex.index import load_index
    from clipindex.testing import check_index

    check_output_path(STDOUT, [])
    try:
        index = load_index(index_path)
    except IndexFileError as error:
        if _is_index(expected):
            raise IndexFileError(
                f"{error}; {expected} is an index: give the index first, "
                f"clipindex check {expected} {index_path}"
            ) from None
        raise
    result = check_index(
        index, expected, tolerance_s=tolerance_s, cut_tolerance_frames=cut_tolerance_frames
    )
    write_atomically(STDOUT, result.table() + "\n")
    if not result.passed:
        sys.exit(EXIT_CHECK_FAILED)


def _is_index(path: str) -> bool:
    """Whether ``path`` reads as a clipindex index (for the hint when the two are swapped)."""
    from clipindex.errors import IndexFileError
    from clipindex.index import load_index

    try:
        load_index(path)
    except IndexFileError:
        return False
    return True


@cli.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of index files.

    \b
    Example:
      clipindex schema > index.schema.json
    """
    from clipindex.files import STDOUT, write_atomically
    from clipindex.index import json_schema_text

    write_atomically(STDOUT, json_schema_text())
