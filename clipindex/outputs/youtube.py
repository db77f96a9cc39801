"""Chapters as YouTube description lines: ``m:ss Title`` (``h:mm:ss`` past an hour).

YouTube shows chapters only when the first starts at 0:00, they ascend, there are at least three,
and each lasts at least 10 s; otherwise it silently ignores the whole list. So a list that breaks
a rule is refused here, naming the rule, rather than written. Times are whole seconds, rounded to
the nearest. YouTube refuses ``<`` and ``>`` in a description, so they become ``‹`` and ``›``.
"""

from __future__ import annotations

from clipindex.outputs.chapters import (
    MIN_LENGTH_S,
    ChapterError,
    Chapters,
    shown_length_s,
    whole_second,
)

MIN_CHAPTERS = 3
"""Fewest chapters YouTube shows."""

_FORBIDDEN = str.maketrans({"<": "‹", ">": "›"})


def timestamp(time_s: float) -> str:
    """A YouTube timestamp: ``m:ss`` under an hour, ``h:mm:ss`` from an hour on."""
    total = whole_second(time_s)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


def to_youtube(chapters: Chapters) -> str:
    """The description lines, one chapter per line; :class:`ChapterError` if YouTube would
    ignore them."""
    items = chapters.items
    if len(items) < MIN_CHAPTERS:
        raise ChapterError(
            f"YouTube shows chapters only if there are at least three; this video has "
            f"{len(items)} (ask for more with --min-chapters 3, which splits the longest "
            "at its strongest cut)"
        )
    for chapter in items:
        length = shown_length_s(chapter.start_s, chapter.end_s, chapters.duration_s)
        if length < MIN_LENGTH_S:
            raise ChapterError(
                f"YouTube shows chapters only if each lasts at least {MIN_LENGTH_S:g} s; "
                f"{chapter.title!r} at {timestamp(chapter.start_s)} lasts {length:g} s"
            )
    lines = [f"{timestamp(c.start_s)} {c.title.translate(_FORBIDDEN)}" for c in items]
    return "\n".join(lines) + "\n"
