"""Decode a file's sound to mono PCM samples for music analysis."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import ffmpeg as ffmpeg_python
import numpy as np

from clipindex import ffmpeg

DEFAULT_SAMPLE_RATE = 22050
"""Hz. Enough for timbre and chroma up to ~11 kHz; half the work of 44.1 kHz."""


def decode_audio(
    path: str | os.PathLike[str],
    *,
    audio_stream: int = 0,
    sr: int = DEFAULT_SAMPLE_RATE,
    expected_s: float | None = None,
    children: ffmpeg.Children | None = None,
) -> np.ndarray:
    """All of audio stream ``audio_stream`` (``0:a:N``) as mono float32 samples at ``sr`` Hz.

    Channels are mixed down and resampled inside ffmpeg, and gaps in the stream's timestamps are
    filled with silence, so sample ``i`` always plays at ``i / sr`` seconds from the file's start,
    the zero of the picture's times too (:func:`~clipindex.ffmpeg.same_clock_as_sound`).
    ``expected_s`` (about how long the sound is, e.g. the container's duration) lets the samples
    be read into place without a second copy. ``children``: the run's ffmpeg processes, to
    decode among them (:class:`~clipindex.ffmpeg.Children`).

    >>> samples = decode_audio("samples/training-montage.mp4")  # doctest: +SKIP
    >>> samples.dtype, len(samples) / 22050                      # doctest: +SKIP
    (dtype('float32'), 75.0)
    """
    source = ffmpeg_python.input(ffmpeg.input_url(path))
    stream = (
        source[f"a:{audio_stream}"]
        .filter("aresample", **{"async": 1, "first_pts": 0})
        .output(
            "pipe:",
            format="f32le",
            acodec="pcm_f32le",
            ac=1,
            ar=sr,
        )
    )
    stream = ffmpeg_python.merge_outputs(stream, ffmpeg.same_clock_as_sound(source))
    return ffmpeg.read_array(
        ffmpeg.compile_args(stream),
        what=f"{os.fspath(path)}: cannot decode the sound",
        dtype="<f4",
        expected_items=round((expected_s or 0.0) * 1.01 * sr) + sr,
        children=children,
    ).view(np.float32)


def decode_recordings(
    paths: Sequence[str | os.PathLike[str] | None],
    *,
    sr: int = DEFAULT_SAMPLE_RATE,
    children: ffmpeg.Children | None = None,
) -> list[np.ndarray | None]:
    """Each file's first audio stream like :func:`decode_audio`, two files at a time.

    A path given twice is decoded once and gets the same array; None stays None.

    >>> a, b, c = decode_recordings(["song.ogg", None, "song.ogg"])   # doctest: +SKIP
    >>> a is c, b                                                    # doctest: +SKIP
    (True, None)
    """
    distinct = list(dict.fromkeys(os.fspath(path) for path in paths if path is not None))
    with ThreadPoolExecutor(max_workers=2) as workers:
        arrays = list(
            workers.map(lambda path: decode_audio(path, sr=sr, children=children), distinct)
        )
    decoded = dict(zip(distinct, arrays, strict=True))
    return [decoded[os.fspath(path)] if path is not None else None for path in paths]
