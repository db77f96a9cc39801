"""``clipindex correct``: write a correction into the corrections file beside a video."""

from __future__ import annotations

import click

from clipindex.cli.app import cli


def _pairs(kind: str, values: tuple[str, ...], number, value) -> dict:
    """``N=VALUE`` options as a dict, each side checked by its converter."""
    found = {}
    for text in values:
        key, sep, rest = text.partition("=")
        if not sep:
            raise click.BadParameter(f"{text!r}: write it as N=VALUE", param_hint=kind)
        try:
            found[number(key.strip())] = value(rest.strip())
        except ValueError as error:
            raise click.BadParameter(f"{text!r}: {error}", param_hint=kind) from None
    return found


def _handover_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError("the hand-over number counts from 1 (1 = where segment 1 starts)")
    return int(text)


def _segment_number(text: str) -> int:
    if not text.isdigit():
        raise ValueError("the segment number counts from 0, as in the index")
    return int(text)


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1e6:
        raise ValueError("a time in seconds from 0")
    return value


def _title(text: str) -> str:
    if not text or len(text) > 500:
        raise ValueError("a short text")
    return text


@cli.command("correct")
@click.argument("video", type=click.Path(path_type=str))
@click.option(
    "--corrections",
    "corrections_path",
    type=click.Path(path_type=str),
    help="The corrections file to update (default: STEM.corrections.toml beside VIDEO).",
)
@click.option("--handover", multiple=True, metavar="N=SECONDS", help="Move hand-over N.")
@click.option("--add-cut", multiple=True, type=float, metavar="SECONDS", help="Add a hard cut.")
@click.option(
    "--remove-cut", multiple=True, type=float, metavar="SECONDS", help="Remove the cut there."
)
@click.option("--track", multiple=True, metavar="N=TITLE", help="Segment N is this credited track.")
@click.option("--chapter", multiple=True, metavar="N=TITLE", help="Title segment N's chapter.")
@click.option("--clear", is_flag=True, help="Start the file afresh instead of adding to it.")
def correct_command(
    video: str,
    corrections_path: str | None,
    handover: tuple[str, ...],
    add_cut: tuple[float, ...],
    remove_cut: tuple[float, ...],
    track: tuple[str, ...],
    chapter: tuple[str, ...],
    clear: bool,
) -> None:
    """Write corrections for VIDEO that the next clipindex index applies, and keeps.

    Hand-overs count from 1 (hand-over 1 is where segment 1 starts); segments count from 0,
    as in the index. A correction that no longer matches the index is reported in its
    warnings, not applied.

    \b
    Examples:
      clipindex correct samples/training-montage.mp4 --handover 1=41.5
      clipindex correct samples/training-montage.mp4 --add-cut 12.5 --remove-cut 33.0
      clipindex correct samples/training-montage.mp4 --track 1="Hearts on Fire"
    """
    import os

    from clipindex.corrections import (
        Corrections,
        corrections_text,
        default_path,
        load_corrections,
    )
    from clipindex.files import check_output_path, write_atomically

    path = corrections_path or default_path(video)
    check_output_path(path, [video])
    corrections = Corrections()
    if os.path.exists(path) and not clear:
        corrections = load_corrections(path)
    changes = Corrections(
        handovers_s=_pairs("--handover", handover, _handover_number, _seconds),
        add_cuts_s=[_seconds(str(t)) for t in add_cut],
        remove_cuts_s=[_seconds(str(t)) for t in remove_cut],
        tracks=_pairs("--track", track, _segment_number, _title),
        chapters=_pairs("--chapter", chapter, _segment_number, _title),
    )
    if not changes and not clear:
        raise click.UsageError(
            "say what to correct: --handover, --add-cut, --remove-cut, --track or --chapter"
        )
    corrections.handovers_s.update(changes.handovers_s)
    corrections.tracks.update(changes.tracks)
    corrections.chapters.update(changes.chapters)
    for time_s in changes.add_cuts_s:
        if time_s in corrections.remove_cuts_s:
            corrections.remove_cuts_s.remove(time_s)
        elif time_s not in corrections.add_cuts_s:
            corrections.add_cuts_s.append(time_s)
    for time_s in changes.remove_cuts_s:
        if time_s in corrections.add_cuts_s:
            corrections.add_cuts_s.remove(time_s)
        elif time_s not in corrections.remove_cuts_s:
            corrections.remove_cuts_s.append(time_s)
    write_atomically(path, corrections_text(corrections))
    click.echo(f"{path}: written; clipindex index {video} applies it", err=True)
