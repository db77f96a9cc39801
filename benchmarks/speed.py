"""Speed benchmark: clipindex against ffmpeg decoding the same file, and against PySceneDetect.

Run from the project's root (about an hour on a 2-core machine, most of it on the 20-minute
clips; the clips it makes are kept in the work folder and reused)::

    python benchmarks/speed.py                 # writes benchmarks/SPEED.md
    python benchmarks/speed.py --quick -o -    # a tiny clip, one round, to standard output
    python benchmarks/speed.py --memory        # peak memory against the video's length

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

``--memory`` times nothing: it indexes 1080p films of 15, 30, 60 and 120 minutes once each (about
half an hour on 2 cores) and writes the peak memory of each run into its own section of SPEED.md,
leaving the timed table as it is. The films repeat one minute of montage, with a stretch of silence
in it, at a low bit rate (the decoder's memory depends on the picture's size, not its bit rate), so
two hours take a few hundred MB of disk. The peak is the largest total resident memory of the whole
process tree, sampled every 50 ms as above, and clipindex's own process's exact peak (its maximum
resident set, from the kernel when it exits), which no sampling can miss.
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


def make_minute(folder: Path, height: int, seconds: float, *, low_rate: bool = False) -> Path:
    """One stretch of montage: shots of 0.5-4 s from varied sources with grain, and two chords
    alternating every 15 s over a beat, encoded once.

    ``low_rate``: at a tenth of the bit rate, with 3 s of silence near the end of each minute.
    """
    width = height * 16 // 9
    path = folder / f"base-{height}p-{seconds:g}s{'-low' if low_rate else ''}.mp4"
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
    if low_rate:
        music = f"if(between(mod(t,60),50,53),0,{music})"
    rates = [f"{height // 180}M", f"{height // 135}M", f"{height // 67}M"]
    if low_rate:
        rates = [f"{height * 5 // 9}k", f"{height * 5 // 6}k", f"{height * 5 // 3}k"]
    args = [
        ffmpeg.executable(), "-hide_banner", "-loglevel", "error", "-y", *inputs,
        "-f", "lavfi", "-i", f"aevalsrc='{music}':s=44100:d={seconds}",
        "-filter_complex", ";".join(chains) + f";{joined}concat=n={number}:v=1:a=0[v]",
        "-map", "[v]", "-map", f"{number}:a",
        "-c:v", "libx264", "-preset", "veryfast", "-b:v", rates[0],
        "-maxrate", rates[1], "-bufsize", rates[2], "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(path),
    ]  # fmt: skip
    ffmpeg.run(args, what=f"making {path.name}")
    return path


def make_clip(
    folder: Path, height: int, minutes: float, base_s: float = 60.0, *, low_rate: bool = False
) -> Clip:
    """A clip of ``minutes`` made by repeating one base stretch without re-encoding (see
    :func:`make_minute` for ``low_rate``)."""
    path = folder / f"montage-{height}p-{minutes:g}min{'-low' if low_rate else ''}.mp4"
    if not path.exists():
        print(f"benchmark: making {path.name}", file=sys.stderr)
        base = make_minute(folder, height, min(base_s, minutes * 60), low_rate=low_rate)
        repeats = max(1, round(minutes * 60 / min(base_s, minutes * 60)))
        listing = folder / f"list-{path.stem}.txt"
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


class _PeakSampler:
    """While open, samples the resident memory of a process tree every :data:`_SAMPLE_S`;
    ``mb`` is the largest total seen."""

    def __init__(self, pid: int):
        self.pid = pid
        self.mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            self.mb = max(self.mb, _tree_rss_mb(self.pid))
            self._done.wait(_SAMPLE_S)

    def __enter__(self) -> _PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()


def timed(command: list[str]) -> Run:
    """Run a command to completion; its wall time and the peak memory of its process tree."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with _PeakSampler(process.pid) as peak:
        _, stderr = process.communicate()
        seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(
            f"benchmark: {command[0]} failed: {stderr.decode(errors='replace')[-500:]}"
        )
    return Run(seconds, peak.mb)


@dataclass
class Footprint:
    """Peak memory of one run: the whole process tree's (sampled) and the process's own (exact)."""

    tree_mb: float
    own_mb: float


def footprint(command: list[str]) -> Footprint:
    """Run a command to completion; the peak memory of its process tree, sampled every 50 ms, and
    its own process's maximum resident set, as the kernel counted it."""
    with tempfile.TemporaryFile() as complaints:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=complaints)
        with _PeakSampler(process.pid) as peak:
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            complaints.seek(0)
            said = complaints.read().decode(errors="replace")[-500:]
            raise SystemExit(f"benchmark: {command[0]} failed: {said}")
    return Footprint(peak.mb, usage.ru_maxrss / 1e3)  # ru_maxrss is in KiB on Linux


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


MEMORY_HEADING = "## Memory against length"


def memory_report(results: list[tuple[Clip, Footprint]]) -> str:
    """The Markdown section on peak memory: one row per clip, and the growth over the lengths."""
    shortest_tree = results[0][1].tree_mb
    shortest_own = results[0][1].own_mb
    lines = [
        MEMORY_HEADING,
        "",
        "Generated by `python benchmarks/speed.py --memory`; do not edit by hand.",
        "",
        f"- Machine: {_machine()}",
        f"- clipindex {__version__}, Python {platform.python_version()}",
        "- Each film repeats one minute of montage (H.264 at a tenth of the timed clips' bit"
        " rate, 24 frames a second; AAC sound, two chords over a beat, 3 s of silence a minute),"
        " indexed once without credits (`clipindex index FILM -o index.json`). The whole tree's"
        " peak is sampled every 50 ms; clipindex's own is its process's maximum resident set.",
        "",
        "| film | peak MB, whole process tree | against the shortest | clipindex's own peak MB "
        "| against the shortest |",
        "| --- | --- | --- | --- | --- |",
    ]
    for clip, found in results:
        lines.append(
            f"| {clip.height}p, {clip.minutes:g} min | {found.tree_mb:.0f} "
            f"| {found.tree_mb / shortest_tree - 1:+.0%} | {found.own_mb:.0f} "
            f"| {found.own_mb / shortest_own - 1:+.0%} |"
        )
    return "\n".join(lines) + "\n"


def _span(lines: list[str], heading: str) -> tuple[int, int] | None:
    """The lines of the ``## `` section under ``heading``, from its heading to the next one."""
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        return None
    after = (i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    return start, next(after, len(lines))


def with_section(page: str, section: str) -> str:
    """``page`` with its ``## `` section of the same heading as ``section`` replaced by it (added
    at the end if it has none)."""
    lines = page.splitlines(keepends=True)
    span = _span(lines, section.split("\n", 1)[0])
    if span is None:
        return page.rstrip("\n") + "\n\n" + section if page.strip() else section
    after = "".join(lines[span[1] :])
    return "".join(lines[: span[0]]) + section + ("\n" + after if after else "")


def section_of(page: str, heading: str) -> str | None:
    """The ``## `` section of ``page`` under ``heading``, if it has one."""
    lines = page.splitlines(keepends=True)
    span = _span(lines, heading)
    return "".join(lines[span[0] : span[1]]).rstrip("\n") + "\n" if span else None


def measure_memory(heights: list[int], minutes: list[float], work: Path) -> str:
    """Index each film once and return the Markdown section on its peak memory."""
    results = []
    for height in heights:
        for length in minutes:
            clip = make_clip(work, height, length, low_rate=True)
            print(f"benchmark: indexing {clip.path.name}", file=sys.stderr)
            command = [sys.executable, "-m", "clipindex", "index", str(clip.path),
                       "--no-progress", "-o", str(work / "index.json")]  # fmt: skip
            results.append((clip, footprint(command)))
    return memory_report(results)


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
    parser.add_argument(
        "--memory",
        action="store_true",
        help="time nothing: write the peak memory against the video's length into its section",
    )
    parser.add_argument(
        "--memory-minutes",
        default="15,30,60,120",
        help="film lengths for --memory (default 15,30,60,120)",
    )
    parser.add_argument(
        "--memory-height", type=int, default=1080, help="picture height for --memory (default 1080)"
    )
    args = parser.parse_args(argv)  # fmt: skip
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    old = Path(args.output).read_text() if args.output != "-" and Path(args.output).exists() else ""
    compileall.compile_dir(ROOT / "clipindex", quiet=1)
    if args.memory:
        minutes = [float(m) for m in args.memory_minutes.split(",")]
        section = measure_memory([args.memory_height], minutes, work)
        return _write(args.output, with_section(old, section) if old else section)
    if args.quick:
        plan = [(180, 0.1, 1)]
    else:
        heights = [int(h) for h in args.heights.split(",")]
        minutes = [float(m) for m in args.minutes.split(",")]
        longest = max(minutes)
        plan = [(h, m, rounds_for(m, longest, args.rounds)) for h in heights for m in minutes]
    clips = [(make_clip(work, height, minutes), rounds) for height, minutes, rounds in plan]
    runs = measure(clips, work)
    page = report([(clip, clip_runs) for (clip, _), clip_runs in zip(clips, runs, strict=True)])
    kept = section_of(old, MEMORY_HEADING)
    return _write(args.output, with_section(page, kept) if kept else page)


def _write(output: str, page: str) -> int:
    if output == "-":
        sys.stdout.write(page)
    else:
        Path(output).write_text(page)
        print(f"benchmark: wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
