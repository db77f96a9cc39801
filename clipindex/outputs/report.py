"""The report: one self-contained HTML page to look at an index instead of reading its JSON.

A timeline shows the musical segments coloured by track, the change in the sound that placed the
hand-overs (the index's ``music_curve``), every cut marked by kind, and the shots; below it, a
picture of every shot (the thumbnails written by ``clipindex index --thumbnails``, inlined as
``data:`` URIs), then the credits and what the index warns about. CSS, script and pictures are all
inside the page, so it can be mailed or archived as one file.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import stat
from collections import Counter
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath

from clipindex.index import Cut, Index, Segment, Shot
from clipindex.outputs.html import asset, clock, colour, credit_rows, definition_list, text

CUT_COLOURS = {
    "hard": "#111827",
    "fade_out": "#7c3aed",
    "fade_in": "#0891b2",
    "dissolve": "#db2777",
    "dip": "#65a30d",
}
CUT_NAMES = {
    "hard": ("hard cut", "hard cuts"),
    "fade_out": ("fade out", "fades out"),
    "fade_in": ("fade in", "fades in"),
    "dissolve": ("dissolve", "dissolves"),
    "dip": ("dip to black", "dips to black"),
}
"""Each kind of cut in words: one, and more than one."""

_WIDTH = 1200
_LEFT = 118
_RIGHT = 1190
_RULER_Y, _MUSIC_Y, _SOUND_Y, _CUTS_Y, _SHOTS_Y, _HEIGHT = 18, 28, 74, 152, 190, 226


MAX_PICTURE_BYTES = 4 * 1024 * 1024
"""Largest shot picture put in the page (clipindex writes them at about 15 kB)."""

MAX_PICTURES_BYTES = 256 * 1024 * 1024
"""Most the pictures may add up to in one page."""

LEFT_OUT = {
    "missing": "were not found beside it",
    "outside": "lead out of its folder, and were not read",
    "not a file": "are not regular files, and were not read",
    "too large": f"are larger than {MAX_PICTURE_BYTES // 2**20} MB, and were not read",
    "not a JPEG": "are not JPEG pictures, and were not read",
    "page full": f"would take the page past {MAX_PICTURES_BYTES // 2**20} MB, and were left out",
}
"""Why a picture an index lists is not in the page, as the report's warning says it."""

_JPEG_START = b"\xff\xd8\xff"


def load_thumbnails(
    index: Index, index_folder: str | os.PathLike[str]
) -> tuple[dict[int, bytes], Counter[str]]:
    """The JPEG of each shot that has one, by shot index, and how many listed pictures were
    left out for each reason of :data:`LEFT_OUT`.

    Paths are relative to the index's folder, and only what is inside it is read: an index
    cannot put ``/etc/passwd``, ``../secret`` or a link out of the folder into the page, nor a
    device, a pipe, anything but a JPEG, or more than :data:`MAX_PICTURE_BYTES` a picture."""
    folder = Path(index_folder).resolve()
    pictures: dict[int, bytes] = {}
    left_out: Counter[str] = Counter()
    total = 0
    for shot in index.shots:
        if shot.thumbnail is None:
            continue
        picture = _picture(folder, shot.thumbnail)
        if isinstance(picture, str):
            left_out[picture] += 1
        elif total + len(picture) > MAX_PICTURES_BYTES:
            left_out["page full"] += 1
        else:
            pictures[shot.index] = picture
            total += len(picture)
    return pictures, left_out


def _picture(folder: Path, name: str) -> bytes | str:
    """The JPEG at ``name`` inside ``folder``, or why it is left out."""
    if "\0" in name or PurePosixPath(name).is_absolute() or PureWindowsPath(name).drive:
        return "outside"
    try:
        path = (folder / name).resolve(strict=True)
    except FileNotFoundError:
        return "missing"
    except (OSError, RuntimeError):  # a loop of links, a file taken for a folder
        return "not a file"
    if not path.is_relative_to(folder):
        return "outside"
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return "missing"
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        return "not a file"
    with open(descriptor, "rb") as handle:
        data = handle.read(MAX_PICTURE_BYTES + 1)
    if len(data) > MAX_PICTURE_BYTES:
        return "too large"
    if not data.startswith(_JPEG_START):
        return "not a JPEG"
    return data


def render_report(
    index: Index,
    thumbnails: Mapping[int, bytes],
    *,
    video_src: str | None = None,
    video_path: str | None = None,
) -> str:
    """The report page for ``index``; ``thumbnails`` maps shot indexes to JPEG bytes.

    With ``video_src`` (the video's address as the page loads it), the page has a player that
    the timeline, the cuts and the shots seek. ``video_path`` is the video as the user names it
    on the command line, for the corrections the page suggests (default: the index's source).
    The page is titled from the credits, or else from the video's file name.
    """
    title = index.title or Path(index.source.path).name
    kinds = {kind: sum(cut.kind == kind for cut in index.cuts) for kind in CUT_NAMES}
    summary = ", ".join(f"{n} {CUT_NAMES[kind][n > 1]}" for kind, n in kinds.items() if n)
    source = index.source
    facts = [
        ("File", source.path),
        ("Length", f"{clock(source.duration_s, 3)} ({source.duration_s:g} s)"),
        (
            "Picture",
            f"{source.width}×{source.height}, {source.fps:g} frames/s, {source.n_frames} frames",
        ),
        ("Cuts", f"{len(index.cuts)}: {summary}" if index.cuts else "none"),
        ("Shots", str(len(index.shots))),
        ("Musical segments", str(len(index.segments))),
        ("Made by", f"{index.generator.name} {index.generator.version}"),
    ]
    fact_rows = "".join(f"<dt>{label}</dt><dd>{text(value)}</dd>" for label, value in facts)
    player = ""
    if video_src is not None:
        player = f'<video id="player" controls preload="auto" src="{text(video_src)}"></video>'
    parts = [
        f"<header><h1>{text(title)}</h1><dl class='facts'>{fact_rows}</dl></header>",
        _warnings(index),
        "<section><h2>Timeline</h2>",
        player,
        _legend(index),
        f'<div class="timeline-scroll">{_timeline(index)}</div>',
        _review_bar(video_src is not None),
        "</section>",
        _shots(index, thumbnails),
        _credits(index),
        _review_data(index, video_path or index.source.path),
    ]
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{text(title)} — clipindex report</title>
<style>
{asset("report.css")}</style>
</head>
<body>
{"".join(parts)}
<script>
{asset("report.js")}</script>
</body>
</html>
"""


def _x(time_s: float, duration_s: float) -> float:
    """Where ``time_s`` falls on the timeline, in SVG units."""
    share = time_s / duration_s if duration_s > 0 else 0.0
    return round(_LEFT + max(0.0, min(1.0, share)) * (_RIGHT - _LEFT), 2)


def _tick_step(duration_s: float) -> float:
    """A round step between ruler labels giving about a dozen of them."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration_s / step <= 14:
            return step
    return 7200


def _timeline(index: Index) -> str:
    duration = index.source.duration_s
    svg = [
        f'<svg class="timeline" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" '
        f'data-left="{_LEFT}" data-right="{_RIGHT}" data-duration="{duration}" '
        'aria-label="Timeline of the music, the sound, the cuts and the shots">'
    ]
    labels = (
        (_MUSIC_Y + 21, "Music"),
        (_SOUND_Y + 38, "Sound change"),
        (_CUTS_Y + 20, "Cuts"),
        (_SHOTS_Y + 18, "Shots"),
    )
    svg += [f'<text class="lane" x="4" y="{y}">{label}</text>' for y, label in labels]
    step = _tick_step(duration)
    tick = 0.0
    while tick <= duration + 1e-9:
        x = _x(tick, duration)
        svg.append(
            f'<line class="grid" x1="{x}" x2="{x}" y1="{_RULER_Y + 4}" y2="{_HEIGHT}"/>'
            f'<text class="tick" x="{x}" y="{_RULER_Y}">{clock(tick)}</text>'
        )
        tick += step
    svg += _music_lane(index, duration)
    svg += _sound_lane(index, duration)
    svg += [_cut_mark(cut, duration) for cut in index.cuts]
    svg += [_shot_bar(shot, duration) for shot in index.shots]
    svg += _damage_marks(index, duration)
    svg.append(
        f'<line id="playhead" x1="{_LEFT}" x2="{_LEFT}" y1="{_RULER_Y + 4}" y2="{_HEIGHT}"/>'
    )
    svg.append("</svg>")
    return "\n".join(svg)


def _music_lane(index: Index, duration: float) -> list[str]:
    marks = []
    spans = [(s.start_s, s.end_s, s, f"music-{s.index}") for s in index.segments]
    spans += [(g.start_s, g.end_s, None, f"gap-{g.index}") for g in index.gaps]
    for start, end, segment, clip in spans:
        x0, x1 = _x(start, duration), _x(end, duration)
        name = _segment_name(segment) if segment else "no music"
        fill = colour(segment.index if segment else None)
        marks.append(
            f'<clipPath id="{clip}"><rect x="{x0}" y="{_MUSIC_Y}" width="{x1 - x0}" '
            f'height="36"/></clipPath>'
            f'<g class="segment"><title>{text(name)}: {clock(start, 2)}–{clock(end, 2)}</title>'
            f'<rect x="{x0}" y="{_MUSIC_Y}" width="{x1 - x0}" height="36" rx="3" '
            f'fill="{fill}"/><text clip-path="url(#{clip})" x="{x0 + 6}" y="{_MUSIC_Y + 23}">'
            f"{text(name)}</text></g>"
        )
    return marks


def _sound_lane(index: Index, duration: float) -> list[str]:
    curve = index.music_curve
    top, height = _SOUND_Y, 66
    marks = [
        f'<rect class="lane-bg" x="{_LEFT}" y="{top}" width="{_RIGHT - _LEFT}" height="{height}"/>'
    ]
    if curve is None or not curve.values:
        marks.append(
            f'<text class="empty" x="{_LEFT + 8}" y="{top + 38}">no sound was analysed</text>'
        )
        return marks
    peak = max(max(curve.values), 1e-9)
    low = min(min(curve.values), 0.0)
    points = [
        (_x(t, duration), round(top + height - (v - low) / (peak - low) * (height - 4), 2))
        for t, v in zip(curve.times_s, curve.values, strict=True)
    ]
    line = " ".join(f"{x},{y}" for x, y in points)
    area = f"{points[0][0]},{top + height} {line} {points[-1][0]},{top + height}"
    marks.append(f'<polygon class="curve-area" points="{area}"/>')
    marks.append(
        f'<polyline class="curve" points="{line}"><title>change in the sound</title></polyline>'
    )
    for segment in index.segments[1:]:
        x = _x(segment.start_s, duration)
        note = f"hand-over at {clock(segment.start_s, 3)}"
        if segment.snapped_to_cut:
            heard = _x(segment.audio_start_s, duration)
            note += (
                f", moved onto a cut (the sound alone put it at {clock(segment.audio_start_s, 3)})"
            )
            marks.append(
                f'<line class="heard" x1="{heard}" x2="{heard}" y1="{top}" y2="{top + height}"/>'
            )
        marks.append(
            f'<line class="handover" x1="{x}" x2="{x}" y1="{_MUSIC_Y}" y2="{_SHOTS_Y + 26}">'
            f"<title>{text(note)}</title></line>"
        )
    return marks


def _cut_mark(cut: Cut, duration: float) -> str:
    fill = CUT_COLOURS[cut.kind]
    where = f"{clock(cut.time_s, 3)} (frame {cut.frame}, score {cut.score:g})"
    label = f"{CUT_NAMES[cut.kind][0]} at {where}"
    top, bottom = _CUTS_Y, _CUTS_Y + 28
    x = _x(cut.time_s, duration)
    if cut.kind == "hard":
        shape = (
            f'<rect class="hit" x="{x - 2}" y="{top}" width="4" height="{bottom - top}"/>'
            f'<line x1="{x}" x2="{x}" y1="{top}" y2="{bottom}" stroke="{fill}"/>'
        )
    else:
        x0, x1 = _x(cut.start_s, duration), _x(cut.end_s, duration)
        x1 = max(x1, x0 + 3)
        if cut.kind == "fade_out":
            corners = f"{x0},{top} {x1},{bottom} {x0},{bottom}"
        elif cut.kind == "fade_in":
            corners = f"{x0},{bottom} {x1},{top} {x1},{bottom}"
        else:
            corners = f"{x0},{top} {x1},{top} {x1},{bottom} {x0},{bottom}"
        shape = f'<polygon points="{corners}" fill="{fill}"/>'
    return (
        f'<g class="cut cut-{cut.kind}" data-time="{cut.time_s}" data-frame="{cut.frame}">'
        f"<title>{text(label)}</title>{shape}</g>"
    )


def _shot_bar(shot: Shot, duration: float) -> str:
    x0, x1 = _x(shot.start_s, duration), _x(shot.end_s, duration)
    return (
        f'<rect class="shot-bar{" odd" if shot.index % 2 else ""}" data-shot="{shot.index}" '
        f'data-time="{shot.start_s}" '
        f'x="{x0}" y="{_SHOTS_Y}" width="{max(x1 - x0, 0.5)}" height="26">'
        f"<title>shot {shot.index}: {clock(shot.start_s, 3)}–{clock(shot.end_s, 3)}</title></rect>"
    )


def _legend(index: Index) -> str:
    kinds = sorted({cut.kind for cut in index.cuts}, key=list(CUT_NAMES).index)
    items = [
        f'<li><span class="swatch" style="background:{colour(s.index)}"></span>'
        f"{text(_segment_name(s))}</li>"
        for s in index.segments
    ]
    items += [
        f'<li><span class="swatch cut-swatch" style="background:{CUT_COLOURS[kind]}"></span>'
        f"{CUT_NAMES[kind][0]}</li>"
        for kind in kinds
    ]
    return f'<ul class="legend">{"".join(items)}</ul>'


def _shots(index: Index, thumbnails: Mapping[int, bytes]) -> str:
    cuts_at = {cut.frame: cut for cut in index.cuts}
    cards = []
    for shot in index.shots:
        middle = (shot.start_s + shot.end_s) / 2
        segment = _segment_at(index.segments, middle)
        opened = cuts_at.get(shot.start_frame)
        how = CUT_NAMES[opened.kind][0] if opened else "start of the video"
        when = f"{clock(shot.start_s, 3)}–{clock(shot.end_s, 3)}"
        if shot.index in thumbnails:
            data = base64.b64encode(thumbnails[shot.index]).decode("ascii")
            picture = (
                f'<img class="shot-thumb" src="data:image/jpeg;base64,{data}" '
                f'alt="Shot {shot.index} at {clock(shot.start_s, 3)}">'
            )
        else:
            picture = '<div class="no-thumb">no picture</div>'
        cards.append(
            f'<figure class="shot" id="shot-{shot.index}" data-shot="{shot.index}" '
            f'data-time="{shot.start_s}" '
            f'style="--track: {colour(segment.index if segment else None)}">{picture}'
            f"<figcaption><b>Shot {shot.index}</b> <span>{when}</span> "
            f"<span>{shot.end_s - shot.start_s:.2f} s · {how}</span></figcaption></figure>"
        )
    note = ""
    added = {cut.frame for cut in index.cuts if cut.corrected}
    unpictured = [shot for shot in index.shots if shot.index not in thumbnails]
    if unpictured and thumbnails and all(shot.start_frame in added for shot in unpictured):
        note = (
            f'<p class="note">{len(unpictured)} of {len(index.shots)} shots, added by '
            "corrections after the pictures were taken, have no picture.</p>"
        )
    elif len(thumbnails) < len(index.shots):
        listed = sum(shot.thumbnail is not None for shot in index.shots)
        note = (
            f'<p class="note">{len(index.shots) - len(thumbnails)} of {len(index.shots)} shots '
            "have no picture"
            + (
                f" ({listed - len(thumbnails)} listed in the index could not be read)"
                if listed > len(thumbnails)
                else ""
            )
            + ": index the video with <code>clipindex index --thumbnails DIR</code> to see them."
            "</p>"
        )
    return f'<section><h2>Shots</h2>{note}<div class="shots">{"".join(cards)}</div></section>'


def _credits(index: Index) -> str:
    if not index.segments:
        return "<section><h2>Music</h2><p>No musical segments were found.</p></section>"
    blocks = []
    for segment in index.segments:
        track = segment.track
        rows: list[tuple[str, str | None]] = [
            ("Plays", f"{clock(segment.start_s, 3)}–{clock(segment.end_s, 3)}"),
            ("Confidence", f"{segment.confidence:.0%}"),
        ]
        if segment.snapped_to_cut:
            rows.append(
                (
                    "Hand-over",
                    f"moved onto the cut at {clock(segment.start_s, 3)}; the sound "
                    f"alone put it at {clock(segment.audio_start_s, 3)}",
                )
            )
        rows += _sound_rows(segment)
        details = definition_list(rows + credit_rows(track))
        if track is not None and track.musicbrainz_recording_id:
            link = f"https://musicbrainz.org/recording/{track.musicbrainz_recording_id}"
            details += f'<dt>MusicBrainz</dt><dd><a href="{text(link)}">{text(link)}</a></dd>'
        blocks.append(
            f'<article class="track" style="--track: {colour(segment.index)}">'
            f"<h3>{text(_segment_name(segment))}</h3><dl>{details}</dl></article>"
        )
    return f'<section><h2>Music</h2><div class="tracks">{"".join(blocks)}</div></section>'


def _warnings(index: Index) -> str:
    if not index.warnings:
        return ""
    items = "".join(f"<li>{text(warning)}</li>" for warning in index.warnings)
    return (
        f'<section class="warnings-first"><h2>Warnings</h2><ul class="warnings">{items}</ul>'
        "</section>"
    )


def _sound_rows(segment: Segment) -> list[tuple[str, str | None]]:
    """Tempo and loudness of a segment, each with how sure it is."""
    measured = (
        ("Tempo", segment.tempo_bpm, "{:.0f} BPM", segment.tempo_confidence),
        ("Loudness", segment.loudness_lufs, "{:.1f} LUFS", segment.loudness_confidence),
    )
    return [
        (label, form.format(value) + (f" (confidence {sure:.0%})" if sure is not None else ""))
        for label, value, form, sure in measured
        if value is not None
    ]


_DAMAGE = re.compile(
    r"^damaged video (?:near (?P<at>[\d.]+) s|from (?P<start>[\d.]+) s to (?P<end>[\d.]+) s)"
)


def damaged_stretches(index: Index) -> list[tuple[float, float]]:
    """The stretches of the video the index's warnings say are damaged, in seconds."""
    stretches = []
    for warning in index.warnings:
        found = _DAMAGE.match(warning)
        if found is None:
            continue
        if found["at"] is not None:
            stretches.append((float(found["at"]), float(found["at"])))
        else:
            stretches.append((float(found["start"]), float(found["end"])))
    return stretches


def _damage_marks(index: Index, duration: float) -> list[str]:
    marks = []
    for start, end in damaged_stretches(index):
        x0, x1 = _x(start, duration), _x(end, duration)
        marks.append(
            f'<rect class="damage" x="{x0 - 2}" y="{_RULER_Y + 4}" width="{max(x1 - x0, 0) + 4}" '
            f'height="{_HEIGHT - _RULER_Y - 4}"><title>damaged video {clock(start, 1)}–'
            f"{clock(end, 1)}</title></rect>"
        )
    return marks


def _review_bar(has_player: bool) -> str:
    keys = (
        "<kbd>n</kbd>/<kbd>p</kbd> next/previous cut, <kbd>N</kbd>/<kbd>P</kbd> next/previous "
        "hand-over"
        + (", <kbd>space</kbd> play/pause" if has_player else "")
        + "; click the timeline, a cut or a shot to go there"
    )
    return (
        '<div class="review"><span class="where">at <b id="now">0:00.000</b></span> '
        '<button type="button" id="correct-here">Correct here</button> '
        f'<span class="keys">{keys}</span>'
        '<pre id="correction" hidden></pre></div>'
    )


def _review_data(index: Index, video_path: str) -> str:
    """What the page's script needs to step and suggest corrections, as JSON."""
    data = {
        "video": shlex.quote(video_path),
        "duration_s": index.source.duration_s,
        "cuts_s": [cut.time_s for cut in index.cuts],
        "handovers_s": [segment.start_s for segment in index.segments[1:]],
    }
    payload = json.dumps(data).replace("<", "\\u003c")
    return f'<script type="application/json" id="review-data">{payload}</script>'


def _segment_name(segment: Segment) -> str:
    return segment.track.title if segment.track else f"Music {segment.index + 1} (no credits)"


def _segment_at(segments: list[Segment], time_s: float) -> Segment | None:
    for segment in segments:
        if segment.start_s <= time_s < segment.end_s:
            return segment
    return None
