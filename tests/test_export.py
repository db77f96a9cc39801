"""``clipindex export``: every timeline read back by OpenTimelineIO's own adapter, with its cuts,
transitions and markers at the index's frames."""

from __future__ import annotations

import json
import unicodedata

import pytest

from clipindex import ffmpeg
from clipindex.index import load_index
from clipindex.outputs.chapters import chapter_list
from clipindex.outputs.timeline import FORMATS, frame_rate, markers
from conftest import SAMPLES, shared
from output_helpers import run_cli

otio = pytest.importorskip("opentimelineio", reason="needs the [editors] extra")

SUFFIX = {"otio": "otio", "edl": "edl", "fcpxml": "fcpxml", "fcp7": "xml"}


def _read_back(path, format_name, rate=24.0):
    """What an editor would see: (cut frames, transition spans, markers by frame, frame count).
    An EDL does not say its frame rate: the editor's project gives it, as ``rate`` here."""
    extra = {"rate": rate} if format_name == "edl" else {}
    timeline = otio.adapters.read_from_file(str(path), FORMATS[format_name], **extra)
    (track,) = timeline.video_tracks()
    position, cuts, transitions, found = 0, [], [], []
    for item in track:
        if isinstance(item, otio.schema.Transition):
            start = position - item.in_offset.to_frames()
            end = position + item.out_offset.to_frames() - 1
            transitions.append((start, end, item.name.lower()))
            continue
        if position:
            cuts.append(position)
        for marker in item.markers:
            offset = marker.marked_range.start_time.to_frames()
            offset -= item.source_range.start_time.to_frames()
            found.append((position + offset, marker.name, str(marker.color)))
        position += item.source_range.duration.to_frames()
    return cuts, transitions, sorted(found), position


@pytest.fixture(scope="module")
def indexes(tmp_path_factory, sample_index):
    """The sample indexed with its credits (two tracks, a fade through black) and the
    transitions sample (dissolves, dips, fades), as files."""
    folder = tmp_path_factory.mktemp("export")
    montage = folder / "montage.json"
    montage.write_text(sample_index.to_json())
    transitions = folder / "transitions.json"
    code, _, err = run_cli("index", SAMPLES / "transitions.mp4", "-o", transitions)
    assert code == 0, err
    return {"montage": montage, "transitions": transitions}


@pytest.mark.parametrize("format_name", list(FORMATS))
@pytest.mark.parametrize("which", ["montage", "transitions"])
def test_every_format_reads_back_with_cuts_transitions_and_markers_at_their_frames(
    indexes, tmp_path, format_name, which
):
    path = indexes[which]
    index = load_index(path)
    out = tmp_path / f"timeline.{SUFFIX[format_name]}"
    code, _, err = run_cli("export", path, "--format", format_name, "-o", out)
    assert code == 0, err
    assert f"{len(index.shots)} clips" in err

    cuts, transitions, found, length = _read_back(out, format_name, frame_rate(index))
    assert length == index.source.n_frames
    gradual = [cut for cut in index.cuts if cut.kind != "hard"]
    # A cut inside a transition sits where the format puts its edit point (an EDL at the
    # dissolve's start, FCP 7 at its middle): the transition's span is what must be right.
    spans = [(cut.start_frame, cut.end_frame) for cut in gradual]
    hard = [cut.frame for cut in index.cuts if cut.kind == "hard"]
    assert [c for c in cuts if not any(a <= c <= b + 1 for a, b in spans)] == hard
    assert gradual, "the sample has gradual transitions to export"
    rate = frame_rate(index)
    expected = [(m.frame, m.name) for m in markers(index, chapter_list(index), rate)]
    if format_name == "fcpxml":  # no transitions in FCP X XML: markers over their spans
        assert transitions == []
        named = {(frame, name) for frame, name, _ in found}
        kinds = {"dissolve": "dissolve", "dip": "dip to black", "fade_in": "fade in"}
        for cut in gradual:
            assert (cut.start_frame, kinds.get(cut.kind, "fade out")) in named
    else:
        assert [(a, b) for a, b, _ in transitions] == spans
    if format_name == "edl":  # an EDL is ASCII and upper case
        expected = [(frame, _ascii(name).upper()) for frame, name in expected]
    markers_found = {(frame, name) for frame, name, _ in found}
    assert set(expected) <= markers_found
    if format_name in ("otio", "edl"):  # the formats that keep a marker's colour
        colours = {name.upper(): colour for _, name, colour in found}
        for marker in markers(index, chapter_list(index), rate):
            name = _ascii(marker.name).upper() if format_name == "edl" else marker.name.upper()
            assert colours[name] == marker.colour


def test_montage_markers_name_each_track_in_its_own_colour(indexes, tmp_path):
    out = tmp_path / "montage.otio"
    assert run_cli("export", indexes["montage"], "--format", "otio", "-o", out)[0] == 0
    _, _, found, _ = _read_back(out, "otio")
    music = [(frame, name, colour) for frame, name, colour in found if name.startswith("Music:")]
    index = load_index(indexes["montage"])
    assert [name.split(" — ")[0] for _, name, _ in music] == [
        f"Music: {segment.track.title}" for segment in index.segments
    ]
    assert music[0][0] == 0 and music[1][0] == round(index.segments[1].start_s * 24)
    assert music[0][2] != music[1][2]


def test_ntsc_video_gets_drop_frame_timecode_and_frames_on_the_grid(tmp_path):
    """29.97 fps: the EDL speaks drop-frame timecode, and the cuts land on their frames."""
    video = tmp_path / "ntsc.mp4"
    shots = ["testsrc2", "smptebars", "rgbtestsrc"]
    args = [ffmpeg.executable(), "-v", "error", "-y"]
    for source in shots:
        args += ["-f", "lavfi", "-i", f"{source}=size=320x240:rate=30000/1001,trim=end_frame=1000"]
    args += [
        "-filter_complex", "".join(f"[{n}:v]" for n in range(len(shots)))
        + f"concat=n={len(shots)}:v=1:a=0[v]",
        "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        str(video),
    ]  # fmt: skip
    ffmpeg.run(args, what="making a 29.97 fps clip")
    index_path = tmp_path / "ntsc.json"
    assert run_cli("index", video, "-o", index_path)[0] == 0
    index = load_index(index_path)
    assert [cut.frame for cut in index.cuts] == [1000, 2000]
    edl = tmp_path / "ntsc.edl"
    code, _, err = run_cli("export", index_path, "--format", "edl", "-o", edl)
    assert code == 0, err
    text = edl.read_text()
    # Drop-frame counts skip ;00 and ;01 each minute but every tenth: frame 2000 is 1:06;22.
    assert "00:00:33;10 00:01:06;22" in text
    cuts, _, _, length = _read_back(edl, "edl", 30000 / 1001)
    assert cuts == [1000, 2000] and length == index.source.n_frames


def test_variable_frame_rate_is_refused_in_one_line(tmp_path):
    video = shared("goldeneye-vfr-drop3.mp4")
    index_path = tmp_path / "vfr.json"
    assert run_cli("index", video, "-o", index_path)[0] == 0
    assert json.loads(index_path.read_text())["source"]["variable_frame_rate"]
    out = tmp_path / "vfr.edl"
    code, stdout, err = run_cli("export", index_path, "--format", "edl", "-o", out)
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and "variable frame rate" in err and "Traceback" not in err
    assert not out.exists()


def test_format_names_are_case_insensitive_and_a_bad_one_is_one_line(indexes, tmp_path):
    out = tmp_path / "t.edl"
    assert run_cli("export", indexes["montage"], "--format", "EDL", "-o", out)[0] == 0
    assert out.read_text().startswith("TITLE:")
    code, _, err = run_cli("export", indexes["montage"], "--format", "aaf", "-o", out)
    assert code == 2 and "aaf" in err and "Traceback" not in err


def _ascii(text: str) -> str:
    text = text.replace("\u2014", "-").replace("\u2013", "-")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
