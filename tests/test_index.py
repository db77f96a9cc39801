"""The index format: the published schema matches the model, readers refuse what is not an index."""

import json
from pathlib import Path

import jsonschema
import pytest

from clipindex.errors import IndexFileError
from clipindex.index import SCHEMA_VERSION, json_schema, json_schema_text, load_index
from conftest import ROOT, SAMPLE_VIDEO
from output_helpers import run_cli

SCHEMA_FILE = ROOT / "schema" / "index-v1.schema.json"


def test_published_schema_is_generated_from_the_model():
    assert SCHEMA_FILE.read_text() == json_schema_text(), (
        "run: clipindex schema > schema/index-v1.schema.json"
    )


def test_sample_index_validates_against_the_published_schema(sample_index):
    document = json.loads(sample_index.to_json())
    jsonschema.Draft202012Validator(json_schema()).validate(document)
    assert document["schema_version"] == SCHEMA_VERSION


def test_index_round_trips_through_json(tmp_path, sample_index):
    path = tmp_path / "index.json"
    path.write_text(sample_index.to_json())
    assert load_index(path) == sample_index


@pytest.mark.parametrize(
    "content, expected",
    [
        ("not json at all", "not JSON"),
        ('{"cuts": []}', "no schema_version"),
        ('{"schema_version": "one"}', "schema_version is not a number"),
        ('{"schema_version": 99}', "schema version 99 is newer"),
        ('{"schema_version": 1, "cuts": []}', "not a valid clipindex index"),
    ],
)
def test_files_that_are_not_indexes_are_refused_by_name(tmp_path, content, expected):
    path = tmp_path / "thing.json"
    path.write_text(content)
    with pytest.raises(IndexFileError) as error:
        load_index(path)
    assert expected in str(error.value) and str(path) in str(error.value)


def _edited(tmp_path, sample_index, edit) -> Path:
    """The sample's index as JSON text, edited by hand."""
    document = json.loads(sample_index.to_json())
    edit(document)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document))  # writes NaN and Infinity as Python's json does
    return path


@pytest.mark.parametrize(
    "value, message",
    [
        (float("nan"), "not a finite number (nan)"),
        (float("inf"), "not a finite number (inf)"),
        (-float("inf"), "not a finite number (-inf)"),
        (1e308, "Input should be less than or equal to 1000000"),
        (-1e308, "Input should be greater than or equal to -1000000"),
    ],
)
def test_times_that_are_not_finite_or_absurd_are_refused_naming_the_field(
    tmp_path, sample_index, value, message
):
    path = _edited(tmp_path, sample_index, lambda d: d["segments"][1].update(start_s=value))
    with pytest.raises(IndexFileError) as error:
        load_index(path)
    assert (
        str(error.value) == f"{path}: not a valid clipindex index (segments.1.start_s: {message})"
    )


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda d: d["source"].update(duration_s=float("nan")), "source.duration_s"),
        (lambda d: d["cuts"][3].update(score=float("inf")), "cuts.3.score"),
        (lambda d: d["music_curve"]["values"].__setitem__(2, float("nan")), "music_curve.values.2"),
        (lambda d: d["shots"][4].update(end_frame=10**12), "shots.4.end_frame"),
        (lambda d: d["source"].update(duration_s=-1.0), "source.duration_s"),
        (lambda d: d["generator"]["parameters"].update(x=float("inf")), "generator.parameters.x"),
    ],
)
def test_every_number_is_checked_on_load(tmp_path, sample_index, edit, field):
    path = _edited(tmp_path, sample_index, edit)
    with pytest.raises(IndexFileError, match=rf"\({field}: "):
        load_index(path)


def test_a_music_curve_with_a_value_missing_is_refused(tmp_path, sample_index):
    path = _edited(tmp_path, sample_index, lambda d: d["music_curve"]["values"].pop())
    with pytest.raises(IndexFileError, match=r"music_curve: 76 times but 75 values"):
        load_index(path)


@pytest.mark.parametrize(
    "content, message",
    [
        ("[" * 200_000, "nested too deeply"),
        ('{"schema_version": 1, "title": ' + "1" * 5000 + "}", "not JSON"),
        ('{"schema_version": 1, "title": "\\ud800"}', "title: text that is not Unicode"),
    ],
)
def test_json_a_parser_chokes_on_is_one_line(tmp_path, content, message):
    path = tmp_path / "index.json"
    path.write_text(content)
    with pytest.raises(IndexFileError, match=message):
        load_index(path)


def test_an_endless_input_is_read_no_further_than_an_index_can_be():
    with pytest.raises(
        IndexFileError, match=r"/dev/zero: not a clipindex index \(larger than 64 MB\)"
    ):
        load_index("/dev/zero")


@pytest.mark.parametrize(
    "args",
    [
        ("chapters", "{index}", "--format", "webvtt"),
        ("chapters", "{index}", "--format", "ffmetadata"),
        ("mux", SAMPLE_VIDEO, "{index}", "-o", "{folder}/copy.mp4"),
        ("embed", "{index}", "--src", "video.mp4"),
        ("report", "{index}"),
    ],
)
def test_every_command_refuses_a_hand_edited_nan_in_one_line(tmp_path, sample_index, args):
    path = _edited(tmp_path, sample_index, lambda d: d["segments"][1].update(start_s=float("nan")))
    code, out, err = run_cli(*(str(a).format(index=path, folder=tmp_path) for a in args))
    assert code == 2 and out == ""
    assert err == (
        f"clipindex: error: {path}: not a valid clipindex index "
        "(segments.1.start_s: not a finite number (nan))\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edited.json"]
