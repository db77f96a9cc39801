"""Gradual transitions: fades and dips through black or white, and cross-dissolves.

Fades and dips are read from each frame's brightness alone, so they may last any time. A
dissolve is recognised by what it is, a mix of two pictures: within a window of frames, the
frames inside lie on the straight line between the signatures of its two ends, in order, with
the lower contrast of a mix, while the two shots are steady around it. Motion is not a mix, so
pans, snow and flashes fail the test however much they change the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clipindex.cuts.features import RecentSignatures

_QUARTERS = np.array([0.25, 0.5, 0.75])
"""Where inside a window the frames are tested for being a mix of its ends."""

_CELL_CHANGE = 8.0
"""Change of a signature cell (mean of its colours, 0-255) that counts it as changed."""

_MIDDLE_REACH = 0.3
"""How far from half-way a window's middle frame may lie on the line between its ends (as a
fraction of the way from one end to the other)."""

_ROUNDING_MARGIN = 0.05
"""Slack of the middle-frame test told from squares. The test itself works in float32 on whole
numbers; its alpha and residual are off by under 0.001 for windows whose ends differ by 20 or
more (2.4e-7 at most on the test media), so the slack lets through every frame it passes."""


@dataclass(frozen=True)
class Transition:
    """A gradual transition: its kind, the frame where the new shot starts, and its span."""

    kind: str
    frame: int
    start_frame: int
    end_frame: int


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """First and last index of each run of True values."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def through_colour(
    distance_to_colour: np.ndarray, level: float, fade_min_frames: int, dip_max_hold: int
) -> tuple[list[Transition], list[int]]:
    """Fades and dips through one colour, and the frames where the colour starts or ends at once.

    ``distance_to_colour`` says per frame how far the picture is from the colour (0 = all of
    it); frames under ``level`` show the colour. A steady ramp of at least ``fade_min_frames``
    into a run of such frames is a ``fade_out`` (its span from the first frame that moves
    towards the colour to the one closest to it), a ramp out of one a ``fade_in``; a fade out
    and a fade in with at most ``dip_max_hold`` frames between them are one ``dip``. Faster
    changes are returned as instant edges: the first frame of the colour, or the first after it.
    """
    d = np.asarray(distance_to_colour, dtype=np.float64)
    n = len(d)
    shows = d < level

    def closer(a: int, b: int) -> bool:
        return d[a] < d[b] - (0.05 + 0.01 * d[b])

    found: list[Transition] = []
    instant: list[int] = []
    for first, last in _runs(shows):
        fade_out = fade_in = None
        if first > 0:
            start = first
            while start > 0 and closer(start, start - 1) and not shows[start - 1]:
                start -= 1
            end = first
            while end < last and closer(end + 1, end):
                end += 1
            if first - start >= fade_min_frames:  # the ramp's first moving frame is start + 1
                fade_out = Transition("fade_out", end, start + 1, end)
            else:
                instant.append(first)
        if last < n - 1:
            start = last
            while start > first and closer(start - 1, start):
                start -= 1
            end = last + 1
            while end + 1 < n and closer(end, end + 1):
                end += 1
            if end - last >= fade_min_frames:
                begin = min(start + 1, last + 1)
                fade_in = Transition("fade_in", begin, begin, end)
            else:
                instant.append(last + 1)
        if fade_out and fade_in and fade_in.start_frame - fade_out.end_frame - 1 <= dip_max_hold:
            found.append(Transition("dip", fade_in.frame, fade_out.start_frame, fade_in.end_frame))
        else:
            found += [fade for fade in (fade_out, fade_in) if fade is not None]
    return found, instant


@dataclass(frozen=True)
class BlendTest:
    """Thresholds of the dissolve test (see :func:`blend_windows`)."""

    min_change: float
    max_residual: float
    max_contrast: float
    max_drift: float
    min_coverage: float


def window_offsets(max_frames: int) -> np.ndarray:
    """Per tested window (rows), how many frames before the newest frame each of its points lies.

    Columns: the frame before the steady stretch, the window's first frame (all shot A), its
    quarter, middle and three-quarter frames, and its last frame (all shot B). The newest frame
    ends the steady stretch after the window; each stretch is half the window long. Lengths grow
    by an eighth at a time, so a span is within about 6% of its true length.
    """
    lengths = [3]
    while lengths[-1] + max(1, lengths[-1] // 8) <= max_frames:
        lengths.append(lengths[-1] + max(1, lengths[-1] // 8))
    lengths = np.array(lengths)
    halves = np.maximum(1, lengths // 2)
    last = halves
    first = last + lengths
    inner = first[:, None] - np.round(_QUARTERS[None, :] * lengths[:, None]).astype(int)
    return np.column_stack([first + halves, first, inner, last])


@dataclass(frozen=True)
class Windows:
    """The windows tested for a dissolve as each frame arrives, up to ``max_frames`` long.

    ``offsets`` is :func:`window_offsets`. The first tests read only measures between two of a
    window's frames, kept by :class:`RecentSignatures`: ``later`` says per measure (rows) and
    window (columns) how many frames before the newest the later frame of the pair lies, and
    ``lags`` how far back from it the other lies. Rows: the distances between the two ends,
    from the first end back over the steady stretch before it, and from the newest frame back
    over the one after the last end; then the squares from the middle frame back to the first
    end, from the last end back to the middle frame, and between the two ends.
    """

    offsets: np.ndarray
    later: np.ndarray
    lags: np.ndarray

    @classmethod
    def up_to(cls, max_frames: int) -> Windows:
        offsets = window_offsets(max_frames)
        before, first, _, middle, _, last = offsets.T
        later = np.array([last, first, np.zeros_like(last), middle, last, last])
        earlier = np.array([first, before, last, first, middle, first])
        return cls(offsets, later, earlier - later)


def blend_windows(
    recent: RecentSignatures, newest: int, windows: Windows, test: BlendTest
) -> list[tuple[int, int, float]]:
    """The ``windows`` ending with ``newest`` that look like a dissolve.

    ``recent`` holds the signatures of the frames up to ``newest``. A window from frame ``a``
    (shot A) to frame ``b`` (shot B) passes when:

    - the two ends differ by ``min_change`` (mean signature difference) over at least
      ``min_coverage`` of the picture (a caption fading in changes only part of it);
    - the picture moves by at most ``max_drift`` of that difference over the half-window before
      ``a`` and the half-window after ``b`` together: a dissolve is an event between two steady
      shots, where a pan or a slow change of light goes on and on;
    - its quarter, middle and three-quarter frames lie on the line from ``a`` to ``b`` within
      ``max_residual`` of the ends' distance, in order, the middle one well inside;
    - the frame nearest the half-way mix has at most ``max_contrast`` of the contrast (spatial
      variance) the ends would give it: two mixed pictures wash each other out, motion does not.

    The tests that need only measures between two frames run first, on every window, from the
    measures ``recent`` already holds; the rest only on the few windows left. Returns
    (a, b, change) for each passing window.
    """
    offsets, later, lags = windows.offsets, windows.later, windows.lags
    if offsets[-1, 0] > newest:
        fits = offsets[:, 0] <= newest
        offsets, later, lags = offsets[fits], later[:, fits], lags[:, fits]
    change, before, after = recent.distances(newest - later[:3], lags[:3])
    to_first, to_last, ends = recent.squares(newest - later[3:], lags[3:])
    keep = (
        (change >= test.min_change)
        & (before + after <= test.max_drift * change)
        & _may_lie_between(to_first, to_last, ends, test)
    )
    if not keep.any():
        return []
    frames, change = newest - offsets[keep], change[keep]
    a_sig, b_sig = recent.signatures(frames[:, 1]), recent.signatures(frames[:, 5])
    span = b_sig - a_sig
    cells = np.abs(span).reshape(len(span), -1, 3).mean(axis=2)
    keep = (cells >= _CELL_CHANGE).mean(axis=1) >= test.min_coverage
    if not keep.any():
        return []
    frames, a_sig, b_sig, change, span = (x[keep] for x in (frames, a_sig, b_sig, change, span))
    norm = np.einsum("ij,ij->i", span, span)
    alpha, residual = _on_line(recent.signatures(frames[:, 3:4]), a_sig, span, norm)
    keep = (np.abs(alpha[:, 0] - 0.5) <= _MIDDLE_REACH) & (residual[:, 0] <= test.max_residual)
    if not keep.any():
        return []
    frames, a_sig, b_sig, change, span, norm = (
        x[keep] for x in (frames, a_sig, b_sig, change, span, norm)
    )
    inner = recent.signatures(frames[:, 2:5])  # windows x (quarter, middle, 3 quarters) x signature
    alpha, residual = _on_line(inner, a_sig, span, norm)
    rows = np.arange(len(alpha))
    nearest = np.argmin(np.abs(alpha - 0.5), axis=1)
    mix = np.clip(alpha[rows, nearest], 0.0, 1.0)
    expected = (1 - mix) * _contrast(a_sig) + mix * _contrast(b_sig)
    passed = (
        (np.diff(alpha, axis=1) >= 0.05).all(axis=1)
        & (residual.max(axis=1) <= test.max_residual)
        & (_contrast(inner[rows, nearest]) <= test.max_contrast * expected)
    )
    return [
        (int(frames[i, 1]), int(frames[i, 5]), float(change[i])) for i in np.flatnonzero(passed)
    ]


def _may_lie_between(
    to_first: np.ndarray, to_last: np.ndarray, ends: np.ndarray, test: BlendTest
) -> np.ndarray:
    """Whether a frame may pass the middle-frame test of :func:`blend_windows`, told from its
    squares (summed squared signature differences) to a window's ends and the ends' square.

    By the law of cosines the frame projects at alpha = (to_first - to_last + ends) / (2 ends)
    of the way from the first end to the last, so alpha - 1/2 = (to_first - to_last) / (2 ends),
    and lies off that line by the residual r with 4 ends² r² = 4 to_first ends - (to_first -
    to_last + ends)². Both conditions are written without dividing, so equal ends need no care;
    their slack, ``_ROUNDING_MARGIN``, keeps every frame the test itself passes.
    """
    reach = _MIDDLE_REACH + _ROUNDING_MARGIN
    max_residual = test.max_residual + _ROUNDING_MARGIN
    gap = to_first - to_last  # 2 ends (alpha - 1/2)
    off_line = 4 * to_first * ends - (gap + ends) ** 2  # 4 ends² r²
    return (np.abs(gap) <= 2 * reach * ends) & (off_line <= (2 * max_residual * ends) ** 2)


def _on_line(
    points: np.ndarray, start: np.ndarray, span: np.ndarray, norm: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where ``points`` (windows x k x signature) project on the line from ``start`` along
    ``span`` (0 at the start, 1 at the end), and how far off it they lie, in units of ``span``.
    """
    offset = points - start[:, None, :]
    alpha = np.einsum("ikj,ij->ik", offset, span) / norm[:, None]
    off_line = offset - alpha[..., None] * span[:, None, :]
    return alpha, np.sqrt(np.einsum("ikj,ikj->ik", off_line, off_line) / norm[:, None])


def _contrast(signatures: np.ndarray) -> np.ndarray:
    """Spatial variance of each signature, averaged over its colours."""
    return signatures.reshape(len(signatures), -1, 3).var(axis=1).mean(axis=1)


def dissolves(
    windows: list[tuple[int, int, float]], excluded: list[tuple[int, int]]
) -> list[Transition]:
    """Dissolves from the windows that passed the blend test, one per group of overlapping ones.

    The window whose ends differ the most marks a dissolve; of the windows overlapping it that
    differ nearly as much, the shortest gives its span (the first mixed frame to the first frame
    of shot B), so the span hugs the transition. Windows touching an ``excluded`` span (a fade,
    dip or flash) are left out.
    """
    pool = [w for w in windows if not any(w[0] <= end and w[1] >= start for start, end in excluded)]
    found = []
    while pool:
        strongest = max(pool, key=lambda w: (w[2], w[0] - w[1]))
        group = [w for w in pool if w[0] <= strongest[1] and w[1] >= strongest[0]]
        a, b, _ = min(
            (w for w in group if w[2] >= 0.95 * strongest[2]), key=lambda w: (w[1] - w[0], w[0])
        )
        found.append(Transition("dissolve", a + (b - a + 1) // 2, a + 1, b))
        pool = [w for w in pool if w not in group]
    return sorted(found, key=lambda t: t.frame)
