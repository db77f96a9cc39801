"""Detect cuts from a stream of frames, using scenedetect's detectors for the per-frame scores.

scenedetect's ``ContentDetector`` scores each frame against the one before (mean change of hue,
saturation, luma). Its own decision keeps a 15-frame minimum shot, which loses the 3-frame shots
of a montage, so the decision is made here, over the whole score curve:

- a cut is a frame whose score is both high (``threshold``) and a spike against the frames
  around it (``spike_ratio``), so fast pans and snow, which score high on every frame, are not cuts;
- a flash is a run of at most ``flash_max_frames`` frames, brighter and washed out (or white),
  after which the picture returns to the shot it left: its two score spikes are not cuts, where a
  short insert of another shot is two cuts;
- around black frames, a brightness ramp of a few frames is a fade (``fade_out`` into black,
  ``fade_in`` out of it), reported with its span; an instant change to or from black is a hard cut.
  Near-black frames have no stable hue, so score spikes inside a fade are not cuts.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scenedetect import FrameTimecode, StatsManager
from scenedetect.detectors import ContentDetector

from clipindex.frames import Frame

_SIGNATURE_SIZE = (32, 18)
"""Pixels of the small HSV picture kept per recent frame to recognise a shot it returns to."""


@dataclass(frozen=True)
class Cut:
    """A transition between shots.

    ``frame`` is the first frame of the new shot: for a fade out, the first black frame; for a
    fade in, the first frame out of black. Gradual transitions also give their span of frames
    (``start_frame`` to ``end_frame`` inclusive); a hard cut's span is its one frame.
    """

    frame: int
    time_s: float
    kind: str
    score: float
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class CutParameters:
    """Settings of cut detection, recorded in the index so a run can be repeated."""

    threshold: float = 27.0
    """ContentDetector score (0–255 scale) a frame must reach to be a cut (its default)."""
    spike_ratio: float = 2.0
    """How many times the median score of the neighbouring frames a cut's score must be."""
    spike_window: int = 3
    """Frames on each side whose median score a cut is compared with (the busier side counts)."""
    strong_spike_ratio: float = 1.5
    """The smaller margin over the busier side for a change of twice the threshold or more."""
    flash_max_frames: int = 4
    """Longest run of frames that can be a flash rather than a shot."""
    flash_return_distance: float = 18.0
    """Largest change between the frames before and after a flash for it to be the same shot."""
    flash_brightness_gain: float = 25.0
    """How much brighter (mean HSV value, 0–255) a flash is than the shot around it."""
    flash_saturation_drop: float = 15.0
    """How much less saturated (mean HSV saturation, 0–255) a flash is, unless it is white."""
    flash_white_level: float = 220.0
    """Mean brightness at which a frame is white, whatever its saturation."""
    black_level: float = 24.0
    """Mean brightness (HSV value, 0–255) under which a frame counts as black."""
    fade_min_frames: int = 3
    """Shortest brightness ramp into or out of black that is a fade rather than a cut."""


class CutDetector:
    """Feed frames in order with :meth:`process`; :meth:`finish` returns the cuts.

    Per frame it keeps only a few numbers (the score, mean brightness, and the distance back to
    the few frames before), so memory stays small on long videos.

    >>> detector = CutDetector()                     # doctest: +SKIP
    >>> for frame in frames: detector.process(frame)  # doctest: +SKIP
    >>> cuts = detector.finish()                      # doctest: +SKIP
    """

    def __init__(self, parameters: CutParameters | None = None, fps: float = 25.0):
        self.parameters = parameters or CutParameters()
        self._fps = float(fps)
        self._content = ContentDetector(threshold=self.parameters.threshold, min_scene_len=1)
        self._stats = StatsManager()
        self._content.stats_manager = self._stats
        lookback = self.parameters.flash_max_frames + 1
        self._recent: list[np.ndarray] = []
        self._lookback = lookback
        self.times_s: list[float] = []
        self.scores: list[float] = []
        self.brightness: list[float] = []
        self.saturation: list[float] = []
        self.luma_changes: list[float] = []
        self.return_distances: list[list[float]] = []

    def process(self, frame: Frame) -> None:
        """Score one frame against the frames before it."""
        timecode = FrameTimecode(frame.index, fps=self._fps)
        self._content.process_frame(timecode, frame.image)
        score = self._stats.get_metrics(frame.index, [ContentDetector.FRAME_SCORE_KEY])[0]
        self._stats._frame_metrics.pop(frame.index, None)  # keep memory flat: the score is ours now
        small = cv2.cvtColor(
            cv2.resize(frame.image, _SIGNATURE_SIZE, interpolation=cv2.INTER_AREA),
            cv2.COLOR_BGR2HSV,
        ).astype(np.int16)
        # distance to the frames 2..lookback back: a flash returns to one of them
        distances = [_hsv_distance(small, earlier) for earlier in self._recent[:-1]]
        self._recent.append(small)
        if len(self._recent) > self._lookback:
            self._recent.pop(0)
        self.times_s.append(frame.time_s)
        self.scores.append(float(score or 0.0))
        self.brightness.append(float(small[:, :, 2].mean()))
        self.saturation.append(float(small[:, :, 1].mean()))
        previous = self._recent[-2] if len(self._recent) > 1 else small
        self.luma_changes.append(float(np.abs(small[:, :, 2] - previous[:, :, 2]).mean()))
        self.return_distances.append(distances[::-1])

    def finish(self) -> list[Cut]:
        """The hard cuts found in all frames processed so far, in time order."""
        scores = np.asarray(self.scores)
        candidates = [
            i for i in range(1, len(scores)) if self._is_spike(scores, i) and self._visible(i)
        ]
        flashes = self._flash_frames(candidates)
        fades, black_edges = self._fades()
        hard = [i for i in candidates if i not in flashes and not _inside(i, fades)]
        hard = sorted(set(hard) | {i for i in black_edges if self._visible(i)})
        cuts = [self._cut(i, i, i, "hard") for i in hard]
        cuts += [self._cut(frame, start, end, kind) for kind, frame, start, end in fades]
        return sorted(cuts, key=lambda cut: cut.frame)

    def _cut(self, frame: int, start: int, end: int, kind: str) -> Cut:
        score = max(self.scores[start : end + 1]) if kind != "hard" else self.scores[frame]
        return Cut(frame, self.times_s[frame], kind, round(float(score), 3), start, end)

    def _fades(self) -> tuple[list[tuple[str, int, int, int]], list[int]]:
        """Fades around runs of black frames, and the frames where black starts or ends at once.

        A fade is a steady brightness ramp of at least ``fade_min_frames`` that reaches black;
        its span runs from the first frame of the ramp to its last. Returns (kind, frame,
        start_frame, end_frame) per fade, and the frames of instant changes to or from black.
        """
        p = self.parameters
        light = np.asarray(self.brightness)
        black = light < p.black_level
        fades: list[tuple[str, int, int, int]] = []
        instant: list[int] = []
        n = len(light)

        def darker(a: int, b: int) -> bool:
            return light[a] < light[b] - 0.5

        for i in range(1, n):
            if black[i] and not black[i - 1]:  # black starts at frame i
                start, end = i, i
                while start > 0 and darker(start, start - 1) and not black[start - 1]:
                    start -= 1
                while end + 1 < n and darker(end + 1, end):
                    end += 1
                if i - start >= p.fade_min_frames:  # the ramp's first darker frame is start + 1
                    fades.append(("fade_out", end, start + 1, end))
                else:
                    instant.append(i)
            elif black[i - 1] and not black[i]:  # picture starts at frame i
                start, end = i, i
                while start > 1 and darker(start - 1, start) and black[start - 1]:
                    start -= 1
                while end + 1 < n and darker(end, end + 1):
                    end += 1
                if end - i + 1 >= p.fade_min_frames:  # start is the darkest frame before the ramp
                    first = min(start + 1, i)
                    fades.append(("fade_in", first, first, end))
                else:
                    instant.append(i)
        return fades, instant

    def _visible(self, i: int) -> bool:
        """Whether the change into frame ``i`` shows in brightness where either side is dark.

        Near-black pixels have no stable hue or saturation, so there only luma is trusted.
        """
        dark = 2 * self.parameters.black_level
        if min(self.brightness[i], self.brightness[i - 1]) >= dark:
            return True
        return self.luma_changes[i] >= self.parameters.threshold

    def _is_spike(self, scores: np.ndarray, i: int) -> bool:
        """Whether frame ``i`` stands out from the frames on each side of it.

        Comparing with the busier side keeps the start or end of a fast pan from counting as a
        cut; a very strong change (twice the threshold) needs a smaller margin, so a cut into a
        moving shot is still found.
        """
        p = self.parameters
        if scores[i] < p.threshold:
            return False
        if i + 1 < len(scores) and scores[i + 1] > scores[i]:
            return False  # a cut spread over two frames counts once, at its peak
        left = scores[max(1, i - p.spike_window) : i]
        right = scores[i + 1 : i + 1 + p.spike_window]
        busier = max(float(np.median(side)) if side.size else 0.0 for side in (left, right))
        if scores[i] >= p.spike_ratio * busier:
            return True
        return scores[i] >= 2 * p.threshold and scores[i] >= p.strong_spike_ratio * busier

    def _flash_frames(self, candidates: list[int]) -> set[int]:
        """Candidate cuts that open or close a flash (bright frames returning to the same shot)."""
        p = self.parameters
        flagged: set[int] = set()
        for start in candidates:
            for end in candidates:
                length = end - start
                if not 0 < length <= p.flash_max_frames:
                    continue
                # distance from frame `end` back to frame `start - 1`
                back = self.return_distances[end]
                if length - 1 >= len(back) or back[length - 1] > p.flash_return_distance:
                    continue
                if self._is_flash(start, end):
                    flagged.update((start, end))
        return flagged

    def _is_flash(self, start: int, end: int) -> bool:
        """Whether frames ``start`` to ``end - 1`` are a flash over the shot around them."""
        p = self.parameters
        inside = np.mean(self.brightness[start:end])
        around = max(self.brightness[start - 1], self.brightness[end])
        if inside - around < p.flash_brightness_gain:
            return False
        washed_out = np.mean(self.saturation[start:end]) <= (
            min(self.saturation[start - 1], self.saturation[end]) - p.flash_saturation_drop
        )
        return washed_out or inside >= p.flash_white_level


def _inside(frame: int, fades: list[tuple[str, int, int, int]]) -> bool:
    """Whether ``frame`` lies within a fade (or on the frame either side of it)."""
    return any(start - 1 <= frame <= end + 1 for _, _, start, end in fades)


def _hsv_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two small HSV pictures, on ContentDetector's scale."""
    return float(np.abs(a - b).mean())


def shots_from_cuts(
    cuts: list[Cut], times_s: list[float], end_s: float
) -> list[tuple[int, int, float, float]]:
    """Shots as (start_frame, end_frame, start_s, end_s), end exclusive, covering all frames."""
    starts = [0] + [cut.frame for cut in cuts if cut.frame > 0]
    ends = starts[1:] + [len(times_s)]
    shots = []
    for start, end in zip(starts, ends, strict=True):
        end_time = times_s[end] if end < len(times_s) else end_s
        shots.append((start, end - 1, times_s[start], end_time))
    return shots
