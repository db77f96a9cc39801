"""Small test clips made on the spot with the bundled ffmpeg: two shots and a known cut."""

from __future__ import annotations

from pathlib import Path

from clipindex import ffmpeg

CUT_S = 2.0
FPS = 25


def make_clip(
    path: Path,
    *,
    size: str = "320x180",
    video: list[str] | None = None,
    audio_streams: int = 1,
    seconds: float = 4.0,
) -> Path:
    """A clip of two shots (a test card, then colour bars) cut at ``CUT_S``, with
    ``audio_streams`` tones (440 Hz, 660 Hz, ...; the first is the default)."""
    half = seconds / 2
    args = [
        ffmpeg.executable(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=s=320x180:r={FPS}:d={half}",
        "-f", "lavfi", "-i", f"smptebars=s=320x180:r={FPS}:d={half}",
    ]  # fmt: skip
    for number in range(audio_streams):
        args += ["-f", "lavfi", "-i", f"sine=frequency={440 + 220 * number}:duration={seconds}"]
    width, height = size.split("x")
    args += [
        "-filter_complex", f"[0:v][1:v]concat=n=2:v=1:a=0,scale={width}:{height}[v]",
        "-map", "[v]",
    ]  # fmt: skip
    for number in range(audio_streams):
        args += ["-map", f"{2 + number}:a"]
    args += video or ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
    if audio_streams:
        args += ["-c:a", "aac"] if path.suffix == ".mp4" else ["-c:a", "libopus"]
    ffmpeg.run([*args, str(path)], what=f"making the test clip {path.name}")
    return path
