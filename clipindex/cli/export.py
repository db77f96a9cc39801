"""``clipindex export``: the index as a timeline an editor imports."""

from __future__ import annotations

import click

from clipindex.cli.app import cli, counted
from clipindex.cli.outputs import _chapter_options, _chapters
from clipindex.outputs.timeline import FORMATS, SUFFIXES


@cli.command("export")
@click.argument("index_path", metavar="INDEX", type=click.Path(path_type=str))
@click.option(
    "-f",
    "--format",
    "format_name",
    type=click.Choice(tuple(FORMATS), case_sensitive=False),
    required=True,
    help="otio: OpenTimelineIO; edl: CMX 3600 EDL (Resolve, Premiere, Avid); fcpxml: Final "
    "Cut Pro X (no transitions: they become markers); fcp7: Final Cut Pro 7 XML (Premiere, "
    "Resolve).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=str),
    help="The timeline file to write ('-' for standard output).",
)
@click.option(
    "--media",
    metavar="PATH",
    help="Where the editor will find the video (default: the path the index was made from).",
)
@_chapter_options
def export_command(
    index_path: str,
    format_name: str,
    output: str,
    media: str | None,
    template: str,
    min_chapters: int,
) -> None:
    """Write INDEX as a timeline for an editor: a clip per shot, gradual transitions as
    dissolves over their span, markers for the chapters and the musical segments (coloured by
    track, where the format keeps colours). Frames are counted at the video's own frame rate;
    a variable-frame-rate video is refused. Needs pip install 'clipindex[editors]'.

    \b
    Examples:
      clipindex export montage.json --format edl -o montage.edl
      clipindex export montage.json --format fcp7 -o montage.xml --media /footage/montage.mp4
    """
    from clipindex.files import check_output_path, write_atomically
    from clipindex.outputs.timeline import check_installed, timeline_text

    format_name = format_name.lower()
    check_installed(format_name)
    check_output_path(output, [index_path])
    index, chapters = _chapters(index_path, template, min_chapters)
    write_atomically(output, timeline_text(index, chapters, format_name, media))
    if output != "-":
        if not output.lower().endswith(SUFFIXES[format_name]):
            click.echo(
                f"warning: {output}: editors look for {format_name} files ending in "
                f"{SUFFIXES[format_name]}",
                err=True,
            )
        click.echo(
            f"{output}: {counted(len(index.shots), 'clip')}, "
            f"{counted(len(chapters.items), 'chapter')} ({format_name})",
            err=True,
        )
