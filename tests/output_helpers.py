"""Helpers for the output tests: small indexes built by hand, readers of the formats, running the
command, a local web server and headless Chromium."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from clipindex.index import (
    Codecs,
    Cut,
    Gap,
    Generator,
    Index,
    Segment,
    Shot,
    Source,
    TrackCredit,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--mute-audio",
]


def run_cli(*args: object, cwd: str | os.PathLike[str] | None = None) -> tuple[int, str, str]:
    """Run ``clipindex`` as a user would; (exit code, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "clipindex", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    return done.returncode, done.stdout, done.stderr


def track(title: str, *performers: str, composers: tuple[str, ...] = ()) -> TrackCredit:
    return TrackCredit(title=title, performers=list(performers), composers=list(composers))


def make_index(
    segments: list[tuple[float, float, TrackCredit | None]],
    duration_s: float,
    *,
    cuts: tuple[tuple[float, float], ...] = (),
    gaps: tuple[tuple[float, float], ...] = (),
    title: str | None = "A montage",
) -> Index:
    """An index with the given musical segments ``(start_s, end_s, track)``, cuts
    ``(time_s, score)`` and gaps ``(start_s, end_s)``; 25 frames/s."""
    fps = 25.0
    frames = [round(time_s * fps) for time_s, _ in cuts]
    starts = [0] + frames
    ends = frames + [round(duration_s * fps)]
    return Index(
        generator=Generator(version="test"),
        title=title,
        source=Source(
            path="montage.mp4",
            size_bytes=1,
            sha256="0" * 64,
            container="mov,mp4,m4a,3gp,3g2,mj2",
            duration_s=duration_s,
            fps=fps,
            variable_frame_rate=False,
            n_frames=round(duration_s * fps),
            width=640,
            height=360,
            codecs=Codecs(video="h264", audio="aac"),
            has_audio=True,
        ),
        cuts=[
            Cut(
                time_s=time_s,
                frame=frame,
                kind="hard",
                score=score,
                start_s=time_s,
                end_s=time_s,
                start_frame=frame,
                end_frame=frame,
            )
            for (time_s, score), frame in zip(cuts, frames, strict=True)
        ],
        shots=[
            Shot(
                index=n,
                start_frame=a,
                end_frame=b - 1,
                start_s=a / fps,
                end_s=min(b / fps, duration_s),
            )
            for n, (a, b) in enumerate(zip(starts, ends, strict=True))
        ],
        segments=[
            Segment(
                index=n, start_s=start, end_s=end, track=credit, confidence=0.9, audio_start_s=start
            )
            for n, (start, end, credit) in enumerate(segments)
        ],
        gaps=[Gap(index=n, start_s=start, end_s=end) for n, (start, end) in enumerate(gaps)],
    )


def parse_ffmetadata(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Read FFMETADATA1 text as ffmpeg does (libavformat/ffmetadec.c): a backslash makes the
    next character literal (a line break included); lines starting with ``;`` or ``#`` and empty
    lines are skipped; a tag is split at its first unescaped ``=``. Returns the global tags and
    each chapter's tags (``TIMEBASE``, ``START`` and ``END`` among them)."""
    assert text.startswith(";FFMETADATA1"), "not an FFMETADATA1 file"
    lines: list[str] = []
    current, escaped = "", False
    for char in text:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "\r\n":
            lines.append(current)
            current = ""
        else:
            current += char
    lines.append(current)
    tags: dict[str, str] = {}
    chapters: list[dict[str, str]] = []
    for line in lines:
        if not line or line[0] in ";#":
            continue
        if line == "[CHAPTER]":
            chapters.append({})
            continue
        match = re.match(r"((?:\\.|[^=\\])*)=(.*)", line, re.DOTALL)
        assert match, f"not a tag: {line!r}"
        key, value = (re.sub(r"\\(.)", r"\1", part, flags=re.DOTALL) for part in match.groups())
        (chapters[-1] if chapters else tags)[key] = value
    return tags, chapters


def chapter_times(chapter: dict[str, str]) -> tuple[float, float]:
    """A parsed ffmetadata chapter's start and end in seconds."""
    numerator, denominator = map(int, chapter["TIMEBASE"].split("/"))
    scale = numerator / denominator
    return int(chapter["START"]) * scale, int(chapter["END"]) * scale


def vtt_seconds(timestamp: str) -> float:
    """``hh:mm:ss.ttt`` (or ``mm:ss.ttt``) in seconds."""
    *hours, minutes, seconds = timestamp.split(":")
    return int(hours[0] if hours else 0) * 3600 + int(minutes) * 60 + float(seconds)


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """A static file server that answers byte-range requests, as a real web server does, so the
    browser can seek in a video it has not fully loaded."""

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""

    def send_head(self):
        wanted = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not wanted or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        start = int(wanted[1])
        end = min(int(wanted[2]) if wanted[2] else size - 1, size - 1)
        handle = open(path, "rb")  # closed by do_GET once copied
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return _Window(handle, end - start + 1)


class _Window:
    """The part of an open file a range request asked for, read like a file."""

    def __init__(self, handle, length: int):
        self.handle, self.left = handle, length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.handle.read(size)
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.handle.close()


class _QuietServer(http.server.ThreadingHTTPServer):
    """Does not print the tracebacks of connections the browser drops (it does, when seeking)."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(folder: str | os.PathLike[str]) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1; yields the base address."""
    handler = functools.partial(_RangeHandler, directory=os.fspath(folder))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def chromium_path() -> str | None:
    """The system's Chromium (or Chrome), if there is one."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def headless_chromium() -> Iterator:
    """Headless Chromium driven by Playwright, for a fixture to yield from; the test skips where
    no Chromium is installed."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium installed (apt-get install chromium): browser checks skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
