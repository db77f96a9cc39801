"""A copy of the video with the chapters, title and credits written in, streams untouched.

ffmpeg copies every stream as it is (``-map 0 -c copy``: nothing is re-encoded, so nothing is lost
and it takes seconds; a Matroska or WebM copy leaves out data streams, which it cannot hold, and
cover pictures, which ffmpeg would write into it as a second video stream), and
takes the chapters and tags from an FFMETADATA1 file made from the chapter list. The index's title
and credits are written over the video's own tags of the same names, and its other tags are kept;
the chapters replace any it had. The copy is written beside the target under a temporary name that
keeps the target's extension (ffmpeg picks the container from it), then renamed into place, so a
failure leaves no half-written file. The input is only read, and an output that would overwrite it
is refused first, as is a container that cannot hold chapters (AVI) or the video's streams as
they are (WebM holds only VP8, VP9 or AV1 with Vorbis or Opus).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import ffmpeg as ffmpeg_python

from clipindex import ffmpeg
from clipindex.errors import MediaError, OutputError, WriteError
from clipindex.files import STDOUT, StagedOutputs, check_output_path
from clipindex.outputs.chapters import Chapters
from clipindex.outputs.ffmetadata import to_ffmetadata
from clipindex.probe import MediaInfo, probe

CHAPTER_CONTAINERS = (".mp4", ".m4v", ".mov", ".mkv", ".webm")
"""Extensions of the containers a chaptered copy can be: those whose chapters players read."""

_MATROSKA = (".mkv", ".webm")
"""Extensions of Matroska files, which hold no data streams (timecodes, telemetry, an MP4's
chapter track)."""

_WEBM_VIDEO = ("vp8", "vp9", "av1")
_WEBM_AUDIO = ("vorbis", "opus")


def check_mux_output(
    output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]
) -> None:
    """Refuse, before any work, an output that is not a video file name or would overwrite an
    input."""
    if os.fspath(output) == STDOUT:
        raise OutputError("mux writes a video file: give its name with -o, such as out.mp4")
    check_output_path(output, inputs)
    suffix = Path(output).suffix.lower()
    if not suffix:
        raise OutputError(
            f"{output}: give the output an extension, such as .mp4 or .mkv, to choose its format"
        )
    if suffix not in CHAPTER_CONTAINERS:
        raise OutputError(
            f"{output}: a {suffix} file cannot hold chapters; give the copy one of the "
            f"extensions {', '.join(CHAPTER_CONTAINERS)}"
        )


def check_streams_fit(info: MediaInfo, output: str | os.PathLike[str]) -> None:
    """Refuse, before any work, a container that cannot hold the video's streams as they are
    (mux copies them, never re-encodes)."""
    if Path(output).suffix.lower() != ".webm":
        return
    video = info.video.codec if info.video is not None else None
    audio = [stream.codec for stream in info.audio]
    if (video is not None and video not in _WEBM_VIDEO) or any(
        codec not in _WEBM_AUDIO for codec in audio
    ):
        held = ", ".join(([video] if video else []) + audio)
        raise OutputError(
            f"{output}: WebM holds only VP8, VP9 or AV1 video with Vorbis or Opus sound, and "
            f"{info.path} is {held} (streams are copied, never re-encoded): write .mkv instead"
        )


def mux_chapters(
    video: str | os.PathLike[str],
    chapters: Chapters,
    output: str | os.PathLike[str],
    *,
    info: MediaInfo | None = None,
) -> None:
    """Write ``output``: ``video`` with ``chapters`` and the credits as its chapters and tags.
    ``info`` is what :func:`~clipindex.probe.probe` says of ``video``, if the caller has it.

    >>> mux_chapters("montage.mp4", chapter_list(index), "montage-chapters.mp4")  # doctest: +SKIP
    """
    check_mux_output(output, [video])
    check_streams_fit(info if info is not None else probe(video), output)
    suffix = Path(output).suffix
    with StagedOutputs() as outputs:
        temporary = outputs.path(output, suffix=suffix)
        with tempfile.TemporaryDirectory(prefix="clipindex-") as folder:
            metadata = Path(folder) / "chapters.ffmetadata"
            metadata.write_text(to_ffmetadata(chapters), encoding="utf-8")
            source = ffmpeg_python.input(ffmpeg.input_url(video))
            tags = ffmpeg_python.input(ffmpeg.input_url(metadata), f="ffmetadata")
            # The metadata input has no streams: "1:?" maps none of them, but lists the input.
            # Global tags are copied from our file, then from the video's, in that order (the
            # options are written sorted); ffmpeg never overwrites a tag already copied.
            stream = ffmpeg_python.output(
                *_streams_of(source, suffix),
                tags["?"],
                ffmpeg.input_url(temporary),
                c="copy",
                map_chapters=1,
                map_metadata=1,
                **{"map_metadata:g": 0},
            ).overwrite_output()
            what = f"{output}: cannot write the chaptered copy of {video}"
            try:
                ffmpeg.run(ffmpeg.compile_args(stream), what=what)
            except MediaError as error:
                if "No space left on device" in str(error):
                    raise WriteError(f"{output}: cannot write (No space left on device)") from None
                raise


def _streams_of(source: ffmpeg_python.nodes.InputNode, suffix: str) -> list:
    """Every stream of ``source`` (``-map 0``); for Matroska, every one it can hold, but cover
    pictures (``V``: video that is not an attached picture)."""
    if suffix.lower() in _MATROSKA:
        return [source["V"], source["a?"], source["s?"], source["t?"]]
    return [source]
