"""The index format: the published schema matches the model, readers refuse what is not an index."""

import json

import jsonschema
import pytest

from clipindex.errors import IndexFileError
from clipindex.index import SCHEMA_VERSION, json_schema, json_schema_text, load_index
from conftest import ROOT

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
