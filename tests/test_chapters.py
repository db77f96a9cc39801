"""Chapters: the list made from the index, and every format read back by a real reader."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import subprocess
import sys

import pytest
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clipindex import ffmpeg
from clipindex.outputs import CHAPTER_FORMATS, ChapterError, chapter_list, format_chapters
from clipindex.outputs.chapters import clean_text
from clipindex.outputs.jsonld import upload_date
from clipindex.outputs.spreadsheet import FORMULA_STARTS
from output_helpers import (
    chapter_times,
    make_index,
    parse_ffmetadata,
    run_cli,
    track,
    vtt_seconds,
)

NASTY_TITLES = [
    "A = B; C # D \\ E",
    "[CHAPTER]",
    ";FFMETADATA1",
    "#hashtag start",
    "trailing backslash \\",
    "</script><script>alert(1)</script> & &amp; <b>",
    "arrow --> inside",
    "=starts with equals",
    "Ünïcødé — 東京 🥊 مرحبا 👨‍👩‍👧",
    "quote \" and ' apostrophe",
]


@pytest.fixture(scope="module")
def sample_json(sample_index, tmp_path_factory):
    path = tmp_path_factory.mktemp("chapters") / "montage.json"
    path.write_text(sample_index.to_json())
    return path


def _three_tracks(titles: list[str], performers: list[str] | None = None):
    """A 90 s index with three credited segments of 30 s."""
    performers = performers or ["Band"] * len(titles)
    return make_index(
        [
            (30.0 * n, 30.0 * (n + 1), track(title, name))
            for n, (title, name) in enumerate(zip(titles, performers, strict=True))
        ],
        90.0,
    )


# --- the chapter list ------------------------------------------------------------------------


def test_sample_has_one_chapter_per_song_from_zero_to_the_end(sample_index):
    chapters = chapter_list(sample_index)
    assert [c.title for c in chapters.items] == [
        "Training Montage — Vince DiCola",
        "Hearts on Fire — John Cafferty",
    ]
    items = chapters.items
    assert items[0].start_s == 0.0 and items[-1].end_s == sample_index.source.duration_s
    assert all(a.end_s == b.start_s for a, b in zip(items, items[1:], strict=False))
    handover = sample_index.segments[1]
    assert handover.snapped_to_cut and items[1].start_s == handover.start_s
    assert handover.start_s in {cut.time_s for cut in sample_index.cuts}


def test_template_fields_and_empty_fields_leave_no_dangling_separator():
    index = make_index(
        [
            (0.0, 40.0, track("Solo", composers=("Writer",))),
            (40.0, 80.0, track("Duet", "Ann", "Bob", composers=("Cy", "Di"))),
            (80.0, 120.0, None),
        ],
        120.0,
    )
    assert [c.title for c in chapter_list(index).items] == ["Solo", "Duet — Ann, Bob", "Music 3"]
    fancy = chapter_list(index, template="{index:02d}. {title} ({performers}) by {composers}")
    assert [c.title for c in fancy.items] == [
        "01. Solo by Writer",
        "02. Duet (Ann, Bob) by Cy, Di",
        "Music 3",
    ]


@pytest.mark.parametrize("template", ["{nope}", "{title.upper}", "{}", "{title!r}", "{title"])
def test_a_bad_template_is_refused_in_one_line(sample_json, template):
    code, out, err = run_cli("chapters", sample_json, "-f", "csv", "--template", template)
    assert code == 2 and out == ""
    assert err.startswith("clipindex: error: chapter title template") and err.count("\n") == 1


@pytest.mark.parametrize(
    "template, message",
    [
        ("{title:>999999999}", "{title} asks for 999999999 characters; at most 200"),
        ("{index:09999}", "{index} asks for 9999 characters; at most 200"),
        ("{title:.100000}", "{title} asks for 100000 characters; at most 200"),
        ("{title}" * 200, "chapter title template of 1400 characters: at most 1000"),
    ],
)
def test_a_template_asking_for_huge_titles_is_refused_at_once(sample_json, template, message):
    """Such a template once ran for minutes and filled gigabytes of memory."""
    done = subprocess.run(
        [sys.executable, "-m", "clipindex", "chapters", sample_json, "-f", "webvtt"]
        + ["--template", template],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("clipindex: error: chapter title template")
    assert message in done.stderr and done.stderr.count("\n") == 1


def test_widths_a_title_can_use_still_work(sample_json):
    code, out, err = run_cli("chapters", sample_json, "-f", "youtube", "--min-chapters", "3")
    assert code == 0, err
    code, out, err = run_cli(
        "chapters", sample_json, "-f", "webvtt", "--template", "{index:03d} {title:·^20.8}"
    )
    assert code == 0, err
    assert "001 ······Training······" in out.splitlines()


def test_more_chapters_than_a_list_can_hold_is_a_mistake_on_the_command_line(sample_json):
    code, _, err = run_cli("chapters", sample_json, "-f", "webvtt", "--min-chapters", "1001")
    assert code == 2 and "1001 is not in the range 0<=x<=1000" in err


def test_gaps_become_intro_interlude_and_outro():
    index = make_index(
        [(5.0, 40.0, track("One", "A")), (52.0, 90.0, track("Two", "B"))],
        100.0,
        gaps=((0.0, 5.0), (40.0, 52.0), (90.0, 100.0)),
    )
    chapters = chapter_list(index)
    assert [(c.start_s, c.end_s, c.title) for c in chapters.items] == [
        (0.0, 5.0, "Intro"),
        (5.0, 40.0, "One — A"),
        (40.0, 52.0, "Interlude"),
        (52.0, 90.0, "Two — B"),
        (90.0, 100.0, "Outro"),
    ]


# --- YouTube ---------------------------------------------------------------------------------


def test_youtube_refuses_two_chapters_naming_the_rule(sample_json):
    code, out, err = run_cli("chapters", sample_json, "--format", "youtube")
    assert code == 2 and out == ""
    assert "at least three" in err and "--min-chapters" in err and err.count("\n") == 1


def test_youtube_with_min_chapters_splits_the_longest_song_near_its_middle(
    sample_json, sample_index
):
    """The longest song is split at the strongest cut of its middle quarter, not at its
    strongest cut anywhere (11.5 s, which would leave parts of 11.5 s and 30.25 s)."""
    code, out, err = run_cli("chapters", sample_json, "--format", "youtube", "--min-chapters", "3")
    assert code == 0, err
    first = sample_index.segments[0]
    middle_s, reach_s = (first.start_s + first.end_s) / 2, (first.end_s - first.start_s) / 8
    central = [cut for cut in sample_index.cuts if abs(cut.time_s - middle_s) <= reach_s]
    split = max(central, key=lambda cut: cut.score)
    assert max(sample_index.cuts, key=lambda cut: cut.score if cut.time_s < 41 else 0).time_s < 12
    lines = out.splitlines()
    assert len(lines) == 3 and lines[1].endswith("Training Montage — Vince DiCola (part 2)")
    parts = chapter_list(sample_index, min_chapters=3).items
    assert parts[1].start_s == split.time_s and parts[2].start_s == first.end_s
    assert 0.35 < split.time_s / first.end_s < 0.65


def test_youtube_refuses_a_chapter_shorter_than_ten_seconds():
    index = make_index(
        [
            (0.0, 30.0, track("A", "X")),
            (30.0, 36.0, track("B", "X")),
            (36.0, 80.0, track("C", "X")),
        ],
        80.0,
    )
    with pytest.raises(ChapterError, match=r"at least 10 s; 'B — X' at 0:30 lasts 6 s"):
        format_chapters(chapter_list(index), "youtube")


def test_youtube_timestamps_take_hours_past_an_hour_and_whole_seconds():
    index = make_index(
        [(0.0, 1800.4, track("A", "X")), (1800.4, 3725.6, track("B", "X")), (3725.6, 4000.0, None)],
        4000.0,
    )
    lines = format_chapters(chapter_list(index), "youtube").splitlines()
    assert lines == ["0:00 A — X", "30:00 B — X", "1:02:06 Music 3"]


def test_too_few_cuts_to_split_is_one_line(sample_json):
    code, _, err = run_cli("chapters", sample_json, "-f", "youtube", "--min-chapters", "40")
    assert code == 2 and "cannot make 40 chapters of at least 10 s" in err
    assert err.count("\n") == 1


# --- the other formats, read back by real readers ----------------------------------------------


def test_webvtt_parses_with_unique_ids_and_joined_cues(sample_index):
    chapters = chapter_list(sample_index, min_chapters=4)
    captions = webvtt.from_string(format_chapters(chapters, "webvtt"))
    assert [c.identifier for c in captions] == ["chapter-1", "chapter-2", "chapter-3", "chapter-4"]
    starts = [vtt_seconds(c.start) for c in captions]
    ends = [vtt_seconds(c.end) for c in captions]
    assert starts == [round(c.start_s, 3) for c in chapters.items]
    assert starts[1:] == ends[:-1] and ends[-1] == 75.0
    assert [c.text for c in captions][:2] == [
        "Training Montage — Vince DiCola",
        "Training Montage — Vince DiCola (part 2)",
    ]


def test_ffmetadata_with_nasty_titles_is_read_back_by_ffmpeg(tmp_path):
    index = make_index(
        [
            (10.0 * n, 10.0 * (n + 1), track(title, "Perf; =#"))
            for n, title in enumerate(NASTY_TITLES)
        ],
        10.0 * len(NASTY_TITLES),
        title="Title with = ; # \\ and\na line break",
    )
    chapters = chapter_list(index)
    metadata = tmp_path / "chapters.txt"
    metadata.write_text(format_chapters(chapters, "ffmetadata"), encoding="utf-8")
    read = subprocess.run(
        [ffmpeg.executable(), "-v", "error", "-f", "ffmetadata", "-i", f"file:{metadata}"]
        + ["-f", "ffmetadata", "-"],
        capture_output=True,
        check=True,
    )
    tags, read_chapters = parse_ffmetadata(read.stdout.decode("utf-8"))
    assert tags["title"] == "Title with = ; # \\ and a line break"
    assert tags["artist"] == "Perf; =#"
    assert tags["comment"].splitlines()[0].startswith("A = B; C # D \\ E — performed by Perf; =#")
    assert [c["title"] for c in read_chapters] == [c.title for c in chapters.items]
    assert [chapter_times(c) for c in read_chapters] == [
        (c.start_s, c.end_s) for c in chapters.items
    ]


def test_podcast_json_has_version_and_seconds(sample_index):
    document = json.loads(format_chapters(chapter_list(sample_index), "podcast"))
    assert document["version"] == "1.2.0"
    assert document["title"] == "Rocky training in Russia [Rocky IV]"
    assert document["chapters"] == [
        {"startTime": 0.0, "title": "Training Montage — Vince DiCola", "endTime": 41.75},
        {"startTime": 41.75, "title": "Hearts on Fire — John Cafferty", "endTime": 75.0},
    ]


def test_jsonld_is_a_video_with_clips_and_music_recordings(sample_json):
    url = "https://www.youtube.com/watch?v=abcdefghijk"
    code, out, err = run_cli("chapters", sample_json, "-f", "jsonld", "--url", url)
    assert code == 0, err
    video = json.loads(out)
    assert video["@context"] == "https://schema.org" and video["@type"] == "VideoObject"
    assert video["name"] == "Rocky training in Russia [Rocky IV]" and video["duration"] == "PT1M15S"
    clips = video["hasPart"]
    assert [(c["@type"], c["startOffset"], c["endOffset"]) for c in clips] == [
        ("Clip", 0.0, 41.75),
        ("Clip", 41.75, 75.0),
    ]
    assert clips[1]["url"] == url + "&t=42"
    recordings = {r["@id"]: r for r in video["audio"]}
    hearts = recordings[clips[1]["audio"]["@id"]]
    assert hearts["@type"] == "MusicRecording" and hearts["name"] == "Hearts on Fire"
    assert hearts["byArtist"] == [{"@type": "MusicGroup", "name": "John Cafferty"}]
    assert [p["name"] for p in hearts["recordingOf"]["composer"]] == [
        "Vince DiCola",
        "Joe Esposito",
        "Ed Fruge",
    ]
    assert hearts["recordingOf"]["@type"] == "MusicComposition"
    assert hearts["inAlbum"]["name"] == "Rocky IV: Original Motion Picture Soundtrack"
    assert hearts["inAlbum"]["albumRelease"]["recordLabel"]["name"] == "Scotti Bros. Records"


def test_jsonld_takes_the_upload_date_and_picture_search_engines_need(sample_json):
    code, out, err = run_cli(
        "chapters",
        sample_json,
        "-f",
        "jsonld",
        "--url",
        "https://blog.example/rocky-iv",
        "--upload-date",
        "2024-05-01T18:30:00Z",
        "--thumbnail",
        "https://blog.example/rocky-iv.jpg",
    )
    assert code == 0 and err == ""
    video = json.loads(out)
    assert video["uploadDate"] == "2024-05-01T18:30:00+00:00"
    assert video["thumbnailUrl"] == "https://blog.example/rocky-iv.jpg"


def test_jsonld_without_upload_date_or_picture_says_what_search_engines_need(sample_json):
    code, out, err = run_cli("chapters", sample_json, "-f", "jsonld", "--url", "https://b.example")
    assert code == 0 and "uploadDate" not in json.loads(out)
    assert err.startswith("warning: ") and err.count("\n") == 1
    assert "--upload-date and --thumbnail" in err


@pytest.mark.parametrize(
    "given, written",
    [
        ("2024-05-01", "2024-05-01"),
        (" 2024-05-01T18:30+02:00 ", "2024-05-01T18:30:00+02:00"),
        ("2024-05-01T18:30:00Z", "2024-05-01T18:30:00+00:00"),
        ("2024-05-01T18:30:00", "2024-05-01T18:30:00"),
    ],
)
def test_upload_dates_are_iso_8601(given, written):
    assert upload_date(given) == written


@pytest.mark.parametrize("given", ["yesterday", "2024-13-01", "01/05/2024", "2024-05-01T25:00", ""])
def test_a_wrong_upload_date_is_refused_before_anything_is_written(sample_json, tmp_path, given):
    out = tmp_path / "video.jsonld"
    code, _, err = run_cli(
        "chapters", sample_json, "-f", "jsonld", "--url", "https://b.example", "--upload-date",
        given, "-o", out,
    )  # fmt: skip
    assert code == 2 and "--upload-date" in err and "is not a date like 2024-05-01" in err
    assert not out.exists()


def test_jsonld_without_url_says_to_give_one(sample_json):
    code, _, err = run_cli("chapters", sample_json, "-f", "jsonld")
    assert code == 2 and "--url" in err and err.count("\n") == 1


def test_csv_opens_as_a_table_with_credits(sample_json, tmp_path):
    out = tmp_path / "chapters.csv"
    code, _, err = run_cli("chapters", sample_json, "-f", "csv", "-o", out)
    assert code == 0, err
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["start"], r["title"], r["composers"]) for r in rows] == [
        ("00:00:00.000", "Training Montage — Vince DiCola", "Vince DiCola"),
        ("00:00:41.750", "Hearts on Fire — John Cafferty", "Vince DiCola; Joe Esposito; Ed Fruge"),
    ]
    assert float(rows[1]["duration_s"]) == 33.25


def test_csv_never_hands_a_spreadsheet_a_formula():
    chapters = chapter_list(
        _three_tracks(
            ['=HYPERLINK("http://x.example","run")', "+44", "Hearts on Fire"],
            ["@SUM(A1:A9)", "-M-", "John Cafferty"],
        )
    )
    text = format_chapters(chapters, "csv")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert [(r["track"], r["performers"]) for r in rows] == [
        ('\'=HYPERLINK("http://x.example","run")', "'@SUM(A1:A9)"),
        ("'+44", "'-M-"),
        ("Hearts on Fire", "John Cafferty"),
    ]
    assert [r["start_s"] for r in rows] == ["0.000", "30.000", "60.000"]


def test_bad_index_files_get_one_line(tmp_path):
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"schema_version": 9}))
    for path, message in [
        (tmp_path / "missing.json", "no such index file"),
        (newer, "newer than this clipindex reads"),
    ]:
        code, out, err = run_cli("chapters", path, "-f", "webvtt")
        assert code == 2 and out == "" and message in err and err.count("\n") == 1


# --- arbitrary titles through every writer and back -----------------------------------------

_titles = st.lists(st.text(min_size=1, max_size=30), min_size=3, max_size=3)


def _read_titles(format_name: str, text: str) -> list[str]:
    """The chapter titles as each format's reader sees them."""
    if format_name == "youtube":
        return [re.match(r"\d+(?::\d\d){1,2} (.*)$", line)[1] for line in text.splitlines()]
    if format_name == "webvtt":
        return [html.unescape(caption.text) for caption in webvtt.from_string(text)]
    if format_name == "ffmetadata":
        return [chapter["title"] for chapter in parse_ffmetadata(text)[1]]
    if format_name == "podcast":
        return [chapter["title"] for chapter in json.loads(text)["chapters"]]
    if format_name == "jsonld":
        return [clip["name"] for clip in json.loads(text)["hasPart"]]
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    return [row["title"] for row in rows]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(titles=_titles, performer=st.text(max_size=20))
def test_any_unicode_title_survives_every_format(titles, performer):
    chapters = chapter_list(_three_tracks(titles, [performer] * 3))
    expected = [chapter.title for chapter in chapters.items]
    assert all(title and title == clean_text(title) for title in expected)
    for format_name in CHAPTER_FORMATS:
        text = format_chapters(chapters, format_name, url="https://example.org/post?x=1")
        read = _read_titles(format_name, text)
        if format_name == "youtube":
            expected_here = [t.replace("<", "‹").replace(">", "›") for t in expected]
        elif format_name == "csv":  # what a spreadsheet would run as a formula is quoted
            expected_here = ["'" + t if t.startswith(FORMULA_STARTS) else t for t in expected]
        else:
            expected_here = expected
        assert read == expected_here, format_name


_plain = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=30,
)


@settings(max_examples=100, deadline=None)
@given(titles=st.lists(_plain, min_size=3, max_size=3))
def test_a_title_without_control_characters_or_spaces_is_kept_exactly(titles):
    chapters = chapter_list(_three_tracks(titles), template="{title}")
    assert [chapter.title for chapter in chapters.items] == titles
