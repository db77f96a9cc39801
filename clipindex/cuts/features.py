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


def luma_histogram(image: np.ndarray) -> np.ndarray:
    """HistogramDetector's normalised luma histogram of a BGR frame.

    The same numbers as its ``calculate_histogram``, which first splits the YUV frame into
    three planes; counting the Y channel in place saves that copy, a fifth of the cost.
    """
    yuv = cv2.cvtColor(image, cv2.COLOR_BGR2YUV)
    histogram = cv2.calcHist([yuv], [0], None, [HISTOGRAM_BINS], [0, 256])
    return cv2.normalize(histogram, histogram).ravel()


def histogram_change(current: np.ndarray, previous: np.ndarray) -> float:
    """One minus the correlation of two luma histograms: 0 for the same spread of tones.

    HistogramDetector cuts where the correlation falls below 0.8; a pan across one scene keeps
    its tones, so this barely moves while the content score climbs.
    """
    return 1.0 - cv2.compareHist(previous, current, cv2.HISTCMP_CORREL)


def signature(image: np.ndarray) -> np.ndarray:
    """The frame shrunk to ``SIGNATURE_SIZE`` by area averaging, as a flat float32 BGR vector."""
    small = cv2.resize(image, SIGNATURE_SIZE, interpolation=cv2.INTER_AREA)
    return small.astype(np.float32).ravel()


def distance(a: np.ndarray, b: np.ndarray) -> float | np.ndarray:
    """Mean absolute difference of signatures (0-255 scale), over the last axis."""
    return np.abs(a - b).mean(axis=-1)
