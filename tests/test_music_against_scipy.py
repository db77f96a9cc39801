"""The music analysis's NumPy stand-ins for SciPy, checked against SciPy on random inputs.

Indexing does without SciPy, whose import costs 0.6 s of CPU time at start-up; these tests import
it to compare.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.fft
import scipy.ndimage
import scipy.signal
import scipy.spatial.distance

from clipindex.music.features import _dct_matrix, _power_spectra, fast_fft_length
from clipindex.music.identify import _running_median
from clipindex.music.loudness import frequency_response, k_weighting
from clipindex.music.segmentation import _squared_distances


def test_importing_the_music_analysis_loads_no_scipy():
    code = "import sys, clipindex.music; print([m for m in sys.modules if m.startswith('scipy')])"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_fft_lengths_are_scipys():
    lengths = [*range(1, 5000), *np.random.default_rng(0).integers(5000, 3_000_000, 100).tolist()]
    assert [fast_fft_length(n) for n in lengths] == [scipy.fft.next_fast_len(n) for n in lengths]


@pytest.mark.parametrize("n_fft", [512, 1024, 2048])
def test_float32_power_spectra_are_scipys(n_fft):
    """Within 1e-6 of the largest power (NumPy 2's float32 transform, pocketfft like SciPy's,
    in fact gives the same bits)."""
    frames = np.random.default_rng(n_fft).standard_normal((200, n_fft)).astype(np.float32)
    spectrum = scipy.fft.rfft(frames, axis=1)
    expected = spectrum.real**2 + spectrum.imag**2
    np.testing.assert_allclose(_power_spectra(frames), expected, rtol=0, atol=1e-6 * expected.max())


def test_dct_matrix_is_scipys_orthonormal_dct():
    """Within 1e-12 of the largest input."""
    rows = np.random.default_rng(1).normal(-40.0, 20.0, (300, 40))
    expected = scipy.fft.dct(rows, type=2, norm="ortho", axis=1)
    atol = 1e-12 * np.abs(rows).max()
    np.testing.assert_allclose(rows @ _dct_matrix(40), expected, rtol=0, atol=atol)


@pytest.mark.parametrize("seed", range(10))
def test_squared_distances_are_scipys(seed):
    """Within 1e-9 relative, also for equal and nearly equal rows (equal rows: exactly 0)."""
    rng = np.random.default_rng(seed)
    dims = int(rng.integers(1, 60))
    a = rng.standard_normal((int(rng.integers(1, 300)), dims)) * rng.uniform(0.1, 3.0)
    b = rng.standard_normal((int(rng.integers(1, 300)), dims)) * rng.uniform(0.1, 3.0)
    near = min(len(a), len(b)) // 2
    b[:near] = a[:near] + rng.normal(0.0, 1e-6, (near, dims))  # nearly equal rows
    b[: near // 2] = a[: near // 2]  # equal rows
    cdist = scipy.spatial.distance.cdist(a, b, "sqeuclidean")
    np.testing.assert_allclose(_squared_distances(a, b), cdist, rtol=1e-9, atol=0)
    pdist = scipy.spatial.distance.squareform(scipy.spatial.distance.pdist(a, "sqeuclidean"))
    np.testing.assert_allclose(_squared_distances(a, a), pdist, rtol=1e-9, atol=0)


@pytest.mark.parametrize("length", [1, 2, 4, 5, 6, 300])
def test_running_median_is_scipys_median_filter(length):
    """Exactly."""
    values = np.random.default_rng(length).standard_normal(length)
    expected = scipy.ndimage.median_filter(values, size=5, mode="nearest")
    assert np.array_equal(_running_median(values, 5), expected)


@pytest.mark.parametrize("sr", [22050, 44100, 48000])
def test_frequency_response_is_scipys_sosfreqz(sr):
    """Within 1e-12."""
    _, expected = scipy.signal.sosfreqz(k_weighting(sr), worN=1025)
    np.testing.assert_allclose(frequency_response(k_weighting(sr), 1025), expected, atol=1e-12)
