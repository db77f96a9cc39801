"""The speed benchmark runs end to end on a tiny clip, so it cannot rot between real runs."""

import importlib.util
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("speed", ROOT / "benchmarks" / "speed.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["speed"] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


speed = _load_benchmark()


def test_quick_benchmark_times_all_three_commands(tmp_path):
    out = tmp_path / "SPEED.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "speed.py"), "--quick", "-o", str(out),
         "--work", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    row = next(line for line in page.splitlines() if line.startswith("| 180p"))
    assert row.startswith("| 180p, 0.1 min | 1 |"), "one round"
    numbers = [float(n) for n in re.findall(r"\d+\.\d+", row)]
    floor_s, clipindex_s, ratio = numbers[1], numbers[2], numbers[3]
    assert floor_s > 0 and clipindex_s > 0
    low, high = (clipindex_s - 0.005) / (floor_s + 0.005), (clipindex_s + 0.005) / (floor_s - 0.005)
    assert low * 0.8 <= ratio <= high * 1.25, "one round: the ratio is that round's ratio"
    assert re.search(r"\| \d+ / \d+ / \d+ \|$", row), "peak memory of each command"
    assert "Machine:" in page and "PySceneDetect 0.7.2" in page


def test_flatness_compares_time_per_minute_across_lengths_at_each_height():
    def runs(floor_s, clipindex_s):
        return {
            "ffmpeg decode": [speed.Run(floor_s, 50.0)],
            "clipindex": [speed.Run(clipindex_s, 200.0)],
            "PySceneDetect": [speed.Run(2 * floor_s, 100.0)],
        }

    results = [
        (speed.Clip(Path("a.mp4"), 720, 1), runs(4.4, 5.5)),
        (speed.Clip(Path("b.mp4"), 720, 20), runs(80.0, 100.0)),
        (speed.Clip(Path("c.mp4"), 1080, 1), runs(7.0, 7.0)),
    ]
    assert speed.flatness(results) == [
        "- 720p, 1 to 20 min: clipindex's time per video minute varies by **10%**, "
        "the floor's by 10%."
    ], "5.5 s per minute over 5.0; 4.4 over 4.0; one 1080p clip: nothing to compare"
    page = speed.report(results)
    assert "| 5.50 | 4.40 |" in page, "clipindex's and the floor's seconds per minute"
    assert page.rstrip().endswith("the floor's by 10%.")


def test_shorter_clips_get_more_rounds():
    assert [speed.rounds_for(m, 20, 3) for m in (1, 5, 20)] == [9, 6, 3]
    assert [speed.rounds_for(m, 5, 2) for m in (1, 5)] == [4, 2]
    assert speed.rounds_for(0.1, 20, 3) == 9, "at most three times as many"


def test_clips_take_turns_with_their_rounds_spread_over_the_run():
    turns = speed.schedule([9, 6, 3])
    assert len(turns) == 9 and all(0 in playing for playing in turns)
    assert [r for r, playing in enumerate(turns) if 1 in playing] == [1, 2, 4, 5, 7, 8]
    assert [r for r, playing in enumerate(turns) if 2 in playing] == [2, 5, 8]
    assert speed.schedule([]) == []


def test_peak_memory_counts_the_whole_process_tree():
    holder = "import sys, time; block = bytearray(200_000_000); sys.stdout.write('x\\n');"
    holder += " sys.stdout.flush(); time.sleep(30)"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {holder!r}])",
        ],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )  # a child holding 200 MB under a parent holding little, both in a group of their own
    try:
        assert parent.stdout.readline() == b"x\n"
        assert speed._tree_rss_mb(parent.pid) > 200
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()


def test_memory_mode_writes_each_lengths_peak_into_its_own_section(tmp_path):
    out = tmp_path / "SPEED.md"
    timed = "# Speed\n\n| clip | rounds |\n| --- | --- |\n| 720p, 1 min | 9 |\n"
    out.write_text(timed)

    def memory(minutes: str) -> str:
        done = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "speed.py"), "--memory",
             "--memory-minutes", minutes, "--memory-height", "180", "-o", str(out),
             "--work", str(tmp_path / "work")],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return out.read_text()

    page = memory("0.1,0.2")
    assert page.startswith(timed), "the timed table is left as it was"
    section = speed.section_of(page, speed.MEMORY_HEADING)
    rows = [line for line in section.splitlines() if line.startswith("| 180p")]
    assert [row.split("|")[1].strip() for row in rows] == ["180p, 0.1 min", "180p, 0.2 min"]
    for row in rows:
        tree_mb, _, own_mb, _ = (float(cell.strip(" +%")) for cell in row.split("|")[2:6])
        # Python with NumPy and OpenCV loaded, and ffmpeg beside it: more than 60 MB in all,
        # far less than 2 GB; the process itself is part of the tree.
        assert 60 < tree_mb < 2000 and 30 < own_mb < tree_mb + 50, row
    assert rows[0].endswith("| +0% |"), "the shortest is the baseline"

    page = memory("0.1")
    assert page.startswith(timed) and page.count(speed.MEMORY_HEADING) == 1, "replaced, not added"
    assert "0.2 min" not in page


def test_a_section_is_replaced_in_place_or_added_at_the_end():
    page = "# Speed\n\nintro\n\n## Memory against length\n\nold\n\n## Later\n\nkept\n"
    new = "## Memory against length\n\nnew\n"
    assert speed.with_section(page, new) == (
        "# Speed\n\nintro\n\n## Memory against length\n\nnew\n\n## Later\n\nkept\n"
    )
    assert speed.section_of(page, "## Later") == "## Later\n\nkept\n"
    assert speed.with_section("# Speed\n\nintro\n", new) == "# Speed\n\nintro\n\n" + new
    assert speed.section_of("# Speed\n", "## Memory against length") is None
