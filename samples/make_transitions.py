"""Build the transitions sample and its truth file: every kind of shot change cut detection meets.

Run ``python samples/make_transitions.py [--out DIR]`` to (re)build, in ``samples/`` by default:

- ``transitions.mp4``: 640x360 at 24 fps (H.264), no sound. Where ``training-montage.mp4`` holds
  the hard cuts, a flash, a pan and a fade of a montage, this one holds the gradual transitions
  and the hard cases around them:

  - a fade in from black at the start, and a fade out to black at the end;
  - cross-dissolves: a long one (24 frames), one into a snowy shot (16 frames) and a short one
    (6 frames) between two moving shots;
  - a dip to black and a dip to white (the picture passes through black or white between shots);
  - a lightning-style double flash over a snowy night shot, the second flash dying away;
  - a hard cut into a fast pan, and a hard cut away from a shot while it still pans;
  - a hard cut to black and a hard cut from black, and a hard cut out of a fade to black;
  - a burst of 3- and 4-frame shots between snowy shots.

- ``transitions.truth.json``: what the video holds, in the format of the project's real test
  media (``../shared/media/README.md``), derived from the shot list below, not measured. Spans
  follow ``make_sample.py``: inclusive, covering exactly the frames that differ from the frame
  before them because of the effect. A dissolve of N frames from shot A to shot B shows N - 1
  mixed frames, and its span runs from the first mixed frame to B's first frame at full
  strength; a dip runs from the first frame of the fade out to the last frame of the fade in.

The pictures come from the same synthetic ffmpeg sources as ``make_sample.py``, and the output
is byte-identical from run to run with the same ffmpeg binary.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from make_sample import (
    FPS,
    HEIGHT,
    PANORAMA_WIDTH,
    SIZE,
    WIDTH,
    Pan,
    bars,
    cells,
    fractal,
    frame_time,
    grain,
    life,
    move_into_place,
    panorama,
    pattern,
    run_command_line,
    sky,
    snowy,
    span,
    stripes,
)

from clipindex import ffmpeg

NAME = "transitions"


@dataclass(frozen=True)
class Shot:
    """One shot: what it shows, its length in frames, and how it starts, ends and changes."""

    label: str
    source: str
    frames: int
    dissolve: int = 0
    """Frames of cross-dissolve from the previous shot (0: the shots meet on a hard cut)."""
    fade_in: int = 0
    """Frames of fade from ``fade_colour`` at the start (the first frame is all that colour)."""
    fade_out: int = 0
    """Frames of fade to ``fade_colour``, ending ``hold`` frames before the shot's end."""
    hold: int = 0
    """Frames all of ``fade_colour`` at the end of the shot, after the fade-out."""
    fade_colour: str = "black"
    """The colour of the fades, ``black`` or ``white``."""
    lightning: tuple[tuple[int, float], ...] = ()
    """(frame into the shot, strength 0..1) of each lit frame."""
    pan: Pan | None = None
    """A pan across the source, which must then be a panorama."""


SHOTS: tuple[Shot, ...] = (
    Shot("sunrise, fade in from black", sky("0xffa040", "0x402080", 31), 60, fade_in=20),
    Shot("test card", pattern(30), 40),
    Shot("the fractal, a long dissolve", fractal(-0.743644, -0.131826, 0.5, 200), 60, dissolve=24),
    Shot(
        "snowy night, lightning twice",
        snowy(sky("0x050818", "0x203048", 32), 33),
        84,
        lightning=((24, 0.85), (25, 0.85), (28, 0.7), (29, 0.35)),
    ),
    Shot("cut to black", f"color=c=black:{SIZE}", 12),
    Shot("bars, cut from black, dip to black", bars(90), 36, fade_out=10, hold=1),
    Shot("cells after the dip", cells(30, 34, "0x204080", "0x60a0e0"), 48, fade_in=10),
    Shot("cut into a fast pan", panorama(100), 60, pan=Pan(at=0, frames=24)),
    Shot("a pan cut away while moving", panorama(300), 40, pan=Pan(at=16, frames=30)),
    Shot("snow on the road", snowy(sky("0xd0e0f8", "0x405880", 36), 37), 30),
    Shot("jab", life(38, "0xe05030", "0x802818"), 3),
    Shot("glove", grain("0xc020c0", 39), 3),
    Shot("sparks", cells(90, 40, "0x801850", "0xb82878"), 4),
    Shot(
        "snow in the woods, dip to white",
        snowy(fractal(-0.1011, -0.9563, 0.2, 60), 41),
        44,
        fade_out=8,
        hold=1,
        fade_colour="white",
    ),
    Shot("glare", sky("0x20a0ff", "0xffe080", 42), 48, fade_in=8, fade_colour="white"),
    Shot("test card again, a short dissolve", pattern(210), 40, dissolve=6),
    Shot("bars in negative", bars(200, negate=True), 30),
    Shot(
        "snow over the fractal, dissolved in",
        snowy(fractal(-1.25066, -0.02012, 0.05, 120), 43),
        60,
        dissolve=16,
    ),
    Shot("stripes, fade to black", stripes(), 48, fade_out=16, hold=12),
    Shot("title, cut from black", pattern(300), 36),
    Shot("dusk, fade out", sky("0x402060", "0xd06020", 44), 72, fade_out=24, hold=6),
)


def shot_starts(shots: tuple[Shot, ...] = SHOTS) -> list[int]:
    """The output frame of each shot's first frame (during a dissolve, the last frame of A)."""
    starts = [0]
    for shot, following in zip(shots[:-1], shots[1:], strict=True):
        starts.append(starts[-1] + shot.frames - following.dissolve)
    return starts


def n_frames(shots: tuple[Shot, ...] = SHOTS) -> int:
    """How many frames the video has."""
    return shot_starts(shots)[-1] + shots[-1].frames


def build_truth(shots: tuple[Shot, ...] = SHOTS) -> dict[str, object]:
    """The truth file's content, derived from the shot list."""
    hard_cuts: list[dict[str, object]] = []
    gradual: list[dict[str, object]] = []
    traps: list[dict[str, object]] = []
    starts = shot_starts(shots)
    for number, (start, shot) in enumerate(zip(starts, shots, strict=True)):
        end = start + shot.frames  # first frame after the shot
        previous = shots[number - 1] if number else None
        following = shots[number + 1] if number + 1 < len(shots) else None
        colour = shot.fade_colour
        if previous is not None and shot.dissolve:
            gradual.append(span("cross_dissolve", "type", start + 1, start + shot.dissolve))
        elif previous is not None and not (previous.fade_out and shot.fade_in):
            hard_cuts.append({"frame": start, "time_s": frame_time(start)})
        if shot.fade_in and not (previous is not None and previous.fade_out):
            gradual.append(span(f"fade_in_from_{colour}", "type", start + 1, start + shot.fade_in))
        if shot.fade_out:
            colour_start = end - shot.hold
            ramp_start = colour_start - shot.fade_out + 1
            if following is not None and following.fade_in:
                dip_end = end + following.fade_in
                gradual.append(span(f"dip_to_{colour}", "type", ramp_start, dip_end))
            else:
                gradual.append(span(f"fade_out_to_{colour}", "type", ramp_start, colour_start))
        if shot.lightning:
            first = start + shot.lightning[0][0]
            last = start + shot.lightning[-1][0]
            traps.append(span("lightning, a double flash", "what", first, last + 1))
        if shot.pan:
            first = start + max(shot.pan.at, 1)
            last = min(start + shot.pan.at + shot.pan.frames, end - 1)
            traps.append(span("fast pan within one shot", "what", first, last))
    return {
        "file": f"{NAME}.mp4",
        "n_frames_decoded": n_frames(shots),
        "frame_index_convention": (
            "0-based decode order; cut = index of first frame of the new shot; "
            "time = that frame's best_effort_timestamp"
        ),
        "truth_source": "constructed by samples/make_transitions.py",
        "hard_cuts": hard_cuts,
        "gradual_transitions": gradual,
        "no_cut_traps": traps,
    }


def shot_filter(shot: Shot) -> str:
    """The filter chain that renders one shot, exactly ``shot.frames`` frames from time 0."""
    chain = [shot.source]
    if shot.pan:
        first, last = shot.pan.at, shot.pan.at + shot.pan.frames - 1
        step = (PANORAMA_WIDTH - WIDTH) / shot.pan.frames
        chain += [
            f"crop=w={WIDTH}:h={HEIGHT}:y=0:x='clip((n-{first}+1)*{step},0,iw-ow)'",
            f"gblur=sigma=12:sigmaV=0:enable='between(n,{first},{last})'",
            "noise=alls=6:allf=t+u:all_seed=1",
        ]
    chain += ["format=yuv420p", "setsar=1"]
    for at, strength in shot.lightning:
        chain.append(f"drawbox=c=0xe0e8ff@{strength}:t=fill:enable='eq(n,{at})'")
    if shot.fade_in:
        chain.append(f"fade=t=in:start_frame=0:nb_frames={shot.fade_in}:c={shot.fade_colour}")
    if shot.fade_out:
        fade_start = shot.frames - shot.hold - shot.fade_out
        chain.append(
            f"fade=t=out:start_frame={fade_start}:nb_frames={shot.fade_out}:c={shot.fade_colour}"
        )
    chain += [f"trim=end_frame={shot.frames}", "setpts=PTS-STARTPTS", f"settb=1/{FPS}"]
    return ",".join(chain)


def video_graph(shots: tuple[Shot, ...] = SHOTS) -> str:
    """One filter graph joining every shot in turn (by a cut or a dissolve), output on [video]."""
    chains = [f"{shot_filter(shot)}[s{i}]" for i, shot in enumerate(shots)]
    joined, length = "s0", shots[0].frames
    for i, shot in enumerate(shots[1:], start=1):
        if shot.dissolve:
            offset = (length - shot.dissolve) / FPS
            duration = shot.dissolve / FPS
            chains.append(
                f"[{joined}][s{i}]xfade=transition=fade:duration={duration}:offset={offset}[j{i}]"
            )
        else:
            chains.append(f"[{joined}][s{i}]concat=n=2:v=1:a=0,settb=1/{FPS}[j{i}]")
        joined, length = f"j{i}", length + shot.frames - shot.dissolve
    chains.append(f"[{joined}]null[video]")
    return ";".join(chains)


def encode(video: Path, shots: tuple[Shot, ...] = SHOTS) -> None:
    """Render the shots into ``video``."""
    args = [
        ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error",
        "-filter_complex", video_graph(shots),
        "-map", "[video]", "-fps_mode", "passthrough",
        "-c:v", "libx264", "-preset", "faster", "-crf", "24", "-maxrate", "380k",
        "-bufsize", "760k", "-g", "48", "-pix_fmt", "yuv420p", "-threads", "1",
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-fflags", "+bitexact", "-flags:v", "+bitexact",
        "-movflags", "+faststart",
        "-f", "mp4", ffmpeg.input_url(video),
    ]  # fmt: skip
    ffmpeg.run(args, what=f"cannot encode {video.name}")


def build(out_dir: Path) -> None:
    """Build the sample and its truth file into ``out_dir``, checking them before moving them."""
    with tempfile.TemporaryDirectory(prefix="clipindex-sample-") as tmp:
        video = Path(tmp) / f"{NAME}.mp4"
        encode(video)
        move_into_place(video, n_frames(), build_truth(), out_dir)


def main() -> None:
    """Command line: ``python samples/make_transitions.py [--out DIR]``."""
    run_command_line(build, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
