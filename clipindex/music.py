"""Find musical segments in a soundtrack: where one piece of music hands over to the next.

The sound is described per STFT frame by its timbre (MFCC-like coefficients without the loudness
one) and its harmony (a 12-bin chroma), then summarised on 1 s blocks. Loudness is left out on
purpose: film mixes duck the music under dialogue, and a duck is not a new song.

1. Kernel change-point detection (``ruptures.KernelCPD``, exact dynamic programming) places the
   hand-overs on the blocks, for a given number of segments or for the number whose boundaries
   best sound like changes of song (of key or chords and of instruments), not of section.
2. Each block-level boundary is re-estimated at frame resolution (about 46 ms).
3. A boundary moves onto a nearby picture cut only when the sound agrees with it.

All functions are pure: they take arrays and return new values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import ruptures
import scipy.fft
import scipy.spatial.distance

BLOCK_S = 1.0
"""Seconds per block of the global segmentation."""

FRAME_S = 0.093
"""Seconds per STFT frame (rounded to a power-of-two length); frames overlap by half."""

N_TIMBRE = 13
"""Timbre coefficients per frame (MFCC 1..13; coefficient 0, the loudness, is dropped)."""

_N_MELS = 40
_MEL_FMIN_HZ = 40.0
_MEL_FMAX_HZ = 11025.0
_CHROMA_FMIN_HZ = 130.0
"""Below this, STFT bins are wider than a semitone and bass and drums smear the chroma."""
_CHROMA_FMAX_HZ = 5000.0
_FLOOR_DB = -80.0
"""Band energies are floored this far below the file's loudest band, so silence stays finite."""

_SEARCH_S = 1.5
"""How far from its block-level time a boundary is looked for at frame resolution."""
_CONTEXT_S = 8.0
"""Sound on each side of the search window that the frame-level estimate compares."""
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


@dataclass(frozen=True)
class FrameFeatures:
    """Per-frame description of a sound: frame ``i`` is centred on ``i * hop_s`` seconds.

    ``timbre`` (n_frames, 13): MFCC-like coefficients 1..13 of the log-mel spectrum, in dB.
    ``chroma`` (n_frames, 12): energy per pitch class C, C#, ..., B, scaled to a maximum of 1.
    """

    timbre: np.ndarray
    chroma: np.ndarray
    hop_s: float

    @property
    def times_s(self) -> np.ndarray:
        """Centre time of each frame, in seconds."""
        return np.arange(len(self.timbre)) * self.hop_s

    @property
    def duration_s(self) -> float:
        """Seconds of sound the frames cover."""
        return len(self.timbre) * self.hop_s


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
    """Where one musical segment hands over to the next."""

    time_s: float
    """Final boundary time (after refinement and optional snapping)."""
    audio_time_s: float
    """Where the audio alone put it (after fine refinement, before snapping)."""
    confidence: float
    """0..1, how clearly the audio changes here compared with changes inside the songs around."""
    snapped_to_cut: bool


@dataclass(frozen=True)
class MusicSegmentation:
    """The musical segments of a soundtrack, with a change curve to plot under them."""

    boundaries: list[MusicBoundary]
    """k - 1 boundaries, ascending."""
    segment_confidences: list[float]
    """One per segment (k): the confidence of its weaker edge."""
    n_segments_confidence: float
    """1.0 when k was given; else 0.5 (a toss-up) to 1, how sure the choice of k is."""
    curve_times_s: np.ndarray
    """Times of the novelty curve (block edges, seconds)."""
    curve: np.ndarray
    """Novelty at those times, 0..1: :func:`novelty_curve` of the features and kernel the
    segmentation used."""


def frame_features(samples: np.ndarray, sr: int) -> FrameFeatures:
    """Timbre and chroma of every STFT frame of a mono signal.

    Frames are ``FRAME_S`` long (2048 samples at 22050 Hz) with a hop of half that, centred on
    ``i * hop_s`` (the signal is zero-padded at both ends). Timbre is the DCT of the log-mel
    spectrum (40 bands, 40 Hz to 11 kHz) without its 0th coefficient, so the overall level
    does not count; chroma folds the bins between 130 Hz and 5 kHz onto 12 pitch classes.

    >>> sr = 22050
    >>> tone = np.sin(2 * np.pi * 440.0 * np.arange(sr) / sr).astype(np.float32)
    >>> feats = frame_features(tone, sr)
    >>> feats.timbre.shape, int(np.argmax(feats.chroma[10]))  # 9 = A
    ((22, 13), 9)
    """
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError(f"expected mono samples (one dimension), got shape {samples.shape}")
    n_fft = 2 ** round(math.log2(FRAME_S * sr))
    hop = n_fft // 2
    padded = np.pad(samples, n_fft // 2)
    n_frames = 1 + max(0, len(padded) - n_fft) // hop
    if len(padded) < n_fft:
        padded = np.pad(padded, (0, n_fft - len(padded)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop][:n_frames]
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    mel_fb = _mel_filterbank(sr, n_fft)
    chroma_fb = _chroma_filterbank(sr, n_fft)
    mel = np.empty((n_frames, _N_MELS), np.float32)
    chroma = np.empty((n_frames, 12), np.float32)
    chunk = 4096  # frames per FFT batch: bounds memory on long files
    for start in range(0, n_frames, chunk):
        spectrum = scipy.fft.rfft(frames[start : start + chunk] * window, axis=1)
        power = spectrum.real**2 + spectrum.imag**2
        mel[start : start + chunk] = power @ mel_fb
        chroma[start : start + chunk] = power @ chroma_fb
    floor = max(float(mel.max(initial=0.0)), 1e-20) * 10 ** (_FLOOR_DB / 10)
    log_mel = 10 * np.log10(np.maximum(mel, floor))
    timbre = scipy.fft.dct(log_mel, type=2, norm="ortho", axis=1)[:, 1 : N_TIMBRE + 1]
    chroma_floor = max(float(chroma.max(initial=0.0)), 1e-20) * 1e-6
    chroma = chroma / np.maximum(chroma.max(axis=1, keepdims=True), chroma_floor)
    return FrameFeatures(timbre.astype(np.float32), chroma.astype(np.float32), hop / sr)


def block_features(frames: FrameFeatures, block_s: float = BLOCK_S) -> np.ndarray:
    """Mean and standard deviation of every frame feature over blocks of ``block_s`` seconds.

    Block ``j`` holds the frames centred in ``[j * block_s, (j + 1) * block_s)``; a last block
    shorter than half ``block_s`` is dropped. Each of the 50 columns (25 means, then 25 standard
    deviations) is standardised over the file, so timbre and chroma weigh alike.

    >>> sr = 22050
    >>> noise = np.random.default_rng(0).standard_normal(10 * sr).astype(np.float32)
    >>> block_features(frame_features(noise, sr)).shape
    (10, 50)
    """
    feats = np.hstack([frames.timbre, frames.chroma]).astype(np.float64)
    n_blocks = int(np.floor(frames.duration_s / block_s + 0.5))
    if n_blocks == 0:
        return np.zeros((0, 2 * feats.shape[1]))
    block = np.floor(frames.times_s / block_s).astype(int)
    keep = block < n_blocks
    block, feats = block[keep], feats[keep]
    counts = np.maximum(np.bincount(block, minlength=n_blocks), 1)[:, None]
    sums = np.zeros((n_blocks, feats.shape[1]))
    squares = np.zeros_like(sums)
    np.add.at(sums, block, feats)
    np.add.at(squares, block, feats**2)
    mean = sums / counts
    std = np.sqrt(np.maximum(squares / counts - mean**2, 0.0))
    summary = np.hstack([mean, std])
    spread = summary.std(axis=0)
    return (summary - summary.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


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
    sq = np.einsum("wij,wij->wi", windows, windows)
    dist = sq[:, :, None] + sq[:, None, :] - 2 * np.einsum("wid,wjd->wij", windows, windows)
    kernel = np.exp(-gamma * np.maximum(dist, 0.0))
    left, right = slice(0, width), slice(width, 2 * width)
    mmd = (
        kernel[:, left, left].mean(axis=(1, 2))
        + kernel[:, right, right].mean(axis=(1, 2))
        - 2 * kernel[:, left, right].mean(axis=(1, 2))
    )
    mmd = np.maximum(mmd, 0.0)
    top = mmd.max()
    return mmd / top if top > 0 else mmd


def refine_boundary(
    frames: FrameFeatures,
    time_s: float,
    *,
    lo_s: float = 0.0,
    hi_s: float = math.inf,
    search_s: float = _SEARCH_S,
    context_s: float = _CONTEXT_S,
    extend_s: float = 0.0,
) -> ChangeProfile:
    """Re-estimate a boundary found on blocks at frame resolution.

    Every split between two frames within ``search_s`` of ``time_s`` is scored by how much it
    lowers the RBF-kernel cost of the frames around it (``context_s`` more on each side, never
    past ``lo_s`` or ``hi_s``, e.g. the neighbouring boundaries): a single change point fitted to
    the timbre and chroma of those frames. Scores are also given ``extend_s`` beyond the search
    window, so a cut there can be weighed, but the best time is taken inside it.

    >>> sr = 22050
    >>> t = np.arange(20 * sr) / sr
    >>> x = np.where(t < 10.3, np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 330 * t))
    >>> round(refine_boundary(frame_features(x, sr), 10.0).best_s, 1)
    10.3
    """
    return _refine(
        _standardised_frames(frames),
        frames.hop_s,
        time_s,
        lo_s,
        hi_s,
        search_s,
        context_s,
        extend_s,
    )


def _refine(
    standardised: np.ndarray,
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
    first = max(int(np.ceil(max(lo_s, time_s - reach - context_s) / hop)), 0)
    last = min(int(np.floor(min(hi_s, time_s + reach + context_s) / hop)) + 1, len(standardised))
    feats = standardised[first:last]
    n = len(feats)
    if n < 2:
        return ChangeProfile(np.array([time_s]), np.array([1.0]), time_s, hop)
    dist = scipy.spatial.distance.pdist(feats, "sqeuclidean")
    kernel = scipy.spatial.distance.squareform(np.exp(-_inverse_median(dist) * dist))
    np.fill_diagonal(kernel, 1.0)
    prefix = np.zeros((n + 1, n + 1))
    prefix[1:, 1:] = kernel.cumsum(axis=0).cumsum(axis=1)
    split = np.arange(1, n)
    left_sum = prefix[split, split]
    right_sum = prefix[n, n] - 2 * prefix[split, n] + prefix[split, split]
    gain = left_sum / split + right_sum / (n - split) - prefix[n, n] / n
    times = (first + split - 0.5) * hop
    shown = (np.abs(times - time_s) <= reach) & (times > lo_s) & (times < hi_s)
    times, gain = times[shown], gain[shown]
    if not len(times):
        return ChangeProfile(np.array([time_s]), np.array([1.0]), time_s, hop)
    inside = np.abs(times - time_s) <= search_s
    if not inside.any():
        inside = np.ones_like(inside)
    best = int(np.argmax(np.where(inside, gain, -np.inf)))
    low, high = gain[inside].min(), gain[best]
    scores = (gain - low) / (high - low) if high > low else np.ones_like(gain)
    return ChangeProfile(times, scores, float(times[best]), hop)


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
    samples: np.ndarray,
    sr: int,
    *,
    n_segments: int | None = None,
    cut_times_s: Sequence[float] = (),
    min_segment_s: float = 8.0,
    snap_window_s: float = 1.0,
) -> MusicSegmentation:
    """Split a mono soundtrack into its pieces of music.

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

    How many segments, when ``n_segments`` is None: for every k up to one per ``min_segment_s``
    (at most 100) the best k-segmentation is found, and each of its boundaries gets a contrast
    score, the smaller of

    - the correlation distance between the mean chroma on either side, over 0.4 (another key
      or chord set), and
    - the change of mean timbre in pooled standard deviations (RMS over the 13 coefficients),
      over 0.8,

    so that 1 is the least contrast of two songs rather than two sections of one. The support
    for k is the sum of the logs of its boundaries' scores (each clipped to 0.25..2): a hand-over
    adds to it, a split inside a song takes away. The k with the most support wins (k = 1 has
    0). The kernel cost itself is not used, because its elbow vanishes on montages of many
    songs. ``n_segments_confidence`` grows from 0.5 to 1 with the lead of the chosen k over
    the next best.

    >>> from clipindex.audio import decode_audio                   # doctest: +SKIP
    >>> found = find_music_segments(decode_audio("samples/training-montage.mp4"), 22050,
    ...                             n_segments=2)                  # doctest: +SKIP
    >>> [round(b.time_s, 2) for b in found.boundaries]             # doctest: +SKIP
    [41.75]
    """
    if n_segments is not None and n_segments < 1:
        raise ValueError(f"n_segments must be at least 1, not {n_segments}")
    frames = frame_features(samples, sr)
    blocks = block_features(frames)
    n_blocks = len(blocks)
    min_blocks = max(1, math.ceil(min_segment_s / BLOCK_S - 1e-9))
    gamma = _median_gamma(blocks) if n_blocks > 1 else 1.0
    width = max(2, round(min_segment_s / 2 / BLOCK_S))
    curve = novelty_curve(blocks, width_blocks=width, gamma=gamma)
    curve_times = np.arange(n_blocks + 1) * BLOCK_S
    contrast = _SegmentContrast(frames)

    if n_segments is not None:
        if n_segments > max(n_blocks, 1):
            raise ValueError(
                f"{n_segments} segments cannot fit in {frames.duration_s:.1f} s of sound"
            )
        k, k_confidence = n_segments, 1.0
        min_blocks = min(min_blocks, n_blocks // n_segments) if n_segments > 1 else min_blocks
        edges = _segment(blocks, gamma, min_blocks, k)[k]
    else:
        k_max = min(n_blocks // min_blocks, _MAX_SEGMENTS)
        segmentations = _segment(blocks, gamma, min_blocks, k_max)
        k, k_confidence = _choose_k(contrast, segmentations)
        edges = segmentations[k]

    standardised = _standardised_frames(frames)
    boundaries = []
    for i in range(1, k):
        lo = (edges[i - 1] + min(_SEARCH_S, (edges[i] - edges[i - 1]) / 2)) * BLOCK_S
        hi = (edges[i + 1] - min(_SEARCH_S, (edges[i + 1] - edges[i]) / 2)) * BLOCK_S
        profile = _refine(
            standardised,
            frames.hop_s,
            edges[i] * BLOCK_S,
            lo,
            hi,
            _SEARCH_S,
            _CONTEXT_S,
            snap_window_s,
        )
        cut = snap_to_cut(profile, cut_times_s, window_s=snap_window_s)
        confidence = _boundary_confidence(contrast, edges, i, min_blocks)
        boundaries.append(
            MusicBoundary(
                time_s=profile.best_s if cut is None else cut,
                audio_time_s=profile.best_s,
                confidence=confidence,
                snapped_to_cut=cut is not None,
            )
        )
    if boundaries:
        edge_conf = [b.confidence for b in boundaries]
        segment_conf = [min(edge_conf[max(i - 1, 0) : i + 1]) for i in range(k)]
    else:
        segment_conf = [k_confidence]
    return MusicSegmentation(boundaries, segment_conf, k_confidence, curve_times, curve)


# ---------------------------------------------------------------------------------------------
# Filterbanks.
# ---------------------------------------------------------------------------------------------


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def _mel_filterbank(sr: int, n_fft: int) -> np.ndarray:
    """(n_bins, 40) triangular mel filters of unit area, 40 Hz to 11 kHz (or Nyquist)."""
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    top = min(_MEL_FMAX_HZ, sr / 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(_MEL_FMIN_HZ), _hz_to_mel(top), _N_MELS + 2))
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - low) / (centre - low)
    falling = (high - freqs) / (high - centre)
    bank = np.maximum(0.0, np.minimum(rising, falling))
    bank /= np.maximum(bank.sum(axis=1, keepdims=True), 1e-12)
    return bank.T.astype(np.float32)


def _chroma_filterbank(sr: int, n_fft: int) -> np.ndarray:
    """(n_bins, 12) weights of each STFT bin for each pitch class (C = 0).

    A bin counts for the pitch classes near its centre frequency, with a Gaussian spread of at
    least half a semitone, or half the bin's own width in semitones where that is wider.
    """
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    used = (freqs >= _CHROMA_FMIN_HZ) & (freqs <= min(_CHROMA_FMAX_HZ, sr / 2))
    safe = np.where(used, freqs, 440.0)
    pitch = 69 + 12 * np.log2(safe / 440.0)
    spread = np.maximum(0.5, 12 / np.log(2) * (sr / n_fft) / safe / 2)
    distance = (pitch[:, None] - np.arange(12)[None, :]) % 12
    distance = np.minimum(distance, 12 - distance)
    bank = np.exp(-0.5 * (distance / spread[:, None]) ** 2) * used[:, None]
    return bank.astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Global segmentation and the choice of k.
# ---------------------------------------------------------------------------------------------


def _median_gamma(points: np.ndarray) -> float:
    """RBF ``gamma``: one over the median squared distance between points (at most 2000 used)."""
    sample = points[:: max(1, math.ceil(len(points) / 2000))]
    return _inverse_median(scipy.spatial.distance.pdist(sample, "sqeuclidean"))


def _inverse_median(distances: np.ndarray) -> float:
    """One over the median of ``distances`` (1 when there are none or it is 0)."""
    median = float(np.median(distances)) if distances.size else 0.0
    return 1.0 / median if median > 0 else 1.0


def _segment(blocks: np.ndarray, gamma: float, min_blocks: int, k_max: int) -> dict[int, list[int]]:
    """Best segmentation for every k up to ``k_max``, as block edges ``[0, ..., n_blocks]``."""
    n = len(blocks)
    found = {1: [0, n]}
    if k_max < 2:
        return found
    algo = ruptures.KernelCPD(kernel="rbf", min_size=min_blocks, params={"gamma": gamma})
    algo.fit(blocks)
    algo.predict(n_bkps=k_max - 1)
    for k in range(2, k_max + 1):
        found[k] = [0, *algo.segmentations_dict[k - 1]]
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


class _SegmentContrast:
    """How unlike two adjacent block ranges sound, from prefix sums of the frame features.

    The score is min(chroma distance / 0.4, timbre distance / 0.8): at least 1 when the ranges
    differ as two songs do (see :func:`find_music_segments`).
    """

    def __init__(self, frames: FrameFeatures) -> None:
        zero = np.zeros((1, N_TIMBRE + 12))
        feats = np.hstack([frames.timbre, frames.chroma]).astype(np.float64)
        self._sums = np.vstack([zero, np.cumsum(feats, axis=0)])
        self._squares = np.vstack([zero, np.cumsum(feats**2, axis=0)])
        self._per_block = BLOCK_S / frames.hop_s
        self._n_frames = len(feats)

    def _stats(self, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = np.minimum(np.ceil(start * self._per_block).astype(int), self._n_frames)
        b = np.minimum(np.ceil(end * self._per_block).astype(int), self._n_frames)
        n = np.maximum(b - a, 1)[:, None]
        mean = (self._sums[b] - self._sums[a]) / n
        var = np.maximum((self._squares[b] - self._squares[a]) / n - mean**2, 0.0)
        return mean, var

    def scores(self, starts: np.ndarray, middles: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Scores of boundaries at blocks ``middles`` between ``starts`` and ``ends`` (arrays)."""
        mean_a, var_a = self._stats(np.asarray(starts), np.asarray(middles))
        mean_b, var_b = self._stats(np.asarray(middles), np.asarray(ends))
        chroma_a = mean_a[:, N_TIMBRE:] - mean_a[:, N_TIMBRE:].mean(axis=1, keepdims=True)
        chroma_b = mean_b[:, N_TIMBRE:] - mean_b[:, N_TIMBRE:].mean(axis=1, keepdims=True)
        norms = np.linalg.norm(chroma_a, axis=1) * np.linalg.norm(chroma_b, axis=1)
        dots = np.einsum("ij,ij->i", chroma_a, chroma_b)
        chroma = np.where(norms > 0, 1.0 - dots / np.where(norms > 0, norms, 1.0), 0.0)
        pooled = np.maximum((var_a[:, :N_TIMBRE] + var_b[:, :N_TIMBRE]) / 2, 1e-9)
        timbre = np.sqrt(((mean_a[:, :N_TIMBRE] - mean_b[:, :N_TIMBRE]) ** 2 / pooled).mean(axis=1))
        return np.minimum(chroma / _MIN_CHROMA_DISTANCE, timbre / _MIN_TIMBRE_DISTANCE)

    def score(self, start: int, middle: int, end: int) -> float:
        """Score of the boundary at block ``middle`` between blocks ``start..end``."""
        return float(self.scores(np.array([start]), np.array([middle]), np.array([end]))[0])

    def strongest_inside(self, start: int, end: int, min_blocks: int) -> float:
        """Best score of a split inside blocks ``start..end`` leaving ``min_blocks`` each side."""
        middles = np.arange(start + min_blocks, end - min_blocks + 1)
        if not len(middles):
            return 0.0
        starts, ends = np.full(len(middles), start), np.full(len(middles), end)
        return float(self.scores(starts, middles, ends).max())


# ---------------------------------------------------------------------------------------------
# Frame-level estimates and confidence.
# ---------------------------------------------------------------------------------------------


def _standardised_frames(frames: FrameFeatures) -> np.ndarray:
    feats = np.hstack([frames.timbre, frames.chroma]).astype(np.float64)
    spread = feats.std(axis=0)
    return (feats - feats.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


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
