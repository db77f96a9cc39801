"""Chapters as Podcasting 2.0 JSON chapters (``podcast:chapters``, version 1.2.0).

Podcast apps read ``chapters[].startTime``, ``title`` and ``endTime`` (seconds); the video's title
is the episode's ``title``.
"""

from __future__ import annotations

import json

from clipindex.outputs.chapters import Chapters

VERSION = "1.2.0"


def to_podcast(chapters: Chapters) -> str:
    """The JSON chapters document, as text."""
    document: dict[str, object] = {"version": VERSION}
    if chapters.video_title:
        document["title"] = chapters.video_title
    document["chapters"] = [
        {
            "startTime": round(chapter.start_s, 3),
            "title": chapter.title,
            "endTime": round(chapter.end_s, 3),
        }
        for chapter in chapters.items
    ]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
