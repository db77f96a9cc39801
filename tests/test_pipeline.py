"""End to end: the bundled sample and the real media indexed against their truth files."""

import dataclasses
import json

import numpy as np
import pytest

from clipindex.credits import load_credits
from clipindex.errors import CreditsError, MediaError
from clipindex.frames import FrameStream
from clipindex.music.analysis import AnalysedSegment, MusicAnalysis
from clipindex.pipeline import _music_entries, index_video
from clipindex.testing import assert_index_matches
from conftest import ROOT, SAMPLE_TRUTH, shared, truth

BBB_CREDITS = ROOT / "tests" / "data" / "bbb-two-tracks.credits.toml"


def test_sample_segments_are_the_two_credited_songs(sample_index):
    titles = [segment.track.title for segment in sample_index.segments]
    assert titles == ["Training Montage", "Hearts on Fire"]
    assert sample_index.title == "Rocky training in Russia [Rocky IV]"


def test_sample_matches_its_truth_handover_and_every_hard_cut(sample_index):
    assert_index_matches(sample_index, SAMPLE_TRUTH, tolerance_s=0.25, cut_tolerance_frames=1)


def test_shots_cover_the_whole_video_without_gaps(sample_index):
    shots = sample_index.shots
    assert shots[0].start_frame == 0 and shots[0].start_s == pytest.approx(0.0, abs=0.05)
    for before, after in zip(shots, shots[1:], strict=False):
        assert after.start_frame == before.end_frame + 1
        assert after.start_s == pytest.approx(before.end_s)
    assert shots[-1].end_frame == sample_index.source.n_frames - 1
    assert shots[-1].end_s == pytest.approx(sample_index.source.duration_s)


def test_segments_cover_the_video_in_order(sample_index):
    segments = sample_index.segments
    assert segments[0].start_s == 0.0
    assert segments[-1].end_s == pytest.approx(sample_index.source.duration_s)
    for before, after in zip(segments, segments[1:], strict=False):
        assert after.start_s == before.end_s
    assert all(0.0 <= s.confidence <= 1.0 for s in segments)


def test_two_track_video_handover_within_a_quarter_second():
    path = shared("bbb-two-tracks.mkv")
    index = index_video(path, load_credits(BBB_CREDITS))
    assert [s.track.title for s in index.segments] == ["Vibe Ace", "Let's Go Fishin'"]
    assert index.segments[1].start_s == pytest.approx(15.67, abs=0.25)
    assert_index_matches(index, truth(path))


def test_variable_frame_rate_cuts_at_true_times():
    path = shared("goldeneye-vfr-drop3.mp4")
    index = index_video(path)
    assert index.source.variable_frame_rate is True
    assert index.source.n_frames == 160
    hard = [c for c in index.cuts if c.kind == "hard"]
    one_frame = 1.0 / index.source.nominal_fps
    assert len(hard) == 2
    for cut, want in zip(hard, truth(path)["hard_cuts"], strict=True):
        assert cut.time_s == pytest.approx(want["time_s"], abs=one_frame)
    assert index.segments == []
    assert any("no audio stream" in warning for warning in index.warnings)


def test_frames_already_decoding_give_the_same_index():
    path = shared("goldeneye-vfr-drop3.mp4")
    with FrameStream(path) as frames:
        started = index_video(path, frames=frames)
    assert started == index_video(path)
    with FrameStream(path, width=128) as frames, pytest.raises(ValueError, match="px wide"):
        index_video(path, frames=frames)


def test_silent_video_with_credits_is_refused():
    with pytest.raises(CreditsError, match="no sound"):
        index_video(shared("goldeneye-vfr-drop3.mp4"), load_credits(BBB_CREDITS))


def test_audio_file_is_not_a_video():
    with pytest.raises(MediaError, match="no video stream"):
        index_video(shared("Kevin_MacLeod_-_Vibe_Ace.hq.ogg"))


def test_too_many_tracks_for_the_sound_is_refused(tmp_path):
    credits = tmp_path / "many.toml"
    credits.write_text('title = "T"\n' + "".join(f'[[tracks]]\ntitle = "T{n}"\n' for n in range(8)))
    with pytest.raises(CreditsError, match="cannot fit"):
        index_video(shared("bbb-two-tracks.mkv"), load_credits(credits))


def test_without_credits_the_number_of_segments_comes_from_the_sound():
    index = index_video(shared("bbb-two-tracks.mkv"))
    assert len(index.segments) == 2
    assert index.segments[1].start_s == pytest.approx(15.67, abs=0.25)
    assert all(segment.track is None for segment in index.segments)


def test_the_index_holds_plain_numbers_whatever_the_analysis_computed_them_in():
    """NumPy numbers from the analysis become Python ones, so the index is written as JSON and
    reads as before (an int is an int, a bool a bool)."""
    analysis = MusicAnalysis(
        segments=[
            AnalysedSegment(
                start_s=np.float32(0.0),
                end_s=np.float64(30.0),
                confidence=np.float32(0.9),
                snapped_to_cut=np.bool_(True),
                overlap_s=np.float32(0.5),
                track_offset_s=np.float32(1.25),
                tempo_bpm=np.float32(120.0),
                tempo_confidence=np.float32(0.75),
                loudness_lufs=np.float32(-14.5),
                loudness_confidence=np.float64(1.0),
            )
        ],
        gaps=[(np.float32(30.0), np.float32(31.0))],
        n_segments_confidence=np.float32(0.8),
        curve_times_s=np.arange(3, dtype=np.float32),
        curve=np.zeros(3, dtype=np.float32),
    )
    entries = _music_entries(analysis, None, duration_s=31.0, sound_end_s=31.0)
    segment, gap = entries.segments[0], entries.gaps[0]
    values = [getattr(segment, name) for name in ("start_s", "end_s", "overlap_s", "tempo_bpm")]
    values += [segment.loudness_lufs, gap.start_s, entries.confidence]
    assert all(type(value) is float for value in values)
    assert segment.snapped_to_cut is True
    json.dumps(dataclasses.asdict(segment), allow_nan=False)
