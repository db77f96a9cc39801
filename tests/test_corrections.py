"""Corrections: written by ``clipindex correct``, applied by every ``clipindex index`` after the
analysis, seen in the index, the chapters, the muxed copy and the embed."""

from __future__ import annotations

import json
import shutil

import pytest

from clipindex import ffmpeg
from clipindex.corrections import Corrections, apply_corrections, load_corrections
from clipindex.credits import load_credits
from clipindex.errors import ClipindexError
from conftest import SAMPLE_CREDITS, SAMPLE_VIDEO
from output_helpers import parse_ffmetadata, run_cli


def _shots_cover_every_frame(index) -> None:
    shots = index.shots
    assert shots[0].start_frame == 0 and shots[-1].end_frame == index.source.n_frames - 1
    for before, after in zip(shots, shots[1:], strict=False):
        assert after.start_frame == before.end_frame + 1 and after.start_s == before.end_s
    assert [shot.index for shot in shots] == list(range(len(shots)))
    assert [cut.frame for cut in index.cuts if cut.frame > 0] == [s.start_frame for s in shots[1:]]


def test_added_and_removed_cuts_split_and_join_shots(sample_index):
    first = sample_index.cuts[0]
    corrections = Corrections(add_cuts_s=[12.5], remove_cuts_s=[first.time_s + 0.01])
    fixed = apply_corrections(sample_index, corrections)
    frames = [cut.frame for cut in fixed.cuts]
    assert first.frame not in frames and 300 in frames  # 12.5 s at 24 fps
    assert len(fixed.shots) == len(sample_index.shots)
    added = next(cut for cut in fixed.cuts if cut.frame == 300)
    assert added.corrected and added.kind == "hard" and added.time_s == 12.5
    _shots_cover_every_frame(fixed)
    assert sample_index.cuts[0] is first and first.frame in [c.frame for c in sample_index.cuts]


def test_a_moved_hand_over_moves_both_segments_and_is_marked(sample_index):
    credits = load_credits(SAMPLE_CREDITS)
    corrections = Corrections(handovers_s={1: 40.0}, chapters={1: "The run up the mountain"})
    fixed = apply_corrections(sample_index, corrections, credits, digest="abc")
    first, second = fixed.segments
    assert first.end_s == second.start_s == 40.0
    assert second.corrected and second.confidence == 1.0 and not first.corrected
    assert second.chapter_title == "The run up the mountain"
    assert fixed.generator.parameters["corrections_sha256"] == "abc"
    assert fixed.warnings == sample_index.warnings


def test_corrections_that_match_nothing_are_reported_not_applied(sample_index):
    credits = load_credits(SAMPLE_CREDITS)
    corrections = Corrections(
        handovers_s={3: 50.0, 1: 80.0},
        remove_cuts_s=[1.1],
        add_cuts_s=[sample_index.cuts[2].time_s],
        tracks={1: "Eye of the Tiger", 7: "Hearts on Fire"},
    )
    fixed = apply_corrections(sample_index, corrections, credits)
    new = [w for w in fixed.warnings if w.startswith("correction not applied")]
    assert len(new) == 6, new
    assert any("hand-over 3: the index has 1 hand-overs" in w for w in new)
    assert any("'Eye of the Tiger' is not among the credited tracks" in w for w in new)
    assert [s.start_s for s in fixed.segments] == [s.start_s for s in sample_index.segments]
    assert [c.frame for c in fixed.cuts] == [c.frame for c in sample_index.cuts]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[handovers]\n0 = 4.0\n", "hand-over number from 1"),
        ("[handovers]\n1 = nan\n", "time in seconds"),
        ("[cuts]\nadd_s = 4.0\n", "list of seconds"),
        ("[segments.1]\ntitle = 'x'\n", "takes track and chapter"),
        ("[extra]\n", "unknown section 'extra'"),
        ("handovers = [", "not valid TOML"),
    ],
)
def test_a_bad_corrections_file_is_one_line_naming_the_problem(tmp_path, text, message):
    path = tmp_path / "v.corrections.toml"
    path.write_text(text)
    with pytest.raises(ClipindexError, match=message):
        load_corrections(path)
    code, out, err = run_cli("index", SAMPLE_VIDEO, "--corrections", path, "-o", tmp_path / "i")
    assert code == 2 and err.count("\n") == 1 and message.split()[0] in err
    assert not (tmp_path / "i").exists()


def test_correct_then_index_changes_chapters_mux_and_embed_and_survives_reindexing(tmp_path):
    video = tmp_path / "montage.mp4"
    shutil.copy(SAMPLE_VIDEO, video)
    shutil.copy(SAMPLE_CREDITS, tmp_path / "montage.credits.toml")
    code, _, err = run_cli(
        "correct", video, "--handover", "1=40.0", "--chapter", "1=Up the mountain",
        "--add-cut", "12.5",
    )  # fmt: skip
    assert code == 0, err
    corrections = tmp_path / "montage.corrections.toml"
    assert load_corrections(corrections).handovers_s == {1: 40.0}
    assert run_cli("correct", video, "--remove-cut", "2.5")[0] == 0  # adds to the file
    assert load_corrections(corrections).remove_cuts_s == [2.5]

    # A folder run picks the corrections up like the credits beside the video.
    code, _, err = run_cli("index", tmp_path)
    assert code == 0, err
    index_path = tmp_path / "montage.mp4.clipindex.json"
    index = json.loads(index_path.read_text())
    assert [s["start_s"] for s in index["segments"]] == [0.0, 40.0]
    frames = [cut["frame"] for cut in index["cuts"]]
    assert 300 in frames and 60 not in frames
    assert index["generator"]["parameters"]["corrections_sha256"]

    vtt = tmp_path / "chapters.vtt"
    assert run_cli("chapters", index_path, "--format", "webvtt", "-o", vtt)[0] == 0
    assert "00:00:40.000 --> 00:01:15.000\nUp the mountain" in vtt.read_text()
    muxed = tmp_path / "muxed.mkv"
    assert run_cli("mux", video, index_path, "-o", muxed)[0] == 0
    metadata = tmp_path / "muxed.txt"
    ffmpeg.run(
        [ffmpeg.executable(), "-v", "error", "-i", str(muxed), "-f", "ffmetadata", str(metadata)],
        what="reading the chapters back",
    )
    _, chapters = parse_ffmetadata(metadata.read_text())
    assert [c["title"] for c in chapters][1] == "Up the mountain"
    embed = tmp_path / "embed.html"
    assert run_cli("embed", index_path, "--src", "montage.mp4", "-o", embed)[0] == 0
    assert "Up the mountain" in embed.read_text()

    # Up to date with the same corrections; a changed correction re-indexes, and is kept.
    code, _, err = run_cli("index", tmp_path)
    assert code == 0 and "up to date 1" in err
    assert run_cli("correct", video, "--handover", "1=41.0")[0] == 0
    code, _, err = run_cli("index", tmp_path)
    assert code == 0 and "indexed 1" in err, err
    index = json.loads(index_path.read_text())
    assert [s["start_s"] for s in index["segments"]] == [0.0, 41.0]
    assert index["segments"][1]["chapter_title"] == "Up the mountain"


def test_correct_needs_something_to_correct_and_a_well_formed_value(tmp_path):
    video = tmp_path / "v.mp4"
    shutil.copy(SAMPLE_VIDEO, video)
    code, _, err = run_cli("correct", video)
    assert code == 2 and "say what to correct" in err
    code, _, err = run_cli("correct", video, "--handover", "41.5")
    assert code == 2 and "N=VALUE" in err and "Traceback" not in err
    assert not (tmp_path / "v.corrections.toml").exists()
