"""Speed benchmark: clipindex against ffmpeg decoding the same file, and against PySceneDetect.

Run from the project's root (about an hour on a 2-core machine, most of it on the 20-minute
clips; the clips it makes are kept in the work folder and reused)::

    python benchmarks/speed.py                 # writes benchmarks/SPEED.md
    python benchmarks/speed.py --quick -o -    # a tiny clip, one round, to standard output

The floor is ``ffmpeg -i FILE -f null -`` (video and sound decoded, nothing else): no indexer can
read a file faster. Each round runs the three commands on the same file in a rotating order, and
the clips take turns, so that the machine's speed drifting over the hour weighs on each alike; the
table gives the median over rounds of the paired ratios (each command's time over the floor's
time in the same round) and each command's peak memory (the largest total resident memory of its
whole process tree, sampled every 50 ms). The clips are H.264 at 720p and 1080p, 1, 5 and 20
minutes long, at the bit rates of web video (4 and 6 Mb/s), with grain, cuts and music;
they are made here, by repeating one minute of montage without re-encoding. clipindex's modules
are byte-compiled first, as an install does, so that no run compiles them (as every run would
with ``PYTHONDONTWRITEBYTECODE`` set and a checkout's source).

Short clips vary more from round to round (a busy tenth of a second is 2% of a one-minute run),
and cost little, so they get more rounds: ``--rounds`` is for the longest clip, and a clip k
times shorter gets √k times as many, up to three times as many.
"""

from __future__ import annotations

import argparse
import compileall
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clipindex import __version__, ffmpeg  # noqa: E402

SHOT_SOURCES = ("testsrc2", "smptehdbars", "rgbtestsrc", "testsrc", "pal100bars", "yuvtestsrc")
"""ffmpeg picture sources the shots cycle through, each with its own colours."""


@dataclass(frozen=True)
class Clip:
    """A benchmark input: its file, height in pixels and length in minutes."""

    path: Path
    height: int
    minutes: float


@dataclass
class Run:
    """One timed run of one command."""

    seconds: float
    peak_mb: float


def make_minute(folder: Path, height: int, seconds: float) -> Path:
    """One stretch of montage: shots of 0.5-4 s from varied sources with grain, and two chords
    alternating every 15 s over a beat, encoded once."""
    width = height * 16 // 9
    path = folder / f"base-{height}p-{seconds:g}s.mp4"
    if path.exists():
        return path
    lengths = [0.5, 2.0, 1.0, 4.0, 0.25, 3.0, 1.5, 0.75, 2.5, 1.25]
    inputs: list[str] = []
    chains: list[str] = []
    total, number = 0.0, 0
    while total < seconds:
        length = min(lengths[number % len(lengths)], seconds - total)
        source = SHOT_SOURCES[number % len(SHOT_SOURCES)]
        joiner = ":" if "=" in source else "="
        inputs += ["-f", "lavfi", "-i", f"{source}{joiner}s=320x180:r=24:d={length}"]
        chains.append(
            f"[{number}:v]scale={width}:{height},hue=h={number * 47 % 360},"
            f"noise=alls=8:allf=t,setsar=1[v{number}]"
        )
        total += length
        number += 1
    joined = "".join(f"[v{n}]" for n in range(number))
    chords = "0.3*sin(2*PI*220*t)+0.2*sin(2*PI*277*t)+0.2*sin(2*PI*330*t)"
    other = "0.3*sin(2*PI*196*t)+0.2*sin(2*PI*247*t)+0.2*sin(2*PI*294*t)"
    beat = "0.4*sin(2*PI*60*t)*exp(-20*mod(t,0.5))"
    music = f"if(lt(mod(t,30),15),{chords},{other})+{beat}"
    args = [
        ffmpeg.executable(), "-hide_banner", "-loglevel", "error", "-y", *inputs,
        "-f", "lavfi", "-i", f"aevalsrc='{music}':s=44100:d={seconds}",
        "-filter_complex", ";".join(chains) + f";{joined}concat=n={number}:v=1:a=0[v]",
        "-map", "[v]", "-map", f"{number}:a",
        "-c:v", "libx264", "-preset", "veryfast", "-b:v", f"{height // 180}M",
        "-maxrate", f"{height // 135}M", "-bufsize", f"{height // 67}M", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(path),
    ]  # fmt: skip
    ffmpeg.run(args, what=f"making {path.name}")
    return path


def make_clip(folder: Path, height: int, minutes: float, base_s: float = 60.0) -> Clip:
    """A clip of ``minutes`` made by repeating one base stretch without re-encoding."""
    path = folder / f"montage-{height}p-{minutes:g}min.mp4"
    if not path.exists():
        print(f"benchmark: making {path.name}", file=sys.stderr)
        base = make_minute(folder, height, min(base_s, minutes * 60))
        repeats = max(1, round(minutes * 60 / min(base_s, minutes * 60)))
        listing = folder / f"list-{height}-{minutes:g}.txt"
        listing.write_text("".join(f"file '{base.name}'\n" for _ in range(repeats)))
        args = [
            ffmpeg.executable(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy",
            "-movflags", "+faststart", str(path),
        ]  # fmt: skip
        ffmpeg.run(args, what=f"making {path.name}")
    return Clip(path, height, minutes)


_SAMPLE_S = 0.05
"""Seconds between two memory samples. Each sample reads /proc for every process (about 2 ms
of CPU time); sampled more often, the benchmark would slow down what it times."""


def _tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants, in MB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss_pages: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()  # from the state on
            rss_pages[int(entry)] = int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss_pages.get(pid, 0)
        todo += children.get(pid, [])
    return total * os.sysconf("SC_PAGE_SIZE") / 1e6


def timed(command: list[str]) -> Run:
    """Run a command to completion; its wall time and the peak memory of its process tree."""
    peak = 0.0
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mb(process.pid))
            done.wait(_SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(
            f"benchmark: {command[0]} failed: {stderr.decode(errors='replace')[-500:]}"
        )
    return Run(seconds, peak)


def commands(clip: Clip, out_dir: Path) -> dict[str, list[str]]:
    """The three commands compared, on one clip."""
    scenedetect = str(Path(sys.executable).with_name("scenedetect"))
    return {
        "ffmpeg decode": [ffmpeg.executable(), "-hide_banner", "-nostdin", "-i", str(clip.path),
                          "-f", "null", "-"],
        "clipindex": [sys.executable, "-m", "clipindex", "index", str(clip.path), "--no-progress",
                      "-o", str(out_dir / "index.json")],
        "PySceneDetect": [scenedetect, "-q", "-i", str(clip.path), "detect-adaptive"],
    }  # fmt: skip


def measure(plan: list[tuple[Clip, int]], out_dir: Path) -> list[dict[str, list[Run]]]:
    """Time every command on each clip for its number of rounds; the runs of each clip.

    The clips take turns, each clip's rounds spread evenly over the whole run, so that the
    machine's speed drifting over the hour weighs on every clip alike; within a round, the
    commands run in an order that rotates from one round to the next.
    """
    named = [commands(clip, out_dir) for clip, _ in plan]
    results: list[dict[str, list[Run]]] = [{name: [] for name in each} for each in named]
    turns = schedule([rounds for _, rounds in plan])
    for round_number, playing in enumerate(turns):
        print(f"benchmark: round {round_number + 1} of {len(turns)}", file=sys.stderr)
        for clip_number in playing:
            names, runs = list(named[clip_number]), results[clip_number]
            turn = len(runs["clipindex"]) % len(names)  # rounds this clip has played
            for name in names[turn:] + names[:turn]:
                runs[name].append(timed(named[clip_number][name]))
    return results


def schedule(rounds: list[int]) -> list[list[int]]:
    """Which clips play in each round, for clips wanting ``rounds[i]`` rounds each: as many
    rounds as the most wanted, each clip's spread evenly over them, ending with the last.

    >>> schedule([3, 2, 1])
    [[0], [0, 1], [0, 1, 2]]
    """
    total = max(rounds, default=0)
    return [
        [i for i, wanted in enumerate(rounds) if (r + 1) * wanted // total > r * wanted // total]
        for r in range(total)
    ]


def rounds_for(minutes: float, longest: float, rounds: int) -> int:
    """Rounds for a clip of ``minutes``: ``rounds`` for the longest, √k times more for a clip k
    times shorter, at most three times more.

    >>> [rounds_for(m, 20, 3) for m in (1, 5, 20)]
    [9, 6, 3]
    """
    return min(3 * rounds, max(rounds, round(rounds * math.sqrt(longest / minutes))))


def _versions() -> str:
    import cv2
    import numpy
    import scenedetect

    ffmpeg_version = subprocess.run(
        [ffmpeg.executable(), "-version"], capture_output=True, text=True
    ).stdout.split("\n")[0]
    return (
        f"clipindex {__version__}, Python {platform.python_version()}, {ffmpeg_version.strip()}, "
        f"PySceneDetect {scenedetect.__version__}, OpenCV {cv2.__version__}, "
        f"NumPy {numpy.__version__}"
    )


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        memory_kb = 0
    return f"{model}, {os.cpu_count()} cores, {memory_kb / 1e6:.0f} GB memory, {platform.system()}"


def _median_s(runs: dict[str, list[Run]], name: str) -> float:
    return statistics.median(run.seconds for run in runs[name])


def _ratio(runs: dict[str, list[Run]], name: str) -> float:
    """Median over rounds of this command's time over the floor's time in the same round."""
    floor = [run.seconds for run in runs["ffmpeg decode"]]
    return statistics.median(r.seconds / f for r, f in zip(runs[name], floor, strict=True))


def _peak(runs: dict[str, list[Run]], name: str) -> float:
    return max(run.peak_mb for run in runs[name])


def _per_minute(clip: Clip, runs: dict[str, list[Run]], name: str) -> float:
    return _median_s(runs, name) / clip.minutes


def _row(clip: Clip, runs: dict[str, list[Run]]) -> str:
    peaks = " / ".join(f"{_peak(runs, name):.0f}" for name in runs)
    return (
        f"| {clip.height}p, {clip.minutes:g} min | {len(runs['clipindex'])} "
        f"| {_median_s(runs, 'ffmpeg decode'):.2f} s "
        f"| {_median_s(runs, 'clipindex'):.2f} s | **{_ratio(runs, 'clipindex'):.2f}** "
        f"| {_median_s(runs, 'PySceneDetect'):.2f} s | {_ratio(runs, 'PySceneDetect'):.2f} "
        f"| {_per_minute(clip, runs, 'clipindex'):.2f} "
        f"| {_per_minute(clip, runs, 'ffmpeg decode'):.2f} | {peaks} |"
    )


def flatness(results: list[tuple[Clip, dict[str, list[Run]]]]) -> list[str]:
    """For each picture height timed at several lengths, how far the time per video minute
    moves from the shortest clip to the longest (largest over smallest), clipindex's and the
    floor's: the floor's shows how much of the spread is the machine's."""
    lines = []
    for height in sorted({clip.height for clip, _ in results}):
        same = [(clip, runs) for clip, runs in results if clip.height == height]
        if len(same) < 2:
            continue
        lengths = sorted(clip.minutes for clip, _ in same)
        lines.append(
            f"- {height}p, {lengths[0]:g} to {lengths[-1]:g} min: clipindex's time per video "
            f"minute varies by **{_spread(same, 'clipindex'):.0%}**, the floor's by "
            f"{_spread(same, 'ffmpeg decode'):.0%}."
        )
    return lines


def _spread(results: list[tuple[Clip, dict[str, list[Run]]]], name: str) -> float:
    """Largest time per video minute over the smallest, less one."""
    per_minute = [_per_minute(clip, runs, name) for clip, runs in results]
    return max(per_minute) / min(per_minute) - 1


def report(results: list[tuple[Clip, dict[str, list[Run]]]]) -> str:
    """The Markdown page: machine, versions, and one row per clip."""
    lines = [
        "# Speed",
        "",
        "Generated by `python benchmarks/speed.py`; do not edit by hand.",
        "",
        f"- Machine: {_machine()}",
        f"- Versions: {_versions()}",
        "- Ratios are medians of the per-round ratios to the floor"
        " (`ffmpeg -i FILE -f null -`, video and sound decoded); memory is the peak resident"
        " memory of each command's whole process tree; clipindex byte-compiled beforehand, as"
        " installed. Shorter clips get more rounds, as they vary more.",
        "",
        "| clip | rounds | floor: ffmpeg decode | clipindex | clipindex / floor | PySceneDetect "
        "| PySceneDetect / floor | clipindex s per video minute | floor s per video minute "
        "| peak MB: ffmpeg / clipindex / PySceneDetect |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [_row(clip, runs) for clip, runs in results]
    spreads = flatness(results)
    if spreads:
        lines += ["", "Time per video minute, from the shortest clip to the longest:", ""]
        lines += spreads
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-o",
        "--output",
        default=str(ROOT / "benchmarks" / "SPEED.md"),
        help="where to write the Markdown table ('-' for standard output)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds on the longest clip; shorter ones get more (default 3)",
    )
    parser.add_argument("--minutes", default="1,5,20", help="clip lengths (default 1,5,20)")
    parser.add_argument("--heights", default="720,1080", help="clip heights (default 720,1080)")
    parser.add_argument(
        "--work",
        default=str(Path(tempfile.gettempdir()) / "clipindex-speed"),
        help="folder for the generated clips (kept and reused)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a 6 s clip at 180p, one round: checks the benchmark itself runs",
    )
    args = parser.parse_args(argv)  # fmt: skip
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.quick:
        plan = [(180, 0.1, 1)]
    else:
        heights = [int(h) for h in args.heights.split(",")]
        minutes = [float(m) for m in args.minutes.split(",")]
        longest = max(minutes)
        plan = [(h, m, rounds_for(m, longest, args.rounds)) for h in heights for m in minutes]
    compileall.compile_dir(ROOT / "clipindex", quiet=1)
    clips = [(make_clip(work, height, minutes), rounds) for height, minutes, rounds in plan]
    runs = measure(clips, work)
    page = report([(clip, clip_runs) for (clip, _), clip_runs in zip(clips, runs, strict=True)])
    if args.output == "-":
        sys.stdout.write(page)
    else:
        Path(args.output).write_text(page)
        print(f"benchmark: wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
