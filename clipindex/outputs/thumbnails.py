"""A small JPEG of every shot, taken from the frames decoded for cut detection (no second decode).

Which frames start shots is only known once every frame has been scored, and keeping every frame
until then would make memory grow with the video. So while frames stream past, a frame is kept
(as a JPEG, in an unnamed temporary file, not in memory) a little after every frame that could
start a shot: a large change in the picture, a change to or from black, and, so that long shots
and fades have a choice, every couple of seconds. Once the cuts are final, each shot gets the kept
frame nearest its middle that is not black, written as ``shot-NNNN.jpg`` (NNNN being the shot's
index) in the chosen folder: all of them or none (a full disk leaves no new picture, and a folder
made for them is removed again). Given the :class:`~clipindex.files.StagedOutputs` the index goes
to, the pictures are put in place with the index, or not at all. A picture never replaces
anything but a regular file.

The index records each file in ``shots[].thumbnail`` as a path relative to the index file's folder
(the current folder when the index goes to standard output), with forward slashes, so the index
and its thumbnails can move together.
"""

from __future__ import annotations

import bisect
import dataclasses
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2

from clipindex.cuts import FrameRecord
from clipindex.errors import OutputError, WriteError
from clipindex.files import StagedOutputs, check_output_folder
from clipindex.frames import Frame
from clipindex.index import Shot

KEEP_AFTER_S = 0.4
"""How long after a possible shot start a frame is kept: past the blur of the change itself."""

KEEP_EVERY_S = 2.0
"""Longest stretch without a kept frame."""

JPEG_QUALITY = 80


@dataclass(frozen=True)
class _Kept:
    """A kept frame: its index and time, whether it is black, and where its JPEG is spooled."""

    frame: int
    time_s: float
    dark: bool
    offset: int
    size: int


class ThumbnailWriter:
    """Pass every frame to :meth:`add` as it is scored; :meth:`write` then writes one JPEG per shot.

    >>> thumbnails = ThumbnailWriter("thumbs", relative_to=".")  # doctest: +SKIP
    >>> index = index_video("clip.mp4", thumbnails=thumbnails)    # doctest: +SKIP
    >>> index.shots[0].thumbnail                                  # doctest: +SKIP
    'thumbs/shot-0000.jpg'
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        *,
        relative_to: str | os.PathLike[str] = ".",
        outputs: StagedOutputs | None = None,
    ):
        self.folder = Path(folder)
        self.relative_to = Path(relative_to)
        self._outputs = outputs
        check_output_folder(self.folder, what="thumbnails folder")
        try:
            self._spool = tempfile.TemporaryFile(prefix="clipindex-thumbnails-")
        except OSError as exc:
            raise _spool_error(exc) from None
        self._kept: list[_Kept] = []
        self._previous: tuple[Frame, bool] | None = None
        self._stretch_start_s = 0.0
        self._stretch_kept = True

    def add(self, frame: Frame, record: FrameRecord) -> None:
        """Look at one frame, with what the cut detector saw in it; keep it if it may show a
        new shot."""
        dark = record.dark
        starts = (
            self._previous is None
            or record.may_start_shot
            or dark != self._previous[1]
            or frame.time_s - self._stretch_start_s >= KEEP_EVERY_S
        )
        if starts:
            if not self._stretch_kept:  # the stretch was too short: keep its last frame
                self._keep(*self._previous)
            self._stretch_start_s = frame.time_s
            self._stretch_kept = False
        if not self._stretch_kept and frame.time_s - self._stretch_start_s >= KEEP_AFTER_S:
            self._keep(frame, dark)
        self._previous = (frame, dark)

    def write(self, shots: list[Shot]) -> list[Shot]:
        """Write one JPEG per shot (staged with the index's outputs, if given); the shots with
        their ``thumbnail`` set."""
        outputs = self._outputs if self._outputs is not None else StagedOutputs()
        try:
            named = self._stage(shots, outputs)
            if self._outputs is None:
                outputs.commit()
        except BaseException:
            if self._outputs is None:
                outputs.discard()
            raise
        finally:
            self._spool.close()
        return named

    def _stage(self, shots: list[Shot], outputs: StagedOutputs) -> list[Shot]:
        if not self._stretch_kept and self._previous is not None:
            self._keep(*self._previous)
        outputs.make_folder(self.folder)
        digits = max(4, len(str(len(shots) - 1)))
        kept_frames = [kept.frame for kept in self._kept]  # in order, as they were kept
        named = []
        for shot in shots:
            kept = self._choose(shot, kept_frames)
            if kept is None:
                named.append(shot)
                continue
            self._spool.seek(kept.offset)
            path = self.folder / f"shot-{shot.index:0{digits}d}.jpg"
            if os.path.lexists(path) and (path.is_symlink() or not path.is_file()):
                raise OutputError(f"{path}: not a regular file; refusing to put a picture there")
            outputs.write(path, self._spool.read(kept.size))
            named.append(dataclasses.replace(shot, thumbnail=self._recorded(path)))
        return named

    def _keep(self, frame: Frame, dark: bool) -> None:
        encoded, jpeg = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not encoded:
            return
        try:
            self._spool.seek(0, os.SEEK_END)
            offset = self._spool.tell()
            self._spool.write(jpeg.tobytes())
            self._spool.flush()
        except OSError as exc:
            raise _spool_error(exc) from None
        self._kept.append(_Kept(frame.index, frame.time_s, dark, offset, jpeg.size))
        self._stretch_kept = True

    def _choose(self, shot: Shot, kept_frames: list[int]) -> _Kept | None:
        """The kept frame inside ``shot`` nearest its middle, preferring one that is not black;
        for a shot with none inside (a very short stretch of black), the nearest kept frame."""
        first = bisect.bisect_left(kept_frames, shot.start_frame)
        last = bisect.bisect_right(kept_frames, shot.end_frame)
        inside = self._kept[first:last]
        if not inside:
            return min(
                self._kept[max(first - 1, 0) : first + 1],
                key=lambda k: min(abs(k.frame - shot.start_frame), abs(k.frame - shot.end_frame)),
                default=None,
            )
        middle_s = (shot.start_s + shot.end_s) / 2
        return min(inside, key=lambda k: (k.dark, abs(k.time_s - middle_s)))

    def _recorded(self, path: Path) -> str:
        """How the index names ``path``: relative to the index's folder when it can be."""
        try:
            return Path(os.path.relpath(path.resolve(), self.relative_to.resolve())).as_posix()
        except ValueError:  # another drive
            return path.resolve().as_posix()


def _spool_error(exc: OSError) -> WriteError:
    """The error for a temporary folder that cannot hold the frames kept (a full disk)."""
    return WriteError(
        f"{tempfile.gettempdir()}: cannot keep the shot pictures while indexing ({exc.strerror})"
    )
