"""The real music evaluation's montages: real recordings over real footage, with their truth.

Each montage of ``corpus/music-montages.toml`` is a stretch of real footage from ../shared/media
(Big Buck Bunny, whose cuts are hand-checked) with a new soundtrack: excerpts of the real
recordings of ``corpus/music.toml`` (fetched by ``corpus/fetch_music.py``), each brought to the
same loudness (EBU R128, measured by ffmpeg's ``ebur128``), joined by switches, cross-fades of
1-4 s (equal-power, centred on the hand-over) or gaps, with the film's own sound 12 LU under the
music throughout. The build is deterministic, so the truth written beside each montage holds the
exact hand-overs, their kind, cross-fade spans, whether each falls on a cut, the gaps, and each
segment's track and offset into its recording.

Build them all into a folder (fetching what is missing first)::

    python benchmarks/corpus/fetch_music.py
    python benchmarks/real_montages.py /tmp/real-montages

Nothing is copied from ../shared/media or the cache: credits name the recordings where they are.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from scipy.io import wavfile

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
import fetch_music  # noqa: E402  (the corpus's fetch script)
import montages  # noqa: E402  (decoding and loudness, shared with the synthetic montages)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MONTAGES_TOML = Path(__file__).resolve().parent / "corpus" / "music-montages.toml"
MEDIA = montages.MEDIA
SR = montages.SR
FRAME_S = 1 / 24
"""One frame of the footage (all of it is 24 fps): a hand-over within half of it is on a cut."""


@dataclass(frozen=True)
class Recording:
    """A real recording of ``music.toml``: where it is read from and its credits."""

    key: str
    path: Path
    title: str
    performer: str
    album: str
    style: str
    bpm: float
    vocals: bool
    source: str
    """The Debian package and version it comes from, or ../shared/media."""


@dataclass(frozen=True)
class Part:
    """Recording ``track`` from ``from_s`` plays in the montage from ``at_s`` to ``until_s``;
    ``crossfade_s`` is the cross-fade into it (0: a switch), centred on ``at_s``."""

    track: str
    from_s: float
    at_s: float
    until_s: float
    crossfade_s: float = 0.0


@dataclass(frozen=True)
class RealMontage:
    """A soundtrack plan over a stretch of real footage that starts at its first frame."""

    name: str
    what: str
    footage: str
    duration_s: float
    parts: tuple[Part, ...]

    def follows(self, number: int) -> bool:
        """Whether part ``number`` starts where the one before ends (a hand-over, not a gap)."""
        return number > 0 and abs(self.parts[number - 1].until_s - self.parts[number].at_s) < 1e-6

    def gaps(self) -> list[tuple[float, float]]:
        """Stretches without music: before the first part, between parts, after the last."""
        edges = [0.0]
        for part in self.parts:
            edges += [part.at_s, part.until_s]
        edges.append(self.duration_s)
        pairs = zip(edges[0::2], edges[1::2], strict=True)
        return [(round(a, 3), round(b, 3)) for a, b in pairs if b - a > 1e-6]


@dataclass(frozen=True)
class Built:
    """A montage on disk: the video, its truth, and credits with and without reference audio."""

    montage: RealMontage
    video: Path
    truth: Path
    credits_with_audio: Path
    credits_without_audio: Path


@cache
def recordings() -> dict[str, Recording]:
    """Every recording of ``music.toml``, by key (fetched or not)."""
    manifest = fetch_music.load_manifest()
    found = {}
    for key, track in manifest["track"].items():
        if "package" in track:
            package = track["package"]
            source = f"{package} {manifest['package'][package]['version']}"
        else:
            source = "../shared/media"
        found[key] = Recording(
            key,
            fetch_music.track_path(key, track),
            track["title"],
            track["performer"],
            track["album"],
            track["style"],
            float(track["bpm"]),
            bool(track.get("vocals", False)),
            source,
        )
    return found


def load_montages() -> list[RealMontage]:
    """The montages of ``music-montages.toml``, checked against the recordings they name."""
    known = recordings()
    found = []
    for spec in tomllib.loads(MONTAGES_TOML.read_text(encoding="utf-8"))["montage"]:
        parts = tuple(Part(**part) for part in spec["parts"])
        for part in parts:
            if part.track not in known:
                raise ValueError(f"{spec['name']}: no recording {part.track!r} in music.toml")
        found.append(
            RealMontage(spec["name"], spec["what"], spec["footage"], spec["duration_s"], parts)
        )
    return found


def footage_cuts_s(montage: RealMontage) -> list[float]:
    """The footage's hand-checked hard cuts inside the montage, in seconds."""
    truth = json.loads((MEDIA / f"{montage.footage}.truth.json").read_text())
    return [c["time_s"] for c in truth["hard_cuts"] if c["time_s"] < montage.duration_s]


def handovers(montage: RealMontage) -> list[dict]:
    """Each hand-over (a part that starts where the one before ends): its time, kind, the span
    of its cross-fade, whether it is on a cut, and the two recordings."""
    known = recordings()
    cuts = footage_cuts_s(montage)
    found = []
    for number, part in enumerate(montage.parts):
        if not montage.follows(number):
            continue
        before = known[montage.parts[number - 1].track]
        after = known[part.track]
        nearest = min(cuts, key=lambda cut: abs(cut - part.at_s))
        half = part.crossfade_s / 2
        found.append(
            {
                "time_s": part.at_s,
                "kind": "crossfade" if part.crossfade_s > 0 else "switch",
                "crossfade_s": part.crossfade_s,
                "span_s": [round(part.at_s - half, 6), round(part.at_s + half, 6)],
                "on_cut": abs(nearest - part.at_s) <= FRAME_S / 2,
                "nearest_cut_s": nearest,
                "from": before.key,
                "to": after.key,
                "same_performer": before.performer == after.performer,
            }
        )
    return found


# ---------------------------------------------------------------------------------------------
# Sound.
# ---------------------------------------------------------------------------------------------


def _excerpt(montage: RealMontage, number: int) -> tuple[np.ndarray, int]:
    """Part ``number``'s sound with its cross-fade ramps, at ``MUSIC_LUFS``, and the index of
    its first sample in the montage."""
    part = montage.parts[number]
    recording = montages._decode(recordings()[part.track].path)
    fade_in = part.crossfade_s / 2 if montage.follows(number) else 0.0
    following = number + 1 < len(montage.parts) and montage.follows(number + 1)
    fade_out = montage.parts[number + 1].crossfade_s / 2 if following else 0.0
    name = f"{montage.name}: part {number}"
    return montages.level_and_fade(recording, part, fade_in, fade_out, name, equal_power=True)


def soundtrack(montage: RealMontage) -> np.ndarray:
    """The montage's sound, (n, 2) float32 at ``SR``: the music over the film's own sound."""
    n = round(montage.duration_s * SR)
    mix = np.zeros((n, 2))
    for number in range(len(montage.parts)):
        sound, start = _excerpt(montage, number)
        mix[start : start + len(sound)] += sound[: n - start]
    film = montages._decode(MEDIA / montage.footage)[:n].astype(np.float64)
    if len(film) < n:
        raise ValueError(f"{montage.name}: the footage is shorter than {montage.duration_s} s")
    film *= 10 ** (
        (montages.MUSIC_LUFS + montages.FILM_SOUND_LU - montages.integrated_lufs(film)) / 20
    )
    return (mix + film).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Files.
# ---------------------------------------------------------------------------------------------


def truth(montage: RealMontage, video_name: str) -> dict:
    """The montage's truth: the samples' format (``music_boundaries`` are the starts of every
    segment but the first, ``music_gaps``, ``tracks``, ``track_offsets_s``), ``handovers`` and
    ``segments`` (each part's span, title and offset into its recording)."""
    known = recordings()
    return {
        "file": video_name,
        "truth_source": "constructed by benchmarks/real_montages.py from "
        "benchmarks/corpus/music-montages.toml",
        "what": montage.what,
        "footage": montage.footage,
        "hard_cuts_s": footage_cuts_s(montage),
        "music_boundaries": [part.at_s for part in montage.parts[1:]],
        "handovers": handovers(montage),
        "music_gaps": [{"start_s": a, "end_s": b} for a, b in montage.gaps()],
        "segments": [
            {
                "start_s": part.at_s,
                "end_s": part.until_s,
                "title": known[part.track].title,
                "offset_s": part.from_s,
            }
            for part in montage.parts
        ],
        "tracks": [known[part.track].title for part in montage.parts],
        "track_keys": [part.track for part in montage.parts],
        "track_offsets_s": [part.from_s for part in montage.parts],
    }


def credits_toml(montage: RealMontage, with_audio: bool) -> str:
    """Credits naming the montage's tracks in playing order, each with its recording if
    ``with_audio``: ``recordings/FILE`` beside the credits (where :func:`build` puts them, as
    clipindex reads recordings only from the credits file's folder)."""
    known = recordings()
    lines = [f'title = "Real music montage: {montage.name}"', ""]
    for part in montage.parts:
        recording = known[part.track]
        lines += [
            "[[tracks]]",
            f"title = {json.dumps(recording.title)}",
            f"performers = [{json.dumps(recording.performer)}]",
            f"album = {json.dumps(recording.album)}",
        ]
        if with_audio:
            lines.append(f"audio = {json.dumps('recordings/' + recording.path.name)}")
        lines.append("")
    return "\n".join(lines)


def missing(montage: RealMontage) -> list[str]:
    """The files the montage is built from that are not there (recordings not fetched yet,
    footage when ../shared/media is absent)."""
    known = recordings()
    paths = [MEDIA / montage.footage] + [known[part.track].path for part in montage.parts]
    return [str(path) for path in paths if not path.exists()]


def packages(montage: RealMontage) -> list[str]:
    """The Debian packages the montage's recordings come from."""
    tracks = fetch_music.load_manifest()["track"]
    return sorted(
        {tracks[p.track]["package"] for p in montage.parts if "package" in tracks[p.track]}
    )


def build(montage: RealMontage, folder: Path) -> Built:
    """Write ``NAME.mp4``, its truth and its two credits files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / f"{montage.name}.mp4"
    wav = folder / f"{montage.name}.wav"
    wavfile.write(wav, SR, soundtrack(montage))
    montages._run(
        ["-v", "error", "-y", "-i", str(MEDIA / montage.footage), "-i", str(wav),
         "-map", "0:v:0", "-map", "1:a:0", "-t", f"{montage.duration_s}",
         "-vf", "scale=426:240,fps=24", *montages._X264, "-c:a", "aac", "-b:a", "160k",
         "-fflags", "+bitexact", "-map_metadata", "-1", str(video)],
        f"cannot build {video}",
    )  # fmt: skip
    wav.unlink()
    truth_path = folder / f"{montage.name}.mp4.truth.json"
    truth_path.write_text(json.dumps(truth(montage, video.name), indent=1) + "\n")
    beside = folder / "recordings"
    beside.mkdir(exist_ok=True)
    for part in montage.parts:
        recording = recordings()[part.track].path
        if not (beside / recording.name).exists():
            try:
                os.link(recording, beside / recording.name)
            except OSError:  # another file system
                shutil.copyfile(recording, beside / recording.name)
    with_audio = folder / f"{montage.name}.credits.toml"
    with_audio.write_text(credits_toml(montage, with_audio=True))
    without = folder / f"{montage.name}.noaudio.credits.toml"
    without.write_text(credits_toml(montage, with_audio=False))
    return Built(montage, video, truth_path, with_audio, without)


def build_all(folder: Path, names: Iterable[str] | None = None) -> list[Built]:
    """Build the montages called ``names`` (default: all) into ``folder``."""
    wanted = set(names) if names is not None else None
    return [build(m, folder) for m in load_montages() if wanted is None or m.name in wanted]


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "real-montages")
    for built in build_all(out, sys.argv[2:] or None):
        print(built.video)
