"""``clipindex chapters``, ``mux``, ``embed`` and ``report``: what to make from an index."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from clipindex.cli.app import cli, counted
from clipindex.outputs import CHAPTER_FORMATS, DEFAULT_TEMPLATE


def _chapter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that shape the chapter list, shared by every command that writes chapters."""
    command = click.option(
        "--min-chapters",
        type=click.IntRange(min=0, max=1000),
        default=0,
        show_default=True,
        help="Split the longest chapters at their strongest cuts until there are this many "
        "(YouTube needs 3); each part lasts at least 10 s.",
    )(command)
    return click.option(
        "--template",
        default=DEFAULT_TEMPLATE,
        show_default=True,
        help="Title of a musical segment's chapter. Fields: {title}, {performers}, {composers}, "
        "{album}, {label}, {year}, {index} (the segment's number from 1).",
    )(command)


def _output_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``-o/--output``: where to write ``what``, standard output ('-') by default."""
    return click.option(
        "-o",
        "--output",
        default="-",
        show_default=True,
        type=click.Path(path_type=str),
        help=f"Where to write {what} ('-' for standard output).",
    )


def _key_moment_options(player: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--thumbnail`` and ``--upload-date``: what search engines need besides the chapters to
    show a video's key moments, and the file cannot tell. With ``player``, the picture is also
    the player's poster."""
    picture = "The address of a picture of the video, for the JSON-LD's thumbnailUrl"
    if player:
        picture += " and the HTML5 player's poster. Default with --youtube: YouTube's own"

    def add(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--thumbnail",
            "thumbnail_url",
            metavar="URL",
            callback=_web_address,
            help=picture + ".",
        )(command)
        return click.option(
            "--upload-date",
            "uploaded",
            metavar="DATE",
            callback=_upload_date,
            help="When the video was published, for the JSON-LD's uploadDate: 2024-05-01, or "
            "2024-05-01T18:30:00+02:00.",
        )(command)

    return add


def _web_address(_context: click.Context, _option: click.Parameter, value: str | None):
    """An http(s) address, or one relative to the page; never ``javascript:`` and the like."""
    from clipindex.outputs.jsonld import web_address

    try:
        return web_address(value) if value is not None else None
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _upload_date(_context: click.Context, _option: click.Parameter, value: str | None):
    from clipindex.outputs.jsonld import upload_date

    try:
        return upload_date(value) if value is not None else None
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _warn_without_key_moments(uploaded: str | None, thumbnail_url: str | None) -> None:
    """Say which options the JSON-LD lacks for search engines to show key moments."""
    missing = [
        option
        for option, value in (("--upload-date", uploaded), ("--thumbnail", thumbnail_url))
        if not value
    ]
    if missing:
        click.echo(
            "warning: search engines show a video's key moments only with its upload date and "
            f"a picture of it: give {' and '.join(missing)}",
            err=True,
        )


def _chapters(index_path: str, template: str, min_chapters: int):
    """The index at ``index_path`` and its chapter list."""
    from clipindex.index import load_index
    from clipindex.outputs import chapter_list

    index = load_index(index_path)
    return index, chapter_list(index, template=template, min_chapters=min_chapters)


@cli.command("chapters")
@click.argument("index_path", metavar="INDEX", type=click.Path(path_type=str))
@click.option(
    "-f",
    "--format",
    "format_name",
    type=click.Choice(CHAPTER_FORMATS, case_sensitive=False),
    required=True,
    help="youtube: description lines; webvtt: a chapters track; ffmetadata: for ffmpeg; "
    "podcast: Podcasting 2.0 JSON; jsonld: schema.org VideoObject with clips; csv: a spreadsheet.",
)
@_output_option("the chapters")
@click.option(
    "--url",
    callback=_web_address,
    help="The video's address (or its page's), for the clip links of jsonld: each gets "
    "t=SECONDS added (whole seconds on YouTube).",
)
@_key_moment_options(player=False)
@_chapter_options
def chapters_command(
    index_path: str,
    format_name: str,
    output: str,
    url: str | None,
    thumbnail_url: str | None,
    uploaded: str | None,
    template: str,
    min_chapters: int,
) -> None:
    """Write the chapters of INDEX: one per musical segment, titled from its credits.

    YouTube ignores a chapter list with fewer than three chapters or one shorter than 10 s, so
    such a list is refused with the rule it breaks; --min-chapters splits long chapters.

    \b
    Examples:
      clipindex chapters montage.json --format youtube --min-chapters 3
      clipindex chapters montage.json --format webvtt -o chapters.vtt
      clipindex chapters montage.json --format jsonld --url https://youtu.be/aBcDeFgHiJk \\
          --upload-date 2024-05-01 --thumbnail https://i.ytimg.com/vi/aBcDeFgHiJk/hqdefault.jpg
    """
    from clipindex.files import check_output_path, write_atomically
    from clipindex.outputs import format_chapters

    check_output_path(output, [index_path])
    _, chapters = _chapters(index_path, template, min_chapters)
    text = format_chapters(
        chapters, format_name, url=url, thumbnail_url=thumbnail_url, uploaded=uploaded
    )
    write_atomically(output, text)
    if output != "-":
        click.echo(f"{output}: {counted(len(chapters.items), 'chapter')} ({format_name})", err=True)
    if format_name == "jsonld":
        _warn_without_key_moments(uploaded, thumbnail_url)


@cli.command("mux")
@click.argument("video", type=click.Path(path_type=str))
@click.argument("index_path", metavar="INDEX", type=click.Path(path_type=str))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=str),
    help="The copy to write; its extension (.mp4, .mkv, …) chooses the container.",
)
@_chapter_options
def mux_command(video: str, index_path: str, output: str, template: str, min_chapters: int) -> None:
    """Copy VIDEO with the chapters, title and credits of INDEX written in.

    Every stream is copied as it is, never re-encoded. The copy is written under a temporary
    name and renamed when complete; it may not overwrite VIDEO or INDEX.

    \b
    Example:
      clipindex mux montage.mp4 montage.json -o montage-chapters.mp4
    """
    from clipindex.outputs.mux import check_mux_output, check_streams_fit, mux_chapters
    from clipindex.probe import probe

    check_mux_output(output, [video, index_path])
    index, chapters = _chapters(index_path, template, min_chapters)
    info = probe(video)
    check_streams_fit(info, output)
    length_s = info.duration_s
    if length_s is not None and abs(length_s - index.source.duration_s) > 0.5:
        click.echo(
            f"warning: {video} lasts {length_s:.1f} s, but the index was made from a video of "
            f"{index.source.duration_s:.1f} s: the chapters may be misplaced",
            err=True,
        )
    mux_chapters(video, chapters, output, info=info)
    click.echo(f"{output}: {counted(len(chapters.items), 'chapter')}", err=True)


@cli.command("embed")
@click.argument("index_path", metavar="INDEX", type=click.Path(path_type=str))
@click.option("--youtube", help="The YouTube video: its ID or its address.")
@click.option(
    "--src",
    callback=_web_address,
    help="The video file's address as the page will load it (relative to the page, or a full "
    "URL); the chapters go in as a WebVTT track inside the page.",
)
@click.option(
    "--url",
    callback=_web_address,
    help="The post's address, for the JSON-LD clip links (default: the video's address).",
)
@click.option("--fragment", is_flag=True, help="Write only the piece to paste into a post.")
@click.option(
    "--poster-shot",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="With --src and an index made with --thumbnails: shot N's picture is the player's "
    "poster (default: the first chapter's first shot), unless --thumbnail gives one.",
)
@_output_option("the HTML")
@_key_moment_options(player=True)
@_chapter_options
def embed_command(
    index_path: str,
    youtube: str | None,
    src: str | None,
    url: str | None,
    fragment: bool,
    poster_shot: int | None,
    output: str,
    thumbnail_url: str | None,
    uploaded: str | None,
    template: str,
    min_chapters: int,
) -> None:
    """Write the HTML for a post: the player, a chapter list that seeks it, the credits, JSON-LD.

    Give the player with either --youtube or --src. By default a standalone page; --fragment
    gives only the part to paste into a post.

    \b
    Examples:
      clipindex embed montage.json --youtube https://youtu.be/aBcDeFgHiJk \\
          --upload-date 2024-05-01 --fragment -o embed.html
      clipindex embed montage.json --src montage.mp4 --thumbnail montage.jpg -o montage.html
    """
    from clipindex.files import check_output_path, write_atomically
    from clipindex.outputs.embed import render_embed

    check_output_path(output, [index_path])
    index, chapters = _chapters(index_path, template, min_chapters)
    poster = None
    if src is not None and thumbnail_url is None:
        poster = _poster(index, Path(index_path).parent, chapters, poster_shot)
    page = render_embed(
        chapters,
        youtube=youtube,
        src=src,
        url=url,
        size=(index.source.width, index.source.height),
        fragment=fragment,
        thumbnail_url=thumbnail_url,
        uploaded=uploaded,
        poster_jpeg=poster,
    )
    write_atomically(output, page)
    if output != "-":
        player = "YouTube player" if youtube is not None else "HTML5 video"
        credited = sum(segment.track is not None for segment in chapters.segments)
        click.echo(
            f"{output}: {player}, {counted(len(chapters.items), 'chapter')}, "
            f"{counted(credited, 'credited track')}" + (" (fragment)" if fragment else ""),
            err=True,
        )
        _warn_if_not_beside(src, output)
    _warn_without_key_moments(uploaded, thumbnail_url or youtube)  # YouTube's picture by default


def _warn_if_not_beside(src: str | None, page: str) -> None:
    """Say so when the video a page loads by a relative address is not where it will look."""
    from urllib.parse import unquote, urlsplit

    if src is None or urlsplit(src).scheme or src.startswith("/"):
        return
    where = os.path.join(os.path.dirname(page), unquote(src.split("#")[0]))
    if not os.path.isfile(where):
        click.echo(
            f"warning: the page will look for the video at {where}, and there is no file there",
            err=True,
        )


def _poster(index, index_folder: Path, chapters, shot: int | None) -> bytes | None:
    """The picture of shot ``shot`` (default: the shot where the first chapter starts), from
    the index's thumbnails; None when the index has no pictures. A shot that does not exist,
    or has no picture, is an error when asked for."""
    from clipindex.errors import OutputError
    from clipindex.outputs.report import load_thumbnails

    if shot is not None and shot >= len(index.shots):
        raise OutputError(f"--poster-shot {shot}: the index has {len(index.shots)} shots")
    pictures, _ = load_thumbnails(index, index_folder)
    if shot is None:
        start_s = chapters.items[0].start_s if chapters.items else 0.0
        shot = next((s.index for s in reversed(index.shots) if s.start_s <= start_s), 0)
        return pictures.get(shot)
    if shot not in pictures:
        raise OutputError(
            f"--poster-shot {shot}: no picture of that shot beside the index "
            "(index the video with --thumbnails DIR)"
        )
    return pictures[shot]


@cli.command("report")
@click.argument("index_path", metavar="INDEX", type=click.Path(path_type=str))
@_output_option("the HTML page")
@click.option(
    "--video",
    "video",
    type=click.Path(path_type=str),
    help="The video, for a player the timeline seeks (default: the video the index was made "
    "from, when it is still there). The page links to it; it is not copied in.",
)
def report_command(index_path: str, output: str, video: str | None) -> None:
    """Write one HTML page to review INDEX with: a player, a timeline of the music, the sound,
    the cuts and the shots that seeks it, a picture of every shot, and the credits; the
    warnings first. Keys step cut by cut and hand-over by hand-over, and "Correct here" shows
    the clipindex correct command for the moment shown.

    Pictures come from `clipindex index --thumbnails DIR`.

    \b
    Example:
      clipindex index montage.mp4 --thumbnails thumbs -o montage.json
      clipindex report montage.json -o report.html --video montage.mp4
    """
    from clipindex.files import check_output_path, write_atomically
    from clipindex.index import load_index
    from clipindex.outputs.report import LEFT_OUT, load_thumbnails, render_report

    check_output_path(output, [index_path])
    index = load_index(index_path)
    thumbnails, left_out = load_thumbnails(index, Path(index_path).parent)
    for reason, count in left_out.items():
        click.echo(
            f"warning: {count} shot pictures listed in {index_path} {LEFT_OUT[reason]}", err=True
        )
    if video is not None and not os.path.isfile(video):
        click.echo(f"warning: {video}: no such file; the page's player will not find it", err=True)
    found = video or (index.source.path if os.path.isfile(index.source.path) else None)
    source = _page_address(found, output) if found else None
    write_atomically(output, render_report(index, thumbnails, video_src=source, video_path=found))
    if output != "-":
        click.echo(
            f"{output}: {counted(len(index.shots), 'shot')}, "
            f"{counted(len(thumbnails), 'picture')}, {counted(len(index.cuts), 'cut')}, "
            f"{counted(len(index.segments), 'musical segment')}, "
            + (f"a player of {found}" if found else "no player (give --video)"),
            err=True,
        )


def _page_address(path: str, page: str) -> str:
    """The address a page written at ``page`` loads the file at ``path`` by: relative to the
    page's folder when both are on this machine."""
    from urllib.parse import quote

    if page == "-":
        return quote(Path(path).as_posix())
    relative = os.path.relpath(os.path.abspath(path), os.path.dirname(os.path.abspath(page)))
    return quote(Path(relative).as_posix())
