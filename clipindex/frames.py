"""Decode video frames once, downscaled inside ffmpeg, streamed with their real presentation times.

Decoding starts from the file's path alone: what the file holds (:class:`MediaInfo`) is read from
the decoder's own description of its input, so no separate probe delays the first frame.
Frames arrive in decode order, one per decoded frame (no frame is duplicated or dropped to fit a
nominal rate), so frame numbers match the file and times stay true on variable-frame-rate video.
Times count from the file's start, as the sound's do
(:func:`~clipindex.ffmpeg.same_clock_as_sound`).
The decoder skips its deblocking (loop) filter: it smooths block edges that vanish at 256 px
anyway, and skipping it saves about a tenth of the cost of decoding H.264.
A reader thread takes frames off ffmpeg's pipe as they come (up to 16 MB of them), so ffmpeg
keeps decoding while the caller is busy, e.g. still loading its modules.
Memory does not grow with the video's length. A decoder that is killed, or fails, before the end
of the file is an error, never a shorter video.
"""

from __future__ import annotations

import collections
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ffmpeg as ffmpeg_python

from clipindex import ffmpeg
from clipindex.errors import MediaError
from clipindex.probe import MediaInfo, check_readable_file, read_description

if TYPE_CHECKING:  # NumPy loads when frames are first read, once ffmpeg is already decoding
    import numpy as np

DETECT_WIDTH = 256
"""Pixels. Wide enough for cut detection (PySceneDetect scales to about this), cheap to score."""

_BUFFER_BYTES = 16 << 20
"""Decoded frames held for a caller that is busy, at most; ffmpeg waits beyond that."""

_OUTPUT_SIZE = re.compile(r"^\s*Stream #0:0: Video: .*?, (?P<w>\d+)x(?P<h>\d+)\b")
_SHOWINFO = re.compile(r"Parsed_showinfo.*\bn:\s*(\d+)\s+pts:\s*(\S+)\s+pts_time:(\S+)")
_LOG_PREFIX = re.compile(r"^(?:\[[^\]]*@ 0x[0-9a-f]+\]\s*)+")
_DAMAGE_WORDS = ("error", "corrupt", "invalid", "concealing", "missing", "truncat")
_DAMAGE_GROUP_GAP_S = 2.0
"""Seconds between two complaints beyond which they are reported as separate damage."""


@dataclass(frozen=True)
class Damage:
    """One complaint of ffmpeg's about the stream, near the time of the last frame it decoded."""

    time_s: float
    message: str


def describe_damage(damage: list[Damage], limit: int = 10) -> list[str]:
    """Warnings for the user: complaints grouped into stretches of the video, with their times."""
    groups: list[list[Damage]] = []
    for item in sorted(damage, key=lambda d: d.time_s):
        if groups and item.time_s - groups[-1][-1].time_s <= _DAMAGE_GROUP_GAP_S:
            groups[-1].append(item)
        else:
            groups.append([item])
    warnings = []
    for group in groups[:limit]:
        start, end = group[0].time_s, group[-1].time_s
        where = f"near {start:.1f} s"
        if end - start >= 0.05:
            where = f"from {start:.1f} s to {end:.1f} s"
        count = f"{len(group)} decoding errors" if len(group) > 1 else "a decoding error"
        warnings.append(f"damaged video {where}: {count} (ffmpeg: {group[0].message})")
    if len(groups) > limit:
        warnings.append(f"damaged video: {len(groups) - limit} more damaged stretches not listed")
    return warnings


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its 0-based decode index, presentation time and BGR pixels."""

    index: int
    time_s: float
    image: np.ndarray


class FrameStream:
    """Iterate over a file's frames; ``damage`` collects ffmpeg's complaints about the stream.

    Frames are decoded ``width`` pixels wide, or the video's own width if narrower (even, as
    displayed: ffmpeg applies rotation metadata, so a portrait phone clip is decoded upright).
    ``info`` and ``size`` are known once ffmpeg has described the file and decoded its first
    frame.

    >>> with FrameStream("clip.mp4") as frames:  # doctest: +SKIP
    ...     print(frames.info.duration_s, frames.size)
    ...     for frame in frames:
    ...         print(frame.index, frame.time_s, frame.image.shape)
    """

    def __init__(self, path: str | os.PathLike[str], width: int = DETECT_WIDTH):
        self.path = os.fspath(path)
        self.max_width = width
        self._size_bytes = check_readable_file(self.path)
        self._description: list[str] | None = []  # ffmpeg's description of its input, so far
        self._info: MediaInfo | None = None
        self._size: tuple[int, int] | None = None
        self._header_error: MediaError | None = None
        self._header_ready = threading.Event()
        self._times: collections.deque[float | None] = collections.deque()
        self._times_ready = threading.Condition()
        self._stderr_done = False
        self._log_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._last_time_s = 0.0
        self.damage: list[Damage] = []
        self._process = None
        self._stderr_thread: threading.Thread | None = None
        self._frames: collections.deque[bytes] = collections.deque()
        self._frames_ready = threading.Condition()
        self._frames_done = False
        self._stopping = False
        self._reader_thread: threading.Thread | None = None

    @property
    def info(self) -> MediaInfo:
        """What the file holds; raises :class:`MediaError` if ffmpeg cannot decode its video."""
        self._wait_for_header()
        return self._info

    @property
    def size(self) -> tuple[int, int]:
        """The (width, height) the frames are decoded at."""
        self._wait_for_header()
        return self._size

    def _wait_for_header(self) -> None:
        if self._process is None and not self._header_ready.is_set():
            raise RuntimeError("FrameStream must be used as a context manager")
        self._header_ready.wait()
        if self._header_error is not None:
            raise self._header_error

    def _args(self) -> list[str]:
        source = ffmpeg_python.input(ffmpeg.input_url(self.path), skip_loop_filter="all")
        pictures = (
            source["v:0"]
            .filter(
                "scale",
                w=f"trunc(min({self.max_width},iw)/2)*2",
                h="max(2,round(ih*ow/iw/2)*2)",
                flags="area",
            )
            .filter("showinfo", checksum=0)  # times only: no checksums, means or deviations
            .output("pipe:", format="rawvideo", pix_fmt="bgr24", fps_mode="passthrough")
        )
        stream = ffmpeg_python.merge_outputs(pictures, ffmpeg.same_clock_as_sound(source))
        return ffmpeg.compile_args(stream, loglevel="info") + ["-nostats"]

    def __enter__(self) -> FrameStream:
        if self._process is None:  # not already decoding
            self._process = ffmpeg.start(self._args())
            try:
                self._stderr_thread = threading.Thread(target=self._read_stderr, daemon=True)
                self._stderr_thread.start()
                self._reader_thread = threading.Thread(target=self._read_frames, daemon=True)
                self._reader_thread.start()
            except BaseException:  # interrupted before the caller owns the decoder: stop it
                ffmpeg.kill(self._process)  # (its threads end when its pipes do)
                raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop ffmpeg if it is still running and release its pipes."""
        if self._process is None:
            return
        with self._frames_ready:
            self._stopping = True
            self._frames_ready.notify_all()
        ffmpeg.kill(self._process)
        for thread in (self._reader_thread, self._stderr_thread):
            if thread is not None:
                thread.join(timeout=5)
        self._process.stdout.close()
        self._process.stderr.close()
        self._process = None

    def _read_frames(self) -> None:
        try:
            self._header_ready.wait()
            if self._size is None:  # ffmpeg could not decode a frame: nothing to read
                return
            frame_bytes = self._size[0] * self._size[1] * 3
            most = max(2, _BUFFER_BYTES // frame_bytes)
            while True:
                data = self._process.stdout.read(frame_bytes)
                if len(data) < frame_bytes:
                    break
                with self._frames_ready:
                    while len(self._frames) >= most and not self._stopping:
                        self._frames_ready.wait()
                    if self._stopping:
                        break
                    self._frames.append(data)
                    self._frames_ready.notify()
        finally:
            with self._frames_ready:
                self._frames_done = True
                self._frames_ready.notify()

    def _next_frame(self) -> bytes | None:
        with self._frames_ready:
            while not self._frames and not self._frames_done:
                self._frames_ready.wait()
            if not self._frames:
                return None
            data = self._frames.popleft()
            self._frames_ready.notify()
            return data

    def _read_stderr(self) -> None:
        for raw in self._process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if not self._header_ready.is_set():
                self._read_header(line)
            match = _SHOWINFO.search(line)
            if match:
                time_s = None if match[3] in ("NOPTS", "nan") else float(match[3])
                self._last_time_s = time_s if time_s is not None else self._last_time_s
                with self._times_ready:
                    self._times.append(time_s)
                    self._times_ready.notify()
            elif line and not line.startswith((" ", "[Parsed_showinfo", "Input #", "Output #")):
                message = _LOG_PREFIX.sub("", line)
                self._log_tail.append(message)
                if any(word in message.lower() for word in _DAMAGE_WORDS):
                    self.damage.append(Damage(self._last_time_s, message))
        if not self._header_ready.is_set():  # ffmpeg ended before it could describe a frame
            self._read_header(None)
        with self._times_ready:
            self._stderr_done = True
            self._times_ready.notify()

    def _read_header(self, line: str | None) -> None:
        """Take in one more line of ffmpeg's log (None when it ends) until both what the file
        holds and the size of the frames written are known, or why they cannot be."""
        try:
            if self._description is not None:  # ffmpeg is still describing its input
                if line is not None and not line.startswith("Stream mapping:"):
                    self._description.append(line)
                    return
                self._info = self._described()
                if line is not None:
                    return
            if line is None:
                raise self._no_frame("no message from ffmpeg")
            size = _OUTPUT_SIZE.match(line)
            if size is None:
                return
            self._size = (int(size["w"]), int(size["h"]))
        except MediaError as error:
            self._header_error = error
        self._header_ready.set()

    def _described(self) -> MediaInfo:
        description, self._description = "\n".join(self._description), None
        info = read_description(self.path, self._size_bytes, description)
        if info.video is None:
            raise MediaError(f"{self.path}: no video stream (is it an audio file?)")
        return info

    def _no_frame(self, silent: str) -> MediaError:
        """The error for a video no frame of which was decoded, with ffmpeg's last word."""
        detail = self._log_tail[-1] if self._log_tail else silent
        return MediaError(f"{self.path}: no video frame could be decoded (ffmpeg: {detail})")

    def _next_time(self) -> float | None:
        with self._times_ready:
            while not self._times and not self._stderr_done:
                self._times_ready.wait()
            return self._times.popleft() if self._times else None

    def __iter__(self) -> Iterator[Frame]:
        if self._process is None:
            raise RuntimeError("FrameStream must be used as a context manager")
        import numpy as np

        width, height = self.size
        index = 0
        last_time: float | None = None
        nominal_step = 1.0 / (self.info.video.nominal_fps or 25.0)
        while True:
            data = self._next_frame()
            if data is None:
                break
            time_s = self._next_time()
            if time_s is None:  # a frame without a timestamp: assume the nominal step
                time_s = 0.0 if last_time is None else last_time + nominal_step
            image = np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)
            yield Frame(index, time_s, image)
            last_time = time_s
            index += 1
        returncode = self._process.wait()
        if index == 0:  # ffmpeg stopped between describing the output and writing a frame
            raise self._no_frame(f"ffmpeg exit code {returncode}")
        if returncode != 0:  # killed, or failed: what came is not the whole video
            self._stderr_thread.join(timeout=5)  # for ffmpeg's last words
            raise ffmpeg.failure(
                f"{self.path}: decoding stopped after {index} frames",
                returncode,
                "\n".join(self._log_tail),
            )
