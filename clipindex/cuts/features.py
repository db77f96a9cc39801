"""Per-frame measurements that cut detection decides on, each comparing a frame with earlier ones.

The two change scores are PySceneDetect's: ``ContentDetector``'s mean change of hue, saturation
and luma (computed here from the HSV picture without the edge map its statistics path also
builds, which would triple the cost per frame), and ``HistogramDetector``'s luma histogram,
compared by correlation. A tiny colour picture of each frame (its *signature*) lets the detector
recognise a shot the picture returns to and test whether frames are mixes of two others.
"""

from __future__ import annotations

import cv2
import numpy as np

SIGNATURE_SIZE = (16, 9)
"""Width and height of a frame's signature: enough for the layout of a shot, blind to grain."""

HISTOGRAM_BINS = 128
"""Luma histogram bins (HistogramDetector's default)."""


def hsv(image: np.ndarray) -> np.ndarray:
    """The frame in OpenCV's HSV (hue 0-179, saturation and value 0-255), as ContentDetector."""
    return cv2.cvtColor(image, cv2.COLOR_BGR2HSV)


def content_change(current: np.ndarray, previous: np.ndarray) -> tuple[float, float]:
    """ContentDetector's score between two HSV frames, and its luma component alone.

    The score is the mean absolute change of hue, saturation and value, averaged over the three
    (``content_val`` in PySceneDetect's statistics, 0-255 scale).
    """
    hue, saturation, value, _ = cv2.mean(cv2.absdiff(current, previous))
    return (hue + saturation + value) / 3.0, value


def luma(image: np.ndarray) -> np.ndarray:
    """The luma (Y) plane of a BGR frame, as HistogramDetector takes it (YUV's Y, which rounds
    differently from OpenCV's grey conversion)."""
    return cv2.extractChannel(cv2.cvtColor(image, cv2.COLOR_BGR2YUV), 0)


def luma_histogram(luma_plane: np.ndarray) -> np.ndarray:
    """HistogramDetector's normalised luma histogram, from a frame's :func:`luma` plane."""
    histogram = cv2.calcHist([luma_plane], [0], None, [HISTOGRAM_BINS], [0, 256])
    return cv2.normalize(histogram, histogram).flatten()


def histogram_change(current: np.ndarray, previous: np.ndarray) -> float:
    """One minus the correlation of two luma histograms: 0 for the same spread of tones.

    HistogramDetector cuts where the correlation falls below 0.8; a pan across one scene keeps
    its tones, so this barely moves while the content score climbs.
    """
    return 1.0 - cv2.compareHist(previous, current, cv2.HISTCMP_CORREL)


def signature(image: np.ndarray) -> np.ndarray:
    """The frame shrunk to ``SIGNATURE_SIZE`` by area averaging, as a flat uint8 BGR vector."""
    return cv2.resize(image, SIGNATURE_SIZE, interpolation=cv2.INTER_AREA).ravel()


class RecentSignatures:
    """The signatures of the last ``depth`` frames, and how far each lies from each of the
    ``max_lag`` frames before it.

    Two measures: the *distance*, the mean absolute difference of two signatures (0-255 scale),
    and the *square*, the sum of their squared differences (a whole number). The detector asks
    for the same pairs of frames again and again as its windows slide along; here each pair is
    measured once, with all of a frame's others, when the later frame arrives. Back past the
    first frame, both are ``inf``.
    """

    def __init__(self, depth: int, max_lag: int):
        if not 0 < max_lag < depth:
            raise ValueError(f"max_lag {max_lag} must be from 1 to depth - 1 ({depth - 1})")
        self.frames = 0
        """How many frames were added."""
        self._depth = depth
        self._max_lag = max_lag
        size = SIGNATURE_SIZE[0] * SIGNATURE_SIZE[1] * 3
        # Each signature twice, ``depth`` rows apart, so the frames before any are one slice.
        self._signatures = np.zeros((2 * depth, size), np.uint8)
        # Row: frame number modulo depth; column: frames back (0, the frame itself, to max_lag).
        self._distances = np.zeros((depth, max_lag + 1), np.float32)
        self._squares = np.zeros((depth, max_lag + 1))

    def add(self, image: np.ndarray) -> np.ndarray:
        """Add the next frame; returns its distances back 0 to ``max_lag`` frames."""
        row = self.frames % self._depth
        newest = signature(image)
        self._signatures[row] = self._signatures[row + self._depth] = newest
        # The frames max_lag back to 1 back: reversed, the sums run from 1 back to max_lag.
        earlier = self._signatures[row + self._depth - self._max_lag : row + self._depth]
        sums = _row_norms(newest, earlier, cv2.NORM_L1)[::-1]
        distances = self._distances[row]
        # Sums of whole numbers: the float32 mean is exactly NumPy's of the float32 differences.
        distances[1:] = sums.astype(np.float32) / np.float32(newest.size)
        self._squares[row, 1:] = _row_norms(newest, earlier, cv2.NORM_L2SQR)[::-1]
        distances[self.frames + 1 :] = self._squares[row, self.frames + 1 :] = np.inf
        self.frames += 1
        return distances

    def signatures(self, frames: np.ndarray) -> np.ndarray:
        """The signatures of recent ``frames`` (an array of frame numbers), as float32."""
        return self._signatures[frames % self._depth].astype(np.float32)

    def distances(self, frames: np.ndarray, lags: np.ndarray) -> np.ndarray:
        """The distance from each of recent ``frames`` back ``lags`` frames (pairwise)."""
        return self._distances[frames % self._depth, lags]

    def squares(self, frames: np.ndarray, lags: np.ndarray) -> np.ndarray:
        """The square from each of recent ``frames`` back ``lags`` frames (pairwise), as float64."""
        return self._squares[frames % self._depth, lags]


def _row_norms(vector: np.ndarray, rows: np.ndarray, norm: int) -> np.ndarray:
    """OpenCV's ``norm`` of the difference between ``vector`` and each of ``rows`` (uint8), exact.

    ``batchDistance`` finds nearest neighbours: asked for all of them, it measures every row in
    one call, nearest first, with the number of each row to put it back in place. (Row sums by
    ``cv2.reduce`` start OpenCV's thread pool, which then spins on the core ffmpeg decodes on.)
    """
    found, where = cv2.batchDistance(vector[None], rows, cv2.CV_32S, normType=norm, K=len(rows))
    norms = np.empty(len(rows), np.int32)
    norms[where[0]] = found[0]
    return norms
