"""What the HTML outputs (the post embed and the report) share: escaping, track colours, times,
and the CSS and JavaScript files shipped in ``assets/``."""

from __future__ import annotations

import html
from importlib import resources

from clipindex.index import TrackCredit
from clipindex.outputs.chapters import whole_second

TRACK_COLOURS = ("#c2410c", "#1d4ed8", "#047857", "#a21caf", "#b45309", "#0e7490", "#be123c")
"""One colour per musical segment, in playing order (dark enough for white text on them)."""

NO_MUSIC_COLOUR = "#9ca3af"


def text(value: object) -> str:
    """``value`` as HTML text or attribute value: ``&``, ``<``, ``>`` and quotes escaped."""
    return html.escape(str(value), quote=True)


def colour(segment_index: int | None) -> str:
    """The colour of a musical segment (grey for no music)."""
    if segment_index is None:
        return NO_MUSIC_COLOUR
    return TRACK_COLOURS[segment_index % len(TRACK_COLOURS)]


def clock(time_s: float, decimals: int = 0) -> str:
    """A time for people: ``1:05`` (``1:02:05`` from an hour on), or ``1:05.250`` with
    ``decimals``; a time before the start (in a hand-edited index) is ``-0:03``."""
    if time_s < 0:
        return "-" + clock(-time_s, decimals)
    if decimals:
        whole, fraction = divmod(round(time_s * 10**decimals), 10**decimals)
        suffix = f".{fraction:0{decimals}d}"
    else:
        whole, suffix = whole_second(time_s), ""
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}{suffix}"
    return f"{minutes}:{seconds:02d}{suffix}"


def asset(name: str) -> str:
    """The text of a file shipped in ``clipindex/outputs/assets``."""
    return resources.files("clipindex.outputs").joinpath("assets", name).read_text("utf-8")


def credit_rows(track: TrackCredit | None) -> list[tuple[str, str | None]]:
    """A track's credits as (label, value) rows, in the order a reader looks for them."""
    if track is None:
        return []
    return [
        ("Performed by", ", ".join(track.performers)),
        ("Written by", ", ".join(track.composers)),
        ("Album", track.album),
        ("Label", track.label),
        ("Released", track.release_date),
        ("ISRC", track.isrc),
    ]


def definition_list(rows: list[tuple[str, str | None]]) -> str:
    """The ``<dt>``/``<dd>`` pairs of a ``<dl>`` for the rows that have a value, escaped."""
    return "".join(f"<dt>{label}</dt><dd>{text(value)}</dd>" for label, value in rows if value)
