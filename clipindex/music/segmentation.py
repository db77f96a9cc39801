"""Hand-overs from the sound alone: where one piece of music gives way to the next.

1. Gaps (near silence, see :mod:`clipindex.music.gaps`) split the soundtrack into stretches of
   music; every stretch holds at least one segment.
2. Kernel change-point detection (exact dynamic programming, as ruptures' ``KernelCPD``) places the
   hand-overs on 1 s blocks of timbre and chroma statistics, for a given number of segments or
   for the number whose boundaries best sound like changes of song (of key or chords and of
   instruments, with no repeat of one side's bars on the other), not of section.
3. Each block-level boundary is re-estimated at frame resolution (about 46 ms): every frame near
   it is compared with its nearest neighbours among the frames of the song before and of the song
   after, and the split that best separates the two kinds of frames wins.
4. A boundary moves onto a nearby picture cut only when the sound agrees with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from clipindex.music.features import (
    BLOCK_S,
    N_TIMBRE,
    FrameFeatures,
    Sound,
    StandardisedFrames,
    block_features,
    frame_features,
    row_chunks,
    standardise,
)
from clipindex.music.gaps import find_gaps, music_stretches

SEARCH_S = 1.5
"""How far from its block-level time a boundary is looked for at frame resolution."""
CONTEXT_S = 8.0
"""Sound on each side of the search window that stands for the song before and after."""
_NEIGHBOURS = 3
"""Nearest frames of a song a frame is compared with (their mean squared distance)."""
_AGREE = 0.95
"""Normalised change score a cut needs to take the boundary (1 = the audio's best time)."""
_AGREE_HOPS = 2
"""A cut this many frames or fewer from the audio's time always takes the boundary."""

_MIN_CHROMA_DISTANCE = 0.4
"""Least correlation distance between mean chromas that sounds like another song's harmony."""
_MIN_TIMBRE_DISTANCE = 0.8
"""Least change of mean timbre (pooled standard deviations, RMS) that sounds like another song."""
_SCORE_CLIP = (0.25, 2.0)
"""Range a boundary's contrast score is clipped to before it counts for or against a k."""
_MAX_SEGMENTS = 100
"""Most segments looked for when their number is not given."""
_MARGIN_SCALE = 0.3
"""Lead of the chosen k's support over the next best k at which its confidence is about 0.88."""
_MIN_REPEAT_RATIO = 1.75
"""Least :func:`repetition_ratio` of a hand-over found without credits."""
_REPEAT_SPAN_S = 30.0
_REPEAT_GAP_S = 2.0


@dataclass(frozen=True)
class ChangeProfile:
    """How strongly the sound changes at each candidate time near a boundary.

    ``scores`` are scaled so that the best time in the search window is 1 and the weakest 0;
    times outside the search window (reported for cuts near its edge) may score below 0.
    """

    times_s: np.ndarray
    scores: np.ndarray
    best_s: float
    hop_s: float


@dataclass(frozen=True)
class MusicBoundary:
    """Where one musical segment hands over to the next, with no gap between them."""

    time_s: float
    """Final boundary time (after refinement and optional snapping)."""
    audio_time_s: float
    """Where the audio alone put it (after fine refinement, before snapping)."""
    confidence: float
    """0..1, how clearly the audio changes here compared with changes inside the songs around."""
    snapped_to_cut: bool


@dataclass(frozen=True)
class MusicSpan:
    """One musical segment: ``start_s`` to ``end_s``, seconds."""

    start_s: float
    end_s: float
    confidence: float
    """0..1: the confidence of its weaker edge (an edge on a gap is sure)."""
    snapped_to_cut: bool = False
    """Its start was moved onto a picture cut."""
    audio_start_s: float | None = None
    """Where the sound alone put its start (None: same as ``start_s``)."""


@dataclass(frozen=True)
class MusicSegmentation:
    """The musical segments of a soundtrack, its gaps, and a change curve to plot under them."""

    segments: list[MusicSpan]
    gaps: list[tuple[float, float]]
    """Stretches ``(start_s, end_s)`` without music, which no segment covers."""
    n_segments_confidence: float
    """1.0 when the number of segments was given; else 0..1, how sure the choice of that number
    is (see :func:`find_music_segments`)."""
    curve_times_s: np.ndarray
    """Times of the novelty curve (block edges, seconds)."""
    curve: np.ndarray
    """Novelty at those times, 0..1: :func:`novelty_curve` of the blocks the segmentation used."""
    boundaries: list[MusicBoundary] = field(default_factory=list)
    """The hand-overs between segments that follow each other without a gap, ascending."""

    @property
    def segment_confidences(self) -> list[float]:
        """One confidence per segment."""
        return [segment.confidence for segment in self.segments]


def novelty_curve(
    blocks: np.ndarray, *, width_blocks: int = 4, gamma: float | None = None
) -> np.ndarray:
    """Kernel novelty at every block edge: how unlike the ``width_blocks`` before the next ones are.

    The value at edge ``j`` (time ``j * block_s``) is the squared maximum mean discrepancy, with
    an RBF kernel, between blocks ``j - width_blocks .. j - 1`` and ``j .. j + width_blocks - 1``
    (mirrored at the ends of the file); the curve is scaled to a maximum of 1. ``gamma`` defaults
    to the median heuristic. Returns ``len(blocks) + 1`` values.

    >>> blocks = np.vstack([np.zeros((8, 2)), np.ones((8, 2))])
    >>> int(np.argmax(novelty_curve(blocks)))
    8
    """
    n = len(blocks)
    if n < 2:
        return np.zeros(n + 1)
    gamma = _median_gamma(blocks) if gamma is None else gamma
    width = max(1, min(width_blocks, n - 1))
    padded = np.pad(blocks, ((width, width), (0, 0)), mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * width, axis=0)
    windows = np.moveaxis(windows, -1, 1)  # (n + 1, 2 * width, dims)
    left, right = slice(0, width), slice(width, 2 * width)
    mmd = np.empty(n + 1)
    for start, stop in row_chunks(n + 1):  # a chunk of windows at a time: flat memory
        part = windows[start:stop]
        sq = np.einsum("wij,wij->wi", part, part)
        dist = sq[:, :, None] + sq[:, None, :] - 2 * np.einsum("wid,wjd->wij", part, part)
        kernel = np.exp(-gamma * np.maximum(dist, 0.0))
        mmd[start:stop] = (
            kernel[:, left, left].mean(axis=(1, 2))
            + kernel[:, right, right].mean(axis=(1, 2))
            - 2 * kernel[:, left, right].mean(axis=(1, 2))
        )
    mmd = np.maximum(mmd, 0.0)
    top = mmd.max()
    return mmd / top if top > 0 else mmd


def change_curve(
    frames: FrameFeatures, min_segment_s: float = 8.0
) -> tuple[np.ndarray, np.ndarray]:
    """The novelty curve of a whole soundtrack, to plot under its segments.

    :func:`novelty_curve` of its 1 s blocks, comparing ``min_segment_s / 2`` seconds either side
    of every block edge. Returns the edge times (seconds) and the values (0..1).
    """
    blocks = block_features(frames)
    gamma = _median_gamma(blocks) if len(blocks) > 1 else 1.0
    width = max(2, round(min_segment_s / 2 / BLOCK_S))
    return np.arange(len(blocks) + 1) * BLOCK_S, novelty_curve(
        blocks, width_blocks=width, gamma=gamma
    )


def refine_boundary(
    frames: FrameFeatures,
    time_s: float,
    *,
    lo_s: float = 0.0,
    hi_s: float = math.inf,
    search_s: float = SEARCH_S,
    context_s: float = CONTEXT_S,
    extend_s: float = 0.0,
) -> ChangeProfile:
    """Re-estimate a boundary found on blocks at frame resolution.

    The frames ``context_s`` seconds before the search window (``search_s`` either side of
    ``time_s``) stand for the song before, those after it for the song after; neither reaches
    past ``lo_s`` or ``hi_s`` (e.g. the neighbouring boundaries). Each frame in the window gets
    ``z = (dA - dB) / (dA + dB)``, with ``dA`` and ``dB`` its mean squared distance to its three
    nearest frames of each song, and every split is scored by how well it puts the frames with
    ``z < 0`` before it and those with ``z > 0`` after: the sum of ``z`` after the split minus
    the sum before. A burst of noise unlike both songs has ``z`` near 0, so it cannot pull the
    boundary. Scores are also given ``extend_s`` beyond the search window, so a cut there can be
    weighed, but the best time is taken inside it.

    >>> sr = 22050
    >>> t = np.arange(20 * sr) / sr
    >>> x = np.where(t < 10.3, np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 330 * t))
    >>> round(refine_boundary(frame_features(x, sr), 10.0).best_s, 1)
    10.3
    """
    return _refine(
        StandardisedFrames(frames), frames.hop_s, time_s, lo_s, hi_s, search_s, context_s, extend_s
    )


def _refine(
    standardised: StandardisedFrames,
    hop: float,
    time_s: float,
    lo_s: float,
    hi_s: float,
    search_s: float,
    context_s: float,
    extend_s: float,
) -> ChangeProfile:
    """:func:`refine_boundary` on frame features already standardised over the file."""
    reach = search_s + extend_s
    times = np.arange(len(standardised)) * hop
    inside_limits = (times > lo_s) & (times < hi_s)
    window = inside_limits & (np.abs(times - time_s) <= reach)
    before = inside_limits & (times < time_s - reach) & (times >= time_s - reach - context_s)
    after = inside_limits & (times > time_s + reach) & (times <= time_s + reach + context_s)
    if window.sum() < 2 or before.sum() < _NEIGHBOURS or after.sum() < _NEIGHBOURS:
        return ChangeProfile(np.array([time_s]), np.array([1.0]), time_s, hop)
    frames = standardised[window]
    d_before = _nearest(frames, standardised[before])
    d_after = _nearest(frames, standardised[after])
    z = (d_before - d_after) / np.maximum(d_before + d_after, 1e-12)
    # Split s falls between window frames s - 1 and s; its gain is sum(z[s:]) - sum(z[:s]).
    prefix = np.concatenate([[0.0], np.cumsum(z)])
    gain = (prefix[-1] - prefix[1:-1]) - prefix[1:-1]
    split_times = times[window][1:] - hop / 2
    inside = np.abs(split_times - time_s) <= search_s
    if not inside.any():
        inside = np.ones_like(inside)
    best = int(np.argmax(np.where(inside, gain, -np.inf)))
    low, high = gain[inside].min(), gain[best]
    scores = (gain - low) / (high - low) if high > low else np.ones_like(gain)
    return ChangeProfile(split_times, scores, float(split_times[best]), hop)


def _nearest(frames: np.ndarray, song: np.ndarray) -> np.ndarray:
    """Mean squared distance of each frame to its ``_NEIGHBOURS`` nearest frames of ``song``."""
    dist = _squared_distances(frames, song)
    k = min(_NEIGHBOURS, song.shape[0])
    return np.partition(dist, k - 1, axis=1)[:, :k].mean(axis=1)


def _squared_distances(a: np.ndarray, b: np.ndarray, *, lengths: float | None = None) -> np.ndarray:
    """Squared Euclidean distance from every row of ``a`` to every row of ``b`` (len(a), len(b)),
    as ``scipy.spatial.distance.cdist(a, b, "sqeuclidean")`` to 1e-9 relative.

    Expanded as |a|² + |b|² - 2 a·b, the products by ``einsum``: with ``@``, BLAS's threads spend
    more CPU time spinning than they save on products this small and many. Distances under 1e-4
    of the largest squared lengths (of ``a`` and of ``b``, added; or ``lengths``, for rows of
    larger arrays measured a part at a time), which the expansion would round off, are summed
    directly (equal rows: 0).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a_sq, b_sq = np.einsum("ij,ij->i", a, a), np.einsum("ij,ij->i", b, b)
    d2 = np.einsum("ik,kj->ij", a, np.ascontiguousarray(b.T))
    d2 *= -2.0
    d2 += a_sq[:, None]
    d2 += b_sq
    if lengths is None:
        lengths = a_sq.max(initial=0.0) + b_sq.max(initial=0.0)
    i, j = np.nonzero(d2 < 1e-4 * lengths)
    d2[i, j] = np.sum((a[i] - b[j]) ** 2, axis=1)
    return d2


def snap_to_cut(
    profile: ChangeProfile, cut_times_s: Sequence[float], *, window_s: float = 1.0
) -> float | None:
    """The picture cut a boundary should move to, or None to keep the audio's time.

    A cut qualifies when it lies within ``window_s`` of the audio's best time and the audio agrees
    with it: the cut is at most two frames from that time, or its change score is at least 0.95 of
    the best (scores run from 0, the weakest time in the search window, to 1). Among qualifying
    cuts the one the audio agrees with most wins; ties go to the nearest.

    >>> profile = ChangeProfile(np.array([9.9, 10.0, 10.1, 10.6]), np.array([0.5, 1, 0.95, 0.2]),
    ...                         10.0, 0.05)
    >>> snap_to_cut(profile, [10.6, 10.1]), snap_to_cut(profile, [10.6])
    (10.1, None)
    """
    best_key, chosen = None, None
    for cut in cut_times_s:
        offset = abs(cut - profile.best_s)
        if offset > window_s or not len(profile.times_s):
            continue
        nearest = int(np.argmin(np.abs(profile.times_s - cut)))
        if abs(profile.times_s[nearest] - cut) > profile.hop_s:
            continue  # outside the scored span: the audio has no say there
        score = float(profile.scores[nearest])
        if offset <= _AGREE_HOPS * profile.hop_s:
            score = max(score, 1.0)
        if score < _AGREE:
            continue
        key = (score, -offset)
        if best_key is None or key > best_key:
            best_key, chosen = key, float(cut)
    return chosen


def find_music_segments(
    samples: Sound,
    sr: int,
    *,
    n_segments: int | None = None,
    cut_times_s: Sequence[float] = (),
    min_segment_s: float = 8.0,
    snap_window_s: float = 1.0,
    gaps: Sequence[tuple[float, float]] | None = None,
    frames: FrameFeatures | None = None,
) -> MusicSegmentation:
    """Split a mono soundtrack into its pieces of music and the gaps between them.

    Parameters
    ----------
    samples, sr
        Mono samples (sample ``i`` plays at ``i / sr`` s) and their rate in Hz.
    n_segments
        How many pieces of music there are (e.g. the credited tracks). None: decided from the
        sound, see below.
    cut_times_s
        Picture cuts, in seconds. A boundary moves onto one within ``snap_window_s`` seconds of
        where the audio puts it, if the audio agrees (see :func:`snap_to_cut`).
    min_segment_s
        Shortest segment, in seconds. Relaxed if ``n_segments`` segments of that length do not
        fit in the sound.
    gaps
        Stretches ``(start_s, end_s)`` without music; None finds them
        (:func:`~clipindex.music.gaps.find_gaps`). Every stretch of music between gaps holds at
        least one segment; given more gaps than ``n_segments`` allows, those between the most
        alike stretches are taken for pauses inside a song.
    frames
        The features of ``samples`` if already computed (:func:`frame_features`).

    How many segments, when ``n_segments`` is None: in each stretch of music, for every k up to
    one per ``min_segment_s`` (at most 100) the best k-segmentation is found, and each of its
    boundaries gets a contrast score, the smaller of

    - the correlation distance between the mean chroma on either side, over 0.4 (another key
      or chord set), and
    - the change of mean timbre in pooled standard deviations (RMS over the 13 coefficients),
      over 0.8,

    so that 1 is the least contrast of two songs rather than two sections of one. The support
    for k is the sum of the logs of its boundaries' scores (each clipped to 0.25..2): a hand-over
    adds to it, a split inside a song takes away. The k with the most support wins (k = 1 has
    0), unless one of its boundaries has sections of one song on both sides
    (:func:`repetition_ratio` below 1.75, as an orchestral piece changing key and instruments
    does): such boundaries are dropped, the least repeat-free first.

    ``n_segments_confidence`` grows from 0.5 to 1 with the lead of the chosen k over the next
    best (the least sure stretch counts), and is no higher than the confidence of any boundary
    found (:attr:`MusicBoundary.confidence`, below 0.5 when a change as large happens inside a
    song).

    >>> from clipindex.audio import decode_audio                   # doctest: +SKIP
    >>> found = find_music_segments(decode_audio("samples/training-montage.mp4"), 22050,
    ...                             n_segments=2)                  # doctest: +SKIP
    >>> [round(b.time_s, 2) for b in found.boundaries]             # doctest: +SKIP
    [41.75]
    """
    found = segment_before_cuts(
        samples,
        sr,
        n_segments=n_segments,
        min_segment_s=min_segment_s,
        snap_window_s=snap_window_s,
        gaps=gaps,
        frames=frames,
    )
    return found.snapped(cut_times_s)


@dataclass(frozen=True)
class UnsnappedSegmentation:
    """What :func:`find_music_segments` finds before it needs the cuts: the stretches of music,
    and each boundary's change profile and confidence, ready to be snapped onto the cuts
    (:meth:`snapped`). It holds none of the sound's features, which can then be let go while
    the cuts, which may be long in coming, are waited for."""

    stretches: list[tuple[float, float]]
    refined: list[list[tuple[ChangeProfile, float]]]
    """Per stretch, each boundary's change profile and confidence."""
    gaps: list[tuple[float, float]]
    k_confidence: float
    curve_times_s: np.ndarray
    curve: np.ndarray
    decided: bool
    """The number of segments was decided from the sound."""
    snap_window_s: float

    def snapped(self, cut_times_s: Sequence[float]) -> MusicSegmentation:
        """The segmentation, each boundary moved onto a cut where the sound agrees."""
        segments: list[MusicSpan] = []
        boundaries: list[MusicBoundary] = []
        for (start_s, end_s), profiles in zip(self.stretches, self.refined, strict=True):
            edge_confidence = []
            starts = [(start_s, start_s, False)]
            for profile, confidence in profiles:
                cut = snap_to_cut(profile, cut_times_s, window_s=self.snap_window_s)
                time_s = profile.best_s if cut is None else cut
                boundaries.append(
                    MusicBoundary(time_s, profile.best_s, confidence, cut is not None)
                )
                starts.append((time_s, profile.best_s, cut is not None))
                edge_confidence.append(confidence)
            ends = [s for s, _, _ in starts[1:]] + [end_s]
            sure = [1.0, *edge_confidence, 1.0] if edge_confidence else [self.k_confidence] * 2
            for i, ((start, audio, snapped), end) in enumerate(zip(starts, ends, strict=True)):
                segments.append(MusicSpan(start, end, min(sure[i], sure[i + 1]), snapped, audio))
        k_confidence = self.k_confidence
        if self.decided and boundaries:
            # A hand-over no clearer than a change inside the songs around it makes the count
            # itself doubtful, however much the chosen k leads.
            k_confidence = min(k_confidence, *(b.confidence for b in boundaries))
        return MusicSegmentation(
            segments, self.gaps, k_confidence, self.curve_times_s, self.curve, boundaries
        )


def segment_before_cuts(
    samples: Sound,
    sr: int,
    *,
    n_segments: int | None = None,
    min_segment_s: float = 8.0,
    snap_window_s: float = 1.0,
    gaps: Sequence[tuple[float, float]] | None = None,
    frames: FrameFeatures | None = None,
) -> UnsnappedSegmentation:
    """All of :func:`find_music_segments` (same parameters) but the snapping onto the cuts."""
    if n_segments is not None and n_segments < 1:
        raise ValueError(f"n_segments must be at least 1, not {n_segments}")
    frames = frames if frames is not None else frame_features(samples, sr)
    duration_s = len(samples) / sr
    gaps = list(find_gaps(samples, sr, frames=frames) if gaps is None else gaps)
    stretches = music_stretches(gaps, duration_s)
    if not stretches:  # nothing but near silence: take it all as music rather than nothing
        gaps, stretches = [], [(0.0, duration_s)]
    contrast = _SegmentContrast(frames)
    if n_segments is not None:
        if n_segments > max(round(duration_s / BLOCK_S), 1):
            raise ValueError(f"{n_segments} segments cannot fit in {duration_s:.1f} s of sound")
        stretches, gaps = _join_stretches(stretches, gaps, n_segments, contrast)
    summary = block_features(frames)
    if len(summary) == 0:  # under half a block of sound: nothing to compare, nothing to split
        return UnsnappedSegmentation(
            stretches, [[] for _ in stretches], gaps, 1.0, np.zeros(1), np.zeros(1),
            n_segments is None, snap_window_s,
        )  # fmt: skip
    spans = [_block_span(a, b, len(summary)) for a, b in stretches]
    music_rows = np.concatenate([np.arange(lo, hi) for lo, hi in spans]) if spans else []
    blocks = np.zeros_like(summary)
    if len(music_rows):
        blocks[music_rows] = standardise(summary[music_rows])
    gamma = _median_gamma(blocks[music_rows]) if len(music_rows) > 1 else 1.0
    width = max(2, round(min_segment_s / 2 / BLOCK_S))
    curve = novelty_curve(blocks, width_blocks=width, gamma=gamma)
    curve_times = np.arange(len(blocks) + 1) * BLOCK_S
    min_blocks = max(1, math.ceil(min_segment_s / BLOCK_S - 1e-9))

    standardised = StandardisedFrames(frames)
    if n_segments is not None:
        per_stretch, k_confidence = _given_k(blocks, spans, gamma, min_blocks, n_segments), 1.0
    else:
        per_stretch, confidences = [], []
        for lo, hi in spans:
            k_max = min((hi - lo) // min_blocks, _MAX_SEGMENTS)
            options = _segment(blocks[lo:hi], gamma, min_blocks, k_max)
            options = {k: [lo + e for e in edges] for k, edges in options.items()}
            k, sure = _choose_k(contrast, options)
            per_stretch.append(_without_repeats(standardised, frames.hop_s, options[k]))
            confidences.append(sure)
        k_confidence = min(confidences, default=1.0)

    refined: list[list[tuple[ChangeProfile, float]]] = []
    for (start_s, end_s), edges in zip(stretches, per_stretch, strict=True):
        refined.append([])
        for i in range(1, len(edges) - 1):
            lo = max(
                start_s, (edges[i - 1] + min(SEARCH_S, (edges[i] - edges[i - 1]) / 2)) * BLOCK_S
            )
            hi = min(end_s, (edges[i + 1] - min(SEARCH_S, (edges[i + 1] - edges[i]) / 2)) * BLOCK_S)
            profile = _refine(
                standardised, frames.hop_s, edges[i] * BLOCK_S, lo, hi, SEARCH_S, CONTEXT_S,
                snap_window_s,
            )  # fmt: skip
            refined[-1].append((profile, _boundary_confidence(contrast, edges, i, min_blocks)))

    decided = n_segments is None
    return UnsnappedSegmentation(
        stretches, refined, gaps, k_confidence, curve_times, curve, decided, snap_window_s
    )


# ---------------------------------------------------------------------------------------------
# Stretches of music and the number of segments in each.
# ---------------------------------------------------------------------------------------------


def _block_span(start_s: float, end_s: float, n_blocks: int) -> tuple[int, int]:
    """Blocks ``lo..hi - 1`` mostly inside ``start_s..end_s`` (at least one)."""
    lo = min(max(round(start_s / BLOCK_S), 0), n_blocks - 1)
    hi = max(min(round(end_s / BLOCK_S), n_blocks), lo + 1)
    return lo, hi


def _join_stretches(
    stretches: list[tuple[float, float]],
    gaps: list[tuple[float, float]],
    n_segments: int,
    contrast: _SegmentContrast,
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """More stretches than ``n_segments``: join those across the gaps between the most alike.

    A gap between two joined stretches is a pause inside a song, no longer a gap.
    """
    stretches = list(stretches)
    while len(stretches) > n_segments:
        scores = [contrast.score_s(*a, *b) for a, b in zip(stretches, stretches[1:], strict=False)]
        i = int(np.argmin(scores))
        stretches[i : i + 2] = [(stretches[i][0], stretches[i + 1][1])]
    return stretches, [gap for gap in gaps if _is_between(gap, stretches)]


def _is_between(gap: tuple[float, float], stretches: list[tuple[float, float]]) -> bool:
    """Whether ``gap`` lies outside every stretch."""
    return all(gap[1] <= a + 1e-9 or gap[0] >= b - 1e-9 for a, b in stretches)


def _given_k(
    blocks: np.ndarray, spans: list[tuple[int, int]], gamma: float, min_blocks: int, k: int
) -> list[list[int]]:
    """Block edges per stretch for ``k`` segments in all, the least total kernel cost."""
    while True:
        limits = [max(1, (hi - lo) // min_blocks) for lo, hi in spans]
        if sum(limits) >= k or min_blocks == 1:
            break
        min_blocks -= 1
    options, costs = [], []
    for (lo, hi), limit in zip(spans, limits, strict=True):
        found = _segment(blocks[lo:hi], gamma, min_blocks, min(limit, k))
        options.append({n: [lo + e for e in edges] for n, edges in found.items()})
        costs.append({n: _cost(blocks[lo:hi], gamma, edges) for n, edges in found.items()})
    # Dynamic programming over stretches: best[j][m] = least cost of m segments in the first j.
    best: list[dict[int, tuple[float, list[int]]]] = [{0: (0.0, [])}]
    for cost in costs:
        row: dict[int, tuple[float, list[int]]] = {}
        for used, (total, picks) in best[-1].items():
            for n, c in cost.items():
                if used + n <= k and (used + n not in row or total + c < row[used + n][0]):
                    row[used + n] = (total + c, [*picks, n])
        best.append(row)
    picks = best[-1].get(k, best[-1][max(best[-1])])[1]
    return [option[n] for option, n in zip(options, picks, strict=True)]


def _cost(blocks: np.ndarray, gamma: float, edges: list[int]) -> float:
    """RBF-kernel cost of a segmentation given by its block edges ``[0, ..., n]``."""
    total = 0.0
    for a, b in zip(edges, edges[1:], strict=False):
        part = blocks[a:b]
        total += len(part) - _kernel_sum(part, gamma) / len(part)
    return total


def _kernel_sum(points: np.ndarray, gamma: float) -> float:
    """``np.exp(-gamma * _squared_distances(points, points)).sum()``, to the bit, with no more
    than a few rows of the matrix made at a time."""
    n = len(points)
    lengths = 2 * np.einsum("ij,ij->i", points, points).max(initial=0.0)

    def kernel(first: int, stop: int) -> np.ndarray:
        rows = points[first // n : (stop - 1) // n + 1]
        dist = _squared_distances(rows, points, lengths=lengths)
        return np.exp(-gamma * dist).ravel()[first % n : first % n + stop - first]

    return _pairwise_sum(kernel, 0, n * n)


def _pairwise_sum(values: Callable[[int, int], np.ndarray], first: int, stop: int) -> float:
    """``values(first, stop).sum()`` to the bit, for a long flat array made a span at a time by
    ``values``: NumPy sums by halves (pairwise), so the spans are its halves, each summed alone,
    and the largest made at once has ``_SUM_SPAN`` values."""
    n = stop - first
    if n <= _SUM_SPAN:
        return float(values(first, stop).sum())
    half = n // 2
    half -= half % 8  # where NumPy's pairwise summation splits
    return _pairwise_sum(values, first, first + half) + _pairwise_sum(values, first + half, stop)


_SUM_SPAN = 1 << 20
"""Most values :func:`_pairwise_sum` has made at once (8 MB of float64), and most distances
:func:`_median_distance` holds all of."""
_PAIR_ROWS = 256
"""Points whose distances to all others :func:`_median_distance` measures at a time."""


def _median_gamma(points: np.ndarray) -> float:
    """RBF ``gamma``: one over the median squared distance between points (at most 2000 used)."""
    median = _median_distance(points[:: max(1, math.ceil(len(points) / 2000))])
    return 1.0 / median if median > 0 else 1.0


def _median_distance(points: np.ndarray) -> float:
    """``np.median`` of the squared distances between every two of ``points``, to the bit.

    Past ``_SUM_SPAN`` pairs the distances are not all held at once: a sparse sample of them
    brackets the middle ones, and only those inside the bracket are kept, on a second pass.
    """
    n = len(points)
    count = n * (n - 1) // 2
    if count == 0:
        return 0.0
    lengths = 2 * np.einsum("ij,ij->i", points, points).max(initial=0.0)

    def pairs() -> Iterator[np.ndarray]:
        """Each pair's distance once, row after row, a few rows at a time."""
        for start, stop in row_chunks(n, _PAIR_ROWS):
            d2 = _squared_distances(points[start:stop], points, lengths=lengths)
            yield np.concatenate([d2[row - start, row + 1 :] for row in range(start, stop)])

    if count <= _SUM_SPAN:
        return float(np.median(np.concatenate(list(pairs())), overwrite_input=True))
    middle = [count // 2 - 1, count // 2] if count % 2 == 0 else [count // 2]
    sample = np.sort(np.concatenate([part[::16].copy() for part in pairs()]))
    low = sample[int(0.45 * len(sample))]
    high = sample[min(int(0.55 * len(sample)) + 1, len(sample) - 1)]
    below, inside = 0, []
    for part in pairs():
        below += int(np.count_nonzero(part < low))
        inside.append(part[(part >= low) & (part <= high)])
    between = np.sort(np.concatenate(inside))
    if not below <= middle[0] <= middle[-1] < below + len(between):  # the sample misled
        return float(np.median(np.concatenate(list(pairs())), overwrite_input=True))
    return float(np.mean(between[[k - below for k in middle]]))


def _segment(blocks: np.ndarray, gamma: float, min_blocks: int, k_max: int) -> dict[int, list[int]]:
    """Best segmentation for every k up to ``k_max``, as block edges ``[0, ..., n_blocks]``.

    Kernel change-point detection by exact dynamic programming (Arlot, Celisse and Harchaoui,
    JMLR 2019), step for step as ruptures' ``KernelCPD(kernel="rbf")`` computes it, so with the
    same kernel ``exp(-clip(gamma * d², 0.01, 100))``, sums and tie-breaking (the earliest
    break wins; only one-block segments, whose costs tie to the last bit, may go either way).
    Squared distances are expanded (see ``_squared_distances``), so they may differ from
    ruptures' in the last bits; the tests check the segmentations are the same.
    Done here with NumPy because importing ruptures takes over a second (it loads all of
    ``scipy.stats`` and ``scipy.signal``), a sixth of indexing a one-minute video.
    Memory grows with ``n_blocks * k_max``, not with the square of the length.
    """
    n = len(blocks)
    found = {1: [0, n]}
    if k_max < 2:
        return found
    n_breaks = k_max - 1
    blocks = np.ascontiguousarray(blocks, dtype=np.float64)
    diagonal = math.exp(-0.01)  # every block against itself: d² = 0, clipped to 0.01
    self_sums = np.concatenate([[0.0], np.cumsum(np.full(n, diagonal))])  # over blocks 0..t-1
    pair_sums = np.zeros(n + 1)  # after step t, pair_sums[s]: kernel summed over (s..t-1)²
    least = np.zeros((n + 1, n_breaks + 1))  # least[t, k]: cost of blocks 0..t-1 in k + 1 parts
    path = np.zeros((n + 1, n_breaks + 1), dtype=np.int32)  # where the last part then starts
    need = min_blocks * np.arange(1, n_breaks + 1)  # k breaks before s need s >= k * min_blocks
    for t in range(1, n + 1):
        d2 = _squared_distances(blocks[:t], blocks[t - 1 : t])[:, 0]
        kernel = np.exp(-np.clip(gamma * d2, 0.01, 100.0))
        running = np.cumsum(kernel[::-1])[::-1]
        pair_sums[:t] += 2 * running - diagonal
        least[t, 0] = self_sums[t] - pair_sums[0] / t
        starts = np.arange(min_blocks, t - min_blocks + 1)
        if not len(starts):
            continue
        last = self_sums[t] - self_sums[starts] - pair_sums[starts] / (t - starts)
        total = least[starts, :-1] + last[:, None]
        total[starts[:, None] < need[None, :]] = np.inf
        pick = np.argmin(total, axis=0)
        usable = np.isfinite(total[pick, np.arange(n_breaks)])
        least[t, 1:][usable] = total[pick, np.arange(n_breaks)][usable]
        path[t, 1:][usable] = starts[pick][usable]
    for k in range(2, k_max + 1):
        edges = [n]
        for breaks in range(k - 1, 0, -1):
            edges.insert(0, int(path[edges[0], breaks]))
        found[k] = [0, *edges]
    return found


def _choose_k(contrast: _SegmentContrast, segmentations: dict[int, list[int]]) -> tuple[int, float]:
    """The number of segments (see :func:`find_music_segments`) and how sure that choice is."""
    support = {1: 0.0}
    for k in range(2, max(segmentations) + 1):
        edges = np.array(segmentations[k])
        scores = contrast.scores(edges[:-2], edges[1:-1], edges[2:])
        support[k] = float(np.log(np.clip(scores, _SCORE_CLIP[0], _SCORE_CLIP[1])).sum())
    k = max(support, key=lambda j: (support[j], -j))
    runner_up = max((v for j, v in support.items() if j != k), default=-math.inf)
    return k, 0.5 + 0.5 * math.tanh((support[k] - runner_up) / _MARGIN_SCALE)


def repetition_ratio(
    standardised: StandardisedFrames | np.ndarray,
    hop_s: float,
    start_s: float,
    middle_s: float,
    end_s: float,
) -> float:
    """How much less the two sides of a boundary repeat each other than themselves.

    For every frame (at most ``_REPEAT_SPAN_S`` from the boundary) the mean
    squared distance to its three nearest frames on the other side is divided by that to its
    three nearest on its own side (more than 2 s away); the median over both sides is returned.
    A song repeats its bars, so a frame finds near twins in the song's other sections: a split
    inside one song scores about 1 (0.9 to 1.7 every 10 s through the shared songs, though an
    intro that never comes back scores higher), a hand-over to another song about 2 or more
    (1.9 to 2.7 on the test montages).
    """
    times = np.arange(len(standardised)) * hop_s
    left = (times >= max(start_s, middle_s - _REPEAT_SPAN_S)) & (times < middle_s)
    right = (times >= middle_s) & (times < min(end_s, middle_s + _REPEAT_SPAN_S))
    sides = [np.flatnonzero(side) for side in (left, right)]
    if min(len(side) for side in sides) < 2 * _NEIGHBOURS:
        return math.inf
    ratios = []
    for own, other in (sides, sides[::-1]):
        frames, when = standardised[own], times[own]
        near_self = _squared_distances(frames, frames)
        near_self[np.abs(when[:, None] - when[None, :]) < _REPEAT_GAP_S] = np.inf
        k = min(_NEIGHBOURS, max(1, len(own) - 1))
        within = np.sort(near_self, axis=1)[:, :k].mean(axis=1)
        across = _nearest(frames, standardised[other])
        usable = np.isfinite(within)
        ratios.append(across[usable] / np.maximum(within[usable], 1e-12))
    joined = np.concatenate(ratios)
    return float(np.median(joined)) if len(joined) else math.inf


def _without_repeats(standardised: StandardisedFrames, hop_s: float, edges: list[int]) -> list[int]:
    """Block edges without the boundaries that have one song on both sides: while some
    boundary's :func:`repetition_ratio` is below ``_MIN_REPEAT_RATIO``, the lowest goes."""
    edges = list(edges)
    while len(edges) > 2:
        ratios = [
            repetition_ratio(
                standardised,
                hop_s,
                edges[i - 1] * BLOCK_S,
                edges[i] * BLOCK_S,
                edges[i + 1] * BLOCK_S,
            )
            for i in range(1, len(edges) - 1)
        ]
        lowest = int(np.argmin(ratios))
        if ratios[lowest] >= _MIN_REPEAT_RATIO:
            break
        del edges[lowest + 1]
    return edges


class _SegmentContrast:
    """How unlike two adjacent block ranges sound, from prefix sums of the frame features.

    The score is min(chroma distance / 0.4, timbre distance / 0.8): at least 1 when the ranges
    differ as two songs do (see :func:`find_music_segments`).
    """

    def __init__(self, frames: FrameFeatures) -> None:
        self._timbre, self._chroma = frames.timbre, frames.chroma
        self._per_block = BLOCK_S / frames.hop_s
        self._n_frames = n = len(frames.timbre)
        # The prefix sums of the features and of their squares, added frame after frame as
        # np.cumsum adds them, are kept only at the frames that start blocks (where nearly every
        # range asked for starts and ends); any other is summed on from the block's start.
        n_blocks = math.ceil(n / self._per_block) + 1
        self._kept = np.unique(self._frame(np.arange(n_blocks + 1)))
        self._sums = np.zeros((len(self._kept), N_TIMBRE + 12))
        self._squares = np.zeros_like(self._sums)
        sums, squares = self._sums[0], self._squares[0]
        for start, stop in row_chunks(n):
            feats = self._feats(start, stop)
            running_sums = np.cumsum(np.vstack([sums, feats]), axis=0)
            running_squares = np.cumsum(np.vstack([squares, feats**2]), axis=0)
            here = self._kept[(self._kept > start) & (self._kept <= stop)]
            self._sums[np.searchsorted(self._kept, here)] = running_sums[here - start]
            self._squares[np.searchsorted(self._kept, here)] = running_squares[here - start]
            sums, squares = running_sums[-1], running_squares[-1]

    def _frame(self, blocks: np.ndarray) -> np.ndarray:
        """The frame each block position (a block number, or a time over ``BLOCK_S``) starts at."""
        return np.minimum(np.ceil(blocks * self._per_block).astype(int), self._n_frames)

    def _feats(self, start: int, stop: int) -> np.ndarray:
        return np.hstack([self._timbre[start:stop], self._chroma[start:stop]]).astype(np.float64)

    def _prefix(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sums of the features and of their squares over the frames before each of
        ``frames``."""
        at = np.searchsorted(self._kept, frames, side="right") - 1
        sums, squares = self._sums[at], self._squares[at]
        for i in np.flatnonzero(self._kept[at] != frames):
            feats = self._feats(self._kept[at[i]], frames[i])
            sums[i] = np.cumsum(np.vstack([sums[i], feats]), axis=0)[-1]
            squares[i] = np.cumsum(np.vstack([squares[i], feats**2]), axis=0)[-1]
        return sums, squares

    def _stats(self, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = self._frame(start), self._frame(end)
        n = np.maximum(b - a, 1)[:, None]
        (sums_a, squares_a), (sums_b, squares_b) = self._prefix(a), self._prefix(b)
        mean = (sums_b - sums_a) / n
        var = np.maximum((squares_b - squares_a) / n - mean**2, 0.0)
        return mean, var

    def _between(
        self, a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray
    ) -> np.ndarray:
        mean_a, var_a = self._stats(a0, a1)
        mean_b, var_b = self._stats(b0, b1)
        chroma_a = mean_a[:, N_TIMBRE:] - mean_a[:, N_TIMBRE:].mean(axis=1, keepdims=True)
        chroma_b = mean_b[:, N_TIMBRE:] - mean_b[:, N_TIMBRE:].mean(axis=1, keepdims=True)
        norms = np.linalg.norm(chroma_a, axis=1) * np.linalg.norm(chroma_b, axis=1)
        dots = np.einsum("ij,ij->i", chroma_a, chroma_b)
        chroma = np.where(norms > 0, 1.0 - dots / np.where(norms > 0, norms, 1.0), 0.0)
        pooled = np.maximum((var_a[:, :N_TIMBRE] + var_b[:, :N_TIMBRE]) / 2, 1e-9)
        timbre = np.sqrt(((mean_a[:, :N_TIMBRE] - mean_b[:, :N_TIMBRE]) ** 2 / pooled).mean(axis=1))
        return np.minimum(chroma / _MIN_CHROMA_DISTANCE, timbre / _MIN_TIMBRE_DISTANCE)

    def scores(self, starts: np.ndarray, middles: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Scores of boundaries at blocks ``middles`` between ``starts`` and ``ends`` (arrays)."""
        starts, middles, ends = np.asarray(starts), np.asarray(middles), np.asarray(ends)
        return self._between(starts, middles, middles, ends)

    def score(self, start: int, middle: int, end: int) -> float:
        """Score of the boundary at block ``middle`` between blocks ``start..end``."""
        return float(self.scores(np.array([start]), np.array([middle]), np.array([end]))[0])

    def score_s(self, a0: float, a1: float, b0: float, b1: float) -> float:
        """Score between the sound of ``a0..a1`` and of ``b0..b1`` (seconds)."""
        blocks = np.array([a0, a1, b0, b1]) / BLOCK_S
        return float(self._between(*(blocks[i : i + 1] for i in range(4)))[0])

    def strongest_inside(self, start: int, end: int, min_blocks: int) -> float:
        """Best score of a split inside blocks ``start..end`` leaving ``min_blocks`` each side."""
        middles = np.arange(start + min_blocks, end - min_blocks + 1)
        if not len(middles):
            return 0.0
        starts, ends = np.full(len(middles), start), np.full(len(middles), end)
        return float(self.scores(starts, middles, ends).max())


def _boundary_confidence(
    contrast: _SegmentContrast, edges: list[int], i: int, min_blocks: int
) -> float:
    """r² / (1 + r²), r = the change at boundary ``i`` over the largest change inside either song.

    Both are :class:`_SegmentContrast` scores between whole block ranges; inner splits may leave
    half ``min_blocks`` each side. 0.5 means a change as large as this one happens inside a song.
    """
    here = contrast.score(edges[i - 1], edges[i], edges[i + 1])
    piece = max(2, min_blocks // 2)
    inside = max(
        contrast.strongest_inside(edges[i - 1], edges[i], piece),
        contrast.strongest_inside(edges[i], edges[i + 1], piece),
    )
    if inside <= 0:
        return 1.0
    ratio = here / inside
    return ratio**2 / (1 + ratio**2)
