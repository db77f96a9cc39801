"""Which reference recording plays where, from where in it, and exactly where it starts and stops.

Given the recordings of the credited tracks, the soundtrack is matched against each of them:

1. **Which, roughly where.** Chroma (harmony) every 0.19 s, centred and scaled per frame, is
   compared between the soundtrack and every recording; for each 5 s window of the soundtrack
   and each recording, the mean correlation along every diagonal (every offset into the
   recording) is read from cumulative sums. A Viterbi path over the windows then picks, for each,
   one (recording, offset) or "none", paying a penalty for every change: one song playing on
   keeps one offset, so a repetitive song whose bars match at several offsets stays on the right
   one, and a song that comes back later is a new (recording, offset).
2. **From where, exactly.** Each stretch's offset is then measured to a fraction of a sample by
   a phase-transform cross-correlation of the waveforms over 10 s of its middle; an edit inside
   the song (a skip of a few hundredths of a second) is found by measuring it again on short
   windows (:func:`split_at_jumps`).
3. **Where it starts and stops.** Around each change, the soundtrack's short-time spectrum is
   fitted, 86 times a second, as the aligned recordings' spectra on either side each times a
   non-negative gain, phase included; each recording's gain is then fitted with a ramp (a fade of
   any length, a switch being a fade of length 0). Where the fade-out of one and the fade-in of
   the next overlap is a cross-fade; where they leave room, a gap.

Chroma cross-correlation was chosen over Chromaprint fingerprints (``ffmpeg -f chromaprint``):
on the test montages both named every segment's recording, but Chromaprint's offsets jumped by
whole bars on a repetitive song (2 of 19 segments off by 3.7 and 7.4 s) and it needs the sound
decoded a second time, while chroma is already computed for the segmentation and the offset of a
whole stretch cannot jump.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from clipindex.music.features import FrameFeatures, Sound, fast_fft_length, frame_features

MATCH_FRAMES = 4
"""Analysis frames (46 ms) averaged into one matching frame (0.19 s)."""
WINDOW_S = 5.0
"""Length of the windows that are matched against the recordings."""
STEP_S = 1.0
"""Hop between windows."""
NONE_SCORE = 0.5
"""Mean chroma correlation below which a window is taken to play none of the recordings."""
SWITCH_PENALTY = 0.5
"""Cost, in window scores, of changing recording or offset between two windows."""
MIN_MATCH_S = 3.0
"""A stretch matched to a recording for less than this is not trusted on its own."""
FADE_MAX_S = 8.0
"""Longest fade (and so cross-fade) looked for."""
SWITCH_MAX_S = 0.25
"""A hand-over whose songs overlap less than this is a switch (overlap 0)."""
GAIN_HOP = 256
"""Samples between the spectra used to follow each song's level (11.6 ms at 22050 Hz)."""
LAG_SPAN_S = 10.0
"""Sound over which an offset is measured to the sample (the middle of the stretch)."""
JUMP_WINDOW_S = 1.5
JUMP_STEP_S = 4.0
JUMP_EDGE_S = 8.0
"""Windows on which the offset is checked for jumps inside a song (:func:`split_at_jumps`)."""
_CLEAR_PEAK = 10.0
"""How far a cross-correlation peak must stand above the median to be trusted."""
_GAIN_FFT = 1024
_GAIN_MEDIAN = 5
"""Frames of the median filter that keeps a single odd frame from moving a fitted edge."""
_PLATEAU_S = 1.5
"""Sound at the far ends of a change that sets each song's full level."""


@dataclass(frozen=True)
class Reference:
    """A reference recording prepared for matching: its samples and its matching chroma."""

    samples: np.ndarray
    sr: int
    chroma: np.ndarray
    """(n, 12) centred, unit-length chroma every ``hop_s`` seconds."""
    hop_s: float


@dataclass(frozen=True)
class Match:
    """A stretch of the soundtrack where one recording plays, at one offset."""

    reference: int
    """Index into the references given."""
    start_s: float
    end_s: float
    """Where it starts and stops in the soundtrack, before refinement: about ±3 s."""
    lag_s: float
    """Time in the recording minus time in the soundtrack."""
    score: float
    """Mean chroma correlation along the match, 0..1."""
    runner_up: float
    """Mean, over the same windows, of the best correlation of any other recording."""


@dataclass(frozen=True)
class Edge:
    """Where a song fades in or out: its level ramps from ``start_s`` to ``end_s``."""

    start_s: float
    end_s: float


def prepare_reference(samples: np.ndarray, sr: int) -> Reference:
    """Decoded mono samples of a recording, ready for :func:`match_references`.

    >>> sr = 22050
    >>> ref = prepare_reference(np.zeros(10 * sr, np.float32), sr)
    >>> ref.chroma.shape[1], round(ref.hop_s, 3)
    (12, 0.186)
    """
    chroma, hop_s = matching_chroma(frame_features(samples, sr))
    return Reference(np.asarray(samples, np.float32), sr, chroma, hop_s)


def matching_chroma(frames: FrameFeatures) -> tuple[np.ndarray, float]:
    """Chroma averaged over ``MATCH_FRAMES`` frames, centred and scaled to length 1 per frame.

    Centring makes unrelated sounds correlate about 0 rather than high (chroma is never
    negative); silence gets a zero vector. Returns the chroma and its hop in seconds.
    """
    n = len(frames.chroma) // MATCH_FRAMES
    chroma = frames.chroma[: n * MATCH_FRAMES].astype(np.float64)
    chroma = chroma.reshape(n, MATCH_FRAMES, 12).mean(axis=1)
    chroma -= chroma.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(chroma, axis=1, keepdims=True)
    chroma = np.where(norm > 1e-6, chroma / np.maximum(norm, 1e-6), 0.0)
    return chroma.astype(np.float32), frames.hop_s * MATCH_FRAMES


def match_references(frames: FrameFeatures, references: Sequence[Reference]) -> list[Match]:
    """The stretches of a soundtrack (its :func:`frame_features`) where each recording plays.

    Stretches come in order and do not overlap; what lies between them plays none of the
    recordings. A recording may play in several stretches, and at most one plays at a time
    (a cross-fade shows as the change from one stretch to the next).

    >>> sr = 22050
    >>> rng = np.random.default_rng(0)
    >>> song = np.repeat(rng.integers(40, 80, 40), sr // 2)   # a tune of 40 notes, 20 s
    >>> wave = np.sin(2 * np.pi * np.cumsum(440 * 2 ** ((song - 69) / 12)) / sr)
    >>> ref = prepare_reference(wave.astype(np.float32), sr)
    >>> clip = wave[5 * sr : 15 * sr].astype(np.float32)       # 10 s from 5 s in
    >>> [(m.reference, round(m.lag_s)) for m in match_references(frame_features(clip, sr), [ref])]
    [(0, 5)]
    """
    soundtrack, hop = matching_chroma(frames)
    n = len(soundtrack)
    if n == 0 or not references:
        return []
    width = max(1, min(round(WINDOW_S / hop), n))
    step = max(1, round(STEP_S / hop))
    starts = np.arange(0, n - width + 1, step)
    if starts[-1] != n - width:
        starts = np.append(starts, n - width)
    sums = [_diagonal_sums(soundtrack, ref.chroma) for ref in references]
    states = _candidates(sums, starts, width)
    emissions = np.full((len(states) + 1, len(starts)), NONE_SCORE)
    for c, (r, lag) in enumerate(states):
        emissions[c] = _window_scores(sums[r], starts, width, lag)
    best_per_ref = np.array([_best_scores(s, starts, width) for s in sums])
    path = _viterbi(emissions, SWITCH_PENALTY)

    matches: list[Match] = []
    for first, last in _runs(path):
        state = path[first]
        if state == len(states):
            continue
        r, lag = states[state]
        centre = (starts[first : last + 1] + width / 2) * hop
        score = float(emissions[state, first : last + 1].mean())
        others = np.delete(best_per_ref[:, first : last + 1], r, axis=0)
        runner_up = float(others.max(axis=0).mean()) if len(others) else 0.0
        start_s = 0.0 if first == 0 else float(centre[0] - STEP_S / 2)
        end_s = frames.duration_s if last == len(starts) - 1 else float(centre[-1] + STEP_S / 2)
        matches.append(Match(r, start_s, end_s, lag * hop, score, runner_up))
    return _merge_same(matches)


def refine_lag(
    samples: Sound,
    reference: Reference,
    start_s: float,
    end_s: float,
    lag_s: float,
    *,
    search_s: float = 0.25,
    max_span_s: float = 30.0,
) -> float:
    """The offset of ``reference`` in ``samples`` over ``start_s..end_s``, to a fraction of a
    sample.

    ``lag_s`` (recording time minus soundtrack time) is a first estimate within ``search_s``. The
    waveforms of up to ``max_span_s`` seconds in the middle of the stretch are cross-correlated
    with the phase transform (each frequency weighs the same), so the peak is sharp even with
    other sound mixed over the music.

    >>> sr = 22050
    >>> ref = prepare_reference(np.random.default_rng(1).standard_normal(20 * sr), sr)
    >>> mixed = ref.samples[3 * sr + 123 : 13 * sr]               # starts 3 s + 123 samples in
    >>> round(refine_lag(mixed, ref, 0.0, 9.0, 3.0) * sr)
    66273
    """
    middle = (start_s + end_s) / 2
    half = min((end_s - start_s) / 2, max_span_s / 2)
    return _phat_lag(samples, reference, middle - half, middle + half, lag_s, search_s)[0]


def split_at_jumps(
    samples: Sound,
    reference: Reference,
    start_s: float,
    end_s: float,
    lag_s: float,
) -> list[tuple[float, float, float]]:
    """A stretch where ``reference`` plays, cut where the music jumps within the recording.

    An edit inside a song (a bar taken out, a skip of a few hundredths of a second between two
    takes) changes the offset by too little for the windows of :func:`match_references` to see.
    The offset is measured on ``JUMP_WINDOW_S`` windows every ``JUMP_STEP_S`` seconds (starting
    from ``lag_s``); where two windows in a row agree on a new offset, the stretch is cut halfway
    between the last window at the old offset and the first at the new one. A single odd window
    (a quiet bar, a blow over the music) is no jump. Returns ``(start_s, end_s, lag_s)`` parts,
    each lag measured over its whole part.
    """
    # Windows every JUMP_STEP_S, and back to back near the ends, where an offset read wrong
    # would misplace the edges.
    first, last = start_s + JUMP_WINDOW_S / 2, end_s - JUMP_WINDOW_S / 2
    centres = np.unique(
        np.concatenate(
            [
                np.arange(first, last, JUMP_STEP_S),
                np.arange(first, min(last, first + JUMP_EDGE_S), JUMP_WINDOW_S),
                np.arange(last, max(first, last - JUMP_EDGE_S), -JUMP_WINDOW_S),
            ]
        )
    )
    found = []
    for centre in centres:
        half = JUMP_WINDOW_S / 2
        lag, clear = _phat_lag(samples, reference, centre - half, centre + half, lag_s, 0.15)
        if clear:
            found.append((float(centre), lag))
    one_sample = 1.5 / reference.sr
    cuts = []
    current, previous_s = lag_s, start_s
    for (centre, lag), (_, then) in zip(found, found[1:], strict=False):
        if abs(lag - current) > one_sample and abs(then - lag) <= one_sample:
            cuts.append((previous_s + centre) / 2)
            current = lag
        previous_s = centre
    if not cuts:
        return [(start_s, end_s, lag_s)]
    edges = [start_s, *cuts, end_s]
    parts = []
    for a, b in zip(edges, edges[1:], strict=False):
        inside = [lag for centre, lag in found if a <= centre <= b]
        guess = float(np.median(inside)) if inside else lag_s
        lag = refine_lag(samples, reference, a, b, guess, search_s=0.02, max_span_s=LAG_SPAN_S)
        parts.append((a, b, lag))
    return parts


def _phat_lag(
    samples: Sound,
    reference: Reference,
    start_s: float,
    end_s: float,
    lag_s: float,
    search_s: float,
) -> tuple[float, bool]:
    """Phase-transform cross-correlation of ``start_s..end_s`` with the recording around
    ``lag_s``: the best lag (to a fraction of a sample) and whether its peak stands clear."""
    sr = reference.sr
    a = max(0, round(start_s * sr))
    b = min(len(samples), round(end_s * sr))
    pad = round(search_s * sr)
    ref_a = a + round(lag_s * sr) - pad
    if b - a < sr // 4:
        return lag_s, False
    piece = np.asarray(samples[a:b], np.float64)
    ref_piece = _slice(reference.samples, ref_a, b - a + 2 * pad).astype(np.float64)
    size = fast_fft_length(len(ref_piece) + len(piece))
    cross = np.fft.rfft(ref_piece, size) * np.conj(np.fft.rfft(piece, size))
    cross /= np.maximum(np.abs(cross), 1e-12)
    corr = np.fft.irfft(cross, size)[: 2 * pad + 1]
    peak = int(np.argmax(corr))
    shift = 0.0
    if 0 < peak < len(corr) - 1:  # parabolic interpolation: the lag to a fraction of a sample
        left, centre, right = corr[peak - 1 : peak + 2]
        curve = left - 2 * centre + right
        shift = 0.5 * (left - right) / curve if curve < 0 else 0.0
    clear = bool(corr[peak] > _CLEAR_PEAK * np.median(np.abs(corr)))
    return (ref_a + peak + shift - a) / sr, clear


def fit_edges(
    samples: Sound,
    sr: int,
    zone_s: tuple[float, float],
    before: tuple[Reference, float] | None,
    after: tuple[Reference, float] | None,
) -> tuple[Edge | None, Edge | None]:
    """How the song before fades out and the song after fades in, within ``zone_s``.

    ``before`` and ``after`` are (recording, lag) pairs, either None when no recording plays on
    that side. Every 11.6 ms, the soundtrack's short-time spectrum (100 Hz to 8 kHz, bins
    weighed alike) is fitted as the sum of the two aligned recordings' spectra, each times a
    non-negative gain. The fit is phase-aware, so other sound mixed over the music (which has no
    fixed phase relation to it) adds noise to the gains but no bias. Each song's gain, relative
    to its median at the zone's far end, is then fitted with a ramp.

    Returns the fade-out of ``before`` and the fade-in of ``after`` (None for a missing side).
    """
    a = max(0, round(zone_s[0] * sr))
    b = min(len(samples), round(zone_s[1] * sr))
    mix = _stft(samples[a:b], sr)
    weight = 1.0 / np.sqrt(np.maximum(np.mean(np.abs(mix) ** 2, axis=0), 1e-20))
    parts = []
    for ref, lag in (side for side in (before, after) if side is not None):
        whole = int(np.floor(lag * ref.sr))
        part = _stft(_slice(ref.samples, a + whole, b - a), sr)
        bins = np.array(_gain_bins(sr))
        fraction = lag * ref.sr - whole  # the recording is ahead by this part of a sample
        parts.append(part * np.exp(2j * np.pi * bins * fraction / _GAIN_FFT) * weight)
    gains = _mix_gains(mix * weight, parts)
    hop_s = GAIN_HOP / sr
    plateau = max(1, round(_PLATEAU_S / hop_s))
    edges: list[Edge | None] = []
    used = 0
    for side, fading_out in ((before, True), (after, False)):
        if side is None:
            edges.append(None)
            continue
        gain = _running_median(gains[used], _GAIN_MEDIAN)
        used += 1
        full = np.median(gain[:plateau] if fading_out else gain[-plateau:])
        level = gain / max(full, 1e-9)
        # Edge x lies between frames x - 1 and x.
        if fading_out:
            start, end = _fit_fade_out(level, hop_s, FADE_MAX_S)
        else:
            start, end = _fit_fade_out(level[::-1], hop_s, FADE_MAX_S)
            start, end = len(level) - end, len(level) - start
        first_s = a / sr - hop_s / 2
        edges.append(Edge(first_s + start * hop_s, first_s + end * hop_s))
    return edges[0], edges[1]


# ---------------------------------------------------------------------------------------------
# Matching on windows.
# ---------------------------------------------------------------------------------------------


def _diagonal_sums(soundtrack: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``D[i, j]``: sum of correlations along the diagonal ending before (i, j)."""
    similarity = soundtrack @ reference.T
    n, m = similarity.shape
    sums = np.zeros((n + 1, m + 1), np.float32)
    for i in range(n):
        sums[i + 1, 1:] = sums[i, :-1] + similarity[i]
    return sums


def _window_scores(sums: np.ndarray, starts: np.ndarray, width: int, lag: int) -> np.ndarray:
    """Mean correlation of each window with the recording at offset ``lag`` (frames).

    Windows that would reach outside the recording score over the part inside it if that is at
    least half a window, else -inf.
    """
    m = sums.shape[1] - 1
    first = np.clip(starts + lag, 0, m)
    last = np.clip(starts + width + lag, 0, m)
    inside = last - first
    total = sums[first - lag + (last - first), last] - sums[first - lag, first]
    return np.where(inside * 2 >= width, total / np.maximum(inside, 1), -np.inf)


def _best_scores(sums: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Best mean correlation of each window with the recording, over every offset."""
    m = sums.shape[1] - 1
    if m < width:
        return np.full(len(starts), -np.inf)
    ends = starts + width
    scores = (sums[ends][:, width:] - sums[starts][:, : m - width + 1]) / width
    return scores.max(axis=1)


def _candidates(sums: list[np.ndarray], starts: np.ndarray, width: int) -> list[tuple[int, int]]:
    """(recording, offset) pairs worth a state: each window's best two offsets per recording."""
    found: set[tuple[int, int]] = set()
    for r, table in enumerate(sums):
        m = table.shape[1] - 1
        if m < width:
            continue
        ends = starts + width
        scores = (table[ends][:, width:] - table[starts][:, : m - width + 1]) / width
        top = np.argsort(scores, axis=1)[:, -2:]
        for w, row in enumerate(top):
            for j in row:
                if scores[w, j] > NONE_SCORE:
                    found.add((r, int(j) - int(starts[w])))
    return sorted(found)


def _viterbi(emissions: np.ndarray, penalty: float) -> np.ndarray:
    """The state sequence with the highest total emission minus ``penalty`` per change."""
    n_states, n_steps = emissions.shape
    score = emissions[:, 0].copy()
    back = np.zeros((n_states, n_steps), np.int64)
    for t in range(1, n_steps):
        leader = int(np.argmax(score))
        switch = score[leader] - penalty
        stay = score >= switch
        back[:, t] = np.where(stay, np.arange(n_states), leader)
        score = np.where(stay, score, switch) + emissions[:, t]
    path = np.empty(n_steps, np.int64)
    path[-1] = int(np.argmax(score))
    for t in range(n_steps - 1, 0, -1):
        path[t - 1] = back[path[t], t]
    return path


def _runs(path: np.ndarray) -> list[tuple[int, int]]:
    """Runs of equal values as (first, last) indexes, inclusive."""
    change = np.flatnonzero(np.diff(path)) + 1
    firsts = np.concatenate([[0], change])
    lasts = np.concatenate([change - 1, [len(path) - 1]])
    return [(int(a), int(b)) for a, b in zip(firsts, lasts, strict=True)]


def _merge_same(matches: list[Match]) -> list[Match]:
    """Join neighbouring stretches of one recording at one offset: the song played on."""
    merged: list[Match] = []
    for match in matches:
        last = merged[-1] if merged else None
        if last and last.reference == match.reference and abs(last.lag_s - match.lag_s) < 0.4:
            weight = (last.end_s - last.start_s, match.end_s - match.start_s)
            merged[-1] = Match(
                last.reference,
                last.start_s,
                match.end_s,
                last.lag_s,
                float(np.average([last.score, match.score], weights=weight)),
                float(np.average([last.runner_up, match.runner_up], weights=weight)),
            )
        else:
            merged.append(match)
    return merged


# ---------------------------------------------------------------------------------------------
# Levels across a change.
# ---------------------------------------------------------------------------------------------


def _slice(samples: np.ndarray, start: int, length: int) -> np.ndarray:
    """``samples[start : start + length]``, zero-padded where it runs outside the array."""
    out = np.zeros(length, np.float32)
    a, b = max(start, 0), min(start + length, len(samples))
    if b > a:
        out[a - start : b - start] = samples[a:b]
    return out


def _mix_gains(mix: np.ndarray, parts: list[np.ndarray]) -> list[np.ndarray]:
    """Per frame, the non-negative real gains ``g`` minimising ``|mix - sum(g_k * parts_k)|²``.

    Frames are rows; the arrays may be complex (spectra).
    """

    def dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.real(np.einsum("ij,ij->i", x, np.conj(y)))

    if len(parts) == 1:
        (part,) = parts
        return [np.maximum(dot(mix, part), 0.0) / np.maximum(dot(part, part), 1e-20)]
    a, b = parts
    aa, bb, ab = dot(a, a), dot(b, b), dot(a, b)
    am, bm = dot(mix, a), dot(mix, b)
    det = np.maximum(aa * bb - ab**2, 1e-20)
    ga, gb = (bb * am - ab * bm) / det, (aa * bm - ab * am) / det
    only_a = np.maximum(am, 0.0) / np.maximum(aa, 1e-20)
    only_b = np.maximum(bm, 0.0) / np.maximum(bb, 1e-20)
    ga, gb = np.where(gb < 0, only_a, ga), np.where(gb < 0, 0.0, gb)
    ga, gb = np.where(ga < 0, 0.0, ga), np.where(ga < 0, only_b, gb)
    # Where one recording is silent (or outside its file) the other explains the frame alone.
    silent_b, silent_a = bb <= 1e-9 * aa, aa <= 1e-9 * bb
    ga, gb = np.where(silent_b, only_a, ga), np.where(silent_b, 0.0, gb)
    ga, gb = np.where(silent_a, 0.0, ga), np.where(silent_a, only_b, gb)
    return [ga, gb]


def _gain_bins(sr: int) -> range:
    """STFT bins between 100 Hz and 8 kHz (or Nyquist) for ``_GAIN_FFT``-sample frames."""
    return range(
        int(np.ceil(100 * _GAIN_FFT / sr)), min(_GAIN_FFT // 2, 8000 * _GAIN_FFT // sr) + 1
    )


def _stft(samples: np.ndarray, sr: int) -> np.ndarray:
    """Complex spectra (n_frames, :func:`_gain_bins`) of frames centred every ``GAIN_HOP``."""
    padded = np.pad(np.asarray(samples, np.float64), _GAIN_FFT // 2)
    if len(padded) < _GAIN_FFT:
        padded = np.pad(padded, (0, _GAIN_FFT - len(padded)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, _GAIN_FFT)[::GAIN_HOP]
    window = np.hanning(_GAIN_FFT + 1)[:-1]
    bins = _gain_bins(sr)
    return np.fft.rfft(frames * window, axis=1)[:, bins.start : bins.stop]


def _running_median(values: np.ndarray, width: int) -> np.ndarray:
    """Median of each value and its neighbours, ``width`` (odd) values centred on it, the end
    values repeated past the ends: ``scipy.ndimage.median_filter(values, width, mode="nearest")``.
    """
    padded = np.pad(values, width // 2, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, width), axis=1)


def _fit_fade_out(level: np.ndarray, hop_s: float, max_fade_s: float) -> tuple[int, int]:
    """Frames (s0, s1) of the ramp from 1 down to 0 that best fits ``level`` (least squares).

    The model is 1 before s0, falling linearly to 0 at s1, 0 after; s0 == s1 is a step. Every
    ramp is scored in O(1) from prefix sums, first on a grid of every 4th frame, then frame by
    frame around the best.
    """
    level = np.clip(level, 0.0, 2.0)
    n = len(level)
    s1 = np.concatenate([[0.0], np.cumsum(level)])
    sk = np.concatenate([[0.0], np.cumsum(np.arange(n) * level)])
    s2 = np.concatenate([[0.0], np.cumsum(level**2)])
    ones_cost = s2 - 2 * s1 + np.arange(n + 1)  # sum over the first i frames of (level - 1)^2

    def cost(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        ends = starts + lengths
        valid = ends <= n - 1
        ends = np.minimum(ends, n - 1)
        span = np.maximum(lengths, 1)
        ramp_dot = (ends * (s1[ends] - s1[starts]) - (sk[ends] - sk[starts])) / span
        ramp_sq = np.where(lengths > 0, (lengths + 1) * (2 * lengths + 1) / (6 * span), 0.0)
        inside = s2[ends] - s2[starts] - 2 * ramp_dot + ramp_sq
        return np.where(valid, ones_cost[starts] + inside + s2[n] - s2[ends], np.inf)

    longest = min(n - 1, max(0, round(max_fade_s / hop_s)))
    stride = 4
    starts, lengths = np.arange(0, n, stride)[:, None], np.arange(0, longest + 1, stride)[None, :]
    i, j = np.unravel_index(int(np.argmin(cost(starts, lengths))), (starts.size, lengths.size))
    near_start, near_length = int(starts[i, 0]), int(lengths[0, j])
    starts = np.arange(max(0, near_start - stride), min(n, near_start + stride + 1))[:, None]
    lengths = np.arange(
        max(0, near_length - 2 * stride), min(longest, near_length + 2 * stride) + 1
    )
    fine = cost(starts, lengths[None, :])
    i, j = np.unravel_index(int(np.argmin(fine)), fine.shape)
    return int(starts[i, 0]), int(starts[i, 0] + lengths[j])
