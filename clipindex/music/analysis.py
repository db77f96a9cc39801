"""The whole music analysis of a soundtrack: segments, gaps, tracks, tempo and loudness.

With reference recordings of the credited tracks, the segments come from where each recording is
heard (:mod:`clipindex.music.identify`): the credits' order does not matter, a track may play
twice, and every hand-over, cross-fade and gap is read from the recordings' levels. Without, they
come from the sound alone (:mod:`clipindex.music.segmentation`) and the credited tracks are taken
in order. Either way each segment then gets its tempo (:mod:`clipindex.music.tempo`) and loudness
(:mod:`clipindex.music.loudness`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from clipindex.music.features import FrameFeatures, Sound, frame_features
from clipindex.music.gaps import MIN_GAP_S, find_gaps
from clipindex.music.identify import (
    LAG_SPAN_S,
    MIN_MATCH_S,
    SWITCH_MAX_S,
    WINDOW_S,
    Edge,
    Match,
    Reference,
    fit_edges,
    match_references,
    prepare_reference,
    refine_lag,
    split_at_jumps,
)
from clipindex.music.loudness import block_energies, segment_lufs
from clipindex.music.segmentation import change_curve, segment_before_cuts
from clipindex.music.tempo import onset_strength, segment_tempo

REFERENCE_SNAP_S = 0.1
"""A hand-over placed from the recordings moves onto a picture cut at most this far away."""
_ZONE_S = WINDOW_S / 2 + 2.0
"""How far either side of a rough change its levels are followed."""
_MARGIN_SCALE = 0.3
"""Lead in chroma correlation of the matched recording over the next best that counts as sure."""
_MULTICHANNEL_LOUDNESS = 0.8
"""Loudness confidence factor for a source of several channels measured from its mono mix."""


@dataclass(frozen=True)
class AnalysedSegment:
    """A musical segment as the analysis found it; times in seconds."""

    start_s: float
    end_s: float
    confidence: float
    """0..1: with recordings, how clearly the track is the one heard; without, how clearly its
    edges are changes of song rather than of section."""
    track: int | None = None
    """Index of the credited track that plays (None without credits or when unknown)."""
    identified_by: str | None = None
    """"reference_audio", "credits_order", or None."""
    track_offset_s: float | None = None
    """Where in the track's recording the segment starts."""
    overlap_s: float = 0.0
    """Cross-fade with the previous segment; ``start_s`` is its middle."""
    snapped_to_cut: bool = False
    audio_start_s: float | None = None
    """Where the sound alone put the start (before snapping); None means ``start_s``."""
    tempo_bpm: float | None = None
    tempo_confidence: float | None = None
    loudness_lufs: float | None = None
    loudness_confidence: float | None = None


@dataclass(frozen=True)
class MusicAnalysis:
    """Segments and gaps of a soundtrack, with the change curve under them."""

    segments: list[AnalysedSegment]
    gaps: list[tuple[float, float]]
    n_segments_confidence: float
    """0..1, how sure the number of segments is (1.0 when the credits gave it)."""
    curve_times_s: np.ndarray
    curve: np.ndarray
    unheard: list[int] = field(default_factory=list)
    """Credited tracks whose reference recording is heard nowhere in the sound."""


def analyse_music(
    samples: Sound,
    sr: int,
    *,
    n_tracks: int | None = None,
    references: Sequence[Sound | None] = (),
    cut_times_s: Sequence[float] = (),
    min_segment_s: float = 8.0,
    snap_window_s: float = 1.0,
    channels: int = 1,
) -> MusicAnalysis:
    """Find the musical segments of a mono soundtrack and describe each.

    Parameters
    ----------
    samples, sr
        Mono samples (sample ``i`` plays at ``i / sr`` s) and their rate in Hz: an array, or a
        :class:`~clipindex.spool.Spool` of a soundtrack too long to hold in memory, which is
        read a slice at a time.
    n_tracks
        How many tracks the credits list (None: no credits).
    references
        For each credited track, its recording decoded like ``samples`` (same rate, mono), or
        None. The same array (or spool) given for two tracks counts as one recording (the first
        track).
    cut_times_s
        Picture cuts, in seconds, that hand-overs may move onto when the sound agrees.
    min_segment_s, snap_window_s
        Shortest segment and how far a hand-over may move onto a cut, without recordings (with
        them, a switch moves onto a cut at most ``REFERENCE_SNAP_S`` away, a cross-fade never).
    channels
        Channels of the source the mono mix came from; its loudness is less certain when > 1.

    >>> from clipindex.audio import decode_audio                       # doctest: +SKIP
    >>> found = analyse_music(decode_audio("samples/training-montage.mp4"), 22050,
    ...                       n_tracks=2)                               # doctest: +SKIP
    >>> [(round(s.start_s, 2), s.track) for s in found.segments]       # doctest: +SKIP
    [(0.0, 0), (41.73, 1)]
    """
    frames = frame_features(samples, sr)
    # Measured before the segments are found, which may wait for the picture cuts.
    energies = block_energies(frames.power, frames.hop_s)
    onsets, onset_hop_s = onset_strength(samples, sr)
    recordings, owners = _distinct(references)
    if recordings:
        prepared = [prepare_reference(r, sr) for r in recordings]
        snap = _from_references(
            samples, sr, frames, prepared, owners, n_tracks, min_segment_s, snap_window_s
        )
        del prepared
    else:
        snap = _from_sound(samples, sr, frames, n_tracks, min_segment_s, snap_window_s)
    del frames  # not needed to snap onto the cuts, which may be long in coming
    return _describe(snap(cut_times_s), energies, onsets, onset_hop_s, channels)


# ---------------------------------------------------------------------------------------------
# From the sound alone.
# ---------------------------------------------------------------------------------------------


_Snap = Callable[[Sequence[float]], MusicAnalysis]
"""The analysis's last step, given the picture cuts; it holds none of the sound's features."""


def _from_sound(
    samples: Sound,
    sr: int,
    frames: FrameFeatures,
    n_tracks: int | None,
    min_segment_s: float,
    snap_window_s: float,
) -> _Snap:
    unsnapped = segment_before_cuts(
        samples,
        sr,
        n_segments=n_tracks,
        min_segment_s=min_segment_s,
        snap_window_s=snap_window_s,
        frames=frames,
    )

    def snap(cut_times_s: Sequence[float]) -> MusicAnalysis:
        found = unsnapped.snapped(cut_times_s)
        segments = [
            AnalysedSegment(
                start_s=span.start_s,
                end_s=span.end_s,
                confidence=span.confidence,
                track=number if n_tracks is not None else None,
                identified_by="credits_order" if n_tracks is not None else None,
                snapped_to_cut=span.snapped_to_cut,
                audio_start_s=span.audio_start_s,
            )
            for number, span in enumerate(found.segments)
        ]
        return MusicAnalysis(
            segments, found.gaps, found.n_segments_confidence, found.curve_times_s, found.curve
        )

    return snap


# ---------------------------------------------------------------------------------------------
# From the reference recordings.
# ---------------------------------------------------------------------------------------------


def _distinct(references: Sequence[Sound | None]) -> tuple[list[Sound], list[int]]:
    """The distinct recordings given, and for each the first credited track it belongs to."""
    recordings: list[Sound] = []
    owners: list[int] = []
    for number, recording in enumerate(references):
        if recording is not None and not any(recording is seen for seen in recordings):
            recordings.append(recording)
            owners.append(number)
    return recordings, owners


def _from_references(
    samples: Sound,
    sr: int,
    frames: FrameFeatures,
    references: list[Reference],
    owners: list[int],
    n_tracks: int | None,
    min_segment_s: float,
    snap_window_s: float,
) -> _Snap:
    """Segments where each recording is heard; what no recording covers is a gap, or music of
    a credited track without a recording (in credits order, confidence 0.5). When no recording
    is heard at all, the segments come from the sound alone."""
    duration_s = len(samples) / sr
    matches = [
        m for m in match_references(frames, references) if m.end_s - m.start_s >= MIN_MATCH_S
    ]
    unheard = [
        owner for r, owner in enumerate(owners) if not any(m.reference == r for m in matches)
    ]
    if not matches:
        fallback = _from_sound(samples, sr, frames, n_tracks, min_segment_s, snap_window_s)
        return lambda cut_times_s: replace(fallback(cut_times_s), unheard=unheard)
    parts = [
        replace(match, start_s=a, end_s=b, lag_s=lag)
        for match in matches
        for a, b, lag in split_at_jumps(
            samples,
            references[match.reference],
            match.start_s,
            match.end_s,
            _whole_lag(samples, references[match.reference], match),
        )
    ]
    fade_in, fade_out = _fades(samples, sr, parts, references)

    quiet = find_gaps(samples, sr, frames=frames)
    times, curve = change_curve(frames, min_segment_s)

    def snap(cut_times_s: Sequence[float]) -> MusicAnalysis:  # waits for the picture cuts
        n = len(parts)
        starts, ends = [0.0] * n, [duration_s] * n
        overlaps, snapped = [0.0] * n, [False] * n
        audio_starts: list[float | None] = [None] * n
        uncovered: list[tuple[float, float]] = []
        if fade_in[0].start_s >= MIN_GAP_S:
            starts[0] = fade_in[0].start_s
            uncovered.append((0.0, starts[0]))
        for i in range(n - 1):
            out_end, in_start = fade_out[i].end_s, fade_in[i + 1].start_s
            if out_end - in_start >= SWITCH_MAX_S:  # a cross-fade: the hand-over is its middle
                ends[i] = starts[i + 1] = (out_end + in_start) / 2
                overlaps[i + 1] = out_end - in_start
            elif in_start - out_end >= MIN_GAP_S:
                ends[i], starts[i + 1] = out_end, in_start
                uncovered.append((out_end, in_start))
            else:  # a switch
                audio_starts[i + 1] = (out_end + in_start) / 2
                cut = _nearest_cut(cut_times_s, audio_starts[i + 1], REFERENCE_SNAP_S)
                snapped[i + 1] = cut is not None
                ends[i] = starts[i + 1] = cut if cut is not None else audio_starts[i + 1]
        if duration_s - fade_out[-1].end_s >= MIN_GAP_S:
            ends[-1] = fade_out[-1].end_s
            uncovered.append((ends[-1], duration_s))

        segments: list[AnalysedSegment] = []
        for i, part in enumerate(parts):
            sure = float(np.clip((part.score - part.runner_up) / _MARGIN_SCALE, 0.0, 1.0))
            previous = segments[-1] if segments else None
            if (
                previous
                and parts[i - 1].reference == part.reference
                and previous.end_s == starts[i]
            ):
                # The same recording on both sides of a switch: an edit inside the song.
                segments[-1] = replace(
                    previous, end_s=ends[i], confidence=min(previous.confidence, sure)
                )
                continue
            segments.append(
                AnalysedSegment(
                    start_s=starts[i],
                    end_s=ends[i],
                    confidence=sure,
                    track=owners[part.reference],
                    identified_by="reference_audio",
                    track_offset_s=starts[i] + part.lag_s,
                    overlap_s=overlaps[i],
                    snapped_to_cut=snapped[i],
                    audio_start_s=audio_starts[i],
                )
            )
        sure = max(0.5, min(s.confidence for s in segments))
        unreferenced = [t for t in range(n_tracks or 0) if t not in owners]
        gaps: list[tuple[float, float]] = []
        for a, b in uncovered:
            if unreferenced and b - a >= MIN_MATCH_S and _quiet_share(a, b, quiet) < 0.5:
                track = unreferenced.pop(0)
                segments.append(AnalysedSegment(a, b, 0.5, track, "credits_order"))
            else:
                gaps.append((round(a, 3), round(b, 3)))
        segments.sort(key=lambda s: s.start_s)
        return MusicAnalysis(segments, gaps, sure, times, curve, unheard)

    return snap


def _whole_lag(samples: Sound, reference: Reference, match: Match) -> float:
    """The match's offset to the sample, over the match without its uncertain ends."""
    start, end = match.start_s + WINDOW_S / 2, match.end_s - WINDOW_S / 2
    if end - start < 1.0:
        start, end = match.start_s, match.end_s
    return refine_lag(
        samples, reference, start, end, match.lag_s, search_s=0.3, max_span_s=LAG_SPAN_S
    )


def _fades(
    samples: Sound, sr: int, parts: list[Match], references: list[Reference]
) -> tuple[list[Edge], list[Edge]]:
    """Each part's fade-in and fade-out; a change between two close parts is fitted with both
    recordings, so their levels share out the sound between them."""
    duration_s = len(samples) / sr
    sides = [(references[p.reference], p.lag_s) for p in parts]
    middles = [(p.start_s + p.end_s) / 2 for p in parts]
    fade_in: list[Edge] = []
    fade_out: list[Edge] = []
    for i, part in enumerate(parts):
        if i == 0:
            zone = (max(0.0, part.start_s - _ZONE_S), min(part.start_s + _ZONE_S, middles[i]))
            fade_in.append(fit_edges(samples, sr, zone, None, sides[i])[1])
        if i + 1 < len(parts) and parts[i + 1].start_s - part.end_s < 2 * _ZONE_S:
            zone = (
                max(part.end_s - _ZONE_S, middles[i]),
                min(parts[i + 1].start_s + _ZONE_S, middles[i + 1]),
            )
            out_edge, in_edge = fit_edges(samples, sr, zone, sides[i], sides[i + 1])
            fade_out.append(out_edge)
            fade_in.append(in_edge)
            continue
        zone = (max(part.end_s - _ZONE_S, middles[i]), min(duration_s, part.end_s + _ZONE_S))
        fade_out.append(fit_edges(samples, sr, zone, sides[i], None)[0])
        if i + 1 < len(parts):
            after = parts[i + 1]
            zone = (max(0.0, after.start_s - _ZONE_S), min(after.start_s + _ZONE_S, middles[i + 1]))
            fade_in.append(fit_edges(samples, sr, zone, None, sides[i + 1])[1])
    return fade_in, fade_out


def _nearest_cut(cut_times_s: Sequence[float], time_s: float, within_s: float) -> float | None:
    """The cut nearest ``time_s`` if it is at most ``within_s`` away."""
    if not len(cut_times_s):
        return None
    nearest = min(cut_times_s, key=lambda cut: abs(cut - time_s))
    return float(nearest) if abs(nearest - time_s) <= within_s else None


def _quiet_share(start_s: float, end_s: float, quiet: list[tuple[float, float]]) -> float:
    """Share of ``start_s..end_s`` that lies in the ``quiet`` stretches."""
    covered = sum(max(0.0, min(b, end_s) - max(a, start_s)) for a, b in quiet)
    return covered / max(end_s - start_s, 1e-9)


# ---------------------------------------------------------------------------------------------
# Tempo and loudness of each segment.
# ---------------------------------------------------------------------------------------------


def _describe(
    analysis: MusicAnalysis,
    energies: np.ndarray,
    onsets: np.ndarray,
    onset_hop_s: float,
    channels: int,
) -> MusicAnalysis:
    """The analysis with every segment's tempo and loudness, measured away from cross-fades,
    from the sound's block energies and onset strength."""
    factor = 1.0 if channels <= 1 else _MULTICHANNEL_LOUDNESS
    described = []
    segments = analysis.segments
    for i, segment in enumerate(segments):
        following = segments[i + 1].overlap_s if i + 1 < len(segments) else 0.0
        start = segment.start_s + segment.overlap_s / 2
        end = segment.end_s - following / 2
        bpm, tempo_sure = segment_tempo(onsets, onset_hop_s, start, end)
        lufs, share = segment_lufs(energies, start, end)
        described.append(
            replace(
                segment,
                tempo_bpm=round(bpm, 1) if bpm is not None else None,
                tempo_confidence=round(tempo_sure, 3) if bpm is not None else None,
                loudness_lufs=round(lufs, 1) if lufs is not None else None,
                loudness_confidence=round(share * factor, 3) if lufs is not None else None,
            )
        )
    return replace(analysis, segments=described)
