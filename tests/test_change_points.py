"""The hand-over search's kernel change-point detection against ruptures' ``KernelCPD``."""

from __future__ import annotations

import numpy as np
import pytest
import ruptures

from clipindex.music.segmentation import _median_gamma, _segment


def _ruptures_segmentations(blocks: np.ndarray, gamma: float, min_blocks: int, k_max: int):
    algo = ruptures.KernelCPD(kernel="rbf", min_size=min_blocks, params={"gamma": gamma})
    algo.fit(blocks).predict(n_bkps=k_max - 1)
    return {1: [0, len(blocks)]} | {
        k: [0, *algo.segmentations_dict[k - 1]] for k in range(2, k_max + 1)
    }


def _blocks(rng: np.random.Generator, n: int) -> np.ndarray:
    """Standardised block features of ``n`` blocks with a few changes of "song"."""
    dims = int(rng.integers(1, 50))
    blocks = rng.standard_normal((n, dims)) * rng.uniform(0.1, 2.0)
    for change in sorted(rng.integers(0, n, size=int(rng.integers(0, 6)))):
        blocks[change:] += rng.standard_normal(dims)
    spread = blocks.std(axis=0)
    return (blocks - blocks.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


def _cost(blocks: np.ndarray, gamma: float, edges: list[int]) -> float:
    """The kernel cost KernelCPD minimises, summed over the segments."""
    total = 0.0
    for a, b in zip(edges, edges[1:], strict=False):
        part = blocks[a:b]
        d2 = ((part[:, None, :] - part[None, :, :]) ** 2).sum(axis=-1)
        total += (b - a) - np.exp(-np.clip(gamma * d2, 0.01, 100)).sum() / (b - a)
    return total


@pytest.mark.parametrize("seed", range(40))
def test_every_k_segmentation_is_ruptures_kernelcpds(seed):
    rng = np.random.default_rng(seed)
    min_blocks = int(rng.integers(2, 12))
    n = int(rng.integers(2 * min_blocks, 200))
    blocks = _blocks(rng, n)
    gamma = _median_gamma(blocks)
    k_max = min(n // min_blocks, 100)
    expected = _ruptures_segmentations(blocks, gamma, min_blocks, k_max)
    assert _segment(blocks, gamma, min_blocks, k_max) == expected


@pytest.mark.parametrize("seed", range(10))
def test_one_block_segments_cost_what_ruptures_finds(seed):
    """With one-block segments allowed, many segmentations cost the same to the last bit of
    rounding; whichever is picked must cost no more than ruptures' pick."""
    rng = np.random.default_rng(seed)
    blocks = _blocks(rng, int(rng.integers(2, 60)))
    gamma = _median_gamma(blocks)
    expected = _ruptures_segmentations(blocks, gamma, 1, len(blocks))
    found = _segment(blocks, gamma, 1, len(blocks))
    for k, edges in found.items():
        assert _cost(blocks, gamma, edges) <= _cost(blocks, gamma, expected[k]) + 1e-9


def test_a_change_of_song_is_found_where_it_is():
    rng = np.random.default_rng(7)
    blocks = np.vstack([rng.normal(0, 1, (40, 10)), rng.normal(3, 1, (25, 10))])
    found = _segment(blocks, _median_gamma(blocks), min_blocks=8, k_max=3)
    assert found[2] == [0, 40, 65]
    assert found[1] == [0, 65]
