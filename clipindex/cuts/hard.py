"""Hard cuts: frames whose change stands out from their neighbours, less the flashes.

Functions of per-frame arrays (index = frame number), so each rule can be tested alone.
"""

from __future__ import annotations

import numpy as np

from clipindex.cuts.parameters import CutParameters


def _busier_side(scores: np.ndarray, i: int, window: int) -> float:
    """The larger of the median scores of the ``window`` frames before and after frame ``i``."""
    left = scores[max(1, i - window) : i].tolist()
    right = scores[i + 1 : i + 1 + window].tolist()
    return max(_median(left), _median(right))


def _median(values: list[float]) -> float:
    """NumPy's median of a few numbers (0 for none), without NumPy's overhead per call: it is
    asked for several times a frame."""
    if not values:
        return 0.0
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


_RESIDUAL_FLOOR = 0.01
"""Added to the busier side's residual, so a cut out of a still shot is a finite spike."""


def cut_candidates(
    content: np.ndarray,
    histogram: np.ndarray,
    brightness: np.ndarray,
    luma_change: np.ndarray,
    residual: np.ndarray,
    p: CutParameters,
) -> list[int]:
    """Frames that begin a new shot: what motion cannot explain, or a change of content that
    motion does not explain.

    Two rules, each a spike against the frame's neighbours:

    - the motion-compensated residual (:mod:`~clipindex.cuts.motion`) reaches
      ``motion_threshold`` and ``motion_spike_ratio`` times the busier side, and
    - its content score is also ``motion_content_ratio`` times the busier side's (scrolling
      text beats the residual in time with the scroll, and leaves the content score level);
    - or a change of content or tones passes :func:`content_candidates` and its residual
      reaches ``motion_confirm`` and ``motion_confirm_ratio`` times that of either neighbouring
      frame (``strong_spike_ratio`` times for a change of twice the threshold): a pan or a
      figure running through the frame changes the content, but motion explains it, and a
      hand sweeping past the lens leaves a residual over several frames.

    Of two neighbouring frames, the one with the larger residual is the cut.
    """
    found = set()
    for i in range(1, len(residual)):
        if (
            residual[i] >= p.motion_threshold
            and residual[i] >= residual[i - 1]
            and (i + 1 == len(residual) or residual[i] >= residual[i + 1])
            and residual[i]
            >= p.motion_spike_ratio * (_busier_side(residual, i, p.spike_window) + _RESIDUAL_FLOOR)
            and content[i] >= p.motion_content_ratio * _busier_side(content, i, p.spike_window)
        ):
            found.add(i)
    for i in content_candidates(content, histogram, brightness, luma_change, p):
        nearest = max(residual[i - 1], residual[i + 1] if i + 1 < len(residual) else 0.0)
        # a change of twice the threshold (a cut into a noisy shot) needs a smaller margin
        ratio = p.strong_spike_ratio if content[i] >= 2 * p.threshold else p.motion_confirm_ratio
        if residual[i] >= p.motion_confirm and residual[i] >= ratio * (nearest + _RESIDUAL_FLOOR):
            found.add(i)
    return [
        i
        for i in sorted(found)
        if not (i + 1 in found and residual[i + 1] > residual[i])
        and not (i - 1 in found and residual[i - 1] >= residual[i])
    ]


def content_candidates(
    content: np.ndarray,
    histogram: np.ndarray,
    brightness: np.ndarray,
    luma_change: np.ndarray,
    p: CutParameters,
) -> list[int]:
    """Frames whose change of content is a spike against the frames on each side of it.

    Comparing with the busier side keeps the start and end of a fast pan, and snow, from
    counting. A spike passes on any of three grounds:

    - its score reaches ``threshold`` and ``spike_ratio`` times the busier side;
    - its score reaches twice the threshold and ``strong_spike_ratio`` times the busier side;
    - its score reaches half the threshold and ``confirmed_spike_ratio`` times the busier side,
      and the luma histogram changes by ``histogram_threshold`` and ``histogram_spike_ratio``
      times its own busier side: a cut into or out of a moving shot, or between shots of like
      colour, shows in the tones where the content score of the moving shot hides it.

    A change spread over two frames counts once, at its peak; next to dark frames, the change
    must show in luma (:func:`visible`).
    """
    return [
        i
        for i in range(1, len(content))
        if content_spike(content, histogram, i, p) and visible(i, brightness, luma_change, p)
    ]


def content_spike(content: np.ndarray, histogram: np.ndarray, i: int, p: CutParameters) -> bool:
    """Whether frame ``i`` passes :func:`content_candidates`' spike rules (before the
    darkness check); it looks ``spike_window`` frames ahead, no further."""
    score = content[i]
    if score < p.threshold / 2 or (i + 1 < len(content) and content[i + 1] > score):
        return False
    busier = _busier_side(content, i, p.spike_window)
    return bool(
        (score >= p.threshold and score >= p.spike_ratio * busier)
        or (score >= 2 * p.threshold and score >= p.strong_spike_ratio * busier)
        or (
            score >= p.confirmed_spike_ratio * busier
            and histogram[i] >= p.histogram_threshold
            and histogram[i] >= p.histogram_spike_ratio * _busier_side(histogram, i, p.spike_window)
        )
    )


def residual_counts(content: np.ndarray, histogram: np.ndarray, i: int, p: CutParameters) -> bool:
    """Whether frame ``i``'s residual can make it a cut in :func:`cut_candidates`: only where
    its content changes at all and is a spike for one of the two rules. Elsewhere the residual
    need not be measured; it looks ``spike_window`` frames ahead, no further."""
    return bool(content[i] > 0) and (
        content[i] >= p.motion_content_ratio * _busier_side(content, i, p.spike_window)
        or content_spike(content, histogram, i, p)
    )


def flashes(
    candidates: list[int],
    brightness: np.ndarray,
    saturation: np.ndarray,
    returns: np.ndarray,
    p: CutParameters,
) -> list[tuple[int, int]]:
    """Flashes around candidates: a few bright frames, then the same shot again.

    A flash is frames ``i`` to ``j - 1`` (at most ``flash_max_frames``) that jump to
    ``flash_brightness_gain`` brighter than the shot and stay washed out (or white), where frame
    ``j`` is the first back within ``flash_return_distance`` of frame ``i - 1``. A candidate may
    open it, close it or lie inside it: a flash that dies away over a frame or two, or whose
    return is the larger change, is caught all the same. ``returns[j, k]`` is the signature
    distance from frame ``j`` back to frame ``j - 2 - k``. Returns (i, j) per flash: its first
    bright frame and the first frame back in the shot.
    """
    found: set[tuple[int, int]] = set()
    longest = p.flash_max_frames
    for c in candidates:
        for i in range(max(1, c - longest + 1), c + 1):
            if brightness[i] - brightness[i - 1] < p.flash_brightness_gain:
                continue
            for j in range(max(i + 1, c), min(i + longest, len(brightness) - 1) + 1):
                if returns[j, j - i - 1] <= p.flash_return_distance:
                    if _is_flash(i, j, brightness, saturation, p):
                        found.add((i, j))
                    break
    return sorted(found)


def _is_flash(
    start: int, end: int, brightness: np.ndarray, saturation: np.ndarray, p: CutParameters
) -> bool:
    """Whether frames ``start`` to ``end - 1`` are a flash over the shot around them."""
    inside = float(np.mean(brightness[start:end]))
    around = max(brightness[start - 1], brightness[end])
    if inside - around < p.flash_brightness_gain:
        return False
    washed_out = np.mean(saturation[start:end]) <= (
        min(saturation[start - 1], saturation[end]) - p.flash_saturation_drop
    )
    return bool(washed_out or inside >= p.flash_white_level)


def visible(i: int, brightness: np.ndarray, luma_change: np.ndarray, p: CutParameters) -> bool:
    """Whether the change into frame ``i`` shows in brightness where either side is dark.

    Near-black pixels have no stable hue or saturation, so there only luma is trusted.
    """
    if min(brightness[i], brightness[i - 1]) >= 2 * p.black_level:
        return True
    return bool(luma_change[i] >= p.threshold)


def end_of_black_leader(brightness: np.ndarray, p: CutParameters) -> int:
    """The first frame after the black frames that open the video (0 when it opens on a
    picture, or is all black)."""
    dark = brightness < p.black_level
    return int(np.argmin(dark)) if dark.any() and not dark.all() else 0
