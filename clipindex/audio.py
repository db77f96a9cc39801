"""Decode a file's sound to mono PCM samples for music analysis.

A film's soundtrack, and the recordings of its songs, are kept on disk while they are analysed
(:func:`spool_audio`), so memory does not grow with their length.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import ffmpeg as ffmpeg_python
import numpy as np

from clipindex import ffmpeg
from clipindex.errors import MediaError
from clipindex.spool import Spool, no_room, temporary_file

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
    return ffmpeg.read_array(
        _decoder_args(path, audio_stream, sr),
        what=f"{os.fspath(path)}: cannot decode the sound",
        dtype="<f4",
        expected_items=round((expected_s or 0.0) * 1.01 * sr) + sr,
        children=children,
    ).view(np.float32)


def spool_audio(
    path: str | os.PathLike[str],
    *,
    audio_stream: int = 0,
    sr: int = DEFAULT_SAMPLE_RATE,
    children: ffmpeg.Children | None = None,
) -> Spool:
    """The samples :func:`decode_audio` gives, written by ffmpeg straight into an unnamed
    temporary file rather than held in memory, to be read back by slices (a
    :class:`~clipindex.spool.Spool`; 4 bytes a sample, 5.3 MB a minute at 22,050 Hz).
    ``children``: as for :func:`decode_audio`.

    >>> with spool_audio("samples/training-montage.mp4") as sound:  # doctest: +SKIP
    ...     len(sound) / 22050, sound[:3].dtype
    (75.0, dtype('float32'))
    """
    file = temporary_file("sound")
    try:
        ffmpeg.run(
            _decoder_args(path, audio_stream, sr),
            what=f"{os.fspath(path)}: cannot decode the sound",
            children=children,
            into=file,
        )
    except MediaError as error:
        file.close()
        if "No space left on device" in str(error):  # ffmpeg could not write: not the file's fault
            raise no_room(f"the sound of {os.fspath(path)}") from None
        raise
    except BaseException:
        file.close()
        raise
    return Spool(1, file)


def _decoder_args(path: str | os.PathLike[str], audio_stream: int, sr: int) -> list[str]:
    """ffmpeg's command line for stream ``a:audio_stream`` as mono float32 at ``sr`` Hz on its
    standard output, on the picture's clock."""
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
    return ffmpeg.compile_args(stream)


def spool_recordings(
    paths: Sequence[str | os.PathLike[str] | None],
    *,
    sr: int = DEFAULT_SAMPLE_RATE,
    children: ffmpeg.Children | None = None,
) -> list[Spool | None]:
    """Each file's first audio stream spooled like :func:`spool_audio`, two files at a time.

    A path given twice is decoded once and gets the same spool; None stays None. The caller
    closes the spools.

    >>> a, b, c = spool_recordings(["song.ogg", None, "song.ogg"])   # doctest: +SKIP
    >>> a is c, b                                                    # doctest: +SKIP
    (True, None)
    """
    distinct = list(dict.fromkeys(os.fspath(path) for path in paths if path is not None))
    with ThreadPoolExecutor(max_workers=2) as workers:
        jobs = [workers.submit(spool_audio, path, sr=sr, children=children) for path in distinct]
    failed = next((job.exception() for job in jobs if job.exception() is not None), None)
    if failed is not None:  # the others' spools are deleted, the first failure told
        for job in jobs:
            if job.exception() is None:
                job.result().close()
        raise failed
    decoded = dict(zip(distinct, (job.result() for job in jobs), strict=True))
    return [decoded[os.fspath(path)] if path is not None else None for path in paths]
