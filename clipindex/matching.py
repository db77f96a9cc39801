"""Pairing what was found with what was expected: the matching behind ``clipindex check``,
:mod:`clipindex.testing` and the accuracy benchmarks.

Both matchings are *maximum* one-to-one matchings: as many pairs as the tolerance allows, so that
two cuts a frame apart are both credited when both were found a frame early (a greedy pairing,
nearest first, would report a miss and a false cut). :func:`match_events` is the matching
``mir_eval.util.match_events`` computes for boundary detection (Raffel et al., "mir_eval: A
Transparent Implementation of Common MIR Metrics", ISMIR 2014), and finds the same number of
pairs; :func:`match_spans` pairs gradual transitions whose spans overlap.
"""

from __future__ import annotations

from collections.abc import Sequence

TRUTH_KINDS = {
    "fade_in_from_black": "fade_in",
    "fade_out_to_black": "fade_out",
    "cross_dissolve": "dissolve",
    "dip_to_black": "dip",
    "dip_to_white": "dip",
}
"""The transition types of truth files, and the kind of cut clipindex reports each as."""


def match_events(
    reference: Sequence[float], estimate: Sequence[float], window: float
) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of ``reference[i]`` and ``estimate[j]`` at most ``window`` apart, each
    event in one pair at most, as many pairs as possible, in time order.

    On a line, one sweep through both lists in time order finds a maximum matching (mir_eval
    finds one with Hopcroft-Karp on the general graph): an estimate too early for the current
    reference is too early for every later one, and the other way round.

    >>> match_events([11, 12], [10, 11], window=1)
    [(0, 0), (1, 1)]
    """
    refs = sorted(range(len(reference)), key=lambda i: reference[i])
    ests = sorted(range(len(estimate)), key=lambda j: estimate[j])
    pairs, a, b = [], 0, 0
    slack = window + 1e-9
    while a < len(refs) and b < len(ests):
        here, there = reference[refs[a]], estimate[ests[b]]
        if there < here - slack:
            b += 1
        elif there > here + slack:
            a += 1
        else:
            pairs.append((refs[a], ests[b]))
            a, b = a + 1, b + 1
    return pairs


def match_spans(
    reference: Sequence[tuple[int, int]],
    estimate: Sequence[tuple[int, int]],
    tolerance: int = 0,
) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of spans (first and last frame, both included) that share a frame once
    widened by ``tolerance`` frames, one to one, as many pairs as possible (augmenting paths,
    Kuhn's algorithm), in the order of ``reference``.

    >>> match_spans([(0, 10), (20, 30)], [(8, 22)])
    [(0, 0)]
    """

    def overlap(i: int, j: int) -> bool:
        (a0, a1), (b0, b1) = reference[i], estimate[j]
        return a0 - tolerance <= b1 and b0 - tolerance <= a1

    partner: dict[int, int] = {}  # estimate index -> reference index

    def augment(i: int, seen: set[int]) -> bool:
        for j in range(len(estimate)):
            if j in seen or not overlap(i, j):
                continue
            seen.add(j)
            if j not in partner or augment(partner[j], seen):
                partner[j] = i
                return True
        return False

    for i in range(len(reference)):
        augment(i, set())
    return sorted(((i, j) for j, i in partner.items()), key=lambda pair: pair[0])
