"""Test montages with known musical segments, built from the real recordings in ../shared/media.

Each montage is a video from ../shared/media with a new soundtrack: excerpts of the shared music
files, each brought to the same loudness (EBU R128, measured by ffmpeg's ``ebur128``), joined
end to end, with a cross-fade or silence between them when asked, the film's own sound 12 LU
under the music and a few blows and noise bursts over it. Everything is deterministic, so the truth
file written beside each montage (the samples' truth format) holds the exact hand-overs, gaps,
tracks and offsets into the recordings.

Run it to build every montage into a folder::

    python benchmarks/montages.py /tmp/montages

or call :func:`build` from a test with a temporary folder. Nothing from ../shared/media is copied:
the credits files name the recordings where they are.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from clipindex import ffmpeg

MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"
SR = 44100
"""Sample rate of the montages' sound, in Hz."""
MUSIC_LUFS = -20.0
"""Loudness every excerpt is brought to."""
FILM_SOUND_LU = -12.0
"""Loudness of the film's own sound relative to the music."""
EFFECT_SEED = 7


@dataclass(frozen=True)
class Recording:
    """A shared music file and its credits."""

    file: str
    title: str
    performer: str
    album: str


RECORDINGS = {
    "vibe": Recording(
        "Kevin_MacLeod_-_Vibe_Ace.hq.ogg", "Vibe Ace", "Kevin MacLeod", "Jazz Sampler"
    ),
    "fishin": Recording(
        "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg",
        "Let's Go Fishin'",
        "Karissa Hobbs",
        "Age of Flowers",
    ),
    "sugar_plum": Recording(
        "Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy.hq.ogg",
        "Dance of the Sugar Plum Fairy",
        "Kevin MacLeod",
        "Classical Sampler",
    ),
}

BBB_CUTS_S = (11.795, 15.67, 22.961)
"""Hard cuts of big_buck_bunny_0_30.webm (its truth file); the video repeats every 30 s."""


@dataclass(frozen=True)
class Part:
    """One excerpt: recording ``track`` from ``from_s`` plays in the montage from ``at_s`` to
    ``until_s`` (the middles of the cross-fades around it, if any)."""

    track: str
    from_s: float
    at_s: float
    until_s: float


@dataclass(frozen=True)
class Montage:
    """A soundtrack plan over a shared video."""

    name: str
    what: str
    video: str
    duration_s: float
    parts: tuple[Part, ...]
    crossfade_s: float = 0.0
    film_sound: bool = True
    thuds_s: tuple[float, ...] = ()
    bursts_s: tuple[float, ...] = ()
    """Starts of 0.2 s noise bursts as loud as the music."""
    credited: tuple[str, ...] | None = None
    """Tracks in the order the credits list them (default: the playing order)."""

    @property
    def playing(self) -> list[str]:
        return [part.track for part in self.parts]

    def credits_order(self, with_audio: bool) -> list[str]:
        """Credited tracks: as ``credited`` says with reference recordings (they identify the
        tracks, so a wrong order or a track listed once for two plays is the point); without,
        the playing order (credits order is all there is then)."""
        if with_audio and self.credited is not None:
            return list(self.credited)
        return self.playing

    def gaps(self) -> list[tuple[float, float]]:
        """Stretches without music: before the first part, between parts, after the last."""
        edges = [0.0]
        for part in self.parts:
            edges += [part.at_s, part.until_s]
        edges.append(self.duration_s)
        pairs = zip(edges[0::2], edges[1::2], strict=True)
        return [(round(a, 3), round(b, 3)) for a, b in pairs if b - a > 1e-6]


MONTAGES = (
    Montage(
        "switch-on-cut",
        "two songs switch on a hard cut, blows either side",
        "big_buck_bunny_0_30.webm",
        45.0,
        (Part("fishin", 40.0, 0.0, 22.961), Part("vibe", 10.0, 22.961, 45.0)),
        thuds_s=(22.4, 23.5),
    ),
    Montage(
        "switch-between-cuts",
        "switch 0.6 s before a cut, a noise burst ending on it",
        "big_buck_bunny_0_30.webm",
        45.0,
        (Part("vibe", 30.0, 0.0, 22.36), Part("sugar_plum", 50.0, 22.36, 45.0)),
        bursts_s=(22.16,),
    ),
    Montage(
        "three-tracks",
        "three songs, one switch between cuts, one on a cut",
        "big_buck_bunny_0_30.webm",
        75.0,
        (
            Part("sugar_plum", 3.0, 0.0, 24.0),
            Part("fishin", 70.0, 24.0, 52.961),
            Part("vibe", 0.0, 52.961, 75.0),
        ),
        thuds_s=(23.8, 52.7),
    ),
    Montage(
        "crossfade",
        "two songs cross-fade over 3 s",
        "big_buck_bunny_0_30.webm",
        50.0,
        (Part("vibe", 20.0, 0.0, 25.0), Part("fishin", 90.0, 25.0, 50.0)),
        crossfade_s=3.0,
    ),
    Montage(
        "silent-gap",
        "silence before, between (with a blow and a burst) and after the songs",
        "testvideo.mp4",
        50.0,
        (Part("fishin", 5.0, 2.5, 22.0), Part("vibe", 35.0, 26.0, 47.0)),
        film_sound=False,
        thuds_s=(23.0,),
        bursts_s=(24.5,),
    ),
    Montage(
        "wrong-order",
        "three songs; the credits list them in another order",
        "big_buck_bunny_0_30.webm",
        60.0,
        (
            Part("vibe", 5.0, 0.0, 20.0),
            Part("sugar_plum", 30.0, 20.0, 40.0),
            Part("fishin", 20.0, 40.0, 60.0),
        ),
        credited=("fishin", "vibe", "sugar_plum"),
    ),
    Montage(
        "repeated-track",
        "a song comes back after another; the credits list it once",
        "big_buck_bunny_0_30.webm",
        60.0,
        (
            Part("fishin", 10.0, 0.0, 20.0),
            Part("vibe", 15.0, 20.0, 40.0),
            Part("fishin", 60.0, 40.0, 60.0),
        ),
        credited=("fishin", "vibe"),
    ),
)


@dataclass(frozen=True)
class Built:
    """A montage on disk: the video, its truth, and credits with and without reference audio."""

    montage: Montage
    video: Path
    truth: Path
    credits_with_audio: Path
    credits_without_audio: Path


# ---------------------------------------------------------------------------------------------
# Sound.
# ---------------------------------------------------------------------------------------------


def _run(args: list[str], what: str) -> subprocess.CompletedProcess[bytes]:
    return ffmpeg.run([ffmpeg.executable(), "-hide_banner", "-nostdin", *args], what=what)


@cache
def _decode(path: Path) -> np.ndarray:
    """All of a file's first audio stream as (n, 2) float32 samples at ``SR``."""
    out = _run(
        ["-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "f32le", "-ac", "2", "-ar", str(SR),
         "-"],
        f"cannot decode {path}",
    )  # fmt: skip
    return np.frombuffer(out.stdout, "<f4").reshape(-1, 2)


def integrated_lufs(samples: np.ndarray, sr: int = SR) -> float:
    """EBU R128 integrated loudness of (n, channels) samples, measured by ffmpeg's ``ebur128``."""
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "sound.wav"
        wavfile.write(wav, sr, np.asarray(samples, np.float32))
        log = _run(
            ["-v", "info", "-i", str(wav), "-af", "ebur128", "-f", "null", "-"],
            "cannot measure loudness",
        ).stderr.decode("utf-8", "replace")
    summary = log[log.rindex("Summary:") :]
    return float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))


def _thud(sr: int) -> np.ndarray:
    """A body blow: a 0.3 s low thump falling from 105 to 55 Hz, peak 1."""
    t = np.arange(round(0.3 * sr)) / sr
    hz = 55 + 50 * np.exp(-t / 0.02)
    sound = np.sin(2 * np.pi * np.cumsum(hz) / sr) * np.minimum(t / 0.002, 1) * np.exp(-t / 0.08)
    return sound / np.max(np.abs(sound))


def _excerpt(montage: Montage, number: int) -> tuple[np.ndarray, int]:
    """Part ``number``'s sound with its fades, at ``MUSIC_LUFS``, and its first sample's index."""
    part = montage.parts[number]
    recording = _decode(MEDIA / RECORDINGS[part.track].file)
    half = montage.crossfade_s / 2
    fade_in = half if number > 0 and montage.parts[number - 1].until_s == part.at_s else 0.0
    following = number + 1 < len(montage.parts)
    fade_out = half if following and montage.parts[number + 1].at_s == part.until_s else 0.0
    return level_and_fade(recording, part, fade_in, fade_out, f"{montage.name}: part {number}")


def level_and_fade(
    recording: np.ndarray,
    part,
    fade_in_s: float,
    fade_out_s: float,
    name: str,
    equal_power: bool = False,
) -> tuple[np.ndarray, int]:
    """A part's stretch of its recording (``part.from_s`` on, playing ``part.at_s`` to
    ``part.until_s`` in the montage, widened by half a cross-fade each side), at
    ``MUSIC_LUFS``, ramped in and out over twice ``fade_in_s`` and ``fade_out_s`` (linear, or
    with ``equal_power`` sine and cosine ramps); and its first sample's index in the montage."""
    first = round((part.from_s - fade_in_s) * SR)
    n = round((part.until_s + fade_out_s - part.at_s + fade_in_s) * SR)
    if first < 0 or first + n > len(recording):
        raise ValueError(f"{name} runs outside its recording")
    sound = recording[first : first + n].astype(np.float64)
    sound *= 10 ** ((MUSIC_LUFS - integrated_lufs(sound)) / 20)
    gain = np.ones(n)
    top = np.pi / 2 if equal_power else 1.0
    if fade_in_s:
        ramp = np.linspace(0.0, top, round(2 * fade_in_s * SR))
        gain[: len(ramp)] = np.sin(ramp) if equal_power else ramp
    if fade_out_s:
        ramp = round(2 * fade_out_s * SR)
        fall = np.cos(np.linspace(0.0, top, ramp)) if equal_power else np.linspace(1.0, 0.0, ramp)
        gain[n - ramp :] = fall
    return sound * gain[:, None], round((part.at_s - fade_in_s) * SR)


def soundtrack(montage: Montage) -> np.ndarray:
    """The montage's sound, (n, 2) float32 at ``SR``."""
    n = round(montage.duration_s * SR)
    mix = np.zeros((n, 2))
    for number in range(len(montage.parts)):
        sound, start = _excerpt(montage, number)
        mix[start : start + len(sound)] += sound[: n - start]
    if montage.film_sound:
        film = _decode(MEDIA / montage.video).astype(np.float64)
        film = np.tile(film, (int(np.ceil(n / len(film))), 1))[:n]
        film *= 10 ** ((MUSIC_LUFS + FILM_SOUND_LU - integrated_lufs(film)) / 20)
        mix += film
    rng = np.random.default_rng(EFFECT_SEED)
    peak = float(np.max(np.abs(mix)))
    level = 10 ** (MUSIC_LUFS / 20)
    thud = _thud(SR)
    for at in montage.thuds_s:
        i = round(at * SR)
        mix[i : i + len(thud)] += (peak * thud)[: n - i, None]
    burst_n = round(0.2 * SR)
    for at in montage.bursts_s:
        i = round(at * SR)
        noise = rng.standard_normal((burst_n, 2)) * np.hanning(burst_n)[:, None]
        mix[i : i + burst_n] += noise * level / np.sqrt(np.mean(noise**2))
    return mix.astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Files.
# ---------------------------------------------------------------------------------------------


def truth(montage: Montage, video_name: str) -> dict:
    """The montage's truth in the samples' format, with its gaps as ``music_gaps``."""
    boundaries = [part.at_s for part in montage.parts[1:]]
    return {
        "file": video_name,
        "truth_source": "constructed by benchmarks/montages.py",
        "what": montage.what,
        "music_boundaries": boundaries,
        "music_crossfade_s": montage.crossfade_s,
        "music_gaps": [{"start_s": a, "end_s": b} for a, b in montage.gaps()],
        "tracks": [RECORDINGS[track].title for track in montage.playing],
        "track_files": [RECORDINGS[track].file for track in montage.playing],
        "track_offsets_s": [part.from_s for part in montage.parts],
    }


def credits_toml(montage: Montage, with_audio: bool) -> str:
    """A credits file naming the montage's tracks, each with its recording if ``with_audio``."""
    lines = [f'title = "Test montage: {montage.name}"', ""]
    for key in montage.credits_order(with_audio):
        recording = RECORDINGS[key]
        lines += [
            "[[tracks]]",
            f'title = "{recording.title}"',
            f'performers = ["{recording.performer}"]',
            f'album = "{recording.album}"',
        ]
        if with_audio:  # a copy beside the credits file (see build): credits name only those
            lines.append(f'audio = "{recording.file}"')
        lines.append("")
    return "\n".join(lines)


_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", "-threads", "2",
         "-pix_fmt", "yuv420p"]  # fmt: skip


def _small_video(name: str, folder: Path) -> Path:
    """Shared video ``name`` at 426x240 and 24 fps without sound, made once per folder."""
    small = folder / f"source-{Path(name).stem}.mp4"
    if not small.exists():
        _run(
            ["-v", "error", "-y", "-i", str(MEDIA / name), "-map", "0:v:0",
             "-vf", "scale=426:240,fps=24", *_X264, "-fflags", "+bitexact", str(small)],
            f"cannot scale {name}",
        )  # fmt: skip
    return small


def build(montage: Montage, folder: Path) -> Built:
    """Write ``NAME.mp4``, its truth and its two credits files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / f"{montage.name}.mp4"
    wav = folder / f"{montage.name}.wav"
    wavfile.write(wav, SR, soundtrack(montage))
    _run(
        ["-v", "error", "-y", "-stream_loop", "-1", "-i", str(_small_video(montage.video, folder)),
         "-i", str(wav), "-map", "0:v:0", "-map", "1:a:0", "-t", f"{montage.duration_s}",
         *_X264, "-c:a", "aac", "-b:a", "160k", "-fflags", "+bitexact", "-map_metadata", "-1",
         str(video)],
        f"cannot build {video}",
    )  # fmt: skip
    wav.unlink()
    truth_path = folder / f"{montage.name}.mp4.truth.json"
    truth_path.write_text(json.dumps(truth(montage, video.name), indent=1) + "\n")
    with_audio = folder / f"{montage.name}.credits.toml"
    with_audio.write_text(credits_toml(montage, with_audio=True))
    for key in montage.credits_order(True):
        copy_recording(RECORDINGS[key].file, folder)
    without = folder / f"{montage.name}.noaudio.credits.toml"
    without.write_text(credits_toml(montage, with_audio=False))
    return Built(montage, video, truth_path, with_audio, without)


def build_all(folder: Path, names: Iterable[str] | None = None) -> list[Built]:
    """Build the montages called ``names`` (default: all) into ``folder``."""
    wanted = set(names) if names is not None else None
    return [build(m, folder) for m in MONTAGES if wanted is None or m.name in wanted]


def copy_recording(name: str, folder: Path) -> Path:
    """A copy of the shared recording ``name`` in ``folder``, where a credits file may name it
    (a reference recording must sit in the credits file's folder)."""
    copy = folder / name
    if not copy.exists():
        shutil.copyfile(MEDIA / name, copy)
    return copy


def media_available() -> bool:
    """Whether ../shared/media holds every file the montages are built from."""
    files = [r.file for r in RECORDINGS.values()] + [m.video for m in MONTAGES]
    return all((MEDIA / name).exists() for name in files)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "montages")
    for built in build_all(out):
        print(built.video)
