"""End to end: montages built from the shared music, indexed, and checked against their truth.

The montages are built at test time by ``benchmarks/montages.py`` (switch on a cut, switch between
cuts, three tracks, a 3 s cross-fade, silent gaps, a wrong credits order, a repeated track), each
with credits in playing order and credits naming the reference recordings. Boundaries, gaps,
tracks, overlaps and offsets are compared with :func:`clipindex.testing.check_music`.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType

import pytest

from clipindex import ffmpeg
from clipindex.credits import load_credits
from clipindex.errors import CreditsError
from clipindex.pipeline import index_video
from clipindex.testing import assert_index_matches, check_music
from conftest import ROOT, SAMPLE_CREDITS, SAMPLE_TRUTH, SAMPLE_VIDEO, shared, truth


def load_montages() -> ModuleType:
    """``benchmarks/montages.py`` as a module (the benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("montages", ROOT / "benchmarks" / "montages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their own module up while being built
    spec.loader.exec_module(module)
    return module


montages = load_montages()
NAMES = [montage.name for montage in montages.MONTAGES]


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every montage, built once per session into a temporary folder."""
    if not montages.media_available():
        pytest.skip(f"real test media not available: {montages.MEDIA} (../shared/media is absent)")
    folder = tmp_path_factory.mktemp("montages")
    return {b.montage.name: b for b in montages.build_all(folder)}


@pytest.fixture(scope="session")
def indexed(built):
    """Each montage indexed without credits (None), with credits in playing order (False) or
    with credits naming the reference recordings (True); once each."""
    cache: dict[tuple[str, bool | None], object] = {}

    def index(name: str, with_audio: bool | None):
        if (name, with_audio) not in cache:
            b = built[name]
            credits = {None: None, False: b.credits_without_audio, True: b.credits_with_audio}
            path = credits[with_audio]
            cache[name, with_audio] = index_video(b.video, load_credits(path) if path else None)
        return cache[name, with_audio]

    return index


@pytest.mark.parametrize("with_audio", [False, True], ids=["credits-order", "recordings"])
@pytest.mark.parametrize("name", NAMES)
def test_montage_music_matches_its_truth(built, indexed, name, with_audio):
    index = indexed(name, with_audio)
    result = check_music(index, built[name].truth)
    assert result.passed, result.table()
    how = "reference_audio" if with_audio else "credits_order"
    assert all(segment.identified_by == how for segment in index.segments)
    if with_audio:
        offsets = [row for row in result.rows if row.what.endswith(" offset")]
        assert len(offsets) == len(index.segments)


@pytest.mark.parametrize("name", NAMES)
def test_without_credits_the_hand_overs_and_gaps_come_from_the_sound(built, indexed, name):
    index = indexed(name, None)
    expected = json.loads(built[name].truth.read_text())
    del expected["tracks"]
    result = check_music(index, expected)
    assert result.passed, result.table()
    assert all(segment.track is None for segment in index.segments)
    assert 0.0 < index.music_segments_confidence <= 1.0


@pytest.mark.parametrize("with_audio", [False, True], ids=["credits-order", "recordings"])
def test_switch_on_a_cut_lands_on_the_cut(indexed, with_audio):
    index = indexed("switch-on-cut", with_audio)
    cut = min((c.time_s for c in index.cuts), key=lambda t: abs(t - 22.961))
    assert index.segments[1].snapped_to_cut
    assert index.segments[1].start_s == pytest.approx(cut, abs=1e-3)
    assert abs(index.segments[1].audio_start_s - cut) <= 0.05


@pytest.mark.parametrize("with_audio", [False, True], ids=["credits-order", "recordings"])
def test_switch_between_cuts_stays_where_the_music_changes(indexed, with_audio):
    index = indexed("switch-between-cuts", with_audio)
    assert not index.segments[1].snapped_to_cut
    assert index.segments[1].start_s == pytest.approx(22.36, abs=0.1)


def test_crossfade_is_reported_with_its_overlap_and_its_middle(indexed):
    index = indexed("crossfade", True)
    incoming = index.segments[1]
    assert incoming.overlap_s == pytest.approx(3.0, abs=0.3)
    assert incoming.start_s == pytest.approx(25.0, abs=0.2)
    assert not incoming.snapped_to_cut


@pytest.mark.parametrize("with_audio", [False, True], ids=["credits-order", "recordings"])
def test_silence_before_between_and_after_the_songs_is_left_to_the_gaps(indexed, with_audio):
    index = indexed("silent-gap", with_audio)
    assert [(round(g.start_s), round(g.end_s)) for g in index.gaps] == [(0, 2), (22, 26), (47, 50)]
    covered = [(s.start_s, s.end_s) for s in index.segments]
    for gap in index.gaps:
        assert all(end <= gap.start_s + 1e-6 or start >= gap.end_s - 1e-6 for start, end in covered)


def test_wrong_credits_order_is_corrected_and_reported(indexed):
    index = indexed("wrong-order", True)
    assert [s.track.title for s in index.segments] == [
        "Vibe Ace",
        "Dance of the Sugar Plum Fairy",
        "Let's Go Fishin'",
    ]
    assert any("another order than they play" in warning for warning in index.warnings)


def test_a_track_credited_once_and_played_twice_gets_two_segments(indexed):
    index = indexed("repeated-track", True)
    assert [s.track.title for s in index.segments] == [
        "Let's Go Fishin'",
        "Vibe Ace",
        "Let's Go Fishin'",
    ]
    assert [s.track_offset_s for s in index.segments] == pytest.approx([10, 15, 60], abs=0.1)


def test_bbb_two_tracks_identified_from_its_recordings(tmp_path):
    path = shared("bbb-two-tracks.mkv")
    expected = truth(path)
    lines = (ROOT / "tests" / "data" / "bbb-two-tracks.credits.toml").read_text().splitlines()
    with_audio = []
    for line in lines:
        with_audio.append(line)
        for title, file in zip(expected["tracks"], expected["track_files"], strict=True):
            if line == f'title = "{title}"':
                montages.copy_recording(shared(file).name, tmp_path)  # beside the credits
                with_audio.append(f'audio = "{file}"')
    credits = tmp_path / "bbb.credits.toml"
    credits.write_text("\n".join(with_audio) + "\n")
    index = index_video(path, load_credits(credits))
    assert_index_matches(index, expected)
    result = check_music(index, {**expected, "music_gaps": []})
    assert result.passed, result.table()
    assert index.music_segments_confidence is not None and index.music_segments_confidence > 0.9


def test_sample_tempo_and_loudness_are_those_it_was_made_with(sample_index):
    assert json.loads(SAMPLE_TRUTH.read_text())["tracks"] == [
        s.track.title for s in sample_index.segments
    ]
    training, hearts = sample_index.segments
    # samples/make_sample.py plays "Training Montage" at 120 BPM, "Hearts on Fire" at 130.
    assert training.tempo_bpm == pytest.approx(120, rel=0.02) and training.tempo_confidence > 0.8
    assert hearts.tempo_bpm == pytest.approx(130, rel=0.02) and hearts.tempo_confidence > 0.8
    # The sample is mono, so the analysis hears all of it: ffmpeg's ebur128 agrees.
    for segment in (training, hearts):
        log = ffmpeg.run(
            [ffmpeg.executable(), "-hide_banner", "-nostdin", "-v", "info",
             "-i", ffmpeg.input_url(SAMPLE_VIDEO), "-map", "0:a:0",
             "-af", f"atrim={segment.start_s}:{segment.end_s},ebur128", "-f", "null", "-"],
            what="ebur128",
        ).stderr.decode()  # fmt: skip
        theirs = float(log[log.rindex("Summary:") :].split("I:")[1].split("LUFS")[0])
        assert segment.loudness_lufs == pytest.approx(theirs, abs=0.5)
        assert segment.loudness_confidence > 0.9


def test_check_music_fails_a_moved_gap_a_wrong_offset_and_a_missing_overlap(built, indexed):
    truth = json.loads(built["silent-gap"].truth.read_text())
    truth["music_gaps"][1]["end_s"] += 0.5
    truth["track_offsets_s"][0] += 0.2
    failed = {row.what for row in check_music(indexed("silent-gap", True), truth).failures}
    assert failed == {"gap 2", "segment 0 offset"}
    crossfade = json.loads(built["crossfade"].truth.read_text())
    crossfade["music_crossfade_s"] = 0.0  # a switch expected: the 3 s overlap found fails
    failed = {row.what for row in check_music(indexed("crossfade", True), crossfade).failures}
    assert failed == {"segment 1 overlap"}


def test_a_reference_recording_that_is_not_sound_is_refused(tmp_path):
    credits = tmp_path / "credits.toml"
    credits.write_text(SAMPLE_CREDITS.read_text() + '\n[[tracks]]\ntitle = "X"\naudio = "x.toml"\n')
    (tmp_path / "x.toml").write_text('title = "not a recording"\n')
    with pytest.raises(CreditsError, match="tracks\\[2\\].audio: 'x.toml'"):
        index_video(SAMPLE_VIDEO, load_credits(credits))
