"""Probe a media file: container, duration, and the video and audio streams it holds.

The imageio-ffmpeg wheel ships ffmpeg without ffprobe, so the facts come from ffmpeg's own input
description. Frame timing is not trusted from here: the decoder measures real presentation times.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from clipindex import ffmpeg
from clipindex.errors import MediaError


@dataclass(frozen=True)
class VideoStreamInfo:
    """The first real video stream (cover art is not one)."""

    index: int
    codec: str
    width: int
    height: int
    pix_fmt: str
    nominal_fps: float | None
    rotation_deg: float = 0.0
    interlaced: bool = False


@dataclass(frozen=True)
class AudioStreamInfo:
    """One audio stream; ``audio_index`` is its number among the audio streams (``0:a:N``)."""

    index: int
    audio_index: int
    codec: str
    sample_rate: int | None
    channels: str
    language: str | None
    default: bool


@dataclass(frozen=True)
class MediaInfo:
    """What a file holds, as far as can be known without decoding it."""

    path: str
    size_bytes: int
    container: str
    duration_s: float | None
    start_s: float
    video: VideoStreamInfo | None
    audio: list[AudioStreamInfo] = field(default_factory=list)

    @property
    def default_audio(self) -> AudioStreamInfo | None:
        """The audio stream a player would pick: the one marked default, else the first."""
        for stream in self.audio:
            if stream.default:
                return stream
        return self.audio[0] if self.audio else None


_STREAM = re.compile(
    r"^\s*Stream #0:(?P<index>\d+)(?:\[[^\]]*\])?(?:\((?P<lang>[^)]*)\))?: "
    r"(?P<kind>Video|Audio|Subtitle|Data|Attachment): (?P<rest>.*)$"
)
_INPUT = re.compile(r"^Input #0, (?P<container>[^,]+(?:,[^ ]+)*), from ")
_DURATION = re.compile(r"Duration: (?:(?P<h>\d+):(?P<m>\d+):(?P<s>\d+(?:\.\d+)?)|N/A)")
_START = re.compile(r"start: (?P<start>-?\d+(?:\.\d+)?)")
_ROTATION = re.compile(r"rotation of (?P<deg>-?\d+(?:\.\d+)?) degrees", re.IGNORECASE)
_SIZE = re.compile(r"\b(?P<w>\d{1,5})x(?P<h>\d{1,5})\b")
_RATE = re.compile(r"(?P<value>\d+(?:\.\d+)?)(?P<k>k?) (?P<unit>fps|tbr)\b")
_HZ = re.compile(r"(?P<hz>\d+) Hz")


def _top_level_fields(text: str) -> list[str]:
    """Split ffmpeg's stream description on commas that are not inside parentheses."""
    fields, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    fields.append("".join(current).strip())
    return fields


def _rate(rest: str, unit: str) -> float | None:
    for match in _RATE.finditer(rest):
        if match["unit"] == unit:
            return float(match["value"]) * (1000 if match["k"] else 1)
    return None


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Describe the media file at ``path``; raise :class:`MediaError` if ffmpeg cannot open it.

    >>> info = probe("samples/training-montage.mp4")  # doctest: +SKIP
    >>> info.video.width, info.default_audio.codec      # doctest: +SKIP
    (640, 'aac')
    """
    path = os.fspath(path)
    size = check_readable_file(path)
    return read_description(path, size, ffmpeg.describe_input(path))


def check_readable_file(path: str) -> int:
    """The size of the file at ``path``; raise :class:`MediaError` if it cannot be a video."""
    if not os.path.exists(path):
        raise MediaError(f"{path}: no such file")
    if os.path.isdir(path):
        raise MediaError(f"{path}: is a folder, not a video file")
    if not os.access(path, os.R_OK):
        raise MediaError(f"{path}: not readable (permission denied)")
    size = os.path.getsize(path)
    if size == 0:
        raise MediaError(f"{path}: the file is empty")
    return size


def read_description(path: str, size_bytes: int, report: str) -> MediaInfo:
    """The facts in ffmpeg's description of its input: what ``ffmpeg -i`` prints, or what any
    ffmpeg run at log level ``info`` prints before ``Stream mapping:``. Raise
    :class:`MediaError` in the user's terms if ffmpeg could not open the file.
    """
    lines = report.splitlines()
    container = next((m["container"] for m in map(_INPUT.match, lines) if m), None)
    if container is None:
        if "moov atom not found" in report and not _looks_like_mp4(path):
            raise MediaError(f"{path}: not a media file (not MP4 inside, whatever its name)")
        raise MediaError(f"{path}: {ffmpeg.explain(report)}")

    duration_s: float | None = None
    start_s = 0.0
    video: VideoStreamInfo | None = None
    audio: list[AudioStreamInfo] = []
    current_kind = None
    for line in lines:
        if duration := _DURATION.search(line):
            if duration["h"] is not None:
                duration_s = (
                    int(duration["h"]) * 3600 + int(duration["m"]) * 60 + float(duration["s"])
                )
            if start := _START.search(line):
                start_s = float(start["start"])
            continue
        stream = _STREAM.match(line)
        if stream is None:
            rotation = _ROTATION.search(line)
            if rotation and current_kind == "video" and video is not None:
                video = _with_rotation(video, float(rotation["deg"]))
            continue
        rest = stream["rest"]
        fields = _top_level_fields(rest)
        current_kind = None
        if stream["kind"] == "Video" and "(attached pic)" not in rest and video is None:
            size_match = _SIZE.search(rest)
            pix_fmt = fields[1] if len(fields) > 1 else ""
            video = VideoStreamInfo(
                index=int(stream["index"]),
                codec=fields[0].split()[0],
                width=int(size_match["w"]) if size_match else 0,
                height=int(size_match["h"]) if size_match else 0,
                pix_fmt=pix_fmt.split("(")[0].strip(),
                nominal_fps=_rate(rest, "fps") or _rate(rest, "tbr"),
                interlaced=any(
                    word in pix_fmt for word in ("top first", "bottom first", "top coded")
                ),
            )
            current_kind = "video"
        elif stream["kind"] == "Audio":
            hz = _HZ.search(rest)
            audio.append(
                AudioStreamInfo(
                    index=int(stream["index"]),
                    audio_index=len(audio),
                    codec=fields[0].split()[0],
                    sample_rate=int(hz["hz"]) if hz else None,
                    channels=fields[2] if len(fields) > 2 else "",
                    language=stream["lang"] if stream["lang"] not in (None, "und") else None,
                    default="(default)" in rest,
                )
            )
            current_kind = "audio"
    if container == "image2" or container.endswith("_pipe"):  # ffmpeg's picture readers
        kind = container.removesuffix("_pipe") if container != "image2" else None
        kind = kind or (video.codec if video is not None else "picture")
        raise MediaError(f"{path}: a still picture ({kind}), not a video")
    return MediaInfo(
        path=path,
        size_bytes=size_bytes,
        container=container,
        duration_s=duration_s,
        start_s=start_s,
        video=video,
        audio=audio,
    )


def _looks_like_mp4(path: str) -> bool:
    """Whether a file starts like an MP4/MOV (an ``ftyp``, ``moov``, ``mdat`` or ``free`` box)."""
    with open(path, "rb") as handle:
        head = handle.read(12)
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")


def _with_rotation(video: VideoStreamInfo, degrees: float) -> VideoStreamInfo:
    return VideoStreamInfo(**{**video.__dict__, "rotation_deg": degrees})
