"""Chapters as CSV for spreadsheets: one row per chapter with its times and its track's credits.

Times are given both as seconds (for sums) and as ``h:mm:ss.ttt`` (for reading). The text starts
with a byte-order mark so that Excel, too, opens it as UTF-8; names are joined with ``; ``.
A text cell that a spreadsheet would take for a formula (one starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) gets a leading apostrophe, as OWASP advises against CSV
injection: a credit such as ``=HYPERLINK(...)`` is shown, never run.
"""

from __future__ import annotations

import csv
import io

from clipindex.outputs.chapters import Chapters
from clipindex.outputs.webvtt import cue_time

COLUMNS = (
    "chapter",
    "start",
    "end",
    "start_s",
    "end_s",
    "duration_s",
    "title",
    "track",
    "performers",
    "composers",
    "album",
    "label",
    "release_date",
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula at the head of a cell."""


def to_csv(chapters: Chapters) -> str:
    """The CSV text, a header row first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for number, chapter in enumerate(chapters.items, start=1):
        track = chapter.track
        texts = [
            chapter.title,
            track.title if track else "",
            "; ".join(track.performers) if track else "",
            "; ".join(track.composers) if track else "",
            (track.album or "") if track else "",
            (track.label or "") if track else "",
            (track.release_date or "") if track else "",
        ]
        writer.writerow(
            [
                number,
                cue_time(chapter.start_s),
                cue_time(chapter.end_s),
                f"{chapter.start_s:.3f}",
                f"{chapter.end_s:.3f}",
                f"{chapter.duration_s:.3f}",
                *map(_as_text, texts),
            ]
        )
    return "\ufeff" + buffer.getvalue()


def _as_text(value: str) -> str:
    """The cell for a piece of text: never something a spreadsheet would run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
