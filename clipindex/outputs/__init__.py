"""What clipindex makes from an index: chapters in many formats, a chaptered copy of the video,
the post embed, the report page, and the shot thumbnails written while indexing.

Every chapter format is written from one chapter list (:func:`chapter_list`), so a YouTube
description, a WebVTT track and the chapters muxed into the video always agree.

>>> chapters = chapter_list(load_index("montage.json"), min_chapters=3)  # doctest: +SKIP
>>> print(format_chapters(chapters, "youtube"))                          # doctest: +SKIP
0:00 Training Montage — Vince DiCola
0:12 Training Montage — Vince DiCola (part 2)
0:42 Hearts on Fire — John Cafferty
"""

from __future__ import annotations

from clipindex.outputs import ffmetadata, jsonld, podcast, spreadsheet, webvtt, youtube
from clipindex.outputs.chapters import (
    DEFAULT_TEMPLATE,
    Chapter,
    ChapterError,
    Chapters,
    chapter_list,
)

CHAPTER_FORMATS = ("youtube", "webvtt", "ffmetadata", "podcast", "jsonld", "csv")
"""The names ``clipindex chapters --format`` takes."""


def format_chapters(
    chapters: Chapters,
    format_name: str,
    *,
    url: str | None = None,
    thumbnail_url: str | None = None,
    uploaded: str | None = None,
) -> str:
    """The chapters as text in ``format_name`` (one of :data:`CHAPTER_FORMATS`).

    ``url`` is the address of the video or its page; JSON-LD needs it for the clips' links, and
    takes the video's picture (``thumbnail_url``) and upload date (``uploaded``) if given.
    """
    if format_name == "jsonld":
        if not url:
            raise ChapterError("JSON-LD needs the video's address: give it with --url")
        return jsonld.to_jsonld(chapters, url, thumbnail_url=thumbnail_url, uploaded=uploaded)
    writers = {
        "youtube": youtube.to_youtube,
        "webvtt": webvtt.to_webvtt,
        "ffmetadata": ffmetadata.to_ffmetadata,
        "podcast": podcast.to_podcast,
        "csv": spreadsheet.to_csv,
    }
    if format_name not in writers:
        raise ChapterError(
            f"unknown chapter format {format_name!r} (one of {', '.join(CHAPTER_FORMATS)})"
        )
    return writers[format_name](chapters)


__all__ = [
    "CHAPTER_FORMATS",
    "DEFAULT_TEMPLATE",
    "Chapter",
    "ChapterError",
    "Chapters",
    "chapter_list",
    "format_chapters",
]
