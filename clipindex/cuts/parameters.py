"""The settings of cut detection, each with what it means and its unit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CutParameters:
    """Settings of cut detection, recorded in the index so a run can be repeated.

    Scores are on PySceneDetect's scales: ContentDetector's 0–255 mean change, the luma
    histogram's 1 - correlation (0–2), and signature distances as 0–255 mean differences.
    """

    threshold: float = 27.0
    """ContentDetector score a frame must reach to be a cut (its default)."""
    spike_ratio: float = 2.0
    """How many times the median score of the neighbouring frames a cut's score must be."""
    spike_window: int = 3
    """Frames on each side whose median score a cut is compared with (the busier side counts)."""
    strong_spike_ratio: float = 1.5
    """The smaller margin over the busier side for a change of twice the threshold or more."""
    confirmed_spike_ratio: float = 1.2
    """The margin over the busier side for a change of half the threshold or more that the luma
    histogram confirms."""
    histogram_threshold: float = 0.3
    """Luma histogram change that confirms a cut."""
    histogram_spike_ratio: float = 3.0
    """How many times the busier side's histogram change that confirmation must be."""
    motion_threshold: float = 0.2
    """Motion-compensated residual (a fraction of the frames' contrast) that makes a cut on its
    own, when it is also a spike (:mod:`~clipindex.cuts.motion`)."""
    motion_spike_ratio: float = 3.0
    """How many times the busier side's residual that spike must be."""
    motion_content_ratio: float = 1.3
    """How many times the busier side's content score a cut found by its residual must have:
    scrolling text or fine texture on the move leaves a residual that beats in time with the
    scroll, while the content score stays level."""
    motion_confirm: float = 0.1
    """Residual a cut found by the content or histogram rules must show: motion explains less."""
    motion_confirm_ratio: float = 2.0
    """How many times the residual of either neighbouring frame that confirmation must be: a
    cut is one frame's change, while something sweeping past the lens leaves a residual over
    two frames or more."""
    motion_search_px: int = 4
    """How far blocks are matched each way, in pixels of the 64 px wide picture (6% of it)."""
    flat_block_std: float = 4.0
    """Grey standard deviation (0–255) under which a block darker than ``black_level`` shows
    nothing and is left out of the residual."""
    contrast_floor: float = 4.0
    """Grey levels added to the frames' contrast before dividing by it, so flat frames do not
    turn noise into a cut."""
    flash_max_frames: int = 4
    """Longest run of frames that can be a flash rather than a shot."""
    flash_return_distance: float = 15.0
    """Largest signature distance between the frames before and after a flash (same shot)."""
    flash_brightness_gain: float = 25.0
    """How much brighter (mean HSV value, 0–255) a flash is than the shot around it."""
    flash_saturation_drop: float = 15.0
    """How much less saturated (mean HSV saturation, 0–255) a flash is, unless it is white."""
    flash_white_level: float = 220.0
    """Mean brightness at which a flash is white, whatever its saturation."""
    black_level: float = 24.0
    """Mean brightness (HSV value, 0–255) under which a frame counts as black."""
    white_level: float = 230.0
    """Mean of brightness and (255 - saturation) over which a frame counts as white."""
    fade_min_frames: int = 3
    """Shortest ramp into or out of black or white that is a fade rather than a cut."""
    dip_max_hold_s: float = 0.2
    """Longest stay in black or white between a fade out and a fade in that makes them a dip."""
    dissolve_max_s: float = 3.0
    """Longest cross-dissolve looked for."""
    dissolve_min_change: float = 20.0
    """Signature distance between the two shots of a dissolve, at least."""
    dissolve_max_residual: float = 0.25
    """How far a dissolve's frames may lie off the mix of its two shots, of their distance."""
    dissolve_max_contrast: float = 0.9
    """Contrast of the half-way mix, at most, as a fraction of what the two shots would give."""
    dissolve_max_drift: float = 0.5
    """Movement of the shots before and after a dissolve, at most, as a fraction of its change."""
    dissolve_min_coverage: float = 0.5
    """Fraction of the picture a dissolve must change (a caption fading in changes less)."""
