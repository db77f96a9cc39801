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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from clipindex.music.features import (
    FrameFeatures,
    Sound,
    fast_fft_length,
    frame_features,
    row_chunks,
)

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
SIMILARITY_ROWS = 512
"""Soundtrack frames whose chroma correlations with a recording are made at a time."""
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

    samples: Sound
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


def prepare_reference(samples: Sound, sr: int) -> Reference:
    """Decoded mono samples of a recording, ready for :func:`match_references` (an array, or a
    :class:`~clipindex.spool.Spool`, kept as it is and read a slice at a time).

    >>> sr = 22050
    >>> ref = prepare_reference(np.zeros(10 * sr, np.float32), sr)
    >>> ref.chroma.shape[1], round(ref.hop_s, 3)
    (12, 0.186)
    """
    chroma, hop_s = matching_chroma(frame_features(samples, sr))
    if isinstance(samples, np.ndarray):
        samples = np.asarray(samples, np.float32)
    return Reference(samples, sr, chroma, hop_s)


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
    states, best_per_ref = _candidates(soundtrack, references, starts, width)
    emissions = _Emissions(soundtrack, references, states, starts, width)
    path = _viterbi(emissions, SWITCH_PENALTY)

    matches: list[Match] = []
    for first, last in _runs(path):
        state = path[first]
        if state == len(states):
            continue
        r, lag = states[state]
        centre = (starts[first : last + 1] + width / 2) * hop
        score = float(emissions.of(state, first, last + 1).mean())
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


def _window_rows(
    soundtrack: np.ndarray, reference: np.ndarray, starts: np.ndarray, width: int
) -> Iterator[tuple[int, np.ndarray]]:
    """For each window in turn (the windows' starts ascending), its number and a ring holding
    rows ``starts[w]`` to ``starts[w] + width`` of ``D``, row ``i`` at ``i % (width + 1)``:
    ``D[i, j]`` is the sum of the chroma correlations along the diagonal ending before
    (soundtrack frame i, recording frame j).

    Each row of ``D`` is made from the one before, in the ring, so the table is never whole,
    however long the soundtrack. (The correlations of a few hundred frames are multiplied at a
    time, never one alone: BLAS multiplies a single row to other last bits.)
    """
    size = width + 1
    ring = np.zeros((size, len(reference) + 1), np.float32)
    window, row = 0, 0
    for start, stop in row_chunks(len(soundtrack), SIMILARITY_ROWS):
        for correlations in soundtrack[start:stop] @ reference.T:
            while window < len(starts) and starts[window] + width == row:
                yield window, ring
                window += 1
            np.add(ring[row % size, :-1], correlations, out=ring[(row + 1) % size, 1:])
            row += 1
    while window < len(starts) and starts[window] + width == row:
        yield window, ring
        window += 1


def _candidates(
    soundtrack: np.ndarray, references: Sequence[Reference], starts: np.ndarray, width: int
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """(recording, offset) pairs worth a state, each window's best two offsets per recording;
    and each window's best mean correlation with each recording, over every offset (float32,
    or float64 when a recording is shorter than a window and has -inf for every window)."""
    found: set[tuple[int, int]] = set()
    best: list[np.ndarray] = []
    for r, ref in enumerate(references):
        m = len(ref.chroma)
        if m < width:
            best.append(np.full(len(starts), -np.inf))
            continue
        best.append(np.empty(len(starts), np.float32))
        for w, ring in _window_rows(soundtrack, ref.chroma, starts, width):
            first, last = ring[starts[w] % (width + 1)], ring[(starts[w] + width) % (width + 1)]
            scores = (last[width:] - first[: m - width + 1]) / width
            best[r][w] = scores.max()
            for j in np.argsort(scores)[-2:]:
                if scores[j] > NONE_SCORE:
                    found.add((r, int(j) - int(starts[w])))
    return sorted(found), np.array(best)


class _Emissions:
    """Each state's mean correlation in each window, and ``NONE_SCORE`` for the last state
    ("none"). A (recording, offset) state scores only in the windows that lie at least half inside
    the recording (-inf elsewhere), so only those are kept: memory grows with the number of states
    and the recordings' lengths, not with the soundtrack's.

    A window reaching outside the recording scores over the part inside it.
    """

    def __init__(
        self,
        soundtrack: np.ndarray,
        references: Sequence[Reference],
        states: list[tuple[int, int]],
        starts: np.ndarray,
        width: int,
    ):
        self.n_states, self.n_steps = len(states) + 1, len(starts)
        lags = np.array([lag for _, lag in states], dtype=np.int64)
        owners = np.array([r for r, _ in states], dtype=np.int64)
        self._first = np.zeros(len(states), np.int64)  # each state's first scoring window
        self._count = np.zeros(len(states), np.int64)  # and how many it scores in
        for c, (r, lag) in enumerate(states):
            m = len(references[r].chroma)
            inside = np.clip(starts + width + lag, 0, m) - np.clip(starts + lag, 0, m)
            scoring = np.flatnonzero(inside * 2 >= width)
            if len(scoring):
                self._first[c], self._count[c] = scoring[0], len(scoring)
        self._offset = np.concatenate([[0], np.cumsum(self._count)])
        self._values = np.empty(self._offset[-1])
        for r, ref in enumerate(references):
            mine = np.flatnonzero(owners == r)
            if not len(mine):
                continue
            m = len(ref.chroma)
            for w, ring in _window_rows(soundtrack, ref.chroma, starts, width):
                on = mine[(self._first[mine] <= w) & (w < self._first[mine] + self._count[mine])]
                lag = lags[on]
                first = np.minimum(np.maximum(starts[w] + lag, 0), m)
                last = np.minimum(np.maximum(starts[w] + width + lag, 0), m)
                inside = last - first
                ends = ring[(first - lag + inside) % (width + 1), last]
                total = ends - ring[(first - lag) % (width + 1), first]
                self._values[self._offset[on] + w - self._first[on]] = total / np.maximum(inside, 1)

    def of(self, state: int, start: int, stop: int) -> np.ndarray:
        """The scores of ``state`` in windows ``start`` to ``stop``, all inside its span."""
        first = self._offset[state] + start - self._first[state]
        return self._values[first : first + stop - start]

    def column(self, window: int) -> np.ndarray:
        """Every state's score in one window."""
        column = np.full(self.n_states, -np.inf)
        column[-1] = NONE_SCORE
        on = np.flatnonzero((self._first <= window) & (window < self._first + self._count))
        column[on] = self._values[self._offset[on] + window - self._first[on]]
        return column


def _viterbi(emissions: _Emissions, penalty: float) -> np.ndarray:
    """The state sequence with the highest total emission minus ``penalty`` per change.

    Each step keeps which state led and, one bit a state, which stayed rather than switched to it.
    """
    n_states, n_steps = emissions.n_states, emissions.n_steps
    score = emissions.column(0)
    leaders = np.zeros(n_steps, np.int64)
    stayed = np.zeros((n_steps, (n_states + 7) // 8), np.uint8)
    for t in range(1, n_steps):
        leader = int(np.argmax(score))
        switch = score[leader] - penalty
        stay = score >= switch
        leaders[t], stayed[t] = leader, np.packbits(stay)
        score = np.where(stay, score, switch) + emissions.column(t)
    path = np.empty(n_steps, np.int64)
    path[-1] = int(np.argmax(score))
    for t in range(n_steps - 1, 0, -1):
        state = path[t]
        kept = stayed[t, state // 8] >> (7 - state % 8) & 1
        path[t - 1] = state if kept else leaders[t]
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


def _slice(samples: Sound, start: int, length: int) -> np.ndarray:
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
