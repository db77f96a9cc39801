"""The post embed: the player, a chapter list that seeks it, the credits of each track, JSON-LD.

Two players: YouTube (an ``<iframe>`` driven through YouTube's IFrame API, the only script loaded
from elsewhere) or an HTML5 ``<video>`` with the chapters as a WebVTT ``<track kind="chapters">``.
The track is inlined as a ``data:`` URL, so the embed is one piece of HTML with nothing to upload
beside it. Chapter links work without JavaScript too: they open YouTube, or the video file, at the
chapter (``t=`` / ``#t=``); with it, they seek the player in the page. Every piece of text from
the index or the command line is escaped.

The fragment (``<div class="clipindex-embed">``, its CSS and script inside) pastes into a post;
the standalone page wraps it in a document of its own.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

from clipindex.errors import ClipindexError
from clipindex.outputs.chapters import Chapters, decimal_seconds
from clipindex.outputs.html import asset, clock, colour, credit_rows, definition_list, text
from clipindex.outputs.jsonld import clip_url, script_text, video_object, web_address
from clipindex.outputs.webvtt import to_webvtt

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


class EmbedError(ClipindexError):
    """An embed that cannot be made as asked (no player, or a YouTube video that is not one)."""


def youtube_id(value: str) -> str:
    """The 11-character video ID in ``value``: an ID, or a YouTube address of the video."""
    value = value.strip()
    if _YOUTUBE_ID.match(value):
        return value
    parts = urlsplit(value if "//" in value else "https://" + value)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    candidates = []
    if host in ("youtube.com", "youtube-nocookie.com", "music.youtube.com"):
        candidates += parse_qs(parts.query).get("v", [])
        path = parts.path.strip("/").split("/")
        if len(path) == 2 and path[0] in ("embed", "shorts", "live", "v"):
            candidates.append(path[1])
    elif host == "youtu.be":
        candidates.append(parts.path.strip("/"))
    for candidate in candidates:
        if _YOUTUBE_ID.match(candidate):
            return candidate
    raise EmbedError(f"{value!r} is not a YouTube video ID or address (an ID has 11 characters)")


def render_embed(
    chapters: Chapters,
    *,
    youtube: str | None = None,
    src: str | None = None,
    url: str | None = None,
    size: tuple[int, int] = (16, 9),
    fragment: bool = False,
    thumbnail_url: str | None = None,
    uploaded: str | None = None,
    poster_jpeg: bytes | None = None,
) -> str:
    """The embed HTML for a YouTube video (``youtube``: ID or address) or a video file (``src``,
    its address as the page will load it).

    ``url`` is the post's own address, for the clip links of the JSON-LD (by default the video's);
    ``size`` the video's width and height, for the player's shape. ``fragment`` gives only the
    piece to paste into a post; otherwise a standalone page. ``thumbnail_url`` (a picture of the
    video: YouTube's own by default, the HTML5 player's poster) and ``uploaded`` (its upload
    date) go into the JSON-LD. ``poster_jpeg`` (a shot's picture) is the HTML5 player's poster
    when no ``thumbnail_url`` is given, inlined as a ``data:`` URL.
    """
    if (youtube is None) == (src is None):
        raise EmbedError("give either a YouTube video (--youtube) or a video file address (--src)")
    try:
        src, url, thumbnail_url = (
            None if address is None else web_address(address)
            for address in (src, url, thumbnail_url)
        )
    except ValueError as error:
        raise EmbedError(str(error)) from None
    if youtube is not None:
        video_id = youtube_id(youtube)
        watch = f"https://www.youtube.com/watch?v={video_id}"
        player = _youtube_player(video_id, chapters.video_title)
        links = [clip_url(watch, chapter.start_s) for chapter in chapters.items]
        linked_data = video_object(
            chapters,
            url or watch,
            embed_url=f"https://www.youtube.com/embed/{video_id}",
            thumbnail_url=thumbnail_url or f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg",
            uploaded=uploaded,
        )
        kind = "youtube"
    else:
        poster = thumbnail_url
        if poster is None and poster_jpeg is not None:
            poster = "data:image/jpeg;base64," + base64.b64encode(poster_jpeg).decode("ascii")
        player = _html5_player(src, chapters, size, poster)
        links = [f"{src.split('#')[0]}#t={decimal_seconds(c.start_s)}" for c in chapters.items]
        linked_data = video_object(
            chapters, url or src, content_url=src, thumbnail_url=thumbnail_url, uploaded=uploaded
        )
        kind = "html5"
    body = "\n".join(
        [
            f'<div class="clipindex-embed" data-player="{kind}">',
            f"<style>\n{asset('embed.css')}</style>",
            player,
            _chapter_bar(chapters, links),
            _chapter_list(chapters, links),
            _credits(chapters),
            f'<script type="application/ld+json">\n{script_text(linked_data)}\n</script>',
            f"<script>\n{asset('embed.js')}</script>",
            '<script src="https://www.youtube.com/iframe_api" async></script>'
            if kind == "youtube"
            else "",
            "</div>",
        ]
    )
    return body + "\n" if fragment else _page(chapters.video_title, body)


def _youtube_player(video_id: str, title: str | None) -> str:
    source = f"https://www.youtube-nocookie.com/embed/{video_id}?enablejsapi=1&rel=0"
    return (
        '<figure class="clipindex-player">'
        f'<iframe src="{text(source)}" title="{text(title or "YouTube video")}" '
        'style="aspect-ratio: 16 / 9" allow="accelerometer; autoplay; clipboard-write; '
        'encrypted-media; gyroscope; picture-in-picture; web-share" '
        'referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe></figure>'
    )


def _html5_player(src: str, chapters: Chapters, size: tuple[int, int], poster: str | None) -> str:
    track = base64.b64encode(to_webvtt(chapters).encode("utf-8")).decode("ascii")
    width, height = size
    poster_attribute = f'poster="{text(poster)}" ' if poster else ""
    return (
        '<figure class="clipindex-player">'
        f'<video controls preload="metadata" playsinline src="{text(src)}" {poster_attribute}'
        f'style="aspect-ratio: {width} / {height}">'
        '<track kind="chapters" label="Chapters" srclang="en" default '
        f'src="data:text/vtt;charset=utf-8;base64,{track}">'
        f'<a href="{text(src)}">Download the video</a></video></figure>'
    )


def _chapter_bar(chapters: Chapters, links: list[str]) -> str:
    """The chapters as a bar under the player, each as long as it lasts, in its track's colour."""
    parts = [
        f'<a href="{text(link)}" data-start="{decimal_seconds(chapter.start_s)}" '
        f'title="{text(clock(chapter.start_s))} {text(chapter.title)}" '
        f'style="flex-grow: {max(chapter.duration_s, 0.001):.3f}; '
        f'background: {colour(chapter.segment)}"><span>{text(chapter.title)}</span></a>'
        for chapter, link in zip(chapters.items, links, strict=True)
    ]
    return f'<div class="clipindex-bar" aria-hidden="true">{"".join(parts)}</div>'


def _chapter_list(chapters: Chapters, links: list[str]) -> str:
    items = [
        f'<li><a href="{text(link)}" data-start="{decimal_seconds(chapter.start_s)}" '
        f'style="--clipindex-chapter: {colour(chapter.segment)}">'
        f'<time datetime="PT{decimal_seconds(chapter.start_s)}S">{clock(chapter.start_s)}</time> '
        f"<span>{text(chapter.title)}</span></a></li>"
        for chapter, link in zip(chapters.items, links, strict=True)
    ]
    return (
        '<nav class="clipindex-chapters" aria-label="Chapters"><h2>Chapters</h2><ol>\n'
        + "\n".join(items)
        + "\n</ol></nav>"
    )


def _credits(chapters: Chapters) -> str:
    """One block per credited track: who plays it, who wrote it, where it is from, when it plays."""
    blocks = []
    for segment in chapters.segments:
        track = segment.track
        if track is None:
            continue
        details = definition_list(credit_rows(track))
        blocks.append(
            f'<article class="clipindex-track" style="--clipindex-track: {colour(segment.index)}">'
            f"<h3>{text(track.title)}</h3>"
            f'<p class="clipindex-when">Plays {clock(segment.start_s)}–{clock(segment.end_s)}</p>'
            f"<dl>{details}</dl></article>"
        )
    if not blocks:
        return ""
    return (
        '<section class="clipindex-credits" aria-label="Music"><h2>Music</h2>'
        '<div class="clipindex-tracks">\n' + "\n".join(blocks) + "\n</div></section>"
    )


def _page(title: str | None, body: str) -> str:
    heading = text(title or "Video")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  padding: 1.5rem 1rem 3rem; color: #1f2937; background: #fafaf9; }}
h1 {{ max-width: 52rem; margin: 0 auto; font-size: 1.6rem; }}
</style>
</head>
<body>
<h1>{heading}</h1>
{body}
</body>
</html>
"""
