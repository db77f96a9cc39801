"""The command line: the README's commands work, and bad input gets one line and exit code 2."""

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import click
import pytest

from clipindex.errors import EXIT_BROKEN_PIPE, EXIT_WRITE_FAILED
from conftest import SAMPLE_CREDITS, SAMPLE_TRUTH, SAMPLE_VIDEO, SAMPLES


def _run(*args):
    """Run the installed command as a user would; return (exit code, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "clipindex", *map(str, args)], capture_output=True, text=True
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def sample_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "montage.json"
    code, _, err = _run("index", SAMPLE_VIDEO, "--credits", SAMPLE_CREDITS, "-o", out)
    assert code == 0, err
    return out


def test_index_then_check_passes_on_the_sample(sample_json):
    document = json.loads(sample_json.read_text())
    assert [s["track"]["title"] for s in document["segments"]] == [
        "Training Montage",
        "Hearts on Fire",
    ]
    code, out, _ = _run("check", sample_json, SAMPLE_TRUTH)
    assert code == 0
    assert "hand-over 1" in out and "0 failed" in out


def test_check_fails_with_exit_1_and_says_which_boundary(sample_json, tmp_path):
    expected = json.loads(SAMPLE_TRUTH.read_text())
    expected["music_boundaries"] = [b + 0.5 for b in expected["music_boundaries"]]
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(expected))
    code, out, _ = _run("check", sample_json, moved)
    assert code == 1
    assert "hand-over 1" in out and "FAIL" in out


def test_output_over_the_input_is_refused_and_the_input_untouched(tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(SAMPLE_VIDEO.read_bytes())
    before = hashlib.sha256(video.read_bytes()).hexdigest()
    code, _, err = _run("index", video, "-o", video)
    assert code == 2
    assert err.count("\n") == 1 and "over the input" in err
    assert hashlib.sha256(video.read_bytes()).hexdigest() == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["index", "no-such-video.mp4"], "no such file"),
        (["index", str(SAMPLE_VIDEO), "--credits", "missing.toml"], "no such credits file"),
        (["check", "missing.json", str(SAMPLE_TRUTH)], "no such index file"),
        (["index", str(SAMPLE_VIDEO), "-o", "/no/such/folder/x.json"], "does not exist"),
    ],
)
def test_bad_input_message_is_one_line_without_traceback(args, message):
    code, out, err = _run(*args)
    assert code == 2 and out == ""
    assert err.startswith("clipindex: error:") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_leading_dash_and_unicode_paths_work(tmp_path):
    video = tmp_path / "-montée d'entraînement.mp4"
    video.write_bytes(SAMPLE_VIDEO.read_bytes())
    out = tmp_path / "-índice.json"
    code, _, err = _run("index", "-o", out, "--", video)
    assert code == 0, err
    assert json.loads(out.read_text())["source"]["n_frames"] > 0


@pytest.mark.parametrize("command", [[], ["index"], ["check"], ["schema"]])
def test_help_says_what_each_command_does_with_an_example(command):
    code, out, _ = _run(*command, "--help")
    assert code == 0
    assert "Example" in out and "clipindex" in out


def test_index_command_gives_the_same_index_as_the_library(sample_json, sample_index):
    """The command starts decoding before loading the detector: the index must not change."""
    from_command = json.loads(sample_json.read_text())
    from_library = json.loads(sample_index.to_json())
    for part in ("source", "cuts", "shots", "segments", "gaps", "warnings"):
        assert from_command[part] == from_library[part], part


def test_commands_load_only_what_they_need():
    """``clipindex index`` starts ffmpeg before NumPy, OpenCV, PySceneDetect and pydantic load:
    the command and what it needs to start decoding load none of them."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, clipindex.cli, clipindex.cli.index, clipindex.files, clipindex.frames,"
            " clipindex.probe; print(*(m for m in ('numpy', 'cv2', 'scenedetect', 'pydantic',"
            " 'scipy') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == ""


def test_index_loads_no_output_writer_or_progress_bar_it_was_not_asked_for(tmp_path):
    """Without --thumbnails, --progress and --credits, indexing loads neither the chapter
    writers, tqdm's bar machinery (its lock loads multiprocessing) nor pydantic (for reading
    credits): start-up competes with ffmpeg."""
    out = tmp_path / "montage.json"
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from clipindex.cli import main;"
            f" code = main(['index', {str(SAMPLE_VIDEO)!r}, '--no-progress', '-o', {str(out)!r}]);"
            " print(code, *(m for m in ('clipindex.outputs', 'multiprocessing', 'pydantic')"
            " if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.split() == ["0"]
    assert json.loads(out.read_text())["cuts"]


def test_the_video_decoder_is_the_first_program_indexing_starts(tmp_path):
    """Nothing runs before the decoder (such as ``ffmpeg -version`` to check the binary): every
    hundredth of a second before it starts adds to every run."""
    out = tmp_path / "montage.json"
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import subprocess; started = []; Popen = subprocess.Popen\n"
            "class Recorded(Popen):\n"
            "    def __init__(self, args, *rest, **options):\n"
            "        started.append(' '.join(map(str, args))); super().__init__(args, *rest,"
            " **options)\n"
            "subprocess.Popen = Recorded\n"
            "from clipindex.cli import main\n"
            f"code = main(['index', {str(SAMPLE_VIDEO)!r}, '--no-progress', '-o', {str(out)!r}])\n"
            "print(code); print(*started, sep='\\n')",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    code, first, *later = started.stdout.splitlines()
    assert code == "0"
    assert "-f rawvideo" in first and "-version" not in first
    assert any("-f f32le" in command for command in later)  # the sound's decoder, after it


@pytest.mark.parametrize(
    "args, words",
    [
        (["index"], ["Missing argument 'VIDEO...'", "'clipindex index --help'"]),
        (["index", SAMPLE_VIDEO, "--jobs", "0"], ["'--jobs'", "0 is not in the range"]),
        (["index", SAMPLE_VIDEO, "--frames"], ["No such option '--frames'"]),
        (["chapters", "montage.json", "-f", "mp3"], ["'mp3' is not one of", "chapters --help"]),
        (["frobnicate"], ["No such command 'frobnicate'", "'clipindex --help'"]),
    ],
)
def test_a_mistake_on_the_command_line_is_one_line(args, words):
    code, out, err = _run(*args)
    assert code == 2 and out == ""
    assert err.startswith("clipindex: error: ") and err.count("\n") == 1, err
    assert all(word in err for word in words), err


def test_the_bare_command_shows_its_help():
    code, _, err = _run()
    assert code == 2 and err.startswith("Usage: clipindex") and "Commands:" in err


def test_progress_bar_counts_frames_when_asked(tmp_path):
    out = tmp_path / "montage.json"
    code, _, err = _run("index", SAMPLE_VIDEO, "--progress", "-o", out)
    assert code == 0, err
    assert "indexing" in err and "frame/s" in err
    assert json.loads(out.read_text())["cuts"]


def test_every_command_is_registered_under_its_module():
    from clipindex.cli import app, check, correct, export, index, outputs  # noqa: F401

    assert sorted(app.cli.commands) == sorted(app._COMMAND_MODULES)
    for name, command in app.cli.commands.items():
        assert command.callback.__module__ == app._COMMAND_MODULES[name]


def test_output_to_a_pipe_arrives_whole():
    """The command leaves without tearing the interpreter down: what it printed still arrives."""
    code, out, err = _run("schema")
    assert code == 0, err
    assert len(out) > 8192  # more than one buffer's worth
    assert json.loads(out)["title"]


def _help_examples(command: str) -> list[str]:
    """The example command lines of ``clipindex COMMAND --help``, continuations joined."""
    code, out, _ = _run(command, "--help")
    assert code == 0
    text = out.split("Example", 1)[1].split("Options:", 1)[0]
    joined = re.sub(r"\\\s*\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("clipindex ")]


def test_every_help_example_runs_as_written(tmp_path):
    """Each command's --help examples, run in order in a folder holding what they name (the
    sample and its credits and truth, a copy as montage.mp4, a picture, a folder of videos)."""
    from clipindex.cli import app

    shutil.copytree(SAMPLES, tmp_path / "samples", ignore=shutil.ignore_patterns("*.py"))
    shutil.copy(SAMPLES / "training-montage.mp4", tmp_path / "montage.mp4")
    (tmp_path / "archive").mkdir()
    shutil.copy(SAMPLES / "transitions.mp4", tmp_path / "archive" / "transitions.mp4")
    (tmp_path / "montage.jpg").write_bytes(b"\xff\xd8\xff\xe0 a picture")
    order = ["index", "check", "correct", "chapters", "mux", "embed", "report", "export", "schema"]
    assert sorted(order) == sorted(app._COMMAND_MODULES)
    ran = 0
    for command in order:
        for example in _help_examples(command):
            line = example.replace("clipindex ", f"{shlex.quote(sys.executable)} -m clipindex ", 1)
            done = subprocess.run(
                ["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True
            )
            assert done.returncode == 0, f"{example}\n{done.stderr}"
            ran += 1
    assert ran >= 14


def test_what_a_newcomer_types_is_understood(tmp_path):
    """--verbose after the command, a format in capitals, one song: all as a newcomer writes
    and reads them."""
    from output_helpers import make_index, track

    index = tmp_path / "one.json"
    index.write_text(make_index([(0.0, 40.0, track("Solo", "Someone"))], 40.0).to_json())
    vtt = tmp_path / "one.vtt"
    code, out, err = _run("chapters", index, "--format", "WEBVTT", "-o", vtt, "--verbose")
    assert code == 0, err
    assert err == f"{vtt}: 1 chapter (webvtt)\n" and vtt.read_text().startswith("WEBVTT")
    code, _, err = _run("report", index, "-o", tmp_path / "r.html")
    assert code == 0 and "1 shot, 0 pictures, 0 cuts, 1 musical segment, no player" in err
    code, _, err = _run("chapters", index, "-o", vtt)
    assert code == 2 and err.count("\n") == 1 and "youtube, webvtt, ffmetadata" in err
    code, _, err = _run("embed", index, "--src", "gone.mp4", "-o", tmp_path / "e.html")
    assert code == 0 and "1 chapter, 1 credited track" in err
    assert f"look for the video at {tmp_path / 'gone.mp4'}, and there is no file there" in err


def test_chapters_help_speaks_only_of_its_own_options():
    code, out, _ = _run("chapters", "--help")
    assert code == 0 and "poster" not in out and "--youtube" not in out


def test_the_readme_command_table_lists_every_option():
    from clipindex.cli import app, check, correct, export, index, outputs  # noqa: F401

    readme = (SAMPLES.parent / "README.md").read_text()
    table = readme[readme.index("## The command line") : readme.index("`clipindex --help` and")]
    for name, command in app.cli.commands.items():
        rows = " ".join(row for row in table.splitlines() if row.startswith(f"| `clipindex {name}"))
        assert rows, f"no row for clipindex {name}"
        for option in command.params:
            if isinstance(option, click.Option) and option.name != "help":
                named = [o for o in option.opts + option.secondary_opts if o in rows]
                assert named, f"clipindex {name}: {option.opts[-1]} is not in the README's table"


def test_check_with_its_two_files_swapped_says_which_is_the_index(sample_json):
    code, out, err = _run("check", SAMPLE_TRUTH, sample_json)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{sample_json} is an index: give the index first" in err


@pytest.mark.parametrize(
    "args", [("schema",), ("chapters", SAMPLE_TRUTH.parent / "missing.json", "-f", "webvtt")]
)
def test_a_closed_standard_output_is_one_line_before_any_work(args):
    done = subprocess.run(
        [sys.executable, "-m", "clipindex", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        pass_fds=(),
        preexec_fn=lambda: os.close(1),
    )
    assert done.returncode == 2
    assert (
        done.stderr == "clipindex: error: standard output is closed: nothing can be written to it\n"
    )


def test_a_reader_that_stops_reading_ends_the_command_quietly_with_its_own_code(sample_json):
    """``clipindex report ... | head -c 0``: the pipe is closed before the command writes; exit
    141, as for any program stopped by a closed pipe, not 1 (a failed check); nothing on
    stderr."""
    for args in (("schema",), ("report", sample_json)):
        command = subprocess.Popen(
            [sys.executable, "-m", "clipindex", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        command.stdout.close()  # the reader goes away before anything is written
        err = command.stderr.read().decode()
        assert command.wait() == EXIT_BROKEN_PIPE, err
        assert err == ""


def test_an_error_is_one_line_whatever_a_name_holds(sample_json, tmp_path):
    """A file name or a field name with a line break or a terminal escape in it is written
    escaped: the error stays one line and cannot drive the terminal."""
    missing = tmp_path / "two\nlines\x1b]0;pwned\x07.json"
    code, _, err = _run("chapters", missing, "-f", "webvtt")
    assert code == 2 and err.count("\n") == 1
    assert "\\n" in err and "\\x1b" in err and "\x1b" not in err
    document = json.loads(sample_json.read_text())
    document["cuts"][0]["kind\n\x1b[31m"] = 1
    index = tmp_path / "index.json"
    index.write_text(json.dumps(document))
    code, _, err = _run("chapters", index, "-f", "webvtt")
    assert code == 2 and err.count("\n") == 1 and "\x1b" not in err
    assert "(cuts.0.kind\\n\\x1b[31m: Unexpected keyword argument)" in err


def test_a_full_standard_output_is_one_line_with_its_own_code():
    with open("/dev/full", "wb") as full:  # every write to it fails: no space left
        done = subprocess.run(
            [sys.executable, "-m", "clipindex", "schema"], stdout=full, stderr=subprocess.PIPE
        )
    assert done.returncode == EXIT_WRITE_FAILED
    assert done.stderr.decode() == (
        "clipindex: error: standard output: cannot write (No space left on device)\n"
    )
