"""Chapters and credits as schema.org JSON-LD: a ``VideoObject`` whose parts are ``Clip``s.

Search engines show such clips as "key moments". Each clip has its name, ``startOffset`` and
``endOffset`` in seconds, and a ``url`` that opens the video at that moment (the address given,
with ``t=SECONDS`` in its query: whole seconds for YouTube). Each track is a ``MusicRecording``
(``byArtist``, ``recordingOf`` a ``MusicComposition`` with its composers, ``inAlbum``); its
record label sits on the album's release (``MusicRelease.recordLabel``), the one place schema.org
defines it. A clip points to the recording that plays in it (``audio``).

Google shows key moments only for a video whose ``uploadDate`` and ``thumbnailUrl`` are given;
neither is in the video file, so both come from the user.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from clipindex.index import Segment
from clipindex.outputs.chapters import (
    Chapter,
    ChapterError,
    Chapters,
    credit_line,
    decimal_seconds,
    whole_second,
)

_YOUTUBE_HOSTS = ("youtube.com", "youtu.be", "youtube-nocookie.com")


def is_youtube(url: str) -> bool:
    """Whether ``url`` is on YouTube, whose time parameter takes whole seconds only."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == name or host.endswith("." + name) for name in _YOUTUBE_HOSTS)


def clip_url(url: str, start_s: float) -> str:
    """``url`` with its ``t`` query parameter set to ``start_s``."""
    parts = urlsplit(url)
    if is_youtube(url):
        seconds = str(whole_second(start_s))
    else:
        seconds = decimal_seconds(start_s)
    query = [pair for pair in parse_qsl(parts.query, keep_blank_values=True) if pair[0] != "t"]
    query.append(("t", seconds))
    return urlunsplit(parts._replace(query=urlencode(query)))


def iso_duration(seconds: float) -> str:
    """An ISO 8601 duration such as ``PT1M15S``."""
    total_ms = round(seconds * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"


def upload_date(value: str) -> str:
    """An ISO 8601 date (``2024-05-01``) or date and time (``2024-05-01T18:30:00+02:00``, ``Z``
    for UTC) as ``uploadDate`` takes it; :class:`ValueError` for anything else."""
    text = value.strip()
    try:
        if "T" not in text:
            return dt.date.fromisoformat(text).isoformat()
        when = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
        return dt.datetime.fromisoformat(when).isoformat()
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date like 2024-05-01 or 2024-05-01T18:30:00+02:00"
        ) from None


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def web_address(value: str) -> str:
    """``value`` as an address a page may link to or load: ``http``, ``https``, or relative to
    the page (``montage.mp4``, ``/videos/montage.mp4``, ``//cdn.example/montage.mp4``), without
    white space at either end. :class:`ValueError` for anything else, such as ``javascript:``
    or ``data:``, however it is spelled: a browser drops tabs and line breaks from an address
    and ignores the case of its scheme, so those are refused too."""
    text = value.strip(" \t\n\r\f")
    if not text:
        raise ValueError("an address cannot be empty")
    if _CONTROL.search(text):
        raise ValueError(f"{value!r} holds a control character (a tab, a line break)")
    scheme = _SCHEME.match(text)
    if scheme is not None and scheme[1].lower() not in ("http", "https"):
        raise ValueError(
            f"{value!r} is a {scheme[1]}: address; give an http or https address, or one "
            "relative to the page"
        )
    return text


def video_object(
    chapters: Chapters,
    url: str,
    *,
    embed_url: str | None = None,
    content_url: str | None = None,
    thumbnail_url: str | None = None,
    uploaded: str | None = None,
) -> dict[str, Any]:
    """The ``VideoObject`` as a dict; ``url`` is the video's (or its page's) address,
    ``uploaded`` when it was published (see :func:`upload_date`)."""
    try:
        url, embed_url, content_url, thumbnail_url = (
            None if address is None else web_address(address)
            for address in (url, embed_url, content_url, thumbnail_url)
        )
    except ValueError as error:
        raise ChapterError(str(error)) from None
    base = urlunsplit(urlsplit(url)._replace(fragment=""))
    recordings = {
        segment.index: _recording(segment, f"{base}#track-{segment.index + 1}")
        for segment in chapters.segments
        if segment.track is not None
    }
    video: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": chapters.video_title or "Video",
        "url": url,
        "duration": iso_duration(chapters.duration_s),
    }
    optional = {
        "uploadDate": uploaded,
        "thumbnailUrl": thumbnail_url,
        "embedUrl": embed_url,
        "contentUrl": content_url,
    }
    video.update({key: value for key, value in optional.items() if value})
    lines = [credit_line(s.track) for s in chapters.segments if s.track is not None]
    if lines:
        video["description"] = "Music: " + "; ".join(lines)
    video["hasPart"] = [_clip(chapter, url, recordings) for chapter in chapters.items]
    if recordings:
        video["audio"] = list(recordings.values())
    return video


def to_jsonld(
    chapters: Chapters, url: str, *, thumbnail_url: str | None = None, uploaded: str | None = None
) -> str:
    """The JSON-LD document, as text."""
    video = video_object(chapters, url, thumbnail_url=thumbnail_url, uploaded=uploaded)
    return json.dumps(video, indent=2, ensure_ascii=False) + "\n"


def script_text(document: dict[str, Any]) -> str:
    """JSON for a ``<script type="application/ld+json">`` element: ``<``, ``>`` and ``&`` are
    written as ``\\u`` escapes, so no title can close the script early."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _clip(chapter: Chapter, url: str, recordings: dict[int, dict[str, Any]]) -> dict[str, Any]:
    clip: dict[str, Any] = {
        "@type": "Clip",
        "name": chapter.title,
        "startOffset": round(chapter.start_s, 3),
        "endOffset": round(chapter.end_s, 3),
        "url": clip_url(url, chapter.start_s),
    }
    if chapter.segment in recordings:
        clip["audio"] = {"@id": recordings[chapter.segment]["@id"]}
    return clip


def _recording(segment: Segment, identifier: str) -> dict[str, Any]:
    track = segment.track
    recording: dict[str, Any] = {"@type": "MusicRecording", "@id": identifier, "name": track.title}
    if track.performers:
        recording["byArtist"] = [{"@type": "MusicGroup", "name": n} for n in track.performers]
    composition: dict[str, Any] = {"@type": "MusicComposition", "name": track.title}
    if track.composers:
        composition["composer"] = [{"@type": "Person", "name": n} for n in track.composers]
    recording["recordingOf"] = composition
    if track.album or track.label:
        album: dict[str, Any] = {"@type": "MusicAlbum"}
        if track.album:
            album["name"] = track.album
        if track.label:
            album["albumRelease"] = {
                "@type": "MusicRelease",
                "recordLabel": {"@type": "Organization", "name": track.label},
            }
        recording["inAlbum"] = album
    if track.release_date:
        recording["datePublished"] = track.release_date
    if track.isrc:
        recording["isrcCode"] = track.isrc
    if track.musicbrainz_recording_id:
        recording["sameAs"] = f"https://musicbrainz.org/recording/{track.musicbrainz_recording_id}"
    return recording
