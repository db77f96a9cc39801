"""The chapter list: one pure function over the index that every chapter format is written from.

Chapters run from 0 to the end of the video without holes: one per musical segment, titled from
its track's credits by a template the user can change, and one per stretch without music (the
index's ``gaps``: "Intro", "Interlude", "Outro"). A segment that was moved onto a cut
(``snapped_to_cut``) already starts on that cut, so its chapter does too. Asked for more chapters
than there are segments (YouTube shows chapters only from three on), the longest chapters are
split at their strongest cuts, the later parts titled "… (part 2)".
"""

from __future__ import annotations

import bisect
import math
import re
import string
import unicodedata
from dataclasses import dataclass, replace

from clipindex.errors import ClipindexError
from clipindex.index import Cut, Index, Segment, TrackCredit

DEFAULT_TEMPLATE = "{title} — {performers}"
"""How a musical segment's chapter is titled; see :data:`TEMPLATE_FIELDS`."""

TEMPLATE_FIELDS = ("title", "performers", "composers", "album", "label", "year", "index")
"""Fields a title template can use: the track's credits (names joined with commas), the year of
its release, and ``index``, the segment's number counting from 1."""

MIN_LENGTH_S = 10.0
"""Shortest part a split leaves, in seconds: YouTube ignores chapters shorter than this."""

MAX_CHAPTERS = 1000
"""Most chapters ``min_chapters`` may ask for."""

MAX_TEMPLATE_LENGTH = 1000
"""Longest title template, in characters."""

MAX_TEMPLATE_WIDTH = 200
"""Largest width or precision a template's field may ask for (``{title:>40}``)."""

_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>[0-9]*)[,_]?(?:\.(?P<precision>[0-9]+))?[a-zA-Z%]?",
    re.DOTALL,
)
"""A format spec: fill and alignment, sign, width, grouping, precision, type."""

_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")
_LOOSE_ENDS = "\t —–-|·:,;/"


class ChapterError(ClipindexError):
    """Chapters that cannot be made as asked (a bad title template, too few cuts to split at,
    a list a platform would ignore)."""


@dataclass(frozen=True)
class Chapter:
    """One chapter: where it starts and ends (seconds), its title, and the music playing.

    ``track`` and ``segment`` (the musical segment's index) are ``None`` for a stretch without
    music; ``part`` counts the parts of a split chapter from 1.
    """

    start_s: float
    end_s: float
    title: str
    track: TrackCredit | None = None
    segment: int | None = None
    part: int = 1

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Chapters:
    """The chapters of one video, with what the formats need besides them.

    ``segments`` are the index's musical segments, for the credits of each track.
    """

    items: tuple[Chapter, ...]
    duration_s: float
    video_title: str | None = None
    segments: tuple[Segment, ...] = ()


def chapter_list(
    index: Index,
    *,
    template: str = DEFAULT_TEMPLATE,
    min_chapters: int = 0,
    min_length_s: float = MIN_LENGTH_S,
) -> Chapters:
    """The chapters of ``index``, contiguous from 0 to the end of the video.

    ``template`` titles each musical segment from its credits (:data:`TEMPLATE_FIELDS`); a
    segment without credits is "Music 1", "Music 2"… With ``min_chapters``, the longest chapters
    are split at their strongest cuts until there are that many, no part shorter than
    ``min_length_s``; :class:`ChapterError` says so when the cuts do not allow it.

    >>> [c.title for c in chapter_list(index).items]  # doctest: +SKIP
    ['Training Montage — Vince DiCola', 'Hearts on Fire — John Cafferty']
    """
    check_template(template)
    if min_chapters > MAX_CHAPTERS:
        raise ChapterError(f"cannot make {min_chapters} chapters: at most {MAX_CHAPTERS}")
    duration_s = index.source.duration_s
    stretches = _stretches(index, template, duration_s)
    if len(stretches) < min_chapters:
        stretches = _split(stretches, index.cuts, min_chapters, min_length_s, duration_s)
    return Chapters(
        items=tuple(_numbered_parts(stretches)),
        duration_s=duration_s,
        video_title=clean_text(index.title or "") or None,
        segments=tuple(index.segments),
    )


def check_template(template: str) -> None:
    """Raise :class:`ChapterError` if ``template`` uses a field that does not exist, is longer
    than :data:`MAX_TEMPLATE_LENGTH` or asks a field for a width or precision over
    :data:`MAX_TEMPLATE_WIDTH`."""
    if len(template) > MAX_TEMPLATE_LENGTH:
        raise ChapterError(
            f"chapter title template of {len(template)} characters: at most {MAX_TEMPLATE_LENGTH}"
        )
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise ChapterError(f"chapter title template {template!r}: {error}") from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in TEMPLATE_FIELDS:
            shown = "{" + field + "}" if field else "{}"
            fields = ", ".join("{" + name + "}" for name in TEMPLATE_FIELDS)
            raise ChapterError(
                f"chapter title template {template!r}: unknown field {shown} (use {fields})"
            )
        if conversion or "{" in (spec or ""):
            raise ChapterError(
                f"chapter title template {template!r}: {{{field}}} takes no conversion "
                "or nested field"
            )
        size = _SPEC.fullmatch(spec or "")
        for number in (size["width"], size["precision"]) if size else ():
            if number and int(number) > MAX_TEMPLATE_WIDTH:
                raise ChapterError(
                    f"chapter title template {template!r}: {{{field}}} asks for {int(number)} "
                    f"characters; at most {MAX_TEMPLATE_WIDTH}"
                )
    try:
        template.format_map({field: 1 if field == "index" else "x" for field in TEMPLATE_FIELDS})
    except ValueError as error:
        raise ChapterError(f"chapter title template {template!r}: {error}") from None


def clean_text(text: str) -> str:
    """``text`` on one line: control characters dropped, runs of white space made one space.

    Every format holds a title on one line; this is the title they all agree on.
    """
    kept = "".join(
        char for char in text if char.isspace() or unicodedata.category(char) not in ("Cc", "Cs")
    )
    return " ".join(kept.split())


def credit_line(track: TrackCredit) -> str:
    """A track's credits on one line, e.g. "Hearts on Fire — performed by John Cafferty — written
    by Vince DiCola, Joe Esposito, Ed Fruge — Rocky IV: Original Motion Picture Soundtrack —
    Scotti Bros. Records — 1985-11-27"."""
    parts = [track.title]
    if track.performers:
        parts.append("performed by " + ", ".join(track.performers))
    if track.composers:
        parts.append("written by " + ", ".join(track.composers))
    parts += [value for value in (track.album, track.label, track.release_date) if value]
    return clean_text(" — ".join(parts))


def whole_second(time_s: float) -> int:
    """``time_s`` rounded to the nearest whole second (halves up), as YouTube timestamps show it."""
    return math.floor(time_s + 0.5)


def decimal_seconds(time_s: float) -> str:
    """``time_s`` in seconds to the millisecond, without trailing zeros: ``41.75``, ``12``."""
    return f"{time_s:.3f}".rstrip("0").rstrip(".")


def shown_length_s(start_s: float, end_s: float, duration_s: float) -> float:
    """How long a chapter lasts once its start and end are shown in whole seconds.

    The end of the video is the video's own duration, not a timestamp.
    """
    end = duration_s if end_s >= duration_s else whole_second(end_s)
    return end - whole_second(start_s)


@dataclass(frozen=True)
class _Stretch:
    """A chapter before its parts are numbered: ``origin`` tells the parts of one apart."""

    start_s: float
    end_s: float
    title: str
    track: TrackCredit | None
    segment: int | None
    origin: int


def _stretches(index: Index, template: str, duration_s: float) -> list[_Stretch]:
    """One stretch per musical segment and per gap, ends joined to the next start, all inside
    the video (a hand-edited index may start them before it or after its end); one for the
    whole video if none is left."""
    entries: list[tuple[float, Segment | None]] = [(s.start_s, s) for s in index.segments]
    entries += [(g.start_s, None) for g in index.gaps]
    entries.sort(key=lambda entry: entry[0])
    starts = [
        0.0 if n == 0 else min(max(start, 0.0), duration_s) for n, (start, _) in enumerate(entries)
    ]
    ends = (starts[1:] + [duration_s]) if entries else []
    stretches = []
    for position, ((_, segment), start, end) in enumerate(zip(entries, starts, ends, strict=True)):
        if end <= start:
            continue
        if segment is None:
            title = "Intro" if position == 0 else "Outro" if end >= duration_s else "Interlude"
            stretches.append(_Stretch(start, end, title, None, None, position))
        else:
            title = _music_title(template, segment)
            stretches.append(_Stretch(start, end, title, segment.track, segment.index, position))
    if not stretches:
        title = clean_text(index.title or "") or "Video"
        return [_Stretch(0.0, duration_s, title, None, None, 0)]
    return stretches


def _music_title(template: str, segment: Segment) -> str:
    """A segment's title from its credits, loose separators of empty fields trimmed."""
    if segment.chapter_title:
        return clean_text(segment.chapter_title)
    fallback = f"Music {segment.index + 1}"
    track = segment.track
    if track is None or not clean_text(track.title):
        return fallback
    values: dict[str, str | int] = {
        "title": track.title,
        "performers": ", ".join(track.performers),
        "composers": ", ".join(track.composers),
        "album": track.album or "",
        "label": track.label or "",
        "year": (track.release_date or "")[:4],
        "index": segment.index + 1,
    }
    used = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    title = clean_text(template.format_map(values))
    if any(not clean_text(str(values[field])) for field in used):
        title = _EMPTY_BRACKETS.sub("", title)
        title = " ".join(title.split()).strip(_LOOSE_ENDS)
    return title or fallback


def _split(
    stretches: list[_Stretch],
    cuts: list[Cut],
    wanted: int,
    min_length_s: float,
    duration_s: float,
) -> list[_Stretch]:
    """Split the longest stretches near their middles, at their strongest cuts there, until
    there are ``wanted``."""
    stretches = list(stretches)
    order = sorted(range(len(cuts)), key=lambda i: cuts[i].time_s)
    times_s = [cuts[i].time_s for i in order]
    strongest: dict[tuple[float, float], Cut | None] = {}

    def strongest_in(stretch: _Stretch) -> Cut | None:
        """The strongest cut of ``stretch`` (looked at once), from the cuts inside it only."""
        key = (stretch.start_s, stretch.end_s)
        if key not in strongest:
            low = bisect.bisect_right(times_s, stretch.start_s)
            high = bisect.bisect_left(times_s, stretch.end_s)
            inside = [cuts[i] for i in sorted(order[low:high])]  # in the index's order
            strongest[key] = _strongest_cut(stretch, inside, min_length_s, duration_s)
        return strongest[key]

    while len(stretches) < wanted:
        for position in sorted(
            range(len(stretches)), key=lambda i: stretches[i].start_s - stretches[i].end_s
        ):
            stretch = stretches[position]
            cut = strongest_in(stretch)
            if cut is not None:
                stretches[position : position + 1] = [
                    replace(stretch, end_s=cut.time_s),
                    replace(stretch, start_s=cut.time_s),
                ]
                break
        else:
            raise ChapterError(
                f"cannot make {wanted} chapters of at least {min_length_s:g} s: after "
                f"{len(stretches)}, no chapter has a cut that leaves both parts that long"
            )
    return stretches


def _strongest_cut(
    stretch: _Stretch, cuts: list[Cut], min_length_s: float, duration_s: float
) -> Cut | None:
    """The cut to split ``stretch`` at: of the cuts that leave both parts long enough, the
    strongest in the middle quarter of it (the nearest to the middle when
    none is that close), so that the parts come out about even."""
    fitting = [
        cut
        for cut in cuts
        if stretch.start_s < cut.time_s < stretch.end_s
        and shown_length_s(stretch.start_s, cut.time_s, duration_s) >= min_length_s
        and shown_length_s(cut.time_s, stretch.end_s, duration_s) >= min_length_s
    ]
    middle_s = (stretch.start_s + stretch.end_s) / 2
    reach_s = (stretch.end_s - stretch.start_s) / 8
    central = [cut for cut in fitting if abs(cut.time_s - middle_s) <= reach_s]
    if central:
        return max(central, key=lambda cut: (cut.score, -abs(cut.time_s - middle_s)))
    return min(fitting, key=lambda cut: abs(cut.time_s - middle_s), default=None)


def _numbered_parts(stretches: list[_Stretch]) -> list[Chapter]:
    """Chapters from stretches, the second and later parts of a split one titled "(part N)"."""
    seen: dict[int, int] = {}
    chapters = []
    for stretch in stretches:
        part = seen[stretch.origin] = seen.get(stretch.origin, 0) + 1
        title = stretch.title if part == 1 else f"{stretch.title} (part {part})"
        chapters.append(
            Chapter(stretch.start_s, stretch.end_s, title, stretch.track, stretch.segment, part)
        )
    return chapters
