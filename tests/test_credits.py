"""Credits files: the sample's real credits load; every mistake gets one line naming the field."""

import json

import pytest

from clipindex.credits import load_credits
from clipindex.errors import CreditsError
from conftest import SAMPLE_CREDITS


def test_sample_credits_carry_the_real_credits():
    credits = load_credits(SAMPLE_CREDITS)
    assert credits.title == "Rocky training in Russia [Rocky IV]"
    first, second = credits.tracks
    assert (first.title, first.composers) == ("Training Montage", ["Vince DiCola"])
    assert second.title == "Hearts on Fire"
    assert second.performers == ["John Cafferty"]
    assert second.composers == ["Vince DiCola", "Joe Esposito", "Ed Fruge"]
    assert {t.album for t in credits.tracks} == {"Rocky IV: Original Motion Picture Soundtrack"}
    assert {t.label for t in credits.tracks} == {"Scotti Bros. Records"}
    assert {t.release_date for t in credits.tracks} == {"1985-11-27"}


def test_json_credits_of_the_same_shape_load_the_same(tmp_path):
    toml_credits = load_credits(SAMPLE_CREDITS)
    path = tmp_path / "credits.json"
    path.write_text(json.dumps(toml_credits.model_dump()))
    assert load_credits(path) == toml_credits


def test_single_names_and_optional_ids_are_normalised(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        'title = "T"\n[[tracks]]\ntitle = "A"\nperformers = "Solo Artist"\n'
        'isrc = "us-sb1-85-00001"\n'
        'musicbrainz_recording_id = "8F3471B5-7E6A-48DA-86A9-C1C07A0F47AE"\n'
    )
    track = load_credits(path).tracks[0]
    assert track.performers == ["Solo Artist"]
    assert track.isrc == "USSB18500001"
    assert track.musicbrainz_recording_id == "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"


def test_reference_audio_is_resolved_beside_the_credits(tmp_path):
    (tmp_path / "song.ogg").write_bytes(b"x")
    path = tmp_path / "c.toml"
    path.write_text('title = "T"\n[[tracks]]\ntitle = "A"\naudio = "song.ogg"\n')
    assert load_credits(path).tracks[0].audio == str((tmp_path / "song.ogg").resolve())


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("c.toml", 'title = "T"\n[[tracks]\ntitle = "A"\n', "invalid TOML"),
        ("c.json", '{"title": "T", "tracks": [}', "invalid JSON at line 1"),
        ("c.toml", 'title = "T"\ntracks = []\n', "tracks: List should have at least 1 item"),
        (
            "c.toml",
            'title = "T"\n[[tracks]]\ntitle = "A"\ncomposer = "X"\n',
            "tracks[0].composer: unknown field (did you mean 'composers'?)",
        ),
        (
            "c.toml",
            'titel = "T"\n[[tracks]]\ntitle = "A"\n',
            "titel: unknown field (did you mean 'title'?)",
        ),
        (
            "c.toml",
            'title = "T"\nmood = "x"\n[[tracks]]\ntitle = "A"\n',
            "mood: unknown field",
        ),
        (
            "c.toml",
            'title = "T"\n[[tracks]]\ntitle = "A"\nperformers = 3\n',
            "tracks[0].performers",
        ),
        ("c.toml", '[[tracks]]\ntitle = "A"\n', "title: is required but missing"),
        (
            "c.toml",
            'title = "T"\n[[tracks]]\ntitle = "A"\nrelease_date = "27/11/1985"\n',
            "tracks[0].release_date: must be a date",
        ),
        (
            "c.toml",
            'title = "T"\n[[tracks]]\ntitle = "A"\naudio = "gone.ogg"\n',
            "tracks[0].audio: no such file",
        ),
        (
            "c.toml",
            'title = "T"\n[[tracks]]\ntitle = "A"\nisrc = "123"\n',
            "tracks[0].isrc: must be an ISRC",
        ),
    ],
    ids=[
        "bad-toml",
        "bad-json",
        "no-tracks",
        "unknown-field",
        "mistyped-top-field",
        "unknown-top-field",
        "wrong-type",
        "missing-title",
        "bad-date",
        "missing-audio",
        "bad-isrc",
    ],
)
def test_mistakes_get_one_line_naming_the_field(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CreditsError) as error:
        load_credits(path)
    message = str(error.value)
    assert expected in message
    assert message.startswith(str(path)) and "\n" not in message
