"""The cut detector: frames in, measured one by one; cuts out, decided over the whole video."""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

import cv2
import numpy as np

from clipindex.cuts import features, gradual, hard
from clipindex.cuts.base import Cut, FrameRecord
from clipindex.cuts.motion import MotionResidual
from clipindex.cuts.parameters import CutParameters
from clipindex.frames import Frame


class CutDetector:
    """clipindex's own :class:`~clipindex.cuts.base.SceneDetector`: feed every frame in order
    with :meth:`process`; :meth:`finish` returns the cuts.

    Per frame it keeps a few numbers (the change scores, the motion-compensated residual,
    brightness, saturation, and the distances back to the last few frames), plus the signatures
    of the last few seconds' frames for the dissolve test, so memory stays small on long videos.
    ``fps`` (the nominal rate) turns the durations among the parameters into frames.

    >>> detector = CutDetector(fps=24)                  # doctest: +SKIP
    >>> for frame in frames: detector.process(frame)  # doctest: +SKIP
    >>> cuts = detector.finish()                      # doctest: +SKIP
    """

    def __init__(self, parameters: CutParameters | None = None, fps: float = 25.0):
        p = self.parameters = parameters or CutParameters()
        self._fps = float(fps)
        self._tested = gradual.Windows.up_to(max(3, round(p.dissolve_max_s * self._fps)))
        self._test = gradual.BlendTest(
            p.dissolve_min_change,
            p.dissolve_max_residual,
            p.dissolve_max_contrast,
            p.dissolve_max_drift,
            p.dissolve_min_coverage,
        )
        max_lag = max(int(self._tested.lags.max()), p.flash_max_frames + 1)
        depth = max(int(self._tested.offsets[:, 0].max()), max_lag) + 1
        self._recent = features.RecentSignatures(depth, max_lag)
        self._previous: tuple[np.ndarray, np.ndarray] | None = None
        window = p.spike_window
        self._motion = MotionResidual(
            p.motion_search_px, p.black_level, p.flat_block_std, p.contrast_floor, 2 * window + 2
        )
        self._plain = array("d")
        self.times_s = array("d")
        """Presentation time of each frame."""
        self.scores = array("d")
        """ContentDetector's score of each frame against the one before."""
        self.histogram_changes = array("d")
        """HistogramDetector's luma histogram change of each frame (1 - correlation)."""
        self.brightness = array("d")
        """Mean HSV value of each frame (0–255)."""
        self.saturation = array("d")
        """Mean HSV saturation of each frame (0–255)."""
        self.residuals = array("d")
        """Motion-compensated residual of each frame against the one before
        (:class:`~clipindex.cuts.motion.MotionResidual`); NaN where it cannot make a cut and
        was not measured (:meth:`_measure_residuals`)."""
        self._luma = array("d")
        self._returns = array("d")
        self._windows: list[tuple[int, int, float]] = []

    def process(self, frame: Frame) -> FrameRecord:
        """Measure one frame against the frames before it."""
        n = len(self.times_s)
        picture = features.hsv(frame.image)
        luma_plane = features.luma(frame.image)
        histogram = features.luma_histogram(luma_plane)
        if self._previous is None:
            content = luma = change = 0.0
        else:
            content, luma = features.content_change(picture, self._previous[0])
            change = features.histogram_change(histogram, self._previous[1])
        self._previous = (picture, histogram)
        _, saturation, brightness, _ = cv2.mean(picture)
        back = self._recent.add(frame.image)
        self._windows += gradual.blend_windows(self._recent, n, self._tested, self._test)
        self.times_s.append(frame.time_s)
        self.scores.append(content)
        self.histogram_changes.append(change)
        self.brightness.append(brightness)
        self.saturation.append(saturation)
        self._luma.append(luma)
        self._returns.extend(back[2 : self.parameters.flash_max_frames + 2].tolist())
        plain = self._motion.add(luma_plane)
        self._plain.append(plain)
        self.residuals.append(math.nan)
        p = self.parameters
        self._measure_residuals(n - p.spike_window)
        return FrameRecord(
            n,
            frame.time_s,
            dark=brightness < p.black_level,
            may_start_shot=content >= p.threshold or plain >= p.motion_threshold,
        )

    def _measure_residuals(self, i: int) -> None:
        """Measure the residuals that frame ``i`` may be judged on, once ``spike_window``
        frames after it are in: its own where its content makes it a candidate and its plain
        change (the residual's upper bound) could pass a rule, and then its neighbours'."""
        p = self.parameters
        gate = min(p.motion_threshold, p.motion_confirm)
        if i < 1 or self._plain[i] < gate:
            return
        content = np.frombuffer(self.scores, dtype=np.float64)
        histogram = np.frombuffer(self.histogram_changes, dtype=np.float64)
        if not hard.residual_counts(content, histogram, i, p):
            return
        self._residual(i)
        if self.residuals[i] >= gate:
            last = len(self.times_s) - 1
            for j in range(max(1, i - p.spike_window), min(last, i + p.spike_window) + 1):
                self._residual(j)

    def _residual(self, j: int) -> None:
        if math.isnan(self.residuals[j]):
            self.residuals[j] = self._motion.residual(j)

    def finish(self) -> list[Cut]:
        """The cuts found in all frames processed so far, in time order."""
        p = self.parameters
        for i in range(max(1, len(self.times_s) - p.spike_window), len(self.times_s)):
            self._measure_residuals(i)
        content, histogram, luma, brightness, saturation, residual = (
            np.frombuffer(values, dtype=np.float64)
            for values in (
                self.scores,
                self.histogram_changes,
                self._luma,
                self.brightness,
                self.saturation,
                self.residuals,
            )
        )
        returns = np.frombuffer(self._returns, dtype=np.float64).reshape(
            len(content), p.flash_max_frames
        )
        candidates = hard.cut_candidates(content, histogram, brightness, luma, residual, p)
        flashes = hard.flashes(candidates, brightness, saturation, returns, p)
        hold = max(1, round(p.dip_max_hold_s * self._fps))
        black, black_edges = gradual.through_colour(
            brightness, p.black_level, p.fade_min_frames, hold
        )
        whiteness = (brightness + 255.0 - saturation) / 2
        white, _ = gradual.through_colour(
            255.0 - whiteness, 255.0 - p.white_level, p.fade_min_frames, hold
        )
        # A bright shot fading in from black also nears white: black explains it.
        blacks = [(t.start_frame, t.end_frame) for t in black]
        white = [t for t in white if not _overlaps(t, flashes + blacks)]
        through = black + white
        excluded = [(t.start_frame, t.end_frame) for t in through] + flashes
        transitions = through + gradual.dissolves(self._windows, excluded)
        cuts = {
            i
            for i in candidates
            if not any(start <= i <= end for start, end in flashes)
            and not any(t.start_frame - 1 <= i <= t.end_frame + 1 for t in transitions)
        }
        cuts |= {i for i in black_edges if hard.visible(i, brightness, luma, p)}
        leader = hard.end_of_black_leader(brightness, p)
        if leader <= hold:  # a blink of black before the first picture is no shot
            cuts.discard(leader)
        found = [self._cut(i, i, i, "hard") for i in cuts]
        found += [self._cut(t.frame, t.start_frame, t.end_frame, t.kind) for t in transitions]
        return sorted(found, key=lambda cut: cut.frame)

    def _cut(self, frame: int, start: int, end: int, kind: str) -> Cut:
        score = max(self.scores[start : end + 1])
        return Cut(frame, self.times_s[frame], kind, round(float(score), 3), start, end)


def _overlaps(transition: gradual.Transition, spans: list[tuple[int, int]]) -> bool:
    return any(
        transition.start_frame <= end and transition.end_frame >= start for start, end in spans
    )


def shots_from_cuts(
    cuts: list[Cut], times_s: Sequence[float], end_s: float
) -> list[tuple[int, int, float, float]]:
    """Shots as (start_frame, end_frame, start_s, end_s), end exclusive, covering all frames."""
    starts = [0] + [cut.frame for cut in cuts if cut.frame > 0]
    ends = starts[1:] + [len(times_s)]
    shots = []
    for start, end in zip(starts, ends, strict=True):
        end_time = times_s[end] if end < len(times_s) else end_s
        shots.append((start, end - 1, times_s[start], end_time))
    return shots
