"""The seam between the pipeline and a cut detector: frames in, one record each; cuts out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from clipindex.frames import Frame


@dataclass(frozen=True)
class Cut:
    """A transition between shots.

    ``frame`` is the first frame of the new shot: for a fade out, the frame closest to black
    (or white); for a fade in or a dip, the first frame coming out of it; for a dissolve, the
    first frame that is more the new shot than the old. Gradual transitions also give their span
    of frames (``start_frame`` to ``end_frame`` inclusive); a hard cut's span is its one frame.
    ``kind`` is ``hard``, ``fade_in``, ``fade_out``, ``dip`` or ``dissolve``; ``score`` is the
    detector's own measure of how sure the cut is (its scale is the detector's).
    """

    frame: int
    time_s: float
    kind: str
    score: float
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class FrameRecord:
    """What a detector saw in one frame, for those who follow the frames as they pass
    (the thumbnail writer keeps a picture of each shot from these)."""

    index: int
    time_s: float
    dark: bool
    """The frame is close to black."""
    may_start_shot: bool
    """The frame changed enough from the one before that it may begin a new shot."""


class SceneDetector(Protocol):
    """A cut detector: :meth:`process` every decoded frame in order, then :meth:`finish`.

    Memory must not grow with the video's length beyond a few numbers per frame.
    """

    @property
    def times_s(self) -> Sequence[float]:
        """The presentation time of every frame processed so far."""
        ...

    def process(self, frame: Frame) -> FrameRecord:
        """Look at the next frame."""
        ...

    def finish(self) -> list[Cut]:
        """The cuts in all frames processed, in time order."""
        ...
