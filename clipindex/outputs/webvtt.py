"""Chapters as a WebVTT chapters track, for ``<track kind="chapters">`` beside an HTML5 video.

Each chapter is one cue with a unique id (``chapter-1``…); each cue ends where the next starts.
``&``, ``<`` and ``>`` in titles are written as character references, so a title can never be
read as markup or as a cue timing arrow (``-->``).
"""

from __future__ import annotations

from clipindex.outputs.chapters import Chapters

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def cue_time(time_s: float) -> str:
    """A WebVTT timestamp, ``hh:mm:ss.ttt``."""
    total_ms = round(time_s * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}"


def to_webvtt(chapters: Chapters) -> str:
    """The WebVTT text of the chapters track."""
    blocks = ["WEBVTT"]
    for number, chapter in enumerate(chapters.items, start=1):
        blocks.append(
            f"chapter-{number}\n{cue_time(chapter.start_s)} --> {cue_time(chapter.end_s)}\n"
            + chapter.title.translate(_ESCAPES)
        )
    return "\n\n".join(blocks) + "\n"
