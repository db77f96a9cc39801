"""Musical segmentation from the sound alone: hand-overs within 0.25 s, snapped only when the
audio agrees, gaps, the number of segments, and each segment's tempo and loudness.

Montages are built here from the real recordings in ../shared/media (loudness-matched excerpts
joined without a cross-fade), so every boundary's true time is known exactly.
"""

from __future__ import annotations

import json
import tracemalloc
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from clipindex import ffmpeg
from clipindex.audio import decode_audio
from clipindex.music import (
    ChangeProfile,
    analyse_music,
    analysis,
    block_features,
    features,
    find_gaps,
    find_music_segments,
    frame_features,
    novelty_curve,
    segmentation,
    snap_to_cut,
    tempo,
)
from clipindex.music.features import frame_matrix
from clipindex.music.loudness import block_energies, integrated_lufs, k_weighting
from clipindex.music.segmentation import repetition_ratio
from clipindex.music.tempo import onset_strength, segment_tempo, tempo_bpm
from clipindex.spool import Spool
from conftest import WatchedCuts, log_calls

SR = 22050
MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TRACKS = {
    "vibe": "Kevin_MacLeod_-_Vibe_Ace.hq.ogg",
    "fishin": "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg",
    "sugar_plum": "Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy.hq.ogg",
}
TOLERANCE_S = 0.25


def media(name: str) -> Path:
    """A file of ../shared/media, or skip the test saying why."""
    path = MEDIA / name
    if not path.exists():
        pytest.skip(f"real test media not available: {path} (../shared/media is absent)")
    return path


@cache
def _decoded(path: Path) -> np.ndarray:
    return decode_audio(path, sr=SR)


def excerpt(track: str, start_s: float, duration_s: float) -> np.ndarray:
    """``duration_s`` seconds of a shared track from ``start_s``, at -20 dBFS RMS."""
    samples = _decoded(media(TRACKS[track]))[
        round(start_s * SR) : round((start_s + duration_s) * SR)
    ]
    return samples * (0.1 / np.sqrt(np.mean(samples**2)))


def montage(*parts: tuple[str, float, float]) -> tuple[np.ndarray, list[float]]:
    """Excerpts ``(track, start_s, duration_s)`` joined end to end, and the hand-over times."""
    pieces = [excerpt(*part) for part in parts]
    ends = np.cumsum([len(piece) / SR for piece in pieces])
    return np.concatenate(pieces).astype(np.float32), [float(t) for t in ends[:-1]]


def errors_s(found, truth_s: list[float]) -> list[float]:
    return [min(abs(b.time_s - t) for b in found.boundaries) for t in truth_s]


def thud() -> np.ndarray:
    """A body blow: a 0.3 s low thump falling from 105 to 55 Hz."""
    t = np.arange(round(0.3 * SR)) / SR
    hz = 55 + 50 * np.exp(-t / 0.02)
    return np.sin(2 * np.pi * np.cumsum(hz) / SR) * np.minimum(t / 0.002, 1) * np.exp(-t / 0.08)


def with_effects(samples: np.ndarray, thuds_s: list[float], bursts_s: list[float]) -> np.ndarray:
    """Thuds peaking as high as the music and 0.2 s noise bursts as loud as it, mixed over it."""
    out = samples.astype(np.float64)
    peak, level = np.max(np.abs(out)), np.sqrt(np.mean(out**2))
    rng = np.random.default_rng(4)
    for at in thuds_s:
        sound = thud() * peak / np.max(np.abs(thud()))
        out[round(at * SR) : round(at * SR) + len(sound)] += sound
    for at in bursts_s:
        noise = rng.standard_normal(round(0.2 * SR)) * np.hanning(round(0.2 * SR))
        out[round(at * SR) : round(at * SR) + len(noise)] += (
            noise * level / np.sqrt(np.mean(noise**2))
        )
    return out.astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Features and helpers on synthetic signals.
# ---------------------------------------------------------------------------------------------


def test_timbre_ignores_loudness_and_chroma_names_the_pitch():
    t = np.arange(2 * SR) / SR
    chord = sum(np.sin(2 * np.pi * hz * t) for hz in (220.0, 277.18, 329.63))  # A major
    quiet, loud = frame_features(0.05 * chord, SR), frame_features(0.5 * chord, SR)
    assert np.allclose(quiet.timbre[5:-5], loud.timbre[5:-5], atol=1e-2)
    assert set(np.argsort(loud.chroma[10])[-3:]) == {9, 1, 4}  # A, C#, E


def test_block_features_are_standardised_means_and_spreads():
    rng = np.random.default_rng(0)
    blocks = block_features(frame_features(rng.standard_normal(12 * SR).astype(np.float32), SR))
    assert blocks.shape == (12, 50)
    assert np.allclose(blocks.mean(axis=0), 0, atol=1e-9)


def test_novelty_curve_peaks_where_the_blocks_change():
    blocks = np.vstack([np.zeros((10, 3)), np.ones((10, 3))])
    curve = novelty_curve(blocks, width_blocks=4)
    assert len(curve) == 21 and curve.max() == 1.0 and int(np.argmax(curve)) == 10


def test_snap_takes_the_cut_the_audio_agrees_with_most_not_the_nearest():
    times = np.round(np.arange(9.0, 11.01, 0.05), 2)
    scores = np.clip(1 - np.abs(times - 10.0) * 2, 0, 1)
    scores[times == 10.5] = 0.97  # a second, almost as strong, change
    profile = ChangeProfile(times, scores, 10.0, 0.05)
    assert snap_to_cut(profile, [9.4, 10.5, 9.85]) == 10.5
    assert snap_to_cut(profile, [9.4, 10.6]) is None  # the audio disagrees with both
    assert snap_to_cut(profile, [10.6, 10.05]) == 10.05  # two hops away: always agrees
    assert snap_to_cut(profile, [10.5], window_s=0.3) is None  # outside the window


def test_gaps_are_silence_a_blow_inside_does_not_end_them_and_a_duck_is_not_one():
    rng = np.random.default_rng(2)
    t = np.arange(30 * SR) / SR
    music = (0.2 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(len(t))).astype(
        np.float32
    )
    music[: round(2.0 * SR)] = 0.0  # a silent start
    music[round(12 * SR) : round(16 * SR)] = 0.0  # silence between songs...
    music[round(13.5 * SR) : round(13.8 * SR)] += 0.5 * np.hanning(round(0.3 * SR))  # ...a blow
    music[round(20 * SR) : round(25 * SR)] *= 10 ** (-12 / 20)  # a duck under dialogue
    assert [(round(a, 2), round(b, 2)) for a, b in find_gaps(music, SR)] == [
        (0.0, 2.0),
        (12.0, 16.0),
    ]


def test_a_pause_inside_a_song_is_not_a_gap_when_the_credits_say_one_song():
    song = excerpt("fishin", 20.0, 30.0)
    song[12 * SR : 15 * SR] = 0.0
    one = find_music_segments(song, SR, n_segments=1)
    assert one.gaps == [] and len(one.segments) == 1
    decided = find_music_segments(song, SR)
    assert [(round(a), round(b)) for a, b in decided.gaps] == [(12, 15)]
    assert [(round(s.start_s), round(s.end_s)) for s in decided.segments] == [(0, 12), (15, 30)]


def test_sections_of_one_song_repeat_each_other_two_songs_do_not():
    song = excerpt("fishin", 20.0, 40.0)  # verses and choruses come back
    frames = frame_features(song, SR)
    for middle_s in (10.0, 20.0, 30.0):
        assert repetition_ratio(frame_matrix(frames), frames.hop_s, 0.0, middle_s, 40.0) < 1.75
    for parts in [
        (("vibe", 4.0, 25.0), ("fishin", 12.0, 30.0)),
        (("sugar_plum", 20.0, 25.0), ("vibe", 10.0, 25.0)),
    ]:
        samples, truth = montage(*parts)
        frames = frame_features(samples, SR)
        ratio = repetition_ratio(frame_matrix(frames), frames.hop_s, 0.0, truth[0], 60.0)
        assert ratio > 1.75


def test_tempo_of_a_steady_beat_and_of_real_songs():
    clicks = np.zeros(3000)
    clicks[::46] = 1.0  # every 0.46 s at 10 ms: 130.4 BPM
    assert tempo_bpm(clicks, 0.01)[0] == pytest.approx(60 / 0.46, rel=0.01)
    onsets, hop_s = onset_strength(excerpt("vibe", 0.0, 40.0), SR)
    bpm, sure = segment_tempo(onsets, hop_s, 0.0, 40.0)
    assert bpm == pytest.approx(129.7, rel=0.02) and sure >= 0.8


def test_k_weighting_is_bs1770s_at_48_khz_and_loudness_matches_ffmpeg_on_a_mono_file():
    stage1, stage2 = k_weighting(48000)
    assert stage1[:3] == pytest.approx([1.53512486, -2.69169619, 1.19839281], abs=1e-8)
    assert stage1[4:] == pytest.approx([-1.69065929, 0.73248077], abs=1e-8)
    assert stage2[4:] == pytest.approx([-1.99004745, 0.99007225], abs=1e-8)
    video = SAMPLES / "training-montage.mp4"
    if not video.exists():
        pytest.skip(f"bundled sample not built: {video} (run samples/make_sample.py)")
    frames = frame_features(decode_audio(video, sr=SR), SR)
    ours, share = integrated_lufs(block_energies(frames.power, frames.hop_s))
    log = ffmpeg.run(
        [ffmpeg.executable(), "-hide_banner", "-nostdin", "-v", "info", "-i",
         ffmpeg.input_url(video), "-map", "0:a:0", "-af", "ebur128", "-f", "null", "-"],
        what="ebur128",
    ).stderr.decode()  # fmt: skip
    summary = log[log.rindex("Summary:") :]
    theirs = float(summary.split("I:")[1].split("LUFS")[0])
    assert ours == pytest.approx(theirs, abs=0.3) and share == 1.0


def test_given_one_segment_there_is_no_boundary():
    rng = np.random.default_rng(1)
    found = find_music_segments(rng.standard_normal(20 * SR).astype(np.float32), SR, n_segments=1)
    assert found.boundaries == [] and found.segment_confidences == [1.0]
    assert found.n_segments_confidence == 1.0
    assert (
        len(found.curve) == len(found.curve_times_s)
        and 0 <= found.curve.min() <= found.curve.max() <= 1
    )


def test_more_segments_than_the_sound_can_hold_is_an_error():
    with pytest.raises(ValueError, match="cannot fit"):
        find_music_segments(np.zeros(3 * SR, np.float32), SR, n_segments=5)


# ---------------------------------------------------------------------------------------------
# Real music.
# ---------------------------------------------------------------------------------------------


def test_bbb_hand_over_with_and_without_its_cuts():
    samples = decode_audio(media("bbb-two-tracks.mkv"), sr=SR)
    truth = json.loads(media("bbb-two-tracks.mkv.truth.json").read_text())
    (boundary,) = truth["music_boundaries"]
    cuts = [cut["time_s"] for cut in truth["hard_cuts"]]

    alone = find_music_segments(samples, SR, n_segments=2)
    assert errors_s(alone, [boundary])[0] <= TOLERANCE_S
    assert not alone.boundaries[0].snapped_to_cut

    snapped = find_music_segments(samples, SR, n_segments=2, cut_times_s=cuts)
    (found,) = snapped.boundaries
    assert found.snapped_to_cut and found.time_s == boundary
    assert abs(found.audio_time_s - boundary) <= TOLERANCE_S

    decided = find_music_segments(samples, SR, cut_times_s=cuts)
    assert [b.time_s for b in decided.boundaries] == [boundary]


def test_two_songs_with_blows_and_noise_over_the_hand_over():
    samples, truth = montage(("vibe", 4.0, 25.0), ("fishin", 12.0, 30.0))
    noisy = with_effects(samples, thuds_s=[24.6, 25.15], bursts_s=[24.0, 25.7])
    for sound in (samples, noisy):
        given = find_music_segments(sound, SR, n_segments=2)
        assert errors_s(given, truth)[0] <= TOLERANCE_S
        decided = find_music_segments(sound, SR)
        assert len(decided.boundaries) == 1 and errors_s(decided, truth)[0] <= TOLERANCE_S
        assert 0.5 < decided.boundaries[0].confidence <= 1


def test_three_songs_including_an_orchestral_one():
    samples, truth = montage(
        ("vibe", 4.0, 25.0), ("sugar_plum", 20.0, 30.0), ("fishin", 12.0, 30.0)
    )
    given = find_music_segments(samples, SR, n_segments=3)
    assert max(errors_s(given, truth)) <= TOLERANCE_S
    decided = find_music_segments(samples, SR)
    assert len(decided.boundaries) == 2 and max(errors_s(decided, truth)) <= TOLERANCE_S
    assert len(decided.segment_confidences) == 3


def test_switch_between_cuts_is_not_pulled_onto_either():
    samples, truth = montage(("vibe", 4.0, 25.0), ("fishin", 12.0, 30.0))
    cuts = [truth[0] - 0.6, truth[0] + 0.6]
    (found,) = find_music_segments(samples, SR, n_segments=2, cut_times_s=cuts).boundaries
    assert not found.snapped_to_cut and abs(found.time_s - truth[0]) <= TOLERANCE_S


def test_switch_on_a_cut_snaps_to_it_exactly():
    samples, truth = montage(("vibe", 4.0, 25.0), ("fishin", 12.0, 30.0))
    cuts = [truth[0] - 0.6, truth[0], truth[0] + 0.6]
    (found,) = find_music_segments(samples, SR, n_segments=2, cut_times_s=cuts).boundaries
    assert found.snapped_to_cut and found.time_s == truth[0]


@pytest.mark.parametrize(
    ("track", "start_s", "duration_s"),
    [("vibe", 0.0, 61.0), ("vibe", 4.0, 25.0), ("fishin", 20.0, 40.0)],
)
def test_one_song_with_its_sections_is_one_segment(track, start_s, duration_s):
    found = find_music_segments(excerpt(track, start_s, duration_s), SR)
    assert found.boundaries == [] and found.n_segments_confidence > 0.5


def test_music_ducked_under_dialogue_is_still_one_segment():
    samples = excerpt("fishin", 20.0, 40.0)
    samples[15 * SR : 27 * SR] *= 10 ** (-12 / 20)
    assert find_music_segments(samples, SR).boundaries == []


def test_bundled_sample_hands_over_on_its_cut():
    video = SAMPLES / "training-montage.mp4"
    if not video.exists():
        pytest.skip(f"bundled sample not built: {video} (run samples/make_sample.py)")
    truth = json.loads((SAMPLES / "training-montage.truth.json").read_text())
    (boundary,) = truth["music_boundaries"]
    samples = decode_audio(video, sr=SR)
    cuts = [cut["time_s"] for cut in truth["hard_cuts"]]

    decided = find_music_segments(samples, SR)
    assert errors_s(decided, [boundary]) == [pytest.approx(0, abs=TOLERANCE_S)]
    (found,) = find_music_segments(samples, SR, n_segments=2, cut_times_s=cuts).boundaries
    assert found.snapped_to_cut and found.time_s == boundary


def test_only_snapping_waits_for_the_cuts(monkeypatch):
    samples, truth = montage(
        ("vibe", 4.0, 25.0), ("sugar_plum", 20.0, 30.0), ("fishin", 12.0, 30.0)
    )
    log: list[str] = []
    steps = ["onset_strength", "block_energies"]
    log_calls(monkeypatch, analysis, steps, log)
    log_calls(monkeypatch, segmentation, ["_refine", "_boundary_confidence"], log)
    found = analyse_music(samples, SR, n_tracks=3, cut_times_s=WatchedCuts(truth, log))
    assert [s.snapped_to_cut for s in found.segments] == [False, True, True]
    assert set(log[: log.index("cuts read")]) == {*steps, "_refine", "_boundary_confidence"}
    assert log[-1] == "cuts read"  # nothing but snapping and per-segment sums after it


# ---------------------------------------------------------------------------------------------
# A long soundtrack: read from disk a slice at a time, with the same results as in memory.
# ---------------------------------------------------------------------------------------------


def _in_small_pieces(monkeypatch) -> None:
    """Make every chunked step of the analysis work in pieces of a few rows, odd-sized, so a
    short sound goes through it as a long one would (in one piece, it is the whole array)."""
    monkeypatch.setattr(features, "CHUNK_ROWS", 7)
    monkeypatch.setattr(tempo, "_ONSET_ROWS", 333)
    monkeypatch.setattr(segmentation, "_SUM_SPAN", 500)
    monkeypatch.setattr(segmentation, "_PAIR_ROWS", 5)


def _spooled(samples: np.ndarray, folder: Path) -> Spool:
    path = folder / "sound.f32"
    path.write_bytes(samples.astype("<f4").tobytes())
    return Spool(1, path.open("rb"))


def test_a_spooled_sound_analysed_in_small_pieces_gives_what_the_whole_array_gives(
    monkeypatch, tmp_path
):
    whole = decode_audio(SAMPLES / "training-montage.mp4", sr=SR)
    # 3 s of silence twice, off the 1 s blocks: three stretches of music for two credited tracks
    silence = np.zeros(3 * SR, np.float32)
    a, b = round(20.5 * SR), round(50.3 * SR)
    sound = np.concatenate([whole[:a], silence, whole[a:b], silence, whole[b:]])
    cuts = [21.0, 44.75, 60.0]
    expected = [
        frame_features(sound, SR),
        onset_strength(sound, SR),
        analyse_music(sound, SR, cut_times_s=cuts),
        analyse_music(sound, SR, n_tracks=2, cut_times_s=cuts),
    ]
    assert len(expected[0].timbre) < features.CHUNK_ROWS, "in one piece: the whole array"
    assert expected[2].gaps == [(20.5, 23.497), (53.301, 56.299)], "each silence is a gap"
    assert expected[3].gaps == [(53.301, 56.299)], "with two tracks, one is a pause in a song"
    assert [s.track for s in expected[3].segments] == [0, 1]

    _in_small_pieces(monkeypatch)
    with _spooled(sound, tmp_path) as spooled:
        found = [
            frame_features(spooled, SR),
            onset_strength(spooled, SR),
            analyse_music(spooled, SR, cut_times_s=cuts),
            analyse_music(spooled, SR, n_tracks=2, cut_times_s=cuts),
        ]
    for name in ("timbre", "chroma", "power"):
        assert np.array_equal(getattr(found[0], name), getattr(expected[0], name)), name
    assert np.array_equal(found[1][0], expected[1][0]), "onset strength"
    for got, wanted in zip(found[2:], expected[2:], strict=True):
        assert got.segments == wanted.segments
        assert got.gaps == wanted.gaps
        assert got.n_segments_confidence == wanted.n_segments_confidence
        assert np.array_equal(got.curve, wanted.curve)


def _traced_peak(run) -> int:
    """The most memory NumPy and Python held at once while ``run()`` ran, in bytes."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_analysing_a_spooled_soundtrack_holds_its_features_not_its_samples(monkeypatch, tmp_path):
    def generated(minutes: int) -> Spool:
        """Minutes of two chords alternating every 20 s over a beat, with a pause each minute,
        written to disk a minute at a time."""
        path = tmp_path / f"{minutes}.f32"
        with path.open("wb") as file:
            for minute in range(minutes):
                t = minute * 60 + np.arange(60 * SR) / SR
                low = (t % 40) < 20
                chord = np.where(low, np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 196 * t))
                beat = np.sin(2 * np.pi * 60 * t) * np.exp(-20 * (t % 0.5))
                music = np.where((t % 60 >= 50) & (t % 60 < 53), 0.0, 0.2 * chord + 0.3 * beat)
                file.write(music.astype("<f4").tobytes())
        return Spool(1, path.open("rb"))

    # Some steps hold a few MB whatever the length (a million distances at most for the median,
    # say): they are made to work in pieces here, so that only what grows with the length shows.
    monkeypatch.setattr(segmentation, "_SUM_SPAN", 5000)
    peaks = {}
    for minutes in (6, 14):  # from 6 minutes on, the buffers of the transforms are full size
        with generated(minutes) as sound:
            peaks[minutes] = _traced_peak(lambda sound=sound: analyse_music(sound, SR))
    samples_per_minute = 60 * SR * 4
    growth_per_minute = (peaks[14] - peaks[6]) / 8
    # The features of a minute take 175 kB (timbre, chroma and power every 46 ms, the onset
    # strength every 12 ms); a minute of samples, 5.3 MB.
    assert growth_per_minute < 0.05 * samples_per_minute, (peaks, growth_per_minute)
