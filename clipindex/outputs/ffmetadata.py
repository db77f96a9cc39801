"""Chapters and credits as an FFMETADATA1 file, the form ffmpeg reads chapters and tags from.

``clipindex mux`` writes it into a copy of the video; ``ffmpeg -i video -i chapters.txt
-map_chapters 1 -map_metadata 1 -map_metadata:g 0 -c copy out.mkv`` does the same by hand.
Special characters (``=``, ``;``, ``#``, ``\\`` and line breaks) are escaped with a backslash, as
ffmpeg's own writer does; a carriage return is escaped too, since ffmpeg's reader would end the
line there.
"""

from __future__ import annotations

from clipindex.outputs.chapters import Chapters, credit_line

_SPECIAL = "=;#\\\n\r"


def escape(text: str) -> str:
    """``text`` with ffmetadata's special characters escaped (and NUL, which cannot be held,
    dropped)."""
    return "".join("\\" + char if char in _SPECIAL else char for char in text if char != "\0")


def global_tags(chapters: Chapters) -> dict[str, str]:
    """The video's own tags: its title, and the performers, composers and album of its music."""
    tracks = [segment.track for segment in chapters.segments if segment.track is not None]
    performers = list(dict.fromkeys(name for track in tracks for name in track.performers))
    composers = list(dict.fromkeys(name for track in tracks for name in track.composers))
    albums = {track.album for track in tracks}
    tags = {
        "title": chapters.video_title or "",
        "artist": "; ".join(performers),
        "composer": "; ".join(composers),
        "album": (albums.pop() or "") if len(albums) == 1 else "",
        "comment": "\n".join(credit_line(track) for track in tracks),
    }
    return {key: value for key, value in tags.items() if value}


def to_ffmetadata(chapters: Chapters) -> str:
    """The FFMETADATA1 text: the video's tags, then one ``[CHAPTER]`` per chapter in ms."""
    lines = [";FFMETADATA1"]
    lines += [f"{key}={escape(value)}" for key, value in global_tags(chapters).items()]
    for chapter in chapters.items:
        lines += [
            "",
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(chapter.start_s * 1000)}",
            f"END={round(chapter.end_s * 1000)}",
            f"title={escape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"
