"""Stretches without music: near silence at the start, between songs or at the end.

Without reference recordings the only sign of "no music" that holds across film mixes is the
level: a duck under dialogue keeps the song 10 to 15 dB down, while a stretch with no music is
near silent. A blow or a short noise in the silence does not end the gap.
"""

from __future__ import annotations

import numpy as np

from clipindex.music.features import FrameFeatures, Sound, frame_features

MIN_GAP_S = 1.5
"""Shortest stretch reported as a gap; a rest inside a song is shorter."""
QUIET_DB = 30.0
"""How far below the loud parts of the sound (the 90th percentile of its frames) is silence."""
BRIDGE_S = 1.0
"""Sound this short inside silence (a blow, a door) does not end a gap."""
MIN_MUSIC_S = 3.0
"""Sound between two gaps shorter than this is not music, it joins the gaps around it."""
EDGE_SLICE_S = 0.005
"""Resolution to which a gap's edges are placed, on the samples."""


def find_gaps(
    samples: Sound,
    sr: int,
    *,
    frames: FrameFeatures | None = None,
    min_gap_s: float = MIN_GAP_S,
    quiet_db: float = QUIET_DB,
    bridge_s: float = BRIDGE_S,
    min_music_s: float = MIN_MUSIC_S,
) -> list[tuple[float, float]]:
    """Stretches ``(start_s, end_s)`` of a mono soundtrack where no music plays.

    A stretch is a gap when its level (the K-weighted power of each 46 ms frame of ``frames``,
    :func:`~clipindex.music.features.frame_features` of ``samples``, computed if not given)
    stays ``quiet_db`` below the 90th percentile of the file's frames for at least
    ``min_gap_s``, sounds shorter than ``bridge_s`` inside it aside; music shorter than
    ``min_music_s`` between two gaps joins them. Its edges are then placed to 5 ms on the
    samples, where the level crosses the same threshold.

    >>> sr = 22050
    >>> t = np.arange(10 * sr) / sr
    >>> x = np.where((t > 4) & (t < 6.5), 0.0, np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    >>> find_gaps(x, sr)
    [(4.002, 6.5)]
    """
    frames = frames if frames is not None else frame_features(samples, sr)
    levels = 10 * np.log10(np.maximum(frames.power.astype(np.float64), 1e-20))
    if not len(levels):
        return []
    threshold_db = float(np.percentile(levels, 90)) - quiet_db
    quiet = levels < threshold_db
    hop = frames.hop_s
    for start, end, value in _runs(quiet):
        if not value and 0 < start and end < len(quiet) and (end - start) * hop <= bridge_s:
            quiet[start:end] = True
    gaps = [(a, b) for a, b, value in _runs(quiet) if value and (b - a) * hop >= min_gap_s]
    joined: list[tuple[int, int]] = []
    for a, b in gaps:
        if joined and (a - joined[-1][1]) * hop < min_music_s:
            joined[-1] = (joined[-1][0], b)
        else:
            joined.append((a, b))
    duration_s = len(samples) / sr
    found = []
    for a, b in joined:
        start_s = 0.0 if a == 0 else _edge(samples, sr, (a - 1) * hop, hop, threshold_db, False)
        end_s = (
            duration_s if b == len(quiet) else _edge(samples, sr, b * hop, hop, threshold_db, True)
        )
        found.append((round(float(start_s), 3), round(float(min(end_s, duration_s)), 3)))
    return found


def music_stretches(
    gaps: list[tuple[float, float]], duration_s: float
) -> list[tuple[float, float]]:
    """The stretches between ``gaps`` (sorted, not overlapping), over ``[0, duration_s]``.

    >>> music_stretches([(0.0, 2.0), (10.0, 12.0)], 20.0)
    [(2.0, 10.0), (12.0, 20.0)]
    """
    edges = [0.0]
    for start, end in gaps:
        edges += [start, end]
    edges.append(duration_s)
    pairs = zip(edges[0::2], edges[1::2], strict=True)
    return [(a, b) for a, b in pairs if b - a > 1e-9]


def _edge(
    samples: Sound, sr: int, near_s: float, within_s: float, threshold_db: float, rising: bool
) -> float:
    """Where, within ``within_s`` of ``near_s``, the sound falls below (or, ``rising``, rises
    above) the threshold for good: the gap's start (or end), to ``EDGE_SLICE_S``."""
    step = max(1, round(EDGE_SLICE_S * sr))
    frame = round(within_s * sr)
    first = max(0, round(near_s * sr) - frame)
    piece = np.asarray(samples[first : first + 2 * frame], np.float64)
    n = len(piece) // step
    if n == 0:
        return near_s
    power = np.square(piece[: n * step]).reshape(n, step).mean(axis=1)
    # The K-weighting lifts the top by up to 4 dB and cuts the very bottom: within a frame of
    # the edge, the plain level is close enough to the same threshold.
    loud = 10 * np.log10(np.maximum(power, 1e-20)) >= threshold_db
    if rising:
        above = np.flatnonzero(loud)
        return (first + (above[0] if len(above) else n) * step) / sr
    above = np.flatnonzero(loud)
    return (first + (above[-1] + 1 if len(above) else 0) * step) / sr


def _runs(mask: np.ndarray) -> list[tuple[int, int, bool]]:
    """Runs of equal values of a boolean array as ``(start, end, value)``, end exclusive."""
    if not len(mask):
        return []
    change = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(mask)]])
    return [(int(a), int(b), bool(mask[a])) for a, b in zip(starts, ends, strict=True)]
