"""The indexing pipeline: probe → decode → detect cuts → segment the music → link credits → index.

Video frames and sound are decoded at the same time (the sound in a second ffmpeg process on a
worker thread, as is the file's checksum), so indexing costs little more than decoding the video.
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from clipindex import __version__, ffmpeg
from clipindex.audio import DEFAULT_SAMPLE_RATE, decode_audio
from clipindex.credits import Credits
from clipindex.cuts import CutDetector, CutParameters, shots_from_cuts
from clipindex.errors import CreditsError, MediaError
from clipindex.files import sha256_of
from clipindex.frames import DETECT_WIDTH, FrameStream, describe_damage
from clipindex.index import (
    AudioStream,
    Codecs,
    Curve,
    Cut,
    Generator,
    Index,
    Segment,
    Shot,
    Source,
    TrackCredit,
)
from clipindex.music import find_music_segments
from clipindex.probe import MediaInfo, probe


@dataclass(frozen=True)
class IndexSettings:
    """Every setting that changes an index; recorded in ``generator.parameters``."""

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
    progress: bool = False,
) -> Index:
    """Index the video at ``path``: its cuts, shots and musical segments, linked to ``credits``.

    With credits, there is one musical segment per credited track, in the credits' order; without,
    the number of segments is decided from the sound.

    >>> index = index_video("samples/training-montage.mp4", load_credits(...))  # doctest: +SKIP
    >>> [segment.track.title for segment in index.segments]                    # doctest: +SKIP
    ['Training Montage', 'Hearts on Fire']
    """
    settings = settings or IndexSettings()
    path = os.fspath(path)
    info = probe(path)
    if info.video is None:
        raise MediaError(f"{path}: no video stream (is it an audio file?)")
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

    with ThreadPoolExecutor(max_workers=2) as workers:
        try:
            checksum = workers.submit(sha256_of, path)
            sound: Future[np.ndarray] | None = None
            if audio_stream is not None:
                sound = workers.submit(
                    decode_audio, path, audio_stream=audio_stream, sr=settings.sample_rate
                )
            detector, damage = _detect_cuts(info, settings, progress)
            samples = _sound_or_warning(sound, credits, warnings)
            if samples is not None and credits is not None:
                sound_s = len(samples) / settings.sample_rate
                _check_room_for_tracks(info.path, sound_s, credits, settings.min_segment_s)
            sha256 = checksum.result()
        except BaseException:  # Ctrl-C or a failure: stop the other decoder at once
            ffmpeg.stop_all()
            raise

    times_s = detector.times_s
    warnings += describe_damage(damage)
    duration_s = _indexed_duration(info, times_s, warnings)
    found = detector.finish()
    cuts = [_cut_entry(cut, times_s) for cut in found]
    shots = [
        Shot(index=n, start_frame=a, end_frame=b, start_s=round(s, 6), end_s=round(e, 6))
        for n, (a, b, s, e) in enumerate(shots_from_cuts(found, times_s, duration_s))
    ]
    segments: list[Segment] = []
    curve: Curve | None = None
    if samples is not None:
        if not np.any(samples):
            warnings.append("the sound is silent: musical segments were not looked for")
        else:
            segments, curve = _music_segments(
                samples, settings, credits, [c.time_s for c in found], duration_s
            )

    return Index(
        generator=Generator(version=__version__, parameters=_parameters(settings)),
        title=credits.title if credits else None,
        source=_source(info, sha256, times_s, duration_s, audio_stream),
        cuts=cuts,
        shots=shots,
        segments=segments,
        music_curve=curve,
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


def _detect_cuts(
    info: MediaInfo, settings: IndexSettings, progress: bool
) -> tuple[CutDetector, list[str]]:
    fps = info.video.nominal_fps or 25.0
    detector = CutDetector(settings.cuts, fps=fps)
    expected = round((info.duration_s or 0) * fps) or None
    with (
        FrameStream(info, settings.detect_width) as frames,
        tqdm(
            total=expected, unit="frame", disable=not progress, leave=False, desc="indexing"
        ) as bar,
    ):
        for frame in frames:
            detector.process(frame)
            bar.update()
    return detector, frames.damage


def _sound_or_warning(
    sound: Future[np.ndarray] | None, credits: Credits | None, warnings: list[str]
) -> np.ndarray | None:
    """The decoded sound; if it cannot be decoded, a warning (or, with credits, the error)."""
    if sound is None:
        return None
    try:
        return sound.result()
    except MediaError as error:
        if credits is not None:
            raise
        warnings.append(f"the sound could not be decoded, so no musical segments: {error}")
        return None


def _indexed_duration(info: MediaInfo, times_s: list[float], warnings: list[str]) -> float:
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


def _cut_entry(cut, times_s: list[float]) -> Cut:
    return Cut(
        time_s=round(cut.time_s, 6),
        frame=cut.frame,
        kind=cut.kind,
        score=cut.score,
        start_frame=cut.start_frame,
        end_frame=cut.end_frame,
        start_s=round(times_s[cut.start_frame], 6),
        end_s=round(times_s[cut.end_frame], 6),
    )


def _music_segments(
    samples: np.ndarray,
    settings: IndexSettings,
    credits: Credits | None,
    cut_times_s: list[float],
    duration_s: float,
) -> tuple[list[Segment], Curve]:
    found = find_music_segments(
        samples,
        settings.sample_rate,
        n_segments=len(credits.tracks) if credits else None,
        cut_times_s=cut_times_s,
        min_segment_s=settings.min_segment_s,
        snap_window_s=settings.snap_window_s,
    )
    starts = [0.0] + [b.time_s for b in found.boundaries]
    audio_starts = [0.0] + [b.audio_time_s for b in found.boundaries]
    snapped = [False] + [b.snapped_to_cut for b in found.boundaries]
    ends = starts[1:] + [duration_s]
    segments = []
    for number, (start, end) in enumerate(zip(starts, ends, strict=True)):
        track = None
        if credits is not None:
            credited = credits.tracks[number]
            track = TrackCredit(**credited.model_dump(exclude={"audio"}))
        segments.append(
            Segment(
                identified_by="credits_order" if credits is not None else None,
                index=number,
                start_s=round(start, 3),
                end_s=round(end, 3),
                track=track,
                confidence=round(float(np.clip(found.segment_confidences[number], 0, 1)), 3),
                snapped_to_cut=snapped[number],
                audio_start_s=round(audio_starts[number], 3),
            )
        )
    curve = Curve(
        times_s=[round(float(t), 3) for t in found.curve_times_s],
        values=[round(float(v), 4) for v in found.curve],
    )
    return segments, curve


def _source(
    info: MediaInfo, sha256: str, times_s: list[float], duration_s: float, audio_stream: int | None
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


def _parameters(settings: IndexSettings) -> dict:
    return dataclasses.asdict(settings)
