"""Fuzzing the whole command line with damaged inputs: no traceback, no partial file, no change
to any input, ever; then the index and credits loaders with hand-edited and hostile documents
(each loads or is refused in one line), and every output writer with any index the loader
takes (each writes what its format's reader reads back). Kept small enough for CI (a short
clip, a few dozen cases per target)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import re
import wave
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args

import pytest
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clipindex import ffmpeg
from clipindex.cli import main
from clipindex.credits import load_credits
from clipindex.errors import CreditsError, IndexFileError
from clipindex.index import MAX_TIME_S, CutKind, load_index
from clipindex.outputs import CHAPTER_FORMATS, ChapterError, chapter_list, format_chapters
from clipindex.outputs.embed import render_embed
from clipindex.outputs.mux import mux_chapters
from clipindex.outputs.report import render_report
from conftest import SAMPLE_CREDITS, SAMPLE_TRUTH
from media import make_clip
from output_helpers import parse_ffmetadata

CUT_KINDS = get_args(CutKind)

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def seed_clip(tmp_path_factory) -> bytes:
    """A 20 s clip with sound (room for two credited tracks), its index at the front."""
    path = tmp_path_factory.mktemp("seed") / "seed.mp4"
    make_clip(
        path,
        seconds=20.0,
        video=["-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"],
    )
    return path.read_bytes()


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory, seed_clip) -> bytes:
    folder = tmp_path_factory.mktemp("seed-index")
    (folder / "seed.mp4").write_bytes(seed_clip)
    assert main(["index", str(folder / "seed.mp4"), "-o", str(folder / "seed.json")]) == 0
    return (folder / "seed.json").read_bytes()


def _assert_rules_hold(args: list[str], inputs: list[Path], output: Path | None, capsys) -> int:
    """Run the CLI and check the rules every run must keep; return its exit code."""
    before = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in inputs}
    folder_before = set(output.parent.iterdir()) if output else set()
    code = main(args)
    err = capsys.readouterr().err
    assert code in (0, 1, 2), f"exit {code}: {err}"
    assert "Traceback" not in err
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("clipindex: error: "), err
    for path, digest in before.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{path} was modified"
    if output is not None:
        left = set(output.parent.iterdir()) - folder_before
        assert left <= {output}, f"stray files: {left}"
        if code != 0:
            assert not output.exists(), "a failed run left an output"
    return code


def _index_damaged(data: bytes, folder: Path, capsys) -> int:
    video = folder / "damaged.mp4"
    video.write_bytes(data)
    output = folder / "out" / "index.json"
    output.parent.mkdir(exist_ok=True)
    output.unlink(missing_ok=True)
    code = _assert_rules_hold(["index", str(video), "-o", str(output)], [video], output, capsys)
    if code == 0:
        assert main(["check", str(output), str(SAMPLE_TRUTH)]) in (0, 1)
        capsys.readouterr()
    return code


@pytest.mark.parametrize("fraction", [0.0005, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.999])
def test_truncated_copies(seed_clip, tmp_path, capsys, fraction):
    _index_damaged(seed_clip[: int(len(seed_clip) * fraction)], tmp_path, capsys)


@pytest.mark.parametrize("seed", range(6))
def test_copies_with_flipped_bytes(seed_clip, tmp_path, capsys, seed):
    rng = random.Random(seed)
    data = bytearray(seed_clip)
    for _ in range(20 * (seed + 1)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    _index_damaged(bytes(data), tmp_path, capsys)


@FUZZ
@given(st.data())
def test_fuzzed_videos(seed_clip, tmp_path, capsys, data):
    cut = data.draw(st.integers(min_value=0, max_value=len(seed_clip)), label="length")
    damaged = bytearray(seed_clip[:cut])
    flips = data.draw(
        st.lists(st.tuples(st.integers(0, max(0, cut - 1)), st.integers(0, 255)), max_size=40),
        label="flips",
    )
    for offset, value in flips:
        if damaged:
            damaged[offset] = value
    _index_damaged(bytes(damaged), tmp_path, capsys)


@FUZZ
@given(st.data())
def test_fuzzed_index_files(seed_index, tmp_path, capsys, data):
    text = bytearray(seed_index)
    edits = data.draw(
        st.lists(st.tuples(st.integers(0, len(text) - 1), st.binary(max_size=3)), max_size=8)
    )
    for offset, replacement in edits:
        text[offset : offset + len(replacement)] = replacement
    index = tmp_path / "index.json"
    index.write_bytes(bytes(text))
    _assert_rules_hold(["check", str(index), str(SAMPLE_TRUTH)], [index], None, capsys)


@FUZZ
@given(st.data())
def test_fuzzed_credits_files(seed_clip, tmp_path, capsys, data):
    credits_text = bytearray(SAMPLE_CREDITS.read_bytes())
    edits = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(credits_text) - 1), st.binary(min_size=1, max_size=4)),
            min_size=1,
            max_size=6,
        )
    )
    for offset, replacement in edits:
        credits_text[offset : offset + len(replacement)] = replacement
    credits = tmp_path / "credits.toml"
    credits.write_bytes(bytes(credits_text))
    video = tmp_path / "clip.mp4"
    video.write_bytes(seed_clip)
    output = tmp_path / "out" / "index.json"
    output.parent.mkdir(exist_ok=True)
    output.unlink(missing_ok=True)
    args = ["index", str(video), "--credits", str(credits), "-o", str(output)]
    _assert_rules_hold(args, [video, credits], output, capsys)


# --- the loaders, fed hand-edited and hostile documents ----------------------------------------

LOADER_FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),  # NaN, infinities, 1e308 and the like
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 0.0, -0.0, 1e-300]),
    st.text(max_size=12),
    st.sampled_from(["\ud800", "../../etc/passwd", "/etc/passwd", "/dev/zero", "thumbs", "\x00"]),
)
_json_value = st.recursive(
    _json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


_DEEP = "nested-this-deep:"


def _text_of(document) -> str:
    """``document`` as JSON text, its deep-nesting marks written as that many nested lists."""
    text = json.dumps(document)
    return re.sub(rf'"{_DEEP}(\d+)"', lambda m: "[" * int(m[1]) + "1" + "]" * int(m[1]), text)


def _holds(container, key) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(container, list) and isinstance(key, int) and key < len(container)


def _mutate(document, data, label: str):
    """``document`` with a few of its values (anywhere in it) replaced by arbitrary JSON, some
    keys dropped, or a value nested deep."""
    paths = []
    pending = [((), document)]
    while pending:
        where, value = pending.pop()
        paths.append(where)
        if isinstance(value, (dict, list)):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            pending.extend(((*where, key), item) for key, item in items)
    for _ in range(data.draw(st.integers(1, 4), label=f"{label} edits")):
        where = data.draw(st.sampled_from(paths), label=f"{label} where")
        parent = document
        for key in where[:-1]:  # an earlier edit may have taken the way away
            parent = parent[key] if _holds(parent, key) else None
        key = where[-1] if where else None
        if not where or not _holds(parent, key):
            continue
        action = data.draw(st.sampled_from(["replace", "drop", "nest"]), label=label)
        if action == "drop" and isinstance(parent, dict):
            del parent[key]
        elif action == "nest":
            depth = data.draw(st.sampled_from([3, 50, 5000]), label=f"{label} depth")
            parent[key] = f"{_DEEP}{depth}"  # nested as it is written (see _text_of)
        else:
            parent[key] = data.draw(_json_value, label=f"{label} value")
    return document


@LOADER_FUZZ
@given(data=st.data())
def test_the_index_loader_takes_an_index_or_refuses_it_in_one_line(seed_index, tmp_path, data):
    document = _mutate(json.loads(seed_index), data, "index")
    path = tmp_path / "index.json"
    path.write_text(_text_of(document), encoding="utf-8")
    try:
        index = load_index(path)
    except IndexFileError as error:
        assert str(path) in str(error) and "\n" not in str(error)
        return
    # What loads can be written again and reads back the same.
    path.write_text(index.to_json(), encoding="utf-8")
    assert load_index(path) == index


@LOADER_FUZZ
@given(data=st.data())
def test_the_credits_loader_takes_credits_or_refuses_them_in_one_line(tmp_path, data):
    from clipindex.credits import Credits

    folder = tmp_path / "credits"
    folder.mkdir(exist_ok=True)
    _wav(folder / "song.wav")
    document = {
        "title": "T",
        "tracks": [
            {"title": "A", "performers": ["P"], "audio": "song.wav", "release_date": "1985"},
            {"title": "B", "isrc": "USSB18500001"},
        ],
    }
    document = _mutate(document, data, "credits")
    as_toml = data.draw(st.booleans(), label="TOML")
    path = folder / ("credits.toml" if as_toml else "credits.json")
    if as_toml:
        try:
            text = _toml(document)
        except ValueError:  # not expressible in TOML: write JSON under a TOML name
            text = _text_of(document)
    else:
        text = _text_of(document)
    path.write_text(text, encoding="utf-8")
    try:
        credits = load_credits(path)
    except CreditsError as error:
        assert str(path) in str(error) and "\n" not in str(error)
        return
    assert isinstance(credits, Credits)
    for track in credits.tracks:
        assert track.audio is None or Path(track.audio).parent == folder.resolve()


def _wav(path: Path) -> None:
    if path.exists():
        return
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\0\0" * 4000)


def _toml(document) -> str:
    """A small TOML writer for the credits' shape (a title, then tables of tracks)."""

    def value(item) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, (int, float)):
            return repr(item)  # inf and nan are TOML too
        if isinstance(item, str) and item.startswith(_DEEP):
            return "[" * int(item[len(_DEEP) :]) + "1" + "]" * int(item[len(_DEEP) :])
        if isinstance(item, str):
            return json.dumps(item)
        if isinstance(item, list):
            return "[" + ", ".join(value(each) for each in item) + "]"
        if isinstance(item, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(v)}" for k, v in item.items()) + "}"
        raise ValueError("no TOML for null")

    if not isinstance(document, dict):
        raise ValueError("TOML holds a table")
    lines = [f"{json.dumps(key)} = {value(item)}" for key, item in document.items()]
    return "\n".join(lines) + "\n"


# --- every output writer, fed any index the loader takes ---------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
_time = st.one_of(
    st.floats(min_value=-5.0, max_value=200.0),
    st.floats(min_value=-MAX_TIME_S, max_value=MAX_TIME_S),
    st.sampled_from([0.0, -0.0, MAX_TIME_S, -MAX_TIME_S, 1e-9, 0.0005, 10.0, 3599.9995]),
)
_track = st.fixed_dictionaries(
    {"title": _text},
    optional={
        "performers": st.lists(_text, max_size=3),
        "composers": st.lists(_text, max_size=3),
        "album": st.one_of(st.none(), _text),
        "label": st.one_of(st.none(), _text),
        "release_date": st.one_of(st.none(), _text),
        "isrc": st.one_of(st.none(), _text),
        "musicbrainz_recording_id": st.one_of(st.none(), _text),
    },
)


@st.composite
def _index_documents(draw):
    frame = st.integers(min_value=0, max_value=10**9)
    spans = st.lists(st.tuples(_time, _time), max_size=6)
    cuts = [
        {"time_s": t, "frame": draw(frame), "kind": draw(st.sampled_from(CUT_KINDS)),
         "score": draw(st.floats(min_value=-1e300, max_value=1e300)), "start_s": a, "end_s": b,
         "start_frame": draw(frame), "end_frame": draw(frame)}
        for t, (a, b) in draw(st.lists(st.tuples(_time, st.tuples(_time, _time)), max_size=8))
    ]  # fmt: skip
    shots = [
        {"index": n, "start_s": a, "end_s": b, "start_frame": draw(frame),
         "end_frame": draw(frame), "thumbnail": draw(st.one_of(st.none(), _text))}
        for n, (a, b) in enumerate(draw(spans))
    ]  # fmt: skip
    segments = [
        {"index": draw(st.integers(0, 20)), "start_s": a, "end_s": b,
         "track": draw(st.one_of(st.none(), _track)), "confidence": draw(st.floats(0, 1)),
         "snapped_to_cut": draw(st.booleans()), "audio_start_s": draw(_time),
         "overlap_s": draw(st.floats(0, MAX_TIME_S)), "tempo_bpm": draw(st.none() | _time)}
        for a, b in draw(spans)
    ]  # fmt: skip
    gaps = [{"index": n, "start_s": a, "end_s": b} for n, (a, b) in enumerate(draw(spans))]
    curve = draw(st.lists(st.tuples(_time, st.floats(-1e300, 1e300)), max_size=6))
    return {
        "schema_version": 1,
        "generator": {"version": "fuzz"},
        "title": draw(st.one_of(st.none(), _text)),
        "source": {
            "path": draw(_text), "size_bytes": 1, "sha256": "0" * 64, "container": "mp4",
            "duration_s": draw(st.one_of(st.floats(0, MAX_TIME_S), st.sampled_from([0.0, 60.0]))),
            "fps": draw(st.floats(0, 1e6)), "variable_frame_rate": False,
            "n_frames": draw(frame), "width": draw(st.integers(0, 10**9)),
            "height": draw(st.integers(0, 10**9)), "codecs": {"video": "h264"},
            "has_audio": True,
        },
        "cuts": cuts,
        "shots": shots,
        "segments": segments,
        "gaps": gaps,
        "music_curve": {"times_s": [t for t, _ in curve], "values": [v for _, v in curve]},
        "warnings": draw(st.lists(_text, max_size=2)),
    }  # fmt: skip


_templates = st.one_of(
    st.sampled_from(
        ["{title} — {performers}", "{index:02d}. {title}", "{title:>40}", "{year} {album}", "{}"]
    ),
    st.text(st.sampled_from("{}:.>0123456789titleyarndx "), max_size=20),
)

WRITER_FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@WRITER_FUZZ
@given(document=_index_documents(), template=_templates, min_chapters=st.integers(0, 6))
def test_every_writer_takes_any_index_the_loader_takes(tmp_path, document, template, min_chapters):
    path = tmp_path / "index.json"
    path.write_text(json.dumps(document))
    index = load_index(path)  # everything drawn is within the loader's bounds
    try:
        chapters = chapter_list(index, template=template, min_chapters=min_chapters)
    except ChapterError as error:
        assert "\n" not in str(error)
        return
    count = len(chapters.items)
    previous_end = 0.0
    for chapter in chapters.items:  # inside the video, in order, empty only for an empty video
        assert 0.0 <= chapter.start_s <= chapter.end_s <= chapters.duration_s
        assert chapter.start_s < chapter.end_s or (count == 1 and chapters.duration_s == 0)
        assert chapter.start_s >= previous_end
        previous_end = chapter.end_s
    for format_name in CHAPTER_FORMATS:
        try:
            text = format_chapters(chapters, format_name, url="https://blog.example/post")
        except ChapterError as error:
            assert format_name == "youtube" and "\n" not in str(error)
            continue
        text.encode("utf-8")
        _assert_reads_back(format_name, text, count)
    for player in ({"youtube": "dQw4w9WgXcQ"}, {"src": "montage.mp4"}):
        page = render_embed(chapters, size=(index.source.width, index.source.height), **player)
        page.encode("utf-8")
        HTMLParser().feed(page)
    page = render_report(index, {shot.index: b"\xff\xd8\xff" for shot in index.shots[:2]})
    page.encode("utf-8")
    HTMLParser().feed(page)


def _assert_reads_back(format_name: str, text: str, count: int) -> None:
    """The format's own reader reads ``count`` chapters back."""
    if format_name == "webvtt":
        cues = webvtt.from_string(text)
        assert len(cues) == count
        starts = [cue.start_in_seconds for cue in cues]
        assert starts == sorted(starts)
    elif format_name == "ffmetadata":
        _, chapters = parse_ffmetadata(text)
        assert len(chapters) == count
        assert all(0 <= int(c["START"]) <= int(c["END"]) for c in chapters)
    elif format_name == "podcast":
        assert len(json.loads(text)["chapters"]) == count
    elif format_name == "jsonld":
        assert len(json.loads(text)["hasPart"]) == count
    elif format_name == "csv":
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
        assert len(rows) == count + 1
    else:
        assert len(text.splitlines()) == count


MUX_FUZZ = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@MUX_FUZZ
@given(document=_index_documents(), template=_templates)
def test_mux_writes_any_chapter_list_a_reader_gets_back(seed_clip, tmp_path, document, template):
    video = tmp_path / "clip.mp4"
    if not video.exists():
        video.write_bytes(seed_clip)
    path = tmp_path / "index.json"
    path.write_text(json.dumps(document))
    try:
        chapters = chapter_list(load_index(path), template=template)
    except ChapterError:
        return
    output = tmp_path / "chaptered.mkv"
    output.unlink(missing_ok=True)
    mux_chapters(video, chapters, output)
    done = ffmpeg.run(
        [
            ffmpeg.executable(),
            "-v",
            "error",
            "-i",
            ffmpeg.input_url(output),
            "-f",
            "ffmetadata",
            "-",
        ],
        what="reading the chapters back",
    )
    _, read = parse_ffmetadata(done.stdout.decode("utf-8"))
    assert len(read) == len(chapters.items)
