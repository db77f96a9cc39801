"""A copy of the video with the chapters, title and credits written in, streams untouched.

ffmpeg copies every stream as it is (``-map 0 -c copy``: nothing is re-encoded, so nothing is lost
and it takes seconds; a Matroska or WebM copy leaves out data streams, which it cannot hold, and
cover pictures, which ffmpeg would write into it as a second video stream), and
takes the chapters and tags from an FFMETADATA1 file made from the chapter list. The index's title
and credits are written over the video's own tags of the same names, and its other tags are kept;
the chapters replace any it had. The copy is written beside the target under a temporary name that
keeps the target's extension (ffmpeg picks the container from it), then renamed into place, so a
failure leaves no half-written file. The input is only read, and an output that would overwrite it
is refused first.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import ffmpeg as ffmpeg_python

from clipindex import ffmpeg
from clipindex.errors import OutputError
from clipindex.files import STDOUT, check_output_path
from clipindex.outputs.chapters import Chapters
from clipindex.outputs.ffmetadata import to_ffmetadata

_MATROSKA = (".mkv", ".mka", ".mk3d", ".webm")
"""Extensions of Matroska files, which hold no data streams (timecodes, telemetry, an MP4's
chapter track)."""


def check_mux_output(
    output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]
) -> None:
    """Refuse, before any work, an output that is not a video file name or would overwrite an
    input."""
    if os.fspath(output) == STDOUT:
        raise OutputError("mux writes a video file: give its name with -o, such as out.mp4")
    check_output_path(output, inputs)
    if not Path(output).suffix:
        raise OutputError(
            f"{output}: give the output an extension, such as .mp4 or .mkv, to choose its format"
        )


def mux_chapters(
    video: str | os.PathLike[str], chapters: Chapters, output: str | os.PathLike[str]
) -> None:
    """Write ``output``: ``video`` with ``chapters`` and the credits as its chapters and tags.

    >>> mux_chapters("montage.mp4", chapter_list(index), "montage-chapters.mp4")  # doctest: +SKIP
    """
    check_mux_output(output, [video])
    target = Path(output)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent
    )
    os.close(descriptor)
    try:
        with tempfile.TemporaryDirectory(prefix="clipindex-") as folder:
            metadata = Path(folder) / "chapters.ffmetadata"
            metadata.write_text(to_ffmetadata(chapters), encoding="utf-8")
            source = ffmpeg_python.input(ffmpeg.input_url(video))
            tags = ffmpeg_python.input(ffmpeg.input_url(metadata), f="ffmetadata")
            # The metadata input has no streams: "1:?" maps none of them, but lists the input.
            # Global tags are copied from our file, then from the video's, in that order (the
            # options are written sorted); ffmpeg never overwrites a tag already copied.
            stream = ffmpeg_python.output(
                *_streams_of(source, target.suffix),
                tags["?"],
                ffmpeg.input_url(temporary),
                c="copy",
                map_chapters=1,
                map_metadata=1,
                **{"map_metadata:g": 0},
            ).overwrite_output()
            ffmpeg.run(
                ffmpeg.compile_args(stream), what=f"{video}: cannot write the chaptered copy"
            )
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _streams_of(source: ffmpeg_python.nodes.InputNode, suffix: str) -> list:
    """Every stream of ``source`` (``-map 0``); for Matroska, every one it can hold, but cover
    pictures (``V``: video that is not an attached picture)."""
    if suffix.lower() in _MATROSKA:
        return [source["V"], source["a?"], source["s?"], source["t?"]]
    return [source]
