"""What the music analysis hears: per-frame timbre and harmony, and mel power spectra.

The sound is described per STFT frame by its timbre (MFCC-like coefficients without the loudness
one) and its harmony (a 12-bin chroma). Loudness is left out on purpose: film mixes duck the music
under dialogue, and a duck is not a new song. All functions are pure: arrays in, arrays out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from clipindex.music.loudness import frequency_response, k_weighting
from clipindex.spool import Spool

BLOCK_S = 1.0
"""Seconds per block of the global segmentation."""

FRAME_S = 0.093
"""Seconds per STFT frame (rounded to a power-of-two length); frames overlap by half."""

N_TIMBRE = 13
"""Timbre coefficients per frame (MFCC 1..13; coefficient 0, the loudness, is dropped)."""

N_MELS = 40
"""Mel bands of the spectra (40 Hz to 11 kHz)."""
_MEL_FMIN_HZ = 40.0
_MEL_FMAX_HZ = 11025.0
_CHROMA_FMIN_HZ = 130.0
"""Below this, STFT bins are wider than a semitone and bass and drums smear the chroma."""
_CHROMA_FMAX_HZ = 5000.0
_FLOOR_DB = -80.0
"""Band energies are floored this far below the file's loudest band, so silence stays finite."""


class Sound(Protocol):
    """Mono samples read a slice at a time: a NumPy array, or a :class:`~clipindex.spool.Spool`
    of a soundtrack too long to hold in memory. ``sound[a:b]`` gives a float32 array."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: slice) -> np.ndarray: ...


@dataclass(frozen=True)
class FrameFeatures:
    """Per-frame description of a sound: frame ``i`` is centred on ``i * hop_s`` seconds.

    ``timbre`` (n_frames, 13): MFCC-like coefficients 1..13 of the log-mel spectrum, in dB.
    ``chroma`` (n_frames, 12): energy per pitch class C, C#, ..., B, scaled to a maximum of 1.
    ``power`` (n_frames,): mean square of the K-weighted signal (ITU-R BS.1770) in the frame.
    """

    timbre: np.ndarray
    chroma: np.ndarray
    hop_s: float
    power: np.ndarray

    @property
    def times_s(self) -> np.ndarray:
        """Centre time of each frame, in seconds."""
        return np.arange(len(self.timbre)) * self.hop_s

    @property
    def duration_s(self) -> float:
        """Seconds of sound the frames cover."""
        return len(self.timbre) * self.hop_s


def frame_features(samples: Sound, sr: int) -> FrameFeatures:
    """Timbre, chroma and loudness of every STFT frame of a mono signal.

    Frames are ``FRAME_S`` long (2048 samples at 22050 Hz) with a hop of half that, centred on
    ``i * hop_s`` (the signal is zero-padded at both ends). Timbre is the DCT of the log-mel
    spectrum (40 bands, 40 Hz to 11 kHz) without its 0th coefficient, so the overall level
    does not count; chroma folds the bins between 130 Hz and 5 kHz onto 12 pitch classes. All
    come from one STFT, so the sound is transformed once for every use.

    ``samples`` is read a slice at a time (an array, or a :class:`~clipindex.spool.Spool` of a
    long soundtrack); the mel spectra wait on disk until the loudest band, which sets the floor
    of the log, is known, so memory holds no more than the features themselves.

    >>> sr = 22050
    >>> tone = np.sin(2 * np.pi * 440.0 * np.arange(sr) / sr).astype(np.float32)
    >>> feats = frame_features(tone, sr)
    >>> feats.timbre.shape, int(np.argmax(feats.chroma[10]))  # 9 = A
    ((22, 13), 9)
    """
    n_fft = 2 ** round(math.log2(FRAME_S * sr))
    hop = n_fft // 2
    n_frames = frame_count(len(samples), n_fft, hop)
    chroma = np.empty((n_frames, 12), np.float32)
    power = np.empty(n_frames, np.float32)
    loudest = 0.0
    with Spool(N_MELS, what="spectra") as mel:
        for start, rows in _spectra(samples, sr, n_fft, hop):
            loudest = max(loudest, float(rows[:, :N_MELS].max(initial=0.0)))
            mel.append(rows[:, :N_MELS])
            chroma[start : start + len(rows)] = rows[:, N_MELS : N_MELS + 12]
            power[start : start + len(rows)] = rows[:, -1]
        floor = max(loudest, 1e-20) * 10 ** (_FLOOR_DB / 10)
        dct = _dct_matrix(N_MELS)[:, 1 : N_TIMBRE + 1]
        timbre = np.empty((n_frames, N_TIMBRE), np.float32)
        for start, stop in row_chunks(n_frames):
            timbre[start:stop] = 10 * np.log10(np.maximum(mel.rows(start, stop), floor)) @ dct
    chroma_floor = max(float(chroma.max(initial=0.0)), 1e-20) * 1e-6
    for start, stop in row_chunks(n_frames):
        part = chroma[start:stop]
        part /= np.maximum(part.max(axis=1, keepdims=True), chroma_floor)
    return FrameFeatures(timbre, chroma, hop / sr, power)


def mel_power(
    samples: Sound, sr: int, *, n_fft: int = 1024, hop: int = 256
) -> Iterator[tuple[int, np.ndarray]]:
    """Mel-band power (40 bands) of a mono signal, frame ``i`` centred on ``i * hop / sr`` s, a
    few thousand frames at a time: ``(first frame, rows)``.

    Finer in time than :func:`frame_features` (11.6 ms hops at 22050 Hz by default), for onsets.

    >>> sr = 22050
    >>> [(start, rows.shape) for start, rows in mel_power(np.ones(sr, np.float32), sr)]
    [(0, (87, 40))]
    """
    return _spectra(samples, sr, n_fft, hop, mel_only=True)


def frame_count(n_samples: int, n_fft: int, hop: int) -> int:
    """How many frames of ``n_fft`` samples every ``hop``, centred on ``i * hop`` with the
    signal zero-padded at both ends, a signal of ``n_samples`` has."""
    return 1 + max(0, n_samples + 2 * (n_fft // 2) - n_fft) // hop


CHUNK_ROWS = 4096
"""Rows of per-frame work done at a time (:func:`row_chunks`), so memory stays flat."""


def row_chunks(n_rows: int, size: int | None = None) -> list[tuple[int, int]]:
    """``(start, stop)`` of chunks of ``size`` rows (``CHUNK_ROWS`` by default) covering
    ``n_rows``, for work done a chunk at a time to keep memory flat. A last chunk of one row joins
    the one before: BLAS multiplies a single row by another route, to other last bits, and a
    chunked product must equal the whole to the bit.

    >>> row_chunks(9, 4), row_chunks(10, 4)
    ([(0, 4), (4, 9)], [(0, 4), (4, 8), (8, 10)])
    """
    size = size or CHUNK_ROWS
    edges = list(range(0, n_rows, size)) + [n_rows]
    if len(edges) > 2 and edges[-1] - edges[-2] == 1:
        del edges[-2]
    return list(zip(edges, edges[1:], strict=False))


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
    n_blocks = int(np.floor(frames.duration_s / block_s + 0.5))
    width = frames.timbre.shape[1] + frames.chroma.shape[1]
    if n_blocks == 0:
        return np.zeros((0, 2 * width))
    counts = np.zeros(n_blocks, np.int64)
    sums = np.zeros((n_blocks, width))
    squares = np.zeros_like(sums)
    for start, stop in row_chunks(len(frames.timbre)):  # frame after frame, a chunk at a time
        feats = np.hstack([frames.timbre[start:stop], frames.chroma[start:stop]]).astype(np.float64)
        block = np.floor(np.arange(start, stop) * frames.hop_s / block_s).astype(int)
        keep = block < n_blocks
        block, feats = block[keep], feats[keep]
        counts += np.bincount(block, minlength=n_blocks)
        np.add.at(sums, block, feats)
        np.add.at(squares, block, feats**2)
    counts = np.maximum(counts, 1)[:, None]
    mean = sums / counts
    std = np.sqrt(np.maximum(squares / counts - mean**2, 0.0))
    return standardise(np.hstack([mean, std]))


def standardise(columns: np.ndarray) -> np.ndarray:
    """Each column of a 2-D array shifted to mean 0 and scaled to standard deviation 1.

    Constant columns are only shifted.

    >>> standardise(np.array([[1.0, 5.0], [3.0, 5.0]])).tolist()
    [[-1.0, 0.0], [1.0, 0.0]]
    """
    columns = np.asarray(columns, dtype=np.float64)
    spread = columns.std(axis=0)
    return (columns - columns.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


def frame_matrix(frames: FrameFeatures) -> np.ndarray:
    """Timbre and chroma of every frame side by side (n_frames, 25), standardised over the file."""
    return standardise(np.hstack([frames.timbre, frames.chroma]))


class StandardisedFrames:
    """The rows of :func:`frame_matrix` made as they are asked for (``standardised[rows]``, by
    mask, indexes or slice), to the bit, without holding all of them at once: in float64 they
    would take twice the memory of the features themselves.

    >>> frames = frame_features(np.random.default_rng(0).standard_normal(22050), 22050)
    >>> bool(np.array_equal(StandardisedFrames(frames)[5:9], frame_matrix(frames)[5:9]))
    True
    """

    def __init__(self, frames: FrameFeatures):
        self._timbre, self._chroma = frames.timbre, frames.chroma
        width = frames.timbre.shape[1] + frames.chroma.shape[1]
        self._mean, self._scale = np.zeros(width), np.ones(width)
        n = len(self)
        if n:  # as ``standardise`` finds them: the mean, then the spread about it
            chunks = row_chunks(n)
            mean = _column_sums(self._plain(slice(a, b)) for a, b in chunks) / n
            squares = _column_sums((self._plain(slice(a, b)) - mean) ** 2 for a, b in chunks)
            spread = np.sqrt(squares / n)
            self._mean, self._scale = mean, np.where(spread > 0, spread, 1.0)

    def __len__(self) -> int:
        return len(self._timbre)

    def __getitem__(self, rows: slice | np.ndarray) -> np.ndarray:
        return (self._plain(rows) - self._mean) / self._scale

    def _plain(self, rows: slice | np.ndarray) -> np.ndarray:
        return np.hstack([self._timbre[rows], self._chroma[rows]]).astype(np.float64)


def _column_sums(parts: Iterator[np.ndarray]) -> np.ndarray:
    """The column sums of the parts stacked, added row after row as NumPy sums a C-ordered
    array's columns, so equal to the bit to the sums of the whole."""
    total: np.ndarray | None = None
    for part in parts:
        total = part.sum(axis=0) if total is None else np.vstack([total, part]).sum(axis=0)
    assert total is not None, "no rows to sum"
    return total


# ---------------------------------------------------------------------------------------------
# Spectra and filterbanks.
# ---------------------------------------------------------------------------------------------


SPECTRA_BYTES = 2**23
"""About how much of the power spectra is made at a time (a chunk of frames); an eighth of it is
transformed at a time."""


def _spectra(
    samples: Sound, sr: int, n_fft: int, hop: int, *, mel_only: bool = False
) -> Iterator[tuple[int, np.ndarray]]:
    """Mel power (40 columns), chroma energy (12) and K-weighted mean square (1) of frames
    centred on ``i * hop`` (only the mel power if ``mel_only``), a chunk of frames at a time:
    ``(first frame, rows)``."""
    if isinstance(samples, np.ndarray):
        samples = np.asarray(samples, dtype=np.float32)
        if samples.ndim != 1:
            raise ValueError(f"expected mono samples (one dimension), got shape {samples.shape}")
    n_frames = frame_count(len(samples), n_fft, hop)
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    bank = _mel_filterbank(sr, n_fft)
    if not mel_only:
        # By Parseval, the one-sided power spectrum weighted like this sums to the frame's mean
        # square (window energy taken out), here after K-weighting.
        response = frequency_response(k_weighting(sr), n_fft // 2 + 1)
        k_gain = np.abs(response) ** 2 * 2 / (n_fft * float(np.sum(window.astype(np.float64) ** 2)))
        k_gain[0] /= 2
        k_gain[-1] /= 2
        bank = np.hstack([bank, _chroma_filterbank(sr, n_fft), k_gain[:, None]])
    bank = bank.astype(np.float32)
    # Power spectra of a batch of frames go through the filterbanks in one product; they are
    # transformed a few at a time, so memory stays small and flat however long the sound.
    chunk = max(1, SPECTRA_BYTES // n_fft)
    step = max(1, SPECTRA_BYTES // 8 // n_fft)
    power = np.empty((min(chunk, n_frames), n_fft // 2 + 1), np.float32)
    for start in range(0, n_frames, chunk):
        stop = min(start + chunk, n_frames)
        for first in range(start, stop, step):
            frames = _frames(samples, first, min(first + step, stop), n_fft, hop)
            power[first - start : first - start + len(frames)] = _power_spectra(frames * window)
        yield start, power[: stop - start] @ bank


def _frames(samples: Sound, start: int, stop: int, n_fft: int, hop: int) -> np.ndarray:
    """Frames ``start`` to ``stop`` (frame ``i`` centred on sample ``i * hop``), as rows.

    Past either end of the signal the frames hold zeros; only those few are copied, so a long
    soundtrack is never duplicated in memory.
    """
    lo = start * hop - n_fft // 2
    hi = (stop - 1) * hop - n_fft // 2 + n_fft
    if lo >= 0 and hi <= len(samples):
        piece = samples[lo:hi]
    else:
        piece = np.zeros(hi - lo, np.float32)
        inside = samples[max(lo, 0) : max(min(hi, len(samples)), 0)]
        piece[max(lo, 0) - lo : max(lo, 0) - lo + len(inside)] = inside
    return np.lib.stride_tricks.sliding_window_view(piece, n_fft)[::hop]


def _power_spectra(frames: np.ndarray) -> np.ndarray:
    """Power spectrum of each row: the squared magnitudes of ``scipy.fft.rfft(frames)``.

    NumPy 2 keeps float32 rows in float32 only when it scales the transform (here by 1 / n,
    undone exactly as n is a power of two); unscaled, it works in float64, four times slower.
    """
    spectrum = np.fft.rfft(frames, axis=-1, norm="forward")
    spectrum *= frames.shape[-1]
    return spectrum.real**2 + spectrum.imag**2


def fast_fft_length(min_length: int) -> int:
    """The smallest length of at least ``min_length`` with no prime factor above 11, which the
    FFT transforms fastest: ``scipy.fft.next_fast_len(min_length)``.

    >>> fast_fft_length(1000), fast_fft_length(1031)
    (1000, 1050)
    """
    length = max(1, min_length)
    while True:
        rest = length
        for prime in (2, 3, 5, 7, 11):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return length
        length += 1


def _dct_matrix(n: int) -> np.ndarray:
    """(n, n) matrix whose product with a row is the row's orthonormal DCT-II, as
    ``scipy.fft.dct(row, type=2, norm="ortho")``: column k is a cosine of k half periods."""
    k = np.arange(n)
    matrix = np.sqrt(2 / n) * np.cos(np.pi * np.outer(2 * k + 1, k) / (2 * n))
    matrix[:, 0] /= np.sqrt(2)
    return matrix


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def _mel_filterbank(sr: int, n_fft: int) -> np.ndarray:
    """(n_bins, 40) triangular mel filters of unit area, 40 Hz to 11 kHz (or Nyquist)."""
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    top = min(_MEL_FMAX_HZ, sr / 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(_MEL_FMIN_HZ), _hz_to_mel(top), N_MELS + 2))
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
