"""Track identification from reference recordings: which, from where, and where it starts and stops.

Soundtracks are built here from the real recordings in ../shared/media (excerpts at one level,
with the film sound of Big Buck Bunny mixed under), so every offset and hand-over is known to the
sample.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from clipindex.audio import decode_audio
from clipindex.music import (
    analyse_music,
    analysis,
    features,
    frame_features,
    identify,
    match_references,
    prepare_reference,
)
from clipindex.music.identify import fit_edges, refine_lag, split_at_jumps
from clipindex.spool import Spool
from conftest import WatchedCuts, log_calls, shared

SR = 22050
FILES = {
    "vibe": "Kevin_MacLeod_-_Vibe_Ace.hq.ogg",
    "fishin": "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg",
    "sugar_plum": "Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy.hq.ogg",
}
NAMES = list(FILES)


@cache
def recording(name: str) -> np.ndarray:
    return decode_audio(shared(FILES[name]), sr=SR)


@cache
def reference(name: str):
    return prepare_reference(recording(name), SR)


def soundtrack(*parts: tuple[str, float, float], crossfade_s: float = 0.0) -> np.ndarray:
    """Excerpts ``(track, from_s, seconds)`` joined (cross-faded linearly if asked), each at
    -20 dBFS RMS, with the film's sound 12 dB under. Hand-overs fall at the running sums of
    the seconds; a cross-fade is centred on them."""
    half = round(crossfade_s / 2 * SR)
    total = round(sum(seconds for _, _, seconds in parts) * SR)
    out = np.zeros(total)
    at = 0
    for number, (name, from_s, seconds) in enumerate(parts):
        lead = half if number > 0 else 0
        tail = half if number < len(parts) - 1 else 0
        first = round(from_s * SR) - lead
        n = round(seconds * SR) + lead + tail
        piece = recording(name)[first : first + n].astype(np.float64)
        piece *= 0.1 / np.sqrt(np.mean(piece**2))
        if lead:
            piece[: 2 * lead] *= np.linspace(0, 1, 2 * lead)
        if tail:
            piece[-2 * tail :] *= np.linspace(1, 0, 2 * tail)
        start = at - lead
        out[start : start + n] += piece[: total - start]
        at += round(seconds * SR)
    film = decode_audio(shared("big_buck_bunny_0_30.webm"), sr=SR).astype(np.float64)
    film = np.tile(film, total // len(film) + 1)[:total]
    out += film * 0.1 / np.sqrt(np.mean(film**2)) * 10 ** (-12 / 20)
    return out.astype(np.float32)


def test_each_stretch_is_named_with_its_offset_even_out_of_order_and_repeated():
    sound = soundtrack(("fishin", 10.0, 20.0), ("vibe", 15.0, 20.0), ("fishin", 60.0, 20.0))
    refs = [reference(name) for name in NAMES]
    found = match_references(frame_features(sound, SR), refs)
    assert [NAMES[m.reference] for m in found] == ["fishin", "vibe", "fishin"]
    # Offsets to a matching frame (0.19 s) here; refine_lag takes them to the sample.
    assert [m.lag_s for m in found] == pytest.approx([10.0, -5.0, 20.0], abs=0.2)
    assert all(m.score > m.runner_up + 0.3 for m in found)


def test_a_repetitive_song_keeps_one_offset():
    # Vibe Ace repeats its bars: 5 s windows match at several offsets, the whole stretch at one.
    sound = soundtrack(("vibe", 20.0, 40.0))
    (found,) = match_references(frame_features(sound, SR), [reference("vibe")])
    assert found.lag_s == pytest.approx(20.0, abs=0.2)
    assert refine_lag(sound, reference("vibe"), 0.0, 40.0, found.lag_s) == pytest.approx(
        20.0, abs=1 / SR
    )


def test_offset_to_a_fraction_of_a_sample():
    rng = np.random.default_rng(5)
    noise = rng.standard_normal(20 * SR)
    ref = prepare_reference(noise.astype(np.float32), SR)
    # The soundtrack holds the recording from 3 s + 100.5 samples: shift by half a sample.
    spectrum = np.fft.rfft(noise)
    shifted = np.fft.irfft(spectrum * np.exp(2j * np.pi * np.fft.rfftfreq(len(noise)) * 0.5))
    sound = shifted[3 * SR + 100 : 13 * SR]
    lag = refine_lag(sound, ref, 0.0, 10.0, 3.0)
    assert lag * SR == pytest.approx(3 * SR + 100.5, abs=0.1)


def test_switch_is_placed_to_the_hundredth_of_a_second_under_effects():
    sound = soundtrack(("vibe", 4.0, 25.0), ("fishin", 12.0, 20.0))
    out_edge, in_edge = fit_edges(
        sound, SR, (20.0, 30.0), (reference("vibe"), 4.0 - 0.0), (reference("fishin"), -13.0)
    )
    assert out_edge.end_s == pytest.approx(25.0, abs=0.02)
    assert in_edge.start_s == pytest.approx(25.0, abs=0.02)
    assert out_edge.end_s - out_edge.start_s < 0.05  # a switch, not a fade


def test_crossfade_is_measured_from_both_recordings():
    sound = soundtrack(("vibe", 4.0, 25.0), ("fishin", 12.0, 20.0), crossfade_s=3.0)
    out_edge, in_edge = fit_edges(
        sound, SR, (19.0, 31.0), (reference("vibe"), 4.0), (reference("fishin"), -13.0)
    )
    assert (out_edge.start_s, out_edge.end_s) == pytest.approx((23.5, 26.5), abs=0.2)
    assert (in_edge.start_s, in_edge.end_s) == pytest.approx((23.5, 26.5), abs=0.2)


def test_an_edit_inside_a_song_is_found_and_the_song_stays_one_segment():
    # 50 ms of Let's Go Fishin' taken out at 14 s: the offset jumps, the song plays on.
    song = recording("fishin")
    sound = np.concatenate([song[20 * SR : 34 * SR], song[round(34.05 * SR) : 50 * SR]])
    parts = split_at_jumps(sound, reference("fishin"), 0.0, len(sound) / SR, 20.0)
    assert len(parts) == 2
    assert parts[0][2] == pytest.approx(20.0, abs=1e-3)
    assert parts[1][2] == pytest.approx(20.05, abs=1e-3)
    assert parts[0][1] == pytest.approx(14.0, abs=3.0)
    found = analyse_music(sound, SR, n_tracks=1, references=[song])
    assert [(s.start_s, round(s.end_s, 2)) for s in found.segments] == [(0.0, 29.95)]
    assert found.gaps == []


def test_tracks_are_identified_whatever_the_credits_order_and_a_repeat_is_its_own_segment():
    sound = soundtrack(("vibe", 5.0, 20.0), ("sugar_plum", 30.0, 20.0), ("vibe", 40.0, 15.0))
    credited = ["sugar_plum", "vibe"]  # listed once each, in another order
    found = analyse_music(sound, SR, n_tracks=2, references=[recording(name) for name in credited])
    assert [credited[s.track] for s in found.segments] == ["vibe", "sugar_plum", "vibe"]
    assert all(s.identified_by == "reference_audio" for s in found.segments)
    assert [s.start_s for s in found.segments[1:]] == pytest.approx([20.0, 40.0], abs=0.05)
    assert [s.track_offset_s for s in found.segments] == pytest.approx([5.0, 30.0, 40.0], abs=0.02)
    assert found.n_segments_confidence > 0.9


def test_a_credited_track_without_recording_takes_the_music_no_recording_explains():
    sound = soundtrack(("vibe", 5.0, 20.0), ("fishin", 30.0, 20.0))
    found = analyse_music(sound, SR, n_tracks=2, references=[recording("vibe"), None])
    assert [(s.track, s.identified_by) for s in found.segments] == [
        (0, "reference_audio"),
        (1, "credits_order"),
    ]
    assert found.segments[1].start_s == pytest.approx(20.0, abs=0.05)


def test_a_recording_heard_nowhere_is_reported():
    sound = soundtrack(("vibe", 5.0, 25.0))
    found = analyse_music(
        sound, SR, n_tracks=2, references=[recording("vibe"), recording("sugar_plum")]
    )
    assert found.unheard == [1]
    assert [s.track for s in found.segments] == [0]


def test_with_recordings_only_snapping_waits_for_the_cuts(monkeypatch):
    sound = soundtrack(("vibe", 5.0, 20.0), ("sugar_plum", 30.0, 20.0))
    log: list[str] = []
    steps = ["match_references", "find_gaps", "change_curve", "onset_strength", "block_energies"]
    log_calls(monkeypatch, analysis, steps, log)
    found = analyse_music(
        sound,
        SR,
        n_tracks=2,
        references=[recording("vibe"), recording("sugar_plum")],
        cut_times_s=WatchedCuts([12.0, 20.0, 31.0], log),
    )
    assert found.segments[1].snapped_to_cut and found.segments[1].start_s == 20.0
    assert set(log[: log.index("cuts read")]) == set(steps)
    assert log[-1] == "cuts read"


# ---------------------------------------------------------------------------------------------
# A long soundtrack: matched window by window, read from disk, with the same results.
# ---------------------------------------------------------------------------------------------


def _whole_table_scores(chroma: np.ndarray, ref: np.ndarray, starts, width, lag) -> np.ndarray:
    """Each window's mean correlation at offset ``lag`` from the whole table of diagonal sums,
    as matching computed it when it held the table (-inf where a window is not half inside)."""
    similarity = chroma @ ref.T
    n, m = similarity.shape
    sums = np.zeros((n + 1, m + 1), np.float32)
    for i in range(n):
        sums[i + 1, 1:] = sums[i, :-1] + similarity[i]
    first = np.clip(starts + lag, 0, m)
    last = np.clip(starts + width + lag, 0, m)
    inside = last - first
    total = sums[first - lag + inside, last] - sums[first - lag, first]
    return np.where(inside * 2 >= width, total / np.maximum(inside, 1), -np.inf)


def _spooled(samples: np.ndarray, path) -> Spool:
    path.write_bytes(np.asarray(samples, "<f4").tobytes())
    return Spool(1, path.open("rb"))


def test_matching_window_by_window_from_disk_gives_what_the_whole_table_gives(
    monkeypatch, tmp_path
):
    sound = soundtrack(("vibe", 5.0, 20.0), ("sugar_plum", 30.0, 20.0), ("vibe", 40.0, 12.0))
    recordings = [recording("vibe"), recording("sugar_plum")]
    refs = [prepare_reference(r, SR) for r in recordings]
    frames = frame_features(sound, SR)
    chroma, hop = identify.matching_chroma(frames)
    width, step = round(identify.WINDOW_S / hop), round(identify.STEP_S / hop)
    starts = np.append(np.arange(0, len(chroma) - width + 1, step), len(chroma) - width)
    states, _ = identify._candidates(chroma, refs, starts, width)
    emissions = identify._Emissions(chroma, refs, states, starts, width)
    assert len(states) > 10
    for c, (r, lag) in enumerate(states):
        whole = _whole_table_scores(chroma, refs[r].chroma, starts, width, lag)
        kept = np.array([emissions.column(w)[c] for w in range(len(starts))])
        assert np.array_equal(kept, whole), (r, lag)

    expected = (
        match_references(frames, refs),
        analyse_music(sound, SR, n_tracks=2, references=recordings, cut_times_s=[20.0, 40.0]),
    )
    assert [(m.reference, round(m.lag_s)) for m in expected[0]] == [(0, 5), (1, 10), (0, 0)]
    monkeypatch.setattr(identify, "SIMILARITY_ROWS", 3)  # correlations a few frames at a time
    monkeypatch.setattr(features, "CHUNK_ROWS", 7)
    spools = [_spooled(x, tmp_path / f"{n}.f32") for n, x in enumerate([sound, *recordings])]
    with spools[0], spools[1], spools[2]:
        found = (
            match_references(frames, refs),
            analyse_music(
                spools[0], SR, n_tracks=2, references=spools[1:], cut_times_s=[20.0, 40.0]
            ),
        )
    assert found[0] == expected[0]
    assert found[1].segments == expected[1].segments
    assert found[1].gaps == expected[1].gaps and found[1].unheard == expected[1].unheard
