"""Credits files: the sample's real credits load; every mistake gets one line naming the field."""

import json
import os
import wave

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


def _recording(path):
    """A second of silence as a WAV file."""
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\0\0" * 8000)
    return path


def _credits_naming(folder, audio):
    path = folder / "c.toml"
    path.write_text(f'title = "T"\n[[tracks]]\ntitle = "A"\naudio = {json.dumps(audio)}\n')
    return path


@pytest.mark.parametrize("audio", ["song.wav", "music/song.wav", "music/../song.wav"])
def test_reference_audio_is_resolved_beside_the_credits(tmp_path, audio):
    (tmp_path / "music").mkdir()
    _recording(tmp_path / "song.wav")
    _recording(tmp_path / "music" / "song.wav")
    path = _credits_naming(tmp_path, audio)
    assert load_credits(path).tracks[0].audio == str((tmp_path / audio).resolve())


@pytest.mark.parametrize(
    "audio, problem",
    [
        ("/etc/shadow", "must be a path relative to the credits file, in its folder"),
        ("/dev/zero", "must be a path relative to the credits file, in its folder"),
        ("../outside.wav", "leads out of the credits file's folder"),
        ("folder/../../outside.wav", "leads out of the credits file's folder"),
        ("link.wav", "leads out of the credits file's folder"),
        ("zero.wav", "leads out of the credits file's folder"),
        ("pipe.wav", "is not a regular file"),
        ("folder", "is a folder"),
        ("empty.wav", "is empty"),
        ("notes.wav", "is not a sound file ffmpeg can read"),
        ("loop.wav", "cannot be read"),
    ],
)
def test_a_reference_recording_can_only_be_a_sound_file_beside_the_credits(
    tmp_path, audio, problem
):
    """A credits file from elsewhere cannot make clipindex read a file outside its folder
    (through ``..``, an absolute path or a link), a device, a pipe or text."""
    folder = tmp_path / "credits"
    (folder / "folder").mkdir(parents=True)
    _recording(tmp_path / "outside.wav")
    (folder / "link.wav").symlink_to(tmp_path / "outside.wav")
    (folder / "zero.wav").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.wav")
    (folder / "empty.wav").write_bytes(b"")
    (folder / "notes.wav").write_text("RIFF? no, a shopping list: eggs, milk, a long enough text")
    (folder / "loop.wav").symlink_to("loop.wav")
    path = _credits_naming(folder, audio)
    with pytest.raises(CreditsError) as error:
        load_credits(path)
    message = str(error.value)
    assert message.startswith(f"{path}: tracks[0].audio: {audio!r} {problem}"), message
    assert "\n" not in message


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("deep.toml", "a = " + "[" * 200_000, "nested too deeply to be credits"),
        ("deep.json", "[" * 200_000, "nested too deeply to be credits"),
        ("long.json", '{"title": ' + "9" * 5000 + "}", "invalid JSON"),
        ("bad.json", '{"title": "\\ud800", "tracks": [{"title": "A"}]}', "title: text that is not"),
    ],
)
def test_json_or_toml_a_parser_chokes_on_is_one_line(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CreditsError, match=expected):
        load_credits(path)


def test_an_endless_credits_file_is_read_no_further_than_credits_can_be():
    with pytest.raises(CreditsError, match=r"^/dev/zero: larger than 1 MB; not a credits file$"):
        load_credits("/dev/zero")


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
