"""Build the bundled sample montage and its truth file.

Run ``python samples/make_sample.py [--out DIR]`` to (re)build, in ``samples/`` by default:

- ``training-montage.mp4``: 75 s, 640x360 at 24 fps (H.264) with AAC sound. It stands in for a
  montage joining the two training sequences of *Rocky IV*: the farm-in-the-snow sequence over
  "Training Montage", then the mountain sequence over "Hearts on Fire". It is what the README's
  main command runs on, so every feature below is something clipindex must get right on a real
  montage:

  - many hard cuts, with bursts of shots only 3-8 frames long, as montages are cut on the beat;
  - driving snow smeared by motion blur, which keeps every frame of those shots changing;
  - a white flash (a photographer's flash) inside one shot, and a fast pan across a still
    panorama inside another: big picture changes that are not cuts;
  - a fade to black followed by a fade in from black, which is not a hard cut either;
  - two songs that switch, without a cross-fade, exactly on a hard cut at 41.75 s, with two more
    cuts half a second either side so that "the nearest cut" has to be the right one;
  - a section change inside each song (new chords under a driving bass; a chorus) that is not
    the hand-over;
  - punches on a bag and wind in the snow mixed under the music across the hand-over, and a few
    punches elsewhere, that the music analysis must not take for the music.

- ``training-montage.truth.json``: what the video holds, in the format of the project's real test
  media (``../shared/media/README.md``). It is derived from the shot list below, not measured.
  Hard cuts are the first frame of each new shot; a shot that fades out to black followed by one
  that fades in from black is not a cut. The spans of gradual transitions and no-cut traps are
  inclusive and cover exactly the frames that differ from the frame before them because of the
  effect (the frames a frame-difference detector could flag): a fade-out runs to its first black
  frame, a fade-in to its first frame at full brightness, a flash and a pan to the first frame
  that shows the shot at rest again.

The pictures are ffmpeg's synthetic sources (fractals, test patterns, cellular automata,
gradients) and the music is synthesised here, so the sample carries no third-party material.
The output is byte-identical from run to run with the same ffmpeg binary: every random source
has a fixed seed and the encoders run single-threaded in bit-exact mode.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal
from scipy.io import wavfile

from clipindex import ffmpeg

NAME = "training-montage"
WIDTH, HEIGHT, FPS = 640, 360, 24
SAMPLE_RATE = 44100
TRACKS = ("Training Montage", "Hearts on Fire")
MAX_BYTES = 5_000_000

# ---------------------------------------------------------------------------------------------
# Pictures: each function returns an ffmpeg source chain that yields WIDTHxHEIGHT frames at FPS.
# ---------------------------------------------------------------------------------------------

SIZE = f"s={WIDTH}x{HEIGHT}:r={FPS}"
STILL = f"trim=end_frame=1,loop=loop=-1:size=1,setpts=N/({FPS}*TB)"
"""Turns a source's first frame into an endless still."""


def fractal(x: float, y: float, scale: float, hue: int) -> str:
    """A Mandelbrot detail with the view drifting slowly across it, colours turned by ``hue``."""
    return (
        f"mandelbrot=s=800x450:r={FPS}:maxiter=200:start_x={x}:start_y={y}"
        f":start_scale={scale}:end_scale={scale},{STILL},"
        f"crop={WIDTH}:{HEIGHT}:x='n*3/2':y='n*3/4',hue=h={hue}"
    )


def pattern(hue: int) -> str:
    """The moving ``testsrc2`` test card, colours turned by ``hue`` degrees."""
    return f"testsrc2={SIZE},hue=h={hue}"


def bars(hue: int, negate: bool = False) -> str:
    """SMPTE colour bars, turned by ``hue`` degrees and optionally in negative."""
    return f"smptebars={SIZE},hue=h={hue}" + (",negate" if negate else "")


def stripes() -> str:
    """The red, green and blue ``rgbtestsrc`` stripes."""
    return f"rgbtestsrc={SIZE}"


def life(seed: int, live: str, dead: str) -> str:
    """Conway's game of life in coarse cells, living cells ``live`` on ``dead``.

    The first two seconds, while the random start settles, are skipped.
    """
    return (
        f"life=s=160x90:r={FPS}:seed={seed}:ratio=0.35:mold=8:life_color={live}"
        f":death_color={dead}:mold_color={dead},scale={WIDTH}:{HEIGHT}:flags=neighbor,"
        f"trim=start_frame={2 * FPS},setpts=PTS-STARTPTS"
    )


def rgb(colour: str) -> tuple[int, int, int]:
    """The red, green and blue of a ``0xRRGGBB`` colour."""
    value = int(colour, 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def cells(rule: int, seed: int, dark: str, light: str) -> str:
    """A scrolling elementary cellular automaton in two shades, ``dark`` and ``light``."""
    lut = ":".join(
        f"{channel}={low}+val*{(high - low) / 255:.4f}"
        for channel, low, high in zip("rgb", rgb(dark), rgb(light), strict=True)
    )
    return (
        f"cellauto=s=320x180:r={FPS}:rule={rule}:seed={seed},"
        f"scale={WIDTH}:{HEIGHT}:flags=neighbor,format=rgb24,lutrgb={lut}"
    )


def sky(first: str, second: str, seed: int) -> str:
    """A slowly turning two-colour gradient."""
    return f"gradients={SIZE}:c0={first}:c1={second}:seed={seed}:speed=0.03"


def grain(colour: str, seed: int) -> str:
    """A flat colour field with a fixed grain."""
    return f"color=c={colour}:{SIZE},noise=alls=25:allf=u:all_seed={seed}"


def snowy(source: str, seed: int) -> str:
    """``source`` in driving snow: flakes falling across it, smeared by motion blur.

    The flakes are the brightest few percent of a fixed noise field, scrolled down and sideways
    and averaged over three frames, then added to the picture's brightness.
    """
    flakes, scene = f"flakes{seed}", f"scene{seed}"
    return (
        f"color=c=gray:s=160x90:r={FPS},format=yuv420p,noise=alls=100:allf=u:all_seed={seed},"
        f"lutyuv=y='if(gt(val,171),255,0)':u=128:v=128,scale={WIDTH}:{HEIGHT},"
        f"scroll=v=0.02:h=0.005,tmix=frames=3[{flakes}];"
        f"{source},format=yuv420p[{scene}];"
        f"[{scene}][{flakes}]blend=all_mode=addition:c1_opacity=0:c2_opacity=0"
    )


PANORAMA_WIDTH = 4 * WIDTH


def panorama(hue: int) -> str:
    """One still picture four screens wide: a fractal "mountain range"."""
    return (
        f"mandelbrot=s={PANORAMA_WIDTH}x{HEIGHT}:r={FPS}:maxiter=200:start_x=-0.7435"
        f":start_y=-0.1314:start_scale=0.35:end_scale=0.35,hue=h={hue}:s=0.5,{STILL}"
    )


# ---------------------------------------------------------------------------------------------
# The shot list, from which both the video and its truth file are made.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flash:
    """``frames`` near-white frames starting ``at`` frames into the shot, then the shot again."""

    at: int
    frames: int = 3


@dataclass(frozen=True)
class Pan:
    """The view crosses the whole panorama in ``frames`` frames, starting ``at`` frames in."""

    at: int
    frames: int


@dataclass(frozen=True)
class Shot:
    """One shot: what it shows, its length in frames, and what happens inside it."""

    label: str
    source: str
    frames: int
    fade_in: int = 0
    """Frames of fade from black at the start (the first frame is black)."""
    fade_out: int = 0
    """Frames of fade to black, ending ``black_tail`` frames before the shot's end."""
    black_tail: int = 0
    """All-black frames at the end of the shot, after the fade-out."""
    flash: Flash | None = None
    pan: Pan | None = None
    """A pan across the source, which must then be a panorama."""
    second_track: bool = False
    """The second song starts on this shot's first frame."""


SHOTS: tuple[Shot, ...] = (
    # "Training Montage", first section: the farm in the snow against the lab.
    Shot("road through the snow", snowy(sky("0xc8d8f0", "0x5070a0", 1), 11), 60),
    Shot("lab monitors", bars(0), 36),
    Shot("chopping wood", fractal(-0.743644, -0.131826, 0.5, 150), 48),
    Shot("treadmill read-out", pattern(0), 30),
    Shot("sparks", cells(30, 2, "0x286028", "0x409840"), 5),
    Shot("monitor close-up", stripes(), 4),
    Shot("fist", life(3, "0xe05030", "0x802818"), 6),
    Shot("glove", grain("0xc020c0", 4), 3),
    Shot("readout flicker", pattern(180), 7),
    Shot("breath", fractal(-0.1011, -0.9563, 0.02, 240), 5),
    Shot(
        "farmhouse at night, a photographer's flash",
        sky("0x000010", "0x283050", 2),
        72,
        flash=Flash(at=30),
    ),
    Shot("sauna", sky("0xff3000", "0xffd000", 5), 40),
    Shot(
        "dusk over the farm, fade to black",
        sky("0x402060", "0xd06020", 6),
        100,
        fade_out=18,
        black_tail=8,
    ),
    Shot("morning run, fade in", snowy(sky("0xe0e8ff", "0x304060", 7), 12), 64, fade_in=18),
    # Second section, on a cut: new chords, and the bass drives in eighths.
    Shot("carrying a log", fractal(0.2929, -0.0147, 0.2, 90), 54),
    Shot("sparring robot", pattern(90), 42),
    Shot("punch", cells(90, 8, "0x801850", "0xb82878"), 4),
    Shot("gauge", bars(60, negate=True), 6),
    Shot("jab", life(9, "0xe0e040", "0x808010"), 3),
    Shot("snow in the face", snowy(grain("0x8090a0", 10), 13), 8),
    Shot("hook", stripes() + ",hue=h=120", 5),
    Shot("rope climb in the barn", sky("0x008080", "0x00ffc0", 14), 90),
    Shot("weights", pattern(270), 60),
    Shot("sled pull in the snow", snowy(fractal(-0.743644, -0.131826, 0.05, 30), 15), 80),
    Shot("computer screen", cells(110, 16, "0x185868", "0x2888a0"), 48),
    Shot("running up the hill", fractal(-0.0452, -0.9868, 0.01, 300), 60),
    Shot("Drago's trainers", life(17, "0x50d0d0", "0x207070"), 51),
    Shot("Rocky's face", bars(180), 11),
    # "Hearts on Fire" starts on a cut, half a second from two others.
    Shot("the mountain ahead", fractal(-1.7687, -0.0017, 0.04, 0), 14, second_track=True),
    Shot("climbing", pattern(45), 54),
    Shot(
        "the summit, a fast pan along the ridge",
        panorama(200),
        72,
        pan=Pan(at=16, frames=20),
    ),
    Shot("the injection", sky("0xff0040", "0x200010", 18), 40),
    Shot("uppercut", life(19, "0xff9030", "0xa05010"), 6),
    Shot("stopwatch", stripes() + ",hue=h=240", 4),
    Shot("shout", grain("0x20ff20", 20), 3),
    Shot("bag", cells(150, 21, "0x908018", "0xd0b828"), 5),
    Shot("sweat", fractal(-0.77568, -0.13646, 0.005, 60), 8),
    Shot("sprinting through the snow", snowy(sky("0xf0f0ff", "0x203050", 22), 23), 90),
    Shot("the lab at full power", bars(300), 45),
    Shot("chin-ups in the loft", fractal(-1.25066, -0.02012, 0.05, 120), 70),
    Shot("punching the machine", pattern(135), 50),
    Shot("left", life(24, "0xf0e0e0", "0x906060"), 4),
    Shot("right", grain("0x2040ff", 25), 5),
    Shot("left again", cells(60, 26, "0x904800", "0xd06c10"), 3),
    Shot("right again", stripes() + ",negate", 6),
    Shot("the cabin in the snow", snowy(fractal(-0.1011, -0.9563, 0.2, 180), 27), 100),
    Shot("Drago, ready", pattern(225), 60),
    Shot("arms raised on the summit", sky("0xfff0a0", "0x4080ff", 28), 159),
)


def shot_starts(shots: tuple[Shot, ...] = SHOTS) -> list[int]:
    """The index of each shot's first frame."""
    starts = [0]
    for shot in shots[:-1]:
        starts.append(starts[-1] + shot.frames)
    return starts


def frame_time(frame: int) -> float:
    """A frame's presentation time in seconds, as written in the truth file."""
    return round(frame / FPS, 4)


def span(kind: str, key: str, start: int, end: int) -> dict[str, object]:
    """A truth-file span of frames ``start`` to ``end``, both included."""
    return {
        key: kind,
        "start_frame": start,
        "end_frame": end,
        "start_s": frame_time(start),
        "end_s": frame_time(end),
    }


def handover_frame(shots: tuple[Shot, ...] = SHOTS) -> int:
    """The first frame of the shot on which the second song starts."""
    (frame,) = (
        start for start, shot in zip(shot_starts(shots), shots, strict=True) if shot.second_track
    )
    return frame


def build_truth(shots: tuple[Shot, ...] = SHOTS) -> dict[str, object]:
    """The truth file's content, derived from the shot list."""
    hard_cuts: list[dict[str, object]] = []
    gradual: list[dict[str, object]] = []
    traps: list[dict[str, object]] = []
    previous: Shot | None = None
    for start, shot in zip(shot_starts(shots), shots, strict=True):
        # Black fading into black is no cut; any other change of shot is one.
        if previous is not None and not (previous.fade_out and shot.fade_in):
            hard_cuts.append({"frame": start, "time_s": frame_time(start)})
        if shot.fade_out:
            black = start + shot.frames - shot.black_tail
            gradual.append(span("fade_out_to_black", "type", black - shot.fade_out + 1, black))
        if shot.fade_in:
            gradual.append(span("fade_in_from_black", "type", start + 1, start + shot.fade_in))
        if shot.flash:
            first = start + shot.flash.at
            traps.append(span("white flash", "what", first, first + shot.flash.frames))
        if shot.pan:
            first = start + shot.pan.at
            traps.append(span("fast pan within one shot", "what", first, first + shot.pan.frames))
        previous = shot
    return {
        "file": f"{NAME}.mp4",
        "n_frames_decoded": sum(shot.frames for shot in shots),
        "frame_index_convention": (
            "0-based decode order; cut = index of first frame of the new shot; "
            "time = that frame's best_effort_timestamp"
        ),
        "truth_source": "constructed by samples/make_sample.py",
        "hard_cuts": hard_cuts,
        "gradual_transitions": gradual,
        "no_cut_traps": traps,
        "music_boundaries": [frame_time(handover_frame(shots))],
        "music_crossfade_s": 0.0,
        "tracks": list(TRACKS),
    }


def shot_filter(shot: Shot) -> str:
    """The filter chain that renders one shot, exactly ``shot.frames`` frames from time 0."""
    chain = [shot.source]
    if shot.pan:
        first, last = shot.pan.at, shot.pan.at + shot.pan.frames - 1
        step = (PANORAMA_WIDTH - WIDTH) / shot.pan.frames
        chain += [
            f"crop=w={WIDTH}:h={HEIGHT}:y=0:x='clip((n-{first}+1)*{step},0,iw-ow)'",
            # Motion blur while the view moves, and film grain so the still is not frozen.
            f"gblur=sigma=12:sigmaV=0:enable='between(n,{first},{last})'",
            "noise=alls=6:allf=t+u:all_seed=1",
        ]
    if shot.flash:
        first, last = shot.flash.at, shot.flash.at + shot.flash.frames - 1
        chain.append(f"drawbox=c=white@0.92:t=fill:enable='between(n,{first},{last})'")
    chain += ["format=yuv420p", "setsar=1"]
    if shot.fade_in:
        chain.append(f"fade=t=in:start_frame=0:nb_frames={shot.fade_in}")
    if shot.fade_out:
        fade_start = shot.frames - shot.black_tail - shot.fade_out
        chain.append(f"fade=t=out:start_frame={fade_start}:nb_frames={shot.fade_out}")
    chain += [f"trim=end_frame={shot.frames}", "setpts=PTS-STARTPTS"]
    return ",".join(chain)


def video_graph(shots: tuple[Shot, ...] = SHOTS) -> str:
    """One filter graph rendering every shot in turn, output on ``[video]``."""
    chains = [f"{shot_filter(shot)}[s{i}]" for i, shot in enumerate(shots)]
    inputs = "".join(f"[s{i}]" for i in range(len(shots)))
    return ";".join([*chains, f"{inputs}concat=n={len(shots)}:v=1:a=0[video]"])


# ---------------------------------------------------------------------------------------------
# Sound: two synthesised songs that switch at the hand-over, with punches and wind over them.
# ---------------------------------------------------------------------------------------------

MUSIC_RMS = 0.12
"""Both songs are brought to this loudness (about -18 dBFS)."""

TRAINING_BPM = 120
TRAINING_SECTION_S = 20.0
"""Where "Training Montage" changes chords and its bass goes from held notes to eighths.

It falls on a hard cut (frame 480), as a section change often does in a montage."""
TRAINING_VERSE = ((62, 65, 69), (58, 62, 65), (60, 64, 67), (57, 60, 64))  # Dm Bb C Am
TRAINING_LATER = ((62, 65, 69), (55, 58, 62), (58, 62, 65), (57, 61, 64))  # Dm Gm Bb A
ARPEGGIO = (0, 1, 2, 3, 2, 1, 2, 3, 0, 1, 2, 3, 4, 3, 2, 1)
"""Sixteenths over the chord tones (root, third, fifth, octave, octave's third)."""

HEARTS_BPM = 130
HEARTS_VERSE_BARS = 10
"""Bars of the riff before the chorus of "Hearts on Fire"."""
HEARTS_RIFF = ((42, 42, 42, 45, 47, 47, 45, 40), (42, 42, 42, 45, 47, 47, 49, 47))  # F# minor
HEARTS_CHORUS = (38, 40, 42, 42)  # D5 E5 F#5 F#5, half a bar each

PUNCHES_S = (9.1, 26.6, 40.15, 40.7, 41.35, 41.9, 42.55, 43.3, 66.2)
"""Punches on the bag: a flurry across the hand-over, a few alone elsewhere."""
PUNCH_LEVEL = 0.3
"""Peak of a punch, as a fraction of the music's peak."""
WIND_S = (39.25, 44.75)
"""Start and end of the wind, which spans the hand-over."""
WIND_RMS_DB = -12.0
"""Wind loudness relative to the music."""


def midi_hz(note: float) -> float:
    """Frequency of a MIDI note number."""
    return 440.0 * 2.0 ** ((note - 69) / 12)


def seconds(n: int) -> np.ndarray:
    """Times of ``n`` samples from 0."""
    return np.arange(n) / SAMPLE_RATE


def saw(hz: float, duration: float) -> np.ndarray:
    """A sawtooth wave."""
    return 2.0 * ((hz * seconds(round(duration * SAMPLE_RATE))) % 1.0) - 1.0


def square(hz: float, duration: float) -> np.ndarray:
    """A square wave."""
    return np.where((hz * seconds(round(duration * SAMPLE_RATE))) % 1.0 < 0.5, 1.0, -1.0)


def decay(duration: float, tau: float, attack: float = 0.003) -> np.ndarray:
    """An envelope: linear attack, then exponential decay with time constant ``tau``."""
    t = seconds(round(duration * SAMPLE_RATE))
    return np.minimum(t / attack, 1.0) * np.exp(-t / tau)


def band(x: np.ndarray, low: float | None, high: float | None, order: int = 2) -> np.ndarray:
    """``x`` filtered to the band between ``low`` and ``high`` Hz (either may be open)."""
    if low and high:
        sos = signal.butter(order, (low, high), "bandpass", fs=SAMPLE_RATE, output="sos")
    elif low:
        sos = signal.butter(order, low, "highpass", fs=SAMPLE_RATE, output="sos")
    else:
        sos = signal.butter(order, high, "lowpass", fs=SAMPLE_RATE, output="sos")
    return signal.sosfilt(sos, x)


def add(out: np.ndarray, at: float, sound: np.ndarray) -> None:
    """Mix ``sound`` into ``out`` starting at ``at`` seconds, cut off at the end of ``out``."""
    i = round(at * SAMPLE_RATE)
    n = min(len(sound), len(out) - i)
    if n > 0:
        out[i : i + n] += sound[:n]


def training_montage(duration: float) -> np.ndarray:
    """Stand-in for "Training Montage": sawtooth arpeggios in D minor over a pad, 120 BPM."""
    n = round(duration * SAMPLE_RATE)
    arpeggio, pad, bass = np.zeros(n), np.zeros(n), np.zeros(n)
    bar = 240 / TRAINING_BPM
    sixteenth = bar / 16
    for index in range(int(np.ceil(duration / bar))):
        start = index * bar
        later = start >= TRAINING_SECTION_S
        chord = (TRAINING_LATER if later else TRAINING_VERSE)[index % 4]
        tones = (*chord, chord[0] + 12, chord[1] + 12)
        for step, tone in enumerate(ARPEGGIO):
            note = saw(midi_hz(tones[tone]), sixteenth * 1.5) * decay(sixteenth * 1.5, 0.07)
            add(arpeggio, start + step * sixteenth, note)
        swell = np.minimum(seconds(round(bar * SAMPLE_RATE)) / 0.4, 1.0)
        for tone in chord:
            hz = midi_hz(tone - 12)
            add(pad, start, (saw(hz * 0.996, bar) + saw(hz * 1.004, bar)) * swell)
        root = midi_hz(chord[0] - 24)
        if later:
            for eighth in range(8):
                note = saw(root, bar / 8) * decay(bar / 8, 0.2, attack=0.005)
                add(bass, start + eighth * bar / 8, note)
        else:
            add(bass, start, saw(root, bar) * decay(bar, 1.5, attack=0.05))
    song = (
        0.5 * band(arpeggio, None, 2500) + 0.12 * band(pad, None, 900) + 0.2 * band(bass, None, 400)
    )
    return song * MUSIC_RMS / np.sqrt(np.mean(song**2))


def kick(rng: np.random.Generator) -> np.ndarray:
    """A bass drum: a sine falling from 110 to 45 Hz."""
    t = seconds(round(0.35 * SAMPLE_RATE))
    hz = 45 + 65 * np.exp(-t / 0.03)
    click = band(rng.standard_normal(len(t)), None, 3000) * np.exp(-t / 0.004)
    return np.sin(2 * np.pi * np.cumsum(hz) / SAMPLE_RATE) * np.exp(-t / 0.12) + 0.3 * click


def snare(rng: np.random.Generator) -> np.ndarray:
    """A snare drum: band-passed noise over a 190 Hz body."""
    t = seconds(round(0.25 * SAMPLE_RATE))
    rattle = band(rng.standard_normal(len(t)), 1200, 6000) * np.exp(-t / 0.08)
    return 1.2 * rattle + 0.6 * np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05)


def cymbal(rng: np.random.Generator, length: float, tau: float) -> np.ndarray:
    """Hi-hat (short) or crash (long): high-passed noise."""
    t = seconds(round(length * SAMPLE_RATE))
    return band(rng.standard_normal(len(t)), 7000, None) * np.exp(-t / tau)


def power_chord(root: int, duration: float, tau: float) -> np.ndarray:
    """A distorted guitar power chord (root, fifth, octave), palm-muted when ``tau`` is short."""
    strings = sum(
        saw(midi_hz(root + interval) * detune, duration)
        for interval in (0, 7, 12)
        for detune in (0.997, 1.003)
    )
    return np.tanh(4.0 * strings * decay(duration, tau, attack=0.002))


def hearts_on_fire(duration: float, rng: np.random.Generator) -> np.ndarray:
    """Stand-in for "Hearts on Fire": drums, distorted power chords, bass; F# minor, 130 BPM.

    A verse riff in palm-muted eighths, then a chorus of ringing chords with crashes and
    sixteenth hi-hats.
    """
    n = round(duration * SAMPLE_RATE)
    drums, guitar, bass = np.zeros(n), np.zeros(n), np.zeros(n)
    bd, sd = kick(rng), snare(rng)
    hat, crash = cymbal(rng, 0.08, 0.025), cymbal(rng, 1.6, 0.6)
    bar = 240 / HEARTS_BPM
    eighth = bar / 8
    for index in range(int(np.ceil(duration / bar))):
        start = index * bar
        chorus = index >= HEARTS_VERSE_BARS
        for step in range(8):
            at = start + step * eighth
            if step in (0, 3, 4):
                add(drums, at, bd)
            if step in (2, 6):
                add(drums, at, sd)
            add(drums, at, 0.5 * hat)
            if chorus:
                add(drums, at + eighth / 2, 0.2 * hat)
        if chorus:
            if index % 2 == 0:
                add(drums, start, 0.3 * crash)
            chords = HEARTS_CHORUS[(index % 2) * 2 :][:2]
            for half, root in enumerate(chords):
                add(guitar, start + half * bar / 2, power_chord(root, bar / 2, 0.8))
            riff = tuple(root for root in chords for _ in range(4))
        else:
            riff = HEARTS_RIFF[index % 2]
            for step, root in enumerate(riff):
                add(guitar, start + step * eighth, power_chord(root, eighth, 0.09))
        for step, root in enumerate(riff):
            note = square(midi_hz(root - 12), eighth) * decay(eighth, 0.15)
            add(bass, start + step * eighth, note)
    song = 0.6 * drums + 0.35 * band(guitar, 80, 5000) + 0.4 * band(bass, None, 300)
    return song * MUSIC_RMS / np.sqrt(np.mean(song**2))


def punch(rng: np.random.Generator) -> np.ndarray:
    """A glove hitting a heavy bag: a low thump with a short slap."""
    t = seconds(round(0.3 * SAMPLE_RATE))
    hz = 48 + 50 * np.exp(-t / 0.02)
    thump = np.sin(2 * np.pi * np.cumsum(hz) / SAMPLE_RATE) * decay(0.3, 0.08, attack=0.002)
    slap = band(rng.standard_normal(len(t)), 150, 900) * np.exp(-t / 0.015)
    sound = thump + 0.5 * slap
    return sound / np.max(np.abs(sound))


def wind(duration: float, rng: np.random.Generator) -> np.ndarray:
    """Wind over snow: band-passed noise in slow gusts, faded in and out over a second."""
    n = round(duration * SAMPLE_RATE)
    hiss = band(rng.standard_normal(n), 250, 1400)
    gusts = band(rng.standard_normal(n), None, 0.8, order=1)
    gusts = 0.5 + np.abs(gusts) / np.max(np.abs(gusts))
    ramp = np.minimum(1.0, np.minimum(seconds(n), duration - seconds(n)))
    sound = hiss * gusts * ramp
    return sound / np.sqrt(np.mean(sound**2))


def soundtrack(shots: tuple[Shot, ...] = SHOTS) -> np.ndarray:
    """The whole soundtrack, mono float samples at SAMPLE_RATE, as long as the video."""
    rng = np.random.default_rng(1985)
    total = sum(shot.frames for shot in shots) / FPS
    switch = handover_frame(shots) / FPS
    first = training_montage(switch)
    second = hearts_on_fire(total - switch, rng)
    # A 5 ms ramp at each side of the switch keeps it free of a click.
    ramp = np.minimum(seconds(round(0.005 * SAMPLE_RATE)) / 0.005, 1.0)
    first[-len(ramp) :] *= ramp[::-1]
    second[: len(ramp)] *= ramp
    mix = np.concatenate([first, second])
    music_peak = np.max(np.abs(mix))
    for at in PUNCHES_S:
        add(mix, at, PUNCH_LEVEL * music_peak * rng.uniform(0.8, 1.0) * punch(rng))
    gust_start, gust_end = WIND_S
    add(mix, gust_start, MUSIC_RMS * 10 ** (WIND_RMS_DB / 20) * wind(gust_end - gust_start, rng))
    return mix * min(1.0, 0.95 / np.max(np.abs(mix)))


# ---------------------------------------------------------------------------------------------
# Encoding.
# ---------------------------------------------------------------------------------------------


def encode(video: Path, wav: Path, shots: tuple[Shot, ...] = SHOTS) -> None:
    """Render the shots, mux them with the WAV file's sound into ``video``."""
    args = [
        ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error",
        "-filter_complex", video_graph(shots),
        "-i", ffmpeg.input_url(wav),
        "-map", "[video]", "-map", "0:a",
        "-fps_mode", "passthrough",
        "-c:v", "libx264", "-preset", "faster", "-crf", "24", "-maxrate", "380k",
        "-bufsize", "760k", "-g", "48", "-pix_fmt", "yuv420p", "-threads", "1",
        "-c:a", "aac", "-b:a", "128k", "-ar", str(SAMPLE_RATE),
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
        "-movflags", "+faststart",
        "-f", "mp4", ffmpeg.input_url(video),
    ]  # fmt: skip
    ffmpeg.run(args, what=f"cannot encode {video.name}")


def count_frames(video: Path) -> int:
    """How many frames the video decodes to."""
    args = [
        ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error",
        "-i", ffmpeg.input_url(video), "-map", "0:v:0", "-fps_mode", "passthrough",
        "-vf", "scale=8:8,format=gray", "-f", "rawvideo", "-",
    ]  # fmt: skip
    return len(ffmpeg.run(args, what=f"cannot decode {video.name}").stdout) // 64


def duration_s(video: Path) -> float:
    """The container's duration, as ffmpeg reports it."""
    found = re.search(r"Duration: (\d+):(\d+):([\d.]+)", ffmpeg.describe_input(video))
    if not found:
        raise SystemExit(f"{video.name}: ffmpeg reports no duration")
    hours, minutes, secs = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(secs)


def move_into_place(video: Path, expected_frames: int, truth: dict, out_dir: Path) -> Path:
    """Check an encoded sample (frame count, size), write its truth file beside it as
    ``STEM.truth.json`` and move both into ``out_dir``; print what was made. The video's new path.
    """
    frames = count_frames(video)
    if frames != expected_frames:
        raise SystemExit(
            f"{video.name} decodes to {frames} frames, the shot list has {expected_frames}"
        )
    size = video.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{video.name} is {size} bytes, more than {MAX_BYTES}")
    truth_path = video.with_name(f"{video.stem}.truth.json")
    truth_path.write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in (video, truth_path):
        shutil.move(path, out_dir / path.name)
    video = out_dir / video.name
    digest = hashlib.sha256(video.read_bytes()).hexdigest()
    print(f"{video}: {size} bytes, {frames} frames, {duration_s(video):.3f} s, sha256 {digest}")
    return video


def run_command_line(build: Callable[[Path], None], description: str) -> None:
    """``--out DIR`` (default: the samples/ directory), then ``build(DIR)``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="directory to write into (default: the samples/ directory)",
    )
    build(parser.parse_args().out)


def build(out_dir: Path) -> None:
    """Build the sample and its truth file into ``out_dir``, checking them before moving them."""
    with tempfile.TemporaryDirectory(prefix="clipindex-sample-") as tmp:
        work = Path(tmp)
        wav = work / "soundtrack.wav"
        video = work / f"{NAME}.mp4"
        wavfile.write(wav, SAMPLE_RATE, np.round(soundtrack() * 32767).astype(np.int16))
        encode(video, wav)
        move_into_place(video, sum(shot.frames for shot in SHOTS), build_truth(), out_dir)
    print(f"{out_dir / NAME}.truth.json: hand-over at {frame_time(handover_frame())} s")


def main() -> None:
    """Command line: ``python samples/make_sample.py [--out DIR]``."""
    run_command_line(build, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
