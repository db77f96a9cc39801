"""Fuzzing the whole command line with damaged inputs: no traceback, no partial file, no change
to any input, ever. Kept small enough for CI (a short clip, a few dozen cases per target)."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clipindex.cli import main
from conftest import SAMPLE_CREDITS, SAMPLE_TRUTH
from media import make_clip

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
