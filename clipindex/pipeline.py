"""The indexing pipeline: decode → detect cuts → segment the music → link credits → index.

Video frames and sound are decoded at the same time (the sound in a second ffmpeg process on a
worker thread, as is the file's checksum), and the music is analysed as soon as the sound is
decoded, while the video still decodes: only moving hand-overs onto cuts waits for the cuts. So
indexing costs little more than decoding the video. The sound waits on disk, not in memory, and
each frame leaves a few numbers, so memory hardly grows with the video's length.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from clipindex import __version__, ffmpeg
from clipindex.audio import DEFAULT_SAMPLE_RATE, spool_audio, spool_recordings
from clipindex.cuts import CutParameters, SceneDetector, make_detector, shots_from_cuts
from clipindex.errors import CreditsError, MediaError
from clipindex.files import sha256_of
from clipindex.frames import DETECT_WIDTH, FrameStream, describe_damage
from clipindex.index import (
    AudioStream,
    Codecs,
    Curve,
    Cut,
    Gap,
    Generator,
    Index,
    Segment,
    Shot,
    Source,
    TrackCredit,
)
from clipindex.memory import give_back_freed_memory, map_large_blocks
from clipindex.probe import MediaInfo
from clipindex.spool import Spool

if TYPE_CHECKING:
    from clipindex.credits import Credits  # loaded by whoever reads a credits file
    from clipindex.music import MusicAnalysis  # imported on the analysis thread
    from clipindex.outputs.thumbnails import ThumbnailWriter  # imported when asked for


@dataclass(frozen=True)
class IndexSettings:
    """Every setting that changes an index; recorded in ``generator.parameters``."""

    detector: str = "clipindex"
    """Which cut detector (:data:`clipindex.cuts.DETECTORS`)."""
    cuts: CutParameters = field(default_factory=CutParameters)
    detect_width: int = DETECT_WIDTH
    audio_stream: int | None = None
    sample_rate: int = DEFAULT_SAMPLE_RATE
    min_segment_s: float = 8.0
    snap_window_s: float = 1.0


def index_video(
    path: str | os.PathLike[str],
    credits: Credits | None = None,
    settings: IndexSettings | None = None,
    *,
    on_frames: Callable[[int], None] | None = None,
    thumbnails: ThumbnailWriter | None = None,
    credits_sha256: str | None = None,
    frames: FrameStream | None = None,
) -> Index:
    """Index the video at ``path``: its cuts, shots and musical segments, linked to ``credits``.

    With credits, there is one musical segment per credited track, in the credits' order, unless
    the tracks name reference recordings, which are then recognised in the sound (in any order,
    any number of times); without credits, the number of segments is decided from the sound.
    Stretches without music are gaps, which no segment covers.

    ``thumbnails`` writes a small JPEG of each shot from the frames decoded for cut detection.
    ``on_frames(n)`` is told of every ``n`` frames decoded, for a progress bar. ``credits_sha256``
    (of the credits file) is recorded with the settings, so an index can tell whether it is up to
    date. ``frames`` is the video's :class:`~clipindex.frames.FrameStream` at
    ``settings.detect_width``, if the caller has started it (the CLI starts the decoder before
    loading the rest of clipindex); what the file holds is read from it. On Ctrl-C or an
    error, the decoders are stopped and the exception raised at once; a music analysis under way
    is not waited for.

    >>> index = index_video("samples/training-montage.mp4", load_credits(...))  # doctest: +SKIP
    >>> [segment.track.title for segment in index.segments]                    # doctest: +SKIP
    ['Training Montage', 'Hearts on Fire']
    """
    settings = settings or IndexSettings()
    path = os.fspath(path)
    map_large_blocks()  # what grows with the video's length is not left scattered in the heap
    frames = frames if frames is not None else FrameStream(path, settings.detect_width)
    if frames.max_width != settings.detect_width:
        raise ValueError(
            f"frames asked {frames.max_width} px wide, not the settings' {settings.detect_width}"
        )
    with frames:
        return _index(frames, credits, settings, on_frames, thumbnails, credits_sha256)


def _index(
    frames: FrameStream,
    credits: Credits | None,
    settings: IndexSettings,
    on_frames: Callable[[int], None] | None,
    thumbnails: ThumbnailWriter | None,
    credits_sha256: str | None,
) -> Index:
    info = frames.info
    path = info.path
    audio_stream = _choose_audio_stream(info, settings.audio_stream)
    warnings: list[str] = []
    if audio_stream is None:
        if credits is not None:
            raise CreditsError(
                f"{path}: the video has no sound, so the music of the {len(credits.tracks)} "
                "credited tracks cannot be placed"
            )
        warnings.append("no audio stream: musical segments were not looked for")
    elif credits is not None and info.duration_s is not None:
        _check_room_for_tracks(info.path, info.duration_s, credits, settings.min_segment_s)

    children = ffmpeg.Children()  # the sound's decoders; the picture's is ``frames``
    workers = ThreadPoolExecutor(max_workers=3)
    cut_times: Future[list[float]] = Future()
    try:
        checksum = workers.submit(sha256_of, path)
        heard: Future[_Heard] | None = None
        if audio_stream is not None:
            sound = workers.submit(
                spool_audio,
                path,
                audio_stream=audio_stream,
                sr=settings.sample_rate,
                children=children,
            )
            channels = info.audio[audio_stream].channels
            heard = workers.submit(
                _listen,
                info.path,
                sound,
                settings,
                credits,
                channels,
                _CutTimes(cut_times),
                children,
            )
        detector = _detect_cuts(frames, settings, on_frames, thumbnails)
        found = detector.finish()
        cut_times.set_result([cut.time_s for cut in found])
        sha256 = checksum.result()
        music = heard.result() if heard is not None else _Heard()
    except BaseException:  # Ctrl-C or a failure: stop the other decoder, and return at once
        # rather than wait for an analysis under way (it finishes unwatched, its result dropped)
        cut_times.cancel()
        children.stop()
        workers.shutdown(wait=False, cancel_futures=True)
        raise
    workers.shutdown()

    times_s = detector.times_s
    warnings += music.warnings
    warnings += describe_damage(frames.damage)
    duration_s = _indexed_duration(info, times_s, warnings)
    cuts = [_cut_entry(cut, times_s) for cut in found]
    shots = [
        Shot(
            index=n,
            start_frame=int(a),
            end_frame=int(b),
            start_s=round(float(s), 6),
            end_s=round(float(e), 6),
        )
        for n, (a, b, s, e) in enumerate(shots_from_cuts(found, times_s, duration_s))
    ]
    if thumbnails is not None:
        shots = thumbnails.write(shots)
    entries = _MusicEntries()
    if music.analysis is not None:
        entries = _music_entries(music.analysis, credits, duration_s, music.sound_end_s)
        warnings += entries.warnings

    return Index(
        generator=Generator(
            version=__version__, parameters=index_parameters(settings, credits_sha256)
        ),
        title=credits.title if credits else None,
        source=_source(info, sha256, times_s, duration_s, audio_stream),
        cuts=cuts,
        shots=shots,
        segments=entries.segments,
        gaps=entries.gaps,
        music_segments_confidence=entries.confidence,
        music_curve=entries.curve,
        warnings=warnings,
    )


def _choose_audio_stream(info: MediaInfo, wanted: int | None) -> int | None:
    if wanted is None:
        default = info.default_audio
        return default.audio_index if default else None
    if not 0 <= wanted < len(info.audio):
        have = f"it has {len(info.audio)}" if info.audio else "it has none"
        raise MediaError(f"{info.path}: no audio stream {wanted} ({have}; they count from 0)")
    return wanted


def _check_room_for_tracks(
    path: str, sound_s: float, credits: Credits, min_segment_s: float
) -> None:
    """Refuse credits with more tracks than the sound can hold at ``min_segment_s`` each."""
    if sound_s / len(credits.tracks) < min_segment_s:
        raise CreditsError(
            f"{path}: {len(credits.tracks)} credited tracks cannot fit in {sound_s:.1f} s "
            f"of sound (each segment needs at least {min_segment_s:g} s)"
        )


_PROGRESS_EVERY = 25
"""Frames between two progress reports."""


def _detect_cuts(
    frames: FrameStream,
    settings: IndexSettings,
    on_frames: Callable[[int], None] | None,
    thumbnails: ThumbnailWriter | None,
) -> SceneDetector:
    fps = frames.info.video.nominal_fps or 25.0
    detector = make_detector(settings.detector, settings.cuts, fps)
    for frame in frames:
        record = detector.process(frame)
        if thumbnails is not None:
            thumbnails.add(frame, record)
        if on_frames is not None and frame.index % _PROGRESS_EVERY == _PROGRESS_EVERY - 1:
            on_frames(_PROGRESS_EVERY)
    if on_frames is not None:
        on_frames(len(detector.times_s) % _PROGRESS_EVERY)
    return detector


class _CutTimes(Sequence[float]):
    """The picture cuts' times, for the music analysis on its own thread: it may get to them
    before the video is decoded, and then waits for them."""

    def __init__(self, found: Future[list[float]]):
        self._found = found

    def __len__(self) -> int:
        return len(self._times())

    def __getitem__(self, index):  # type: ignore[override]
        return self._times()[index]

    def _times(self) -> list[float]:
        if not self._found.done():  # the wait may be long: not with the analysis's peak held
            give_back_freed_memory()
        return self._found.result()


@dataclass
class _Heard:
    """What the sound gave: its analysis (None if there is none) and why not, if not."""

    analysis: MusicAnalysis | None = None
    sound_end_s: float = 0.0
    warnings: list[str] = field(default_factory=list)


def _listen(
    path: str,
    sound: Future[Spool],
    settings: IndexSettings,
    credits: Credits | None,
    channels: str,
    cut_times_s: Sequence[float],
    children: ffmpeg.Children,
) -> _Heard:
    """Analyse the sound as soon as it is decoded, while the video still decodes.

    The analysis is imported meanwhile. A sound that cannot be decoded is a warning, or with
    credits the error.
    """
    from clipindex.music import analyse_music

    try:
        samples = sound.result()
    except MediaError as error:
        if credits is not None:
            raise
        return _Heard(warnings=[f"the sound could not be decoded, so no musical segments: {error}"])
    with ExitStack() as done:  # the spooled sounds are deleted once analysed
        done.callback(give_back_freed_memory)
        done.enter_context(samples)
        sound_end_s = len(samples) / settings.sample_rate
        if credits is not None:
            _check_room_for_tracks(path, sound_end_s, credits, settings.min_segment_s)
        if _silent(samples):
            return _Heard(warnings=["the sound is silent: musical segments were not looked for"])
        tracks = credits.tracks if credits is not None else []
        recordings = spool_recordings(
            [track.audio for track in tracks], sr=settings.sample_rate, children=children
        )
        for recording in dict.fromkeys(r for r in recordings if r is not None):
            done.enter_context(recording)
        analysis = analyse_music(
            samples,
            settings.sample_rate,
            n_tracks=len(tracks) if credits is not None else None,
            references=recordings,
            cut_times_s=cut_times_s,
            min_segment_s=settings.min_segment_s,
            snap_window_s=settings.snap_window_s,
            channels=1 if channels == "mono" else 2,
        )
        return _Heard(analysis, sound_end_s)


_SILENCE_CHUNK = 1 << 20
"""Samples read at a time to tell whether the sound is all zeros."""


def _silent(samples: Spool) -> bool:
    """Whether every sample is zero."""
    return not any(
        np.any(samples[i : i + _SILENCE_CHUNK]) for i in range(0, len(samples), _SILENCE_CHUNK)
    )


def _indexed_duration(info: MediaInfo, times_s: Sequence[float], warnings: list[str]) -> float:
    """The container's duration, or where decoding stopped if that is clearly earlier."""
    step = float(np.median(np.diff(times_s))) if len(times_s) > 1 else 0.0
    decoded_end_s = times_s[-1] + (step or 1.0 / (info.video.nominal_fps or 25.0))
    if info.duration_s is None:
        return round(decoded_end_s, 6)
    if decoded_end_s < info.duration_s - 1.0:
        warnings.append(
            f"the video stops at {decoded_end_s:.1f} s, short of the {info.duration_s:.1f} s "
            "its container states: the file looks cut short; indexed what decodes"
        )
        return round(decoded_end_s, 6)
    return info.duration_s


def _cut_entry(cut, times_s: Sequence[float]) -> Cut:
    return Cut(
        time_s=round(float(cut.time_s), 6),
        frame=int(cut.frame),
        kind=cut.kind,
        score=float(cut.score),
        start_frame=int(cut.start_frame),
        end_frame=int(cut.end_frame),
        start_s=round(float(times_s[cut.start_frame]), 6),
        end_s=round(float(times_s[cut.end_frame]), 6),
    )


def _number(value: float | None, digits: int | None = None) -> float | None:
    """A plain float (rounded to ``digits``) of what may be a NumPy number; None stays None."""
    if value is None:
        return None
    return float(value) if digits is None else round(float(value), digits)


@dataclass
class _MusicEntries:
    """The musical part of an index."""

    segments: list[Segment] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    confidence: float | None = None
    curve: Curve | None = None
    warnings: list[str] = field(default_factory=list)


def _music_entries(
    found: MusicAnalysis, credits: Credits | None, duration_s: float, sound_end_s: float
) -> _MusicEntries:
    """The index's segments, gaps and change curve from the analysis, on the video's clock."""
    tracks = credits.tracks if credits is not None else []

    def clamp(time_s: float) -> float:
        """A time of the sound on the video's clock: the sound's end is the video's."""
        time_s = float(time_s)
        return round(duration_s if time_s >= sound_end_s - 1e-3 else min(time_s, duration_s), 3)

    segments = []
    for number, part in enumerate(found.segments):
        credited = tracks[part.track] if part.track is not None else None
        segments.append(
            Segment(
                index=number,
                start_s=clamp(part.start_s),
                end_s=clamp(part.end_s),
                track=TrackCredit(**credited.model_dump(exclude={"audio"})) if credited else None,
                confidence=round(float(np.clip(part.confidence, 0, 1)), 3),
                snapped_to_cut=bool(part.snapped_to_cut),
                audio_start_s=clamp(
                    part.audio_start_s if part.audio_start_s is not None else part.start_s
                ),
                overlap_s=_number(part.overlap_s, 3),
                identified_by=part.identified_by,
                track_offset_s=_number(part.track_offset_s, 3),
                tempo_bpm=_number(part.tempo_bpm),
                tempo_confidence=_number(part.tempo_confidence),
                loudness_lufs=_number(part.loudness_lufs),
                loudness_confidence=_number(part.loudness_confidence),
            )
        )
    gaps = [
        Gap(index=number, start_s=clamp(start), end_s=clamp(end))
        for number, (start, end) in enumerate(found.gaps)
    ]
    warnings = [
        f"credited track {number + 1} ({tracks[number].title}): its reference recording "
        "is not heard in the video"
        for number in found.unheard
    ]
    heard = list(
        dict.fromkeys(s.track for s in found.segments if s.identified_by == "reference_audio")
    )
    if heard != sorted(heard):
        order = ", ".join(tracks[number].title for number in heard)
        warnings.append(f"the credits list the tracks in another order than they play: {order}")
    curve = Curve(
        times_s=[round(float(t), 3) for t in found.curve_times_s],
        values=[round(float(v), 4) for v in found.curve],
    )
    return _MusicEntries(segments, gaps, _number(found.n_segments_confidence, 3), curve, warnings)


def _source(
    info: MediaInfo,
    sha256: str,
    times_s: Sequence[float],
    duration_s: float,
    audio_stream: int | None,
) -> Source:
    steps = np.diff(times_s) if len(times_s) > 1 else np.array([])
    median_step = float(np.median(steps)) if steps.size else 0.0
    variable = bool(steps.size and np.any(np.abs(steps - median_step) > 0.25 * median_step))
    span = times_s[-1] - times_s[0] if len(times_s) > 1 else 0.0
    fps = (len(times_s) - 1) / span if span > 0 else (info.video.nominal_fps or 0.0)
    video = info.video
    width, height = video.width, video.height
    if round(video.rotation_deg) % 180 == 90:
        width, height = height, width
    used = info.audio[audio_stream] if audio_stream is not None else None
    return Source(
        path=info.path,
        size_bytes=info.size_bytes,
        sha256=sha256,
        container=info.container,
        duration_s=duration_s,
        fps=round(fps, 4),
        nominal_fps=video.nominal_fps,
        variable_frame_rate=variable,
        n_frames=len(times_s),
        width=width,
        height=height,
        rotation_deg=video.rotation_deg,
        interlaced=video.interlaced,
        pix_fmt=video.pix_fmt or None,
        codecs=Codecs(video=video.codec, audio=used.codec if used else None),
        has_audio=bool(info.audio),
        audio_streams=[
            AudioStream(
                audio_index=s.audio_index,
                codec=s.codec,
                sample_rate=s.sample_rate,
                channels=s.channels,
                language=s.language,
                default=s.default,
            )
            for s in info.audio
        ],
        audio_stream_used=audio_stream,
    )


def index_parameters(
    settings: IndexSettings,
    credits_sha256: str | None = None,
    corrections_sha256: str | None = None,
) -> dict:
    """The settings as recorded in ``generator.parameters``, with the digests of the credits
    and corrections files."""
    return {
        **dataclasses.asdict(settings),
        "credits_sha256": credits_sha256,
        "corrections_sha256": corrections_sha256,
    }
