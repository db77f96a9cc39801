"""The tempo of a stretch of music, in beats per minute, and how steady it is.

The onset strength (how much the mel spectrum rises from one 11.6 ms frame to the next) is
autocorrelated; the lag with the highest
autocorrelation, weighted towards 120 BPM by a log-normal prior one octave wide (as in librosa's
``tempo``), is the beat period. The confidence
is the share of 6 s windows of the stretch whose own estimate agrees within 4%: a steady beat
agrees everywhere; a rubato passage or a beat heard at half speed in places does not.
"""

from __future__ import annotations

import numpy as np

from clipindex.music.features import N_MELS, Sound, fast_fft_length, mel_power
from clipindex.spool import Spool

ONSET_HOP = 256
"""Samples between onset-strength frames (11.6 ms at 22050 Hz)."""
MIN_BPM = 40.0
MAX_BPM = 240.0
PRIOR_BPM = 120.0
"""Centre of the prior on tempo; it is one octave wide (standard deviation of log2 tempo)."""
WINDOW_S = 6.0
"""Length of the windows whose estimates must agree for a confident tempo."""
AGREE = 0.04
"""Relative difference within which two tempo estimates agree."""
_LAG_STEPS = 4
"""Autocorrelation lags read per frame."""
_ONSET_ROWS = 8192
"""Frames whose onset strength is worked out at a time."""


def onset_strength(samples: Sound, sr: int) -> tuple[np.ndarray, float]:
    """Onset strength of a mono signal every ``ONSET_HOP`` samples, and that hop in seconds.

    The mean over 40 mel bands of the rise in level (dB, floored 80 dB below the loudest band)
    from the frame before, on 23 ms frames; the first frame gets 0. The analysis frames of
    :func:`~clipindex.music.features.frame_features` (93 ms every 46 ms) blur the beat enough
    to pick a multiple of it on the test songs.

    >>> sr = 22050
    >>> clicks = np.zeros(2 * sr, np.float32); clicks[sr] = 1.0
    >>> onsets, hop_s = onset_strength(clicks, sr)
    >>> round(float(np.argmax(onsets) * hop_s), 2)
    1.0
    """
    loudest = 0.0
    with Spool(N_MELS, what="spectra") as power:  # on disk until the loudest band is known
        for _, rows in mel_power(samples, sr, n_fft=2 * ONSET_HOP, hop=ONSET_HOP):
            loudest = max(loudest, float(rows.max(initial=0.0)))
            power.append(rows)
        floor = max(loudest, 1e-20) * 1e-8
        rise = np.zeros(len(power))
        for start in range(0, len(power), _ONSET_ROWS):  # a few rows at a time: flat memory
            first, stop = max(start - 1, 0), min(start + _ONSET_ROWS, len(power))
            log = 10 * np.log10(np.maximum(power.rows(first, stop).astype(np.float64), floor))
            rise[first + 1 : stop] = np.maximum(np.diff(log, axis=0), 0.0).mean(axis=1)
    return rise, ONSET_HOP / sr


def tempo_bpm(onsets: np.ndarray, hop_s: float) -> tuple[float | None, float]:
    """The tempo of an onset-strength curve and its salience.

    Returns (BPM, the weighted autocorrelation at that lag over that at lag 0); (None, 0.0)
    when the curve is too short for two beats at ``MIN_BPM`` or has no onsets.

    >>> hop_s = 0.01
    >>> clicks = np.zeros(2000); clicks[::50] = 1.0                  # every 0.5 s
    >>> round(tempo_bpm(clicks, hop_s)[0])
    120
    """
    onsets = np.asarray(onsets, np.float64) - np.mean(onsets)
    if len(onsets) * hop_s < 2 * 60.0 / MIN_BPM or not np.any(onsets):
        return None, 0.0
    # The autocorrelation is read between frames too (band-limited interpolation, by padding
    # the power spectrum), so a beat period that falls between two frames is not under-rated
    # against its double, which may fall on a frame.
    size = fast_fft_length(2 * len(onsets))
    spectrum = np.fft.rfft(onsets, size)
    step_s = hop_s / _LAG_STEPS
    longest = int(round(60.0 / MIN_BPM / step_s))
    shortest = max(1, int(round(60.0 / MAX_BPM / step_s)))
    acf = np.fft.irfft(np.abs(spectrum) ** 2, size * _LAG_STEPS)[: longest + 2]
    if acf[0] <= 0:
        return None, 0.0
    lags = np.arange(len(acf), dtype=np.float64)
    bpm = 60.0 / np.maximum(lags * step_s, 1e-9)
    prior = np.exp(-0.5 * np.log2(bpm / PRIOR_BPM) ** 2)
    weighted = np.where((lags >= shortest) & (lags <= longest), acf * prior, -np.inf)
    best = int(np.argmax(weighted))
    left, right = weighted[best - 1], weighted[best + 1]
    shift = 0.0
    if np.isfinite(left) and np.isfinite(right):
        curve = left - 2 * weighted[best] + right
        shift = 0.5 * (left - right) / curve if curve < 0 else 0.0
    period_s = (best + shift) * step_s
    return 60.0 / period_s, float(max(weighted[best], 0.0) / acf[0])


def segment_tempo(
    onsets: np.ndarray, hop_s: float, start_s: float, end_s: float
) -> tuple[float | None, float]:
    """Tempo of ``start_s..end_s`` of an onset-strength curve, and a 0..1 confidence.

    The confidence is the share of ``WINDOW_S`` windows (half overlapping) whose own tempo is
    within 4% of the whole stretch's, times the share of 12 s the stretch covers when shorter.

    >>> hop_s = 0.01
    >>> clicks = np.zeros(3000); clicks[::50] = 1.0
    >>> bpm, sure = segment_tempo(clicks, hop_s, 0.0, 30.0)
    >>> round(bpm), sure
    (120, 1.0)
    """
    a, b = max(0, round(start_s / hop_s)), min(len(onsets), round(end_s / hop_s))
    bpm, _ = tempo_bpm(onsets[a:b], hop_s)
    if bpm is None:
        return None, 0.0
    width = round(WINDOW_S / hop_s)
    starts = range(a, max(a + 1, b - width + 1), max(1, width // 2))
    votes = [tempo_bpm(onsets[i : i + width], hop_s)[0] for i in starts]
    agree = [v is not None and abs(v - bpm) <= AGREE * bpm for v in votes]
    coverage = min(1.0, (b - a) * hop_s / (2 * WINDOW_S))
    return float(bpm), float(np.mean(agree) * coverage)
