"""Fetch the real recordings of the music evaluation: each Debian package, its tracks, checked.

Run from the repository's root::

    python benchmarks/corpus/fetch_music.py                      # every track of music.toml
    python benchmarks/corpus/fetch_music.py --package neverball-common
    python benchmarks/corpus/fetch_music.py --list               # what is fetched already

Packages are named in ``music.toml`` by name and exact version, with the .deb's SHA-256. Each is
fetched with ``apt-get download NAME=VERSION`` where apt has it, or else from the Debian archive's
pool (then its snapshot) by its path; the .deb is checked, its tracks are taken out of it (a .deb
is an ``ar`` archive holding ``data.tar.xz``: read with the standard library) and each is checked
against its own SHA-256 before it goes into the cache, ``$CLIPINDEX_CORPUS_CACHE/music`` (default
``~/.cache/clipindex/corpus/music``); the .deb itself is not kept. Tracks from ../shared/media are
checked where they are and never copied. Nothing is written in the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from clipindex.files import sha256_of  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
MUSIC = HERE / "music.toml"
SHARED_MEDIA = HERE.parents[2] / "shared" / "media"
CACHE = (
    Path(os.environ.get("CLIPINDEX_CORPUS_CACHE", Path.home() / ".cache" / "clipindex" / "corpus"))
    / "music"
)
MIRRORS = (
    "http://deb.debian.org/debian/",
    "http://snapshot.debian.org/archive/debian/20250520T000000Z/",
)
"""Where a package's pool path is fetched from when apt-get cannot get it."""


def load_manifest() -> dict:
    """``music.toml``: its packages and tracks."""
    return tomllib.loads(MUSIC.read_text(encoding="utf-8"))


def track_path(key: str, track: dict) -> Path:
    """Where track ``key`` is read from: ../shared/media, or the cache."""
    if "shared" in track:
        return SHARED_MEDIA / track["shared"]
    return CACHE / f"{key}{Path(track['member']).suffix}"


def is_fetched(key: str, track: dict) -> bool:
    """Whether the track is where :func:`track_path` says (its checksum is checked on fetching)."""
    return track_path(key, track).exists()


def _apt_get_download(name: str, version: str, work: Path) -> Path | None:
    """The .deb as apt-get downloads it, or None when apt-get is absent or does not have it."""
    if shutil.which("apt-get") is None:
        return None
    done = subprocess.run(
        ["apt-get", "download", "-q", f"{name}={version}"], cwd=work, capture_output=True
    )
    found = sorted(work.glob(f"{name}_*.deb"))
    return found[0] if done.returncode == 0 and found else None


def _from_pool(pool: str, work: Path) -> Path:
    """The .deb fetched by its pool path from the archive, or from its snapshot."""
    target = work / Path(pool).name
    errors = []
    for mirror in MIRRORS:
        try:
            with urllib.request.urlopen(mirror + pool, timeout=60) as response:
                with target.open("wb") as out:
                    shutil.copyfileobj(response, out)
            return target
        except OSError as exc:
            errors.append(f"{mirror}: {exc}")
    raise SystemExit(f"cannot fetch {pool}: " + "; ".join(errors))


def fetch_deb(name: str, package: dict, work: Path) -> Path:
    """Package ``name`` at its version as a checked .deb in ``work``."""
    print(f"fetching {name} {package['version']} ({package['size'] / 1e6:.0f} MB)", file=sys.stderr)
    deb = _apt_get_download(name, package["version"], work) or _from_pool(package["pool"], work)
    got = sha256_of(deb)
    if got != package["sha256"]:
        raise SystemExit(f"{name}: {deb.name} has SHA-256 {got}, not {package['sha256']}")
    return deb


def deb_members(deb: Path, wanted: set[str]) -> dict[str, bytes]:
    """The files ``wanted`` (paths without a leading ``./``) of a .deb's data archive."""
    with deb.open("rb") as file:
        if file.read(8) != b"!<arch>\n":
            raise SystemExit(f"{deb.name}: not a Debian package")
        while header := file.read(60):
            member = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode())
            body = file.read(size)
            file.read(size % 2)  # ar pads each member to an even length
            if member.startswith("data.tar"):
                return _from_tar(body, wanted, deb.name)
    raise SystemExit(f"{deb.name}: no data archive")


def _from_tar(archive: bytes, wanted: set[str], what: str) -> dict[str, bytes]:
    found = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
        for info in tar:
            name = info.name.removeprefix("./")
            if name in wanted and info.isfile():
                extracted = tar.extractfile(info)
                assert extracted is not None
                found[name] = extracted.read()
    missing = wanted - set(found)
    if missing:
        raise SystemExit(f"{what}: has no {', '.join(sorted(missing))}")
    return found


def fetch(packages: list[str] | None = None) -> int:
    """Fetch every track (or those of the packages named); returns the number not available."""
    manifest = load_manifest()
    tracks = manifest["track"]
    failed = 0
    for key, track in tracks.items():
        if "shared" in track and not packages:
            path = track_path(key, track)
            if not path.exists():
                print(f"{key}: {path} is absent (../shared/media)", file=sys.stderr)
                failed += 1
            elif sha256_of(path) != track["sha256"]:
                print(f"{key}: {path} is not the recording listed", file=sys.stderr)
                failed += 1
    for name, package in manifest["package"].items():
        if packages and name not in packages:
            continue
        mine = {k: t for k, t in tracks.items() if t.get("package") == name}
        todo = {k: t for k, t in mine.items() if not _cached(k, t)}
        if not todo:
            print(f"{name}: up to date ({len(mine)} tracks)", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as work:
            deb = fetch_deb(name, package, Path(work))
            files = deb_members(deb, {t["member"] for t in todo.values()})
        for key, track in todo.items():
            data = files[track["member"]]
            got = hashlib.sha256(data).hexdigest()
            if got != track["sha256"]:
                print(f"{key}: SHA-256 {got}, not {track['sha256']}; not used", file=sys.stderr)
                failed += 1
                continue
            target = track_path(key, track)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            partial.write_bytes(data)
            partial.replace(target)
        print(f"{name}: fetched {len(todo)} tracks", file=sys.stderr)
    return failed


def _cached(key: str, track: dict) -> bool:
    path = track_path(key, track)
    return path.exists() and sha256_of(path) == track["sha256"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--package", action="append", help="only this package's tracks (may be repeated)"
    )
    parser.add_argument("--list", action="store_true", help="list the tracks and whether fetched")
    args = parser.parse_args(argv)
    if args.list:
        for key, track in load_manifest()["track"].items():
            where = track.get("package", "../shared/media")
            state = "fetched" if is_fetched(key, track) else "not fetched"
            print(f"{key} ({where}): {state}")
        return 0
    return 1 if fetch(args.package) else 0


if __name__ == "__main__":
    sys.exit(main())
