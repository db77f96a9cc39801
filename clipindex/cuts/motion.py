"""What motion cannot explain: the motion-compensated residual between a frame and the one before.

A cut is a change that no movement of the picture explains. Each frame is shrunk to a small grey
picture (:data:`SMALL_WIDTH` px wide) cut into blocks of :data:`BLOCK_SIZE`; every block is
matched against the frame before within ``search_px`` in each direction (block matching, as a
video encoder's motion search), and what is left of the best match is the block's *residual*.
A pan, a zoom, a figure running through the frame or motion blur leave little; a new shot, even
one of the same palette (snow after snow, a dark face after a dark face), leaves much.

Two choices make the measure hold on film:

- **Only blocks that show something count.** Blocks that are flat black in both frames (a text
  card's background, letterbox bars, a dark interior) say nothing and are left out, so a cut from
  one text card to another, or from a card to black, is judged on the text alone; and the
  *median* of the blocks is taken, so something passing close to the lens (a hand, a branch)
  that covers less than half the picture does not read as a new shot.
- **Contrast-normalised.** The residual is divided by the frames' own contrast (their standard
  deviation of grey, plus ``contrast_floor``), so a dark, low-contrast scene is judged on its own
  scale and not on that of a bright one.
"""

from __future__ import annotations

import collections

import cv2
import numpy as np

SMALL_WIDTH = 64
"""Pixels: width of the grey picture blocks are matched on; the height keeps the aspect ratio."""

BLOCK_SIZE = (8, 6)
"""Width and height of a block, in pixels of the small picture."""


class MotionResidual:
    """Frames go in with :meth:`add`; :meth:`residual` gives what motion leaves unexplained
    between one of the last ``keep`` frames and the frame before it.

    Block matching is the costly part, so it is done only for the frames asked about: a
    detector can ask only around frames that changed at all.

    >>> residual = MotionResidual(search_px=4)
    >>> picture = np.zeros((144, 256, 3), np.uint8)
    >>> residual.measure(picture), residual.measure(picture)
    (0.0, 0.0)
    """

    def __init__(
        self,
        search_px: int = 4,
        black_level: float = 24.0,
        flat_block_std: float = 4.0,
        contrast_floor: float = 4.0,
        keep: int = 2,
    ):
        self.search_px = search_px
        self.black_level = black_level
        self.flat_block_std = flat_block_std
        self.contrast_floor = contrast_floor
        self.frames = 0
        """How many frames were added."""
        self._kept: collections.deque[tuple[np.ndarray, np.ndarray, float]] = collections.deque(
            maxlen=max(2, keep)
        )

    def add(self, image: np.ndarray) -> float:
        """Take the next frame, BGR or its grey (luma) plane; returns its plain change from the
        frame before (no motion allowed for), which the residual never exceeds (0 for the
        first)."""
        grey = _small_grey(image)
        if self._kept and self._kept[-1][0].shape != grey.shape:
            raise ValueError(f"frame of {grey.shape} after one of {self._kept[-1][0].shape}")
        contrast = float(cv2.meanStdDev(grey)[1][0, 0])
        self._kept.append(
            (grey, _blocks_showing(grey, self.black_level, self.flat_block_std), contrast)
        )
        self.frames += 1
        if self.frames == 1:
            return 0.0
        return self._median_left(self.frames - 1, search_px=0)

    def residual(self, frame: int) -> float:
        """The residual of ``frame`` (one of the last ``keep`` added) against the frame before.

        The median, over blocks that show something in either frame, of each block's mean
        absolute grey difference after its best shift (the frame before matched in this one when
        most of the picture went dark), divided by the frames' mean contrast.
        """
        return self._median_left(frame, self.search_px)

    def measure(self, image: np.ndarray) -> float:
        """Add a frame and return its residual against the one before (0 for the first)."""
        self.add(image)
        return self.residual(self.frames - 1) if self.frames > 1 else 0.0

    def _median_left(self, frame: int, search_px: int) -> float:
        back = self.frames - 1 - frame
        if frame < 1 or not 0 <= back < len(self._kept) - 1:
            raise ValueError(f"frame {frame} is not among the last {len(self._kept)} added")
        grey, shows, contrast = self._kept[-1 - back]
        before, shown_before, contrast_before = self._kept[-2 - back]
        counted = shows | shown_before
        if not counted.any():
            return 0.0
        if 2 * np.count_nonzero(shows) < np.count_nonzero(shown_before):
            # Most of the picture went dark (to black, or a card to black): match the frame
            # before in this one, as each block of this one finds black to match beside
            # whatever vanished.
            left = _best_match(before, grey, search_px)[counted]
        else:
            left = _best_match(grey, before, search_px)[counted]
        scale = (contrast + contrast_before) / 2 + self.contrast_floor
        return _median(left) / scale


def _median(values: np.ndarray) -> float:
    """``np.median`` of a float32 array, to the bit, without its overhead per call."""
    ordered = np.sort(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return float((ordered[middle - 1] + ordered[middle]) / np.float32(2))


def _small_grey(image: np.ndarray) -> np.ndarray:
    """The frame (BGR, or already grey) in grey, ``SMALL_WIDTH`` wide and a whole number of
    blocks high, as float32."""
    height, width = image.shape[:2]
    block_w, block_h = BLOCK_SIZE
    rows = max(1, round(SMALL_WIDTH * height / width / block_h))
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(grey, (SMALL_WIDTH, rows * block_h), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32)


def _block_grid(picture: np.ndarray) -> tuple[int, int]:
    return picture.shape[1] // BLOCK_SIZE[0], picture.shape[0] // BLOCK_SIZE[1]


def _blocks_showing(grey: np.ndarray, black_level: float, flat_std: float) -> np.ndarray:
    """Whether each block is brighter than black or has some texture, as a flat bool array."""
    grid = _block_grid(grey)
    mean = cv2.resize(grey, grid, interpolation=cv2.INTER_AREA)
    square = cv2.resize(grey * grey, grid, interpolation=cv2.INTER_AREA)
    std = np.sqrt(np.maximum(square - mean * mean, 0.0))
    return ((mean > black_level) | (std > flat_std)).ravel()


def _best_match(current: np.ndarray, before: np.ndarray, search_px: int) -> np.ndarray:
    """Per block of ``current``, the smallest mean absolute difference from ``before`` shifted
    by up to ``search_px`` pixels each way (edges repeated), as a flat array."""
    height, width = current.shape
    grid = _block_grid(current)
    if search_px == 0:
        return cv2.resize(cv2.absdiff(current, before), grid, interpolation=cv2.INTER_AREA).ravel()
    r = search_px
    padded = cv2.copyMakeBorder(before, r, r, r, r, cv2.BORDER_REPLICATE)
    best = None
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            shifted = padded[dy : dy + height, dx : dx + width]
            left = cv2.resize(cv2.absdiff(current, shifted), grid, interpolation=cv2.INTER_AREA)
            best = left if best is None else np.minimum(best, left, out=best)
    assert best is not None
    return best.ravel()
