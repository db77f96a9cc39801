"""End to end: a montage of real recordings over real footage, built, indexed three ways, scored.

The montage is "neverball-one-composer" of ``benchmarks/corpus/music-montages.toml``: four
Neverball pieces, three by one composer at 96-107 BPM, over Big Buck Bunny footage from
../shared/media, joined by a switch on a cut, a 2 s cross-fade on a cut and a switch 3 s from
any cut. Its recordings come from the Debian package neverball-common (17 MB), fetched into the
corpus cache by ``benchmarks/corpus/fetch_music.py`` the first time; the test is skipped only
when they are not fetched and CLIPINDEX_NO_FETCH is set. The harness is the one that writes the
real recordings' section of ``benchmarks/ACCURACY.md`` (``music_accuracy.py --real``).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
from dataclasses import replace
from types import ModuleType

import numpy as np
import pytest

from clipindex.audio import decode_audio
from clipindex.credits import load_credits
from clipindex.pipeline import index_video
from conftest import ROOT, shared

NAME = "neverball-one-composer"


def load_benchmark(name: str) -> ModuleType:
    """``benchmarks/NAME.py`` as a module (the benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their own module up while being built
    spec.loader.exec_module(module)
    return module


music_accuracy = load_benchmark("music_accuracy")
real_montages = music_accuracy.real_montages
fetch_music = real_montages.fetch_music


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The montage, its truth and credits, built once (fetching its recordings if need be)."""
    montage = next(m for m in real_montages.load_montages() if m.name == NAME)
    shared(montage.footage)  # skips, saying why, when ../shared/media is absent
    if real_montages.missing(montage):
        if os.environ.get("CLIPINDEX_NO_FETCH"):
            pytest.skip(f"{NAME}'s recordings not fetched and CLIPINDEX_NO_FETCH is set")
        packages = [arg for p in real_montages.packages(montage) for arg in ("--package", p)]
        fetcher = ROOT / "benchmarks" / "corpus" / "fetch_music.py"
        subprocess.run([sys.executable, str(fetcher), *packages], check=True)
    return real_montages.build(montage, tmp_path_factory.mktemp("real-montage"))


@pytest.fixture(scope="module")
def truth(built) -> dict:
    return json.loads(built.truth.read_text())


@pytest.fixture(scope="module")
def indexes(built) -> dict:
    """The montage indexed each of the harness's three ways."""
    credits = {
        "credits order": built.credits_without_audio,
        "recordings": built.credits_with_audio,
        "sound only": None,
    }
    return {
        run: index_video(built.video, load_credits(path) if path else None)
        for run, path in credits.items()
    }


@pytest.fixture(scope="module")
def outcomes(indexes, truth) -> dict:
    return {run: music_accuracy.score_real(index, truth) for run, index in indexes.items()}


def test_truth_names_the_hand_overs_as_built(truth):
    assert [h["kind"] for h in truth["handovers"]] == ["switch", "crossfade", "switch"]
    assert [h["on_cut"] for h in truth["handovers"]] == [True, True, False]
    assert [h["same_performer"] for h in truth["handovers"]] == [True, True, False]
    assert truth["handovers"][1]["span_s"] == pytest.approx([48.958333, 50.958333])
    assert truth["music_gaps"] == []
    assert truth["tracks"] == ["Track 1", "Track 4", "Track 2", "Track 6"]


def test_each_segment_sounds_like_its_recording_at_its_offset(built, truth):
    """The truth is the sound: the middle of each segment is its recording at the offset the
    truth gives, heard through AAC and under the film's own sound, and not another's."""
    sr = 22050
    sound = decode_audio(built.video, sr=sr)
    recordings = real_montages.recordings()
    keys = truth["track_keys"]
    for number, segment in enumerate(truth["segments"]):
        middle_s = (segment["start_s"] + segment["end_s"]) / 2
        heard = sound[round((middle_s - 1.5) * sr) : round((middle_s + 1.5) * sr)]
        alike = []
        for key in keys:
            from_s = segment["offset_s"] + middle_s - 1.5 - segment["start_s"]
            recording = decode_audio(recordings[key].path, sr=sr)
            played = recording[round(from_s * sr) : round(from_s * sr) + len(heard)]
            alike.append(float(np.corrcoef(heard, played)[0, 1]))
        assert alike[number] > 0.9, (segment, alike)
        assert max(np.delete(np.array(alike), number)) < 0.5, (segment, alike)


def test_credits_order_run_finds_every_hand_over(outcomes):
    outcome = outcomes["credits order"]
    assert outcome.handovers_right, outcome
    assert outcome.segments_found == outcome.segments_true == 4
    assert outcome.tracks_right == 4
    assert all(abs(error) <= 0.25 for error in outcome.errors_s)


def test_recordings_run_identifies_every_track_and_where_it_starts(outcomes, indexes):
    outcome = outcomes["recordings"]
    assert outcome.tracks_right == 4
    assert outcome.worst_offset_s is not None and outcome.worst_offset_s <= 0.1
    first, _, last = outcome.errors_s
    assert first is not None and abs(first) <= 0.25
    assert last is not None and abs(last) <= 0.25
    assert all(s.identified_by == "reference_audio" for s in indexes["recordings"].segments)


def test_sound_only_run_is_scored_without_tracks(outcomes):
    outcome = outcomes["sound only"]
    assert outcome.tracks_right is None
    assert outcome.segments_true == 4 and 1 <= outcome.segments_found
    assert len(outcome.errors_s) == 3


def test_scoring_fails_a_hand_over_out_of_tolerance(indexes, truth):
    index = indexes["credits order"]
    moved = json.loads(json.dumps(truth))
    moved["handovers"][0]["time_s"] += 0.5  # a switch: 0.25 s of tolerance
    outcome = music_accuracy.score_real(index, moved)
    assert outcome.errors_s[0] is None
    assert len(outcome.extra_s) == 1 and not outcome.handovers_right and not outcome.passed
    fewer = {**truth, "handovers": truth["handovers"][1:]}
    assert music_accuracy.score_real(index, fewer).extra_s == pytest.approx([30.666667], abs=0.25)


def test_cross_fade_tolerance_is_its_span_or_1_5_s():
    tolerance = music_accuracy.handover_tolerance_s
    assert tolerance({"kind": "switch", "crossfade_s": 0.0}) == 0.25
    assert tolerance({"kind": "crossfade", "crossfade_s": 2.0}) == 1.5
    assert tolerance({"kind": "crossfade", "crossfade_s": 4.0}) == 2.0


def test_calibration_counts_sure_hand_overs_out_of_tolerance(indexes, truth):
    index = indexes["credits order"]
    sure = [
        replace(segment, confidence=0.9 if n < 2 else 0.3)
        for n, segment in enumerate(index.segments)
    ]
    index = replace(index, segments=sure)
    moved = json.loads(json.dumps(truth))
    moved["handovers"][0]["time_s"] += 1.0
    # Hand-over 1 joins two sure segments (and is out of tolerance), hand-over 2 one (in).
    assert music_accuracy.score_real(index, moved).sure == (False, True)


def test_verdicts_say_pass_or_fail_for_each_criterion(outcomes, truth):
    lines = music_accuracy.real_verdicts({NAME: outcomes})
    assert [line.split("**")[1] for line in lines] == [
        "PASS" if outcomes["credits order"].handovers_right else "FAIL",
        "PASS" if outcomes["recordings"].handovers_right else "FAIL",
        "PASS" if outcomes["sound only"].segments_found == 4 else "FAIL",
        "PASS" if not outcomes["sound only"].extra_s else "FAIL",
        lines[4].split("**")[1],
    ]
    assert lines[4].split("**")[1] in {"PASS", "FAIL"} and "calibration" in lines[4]
    table = music_accuracy.real_report({NAME: outcomes}, {NAME: truth})
    assert any(line.startswith(f"| {NAME} | recordings |") for line in table)


def test_fetch_takes_tracks_out_of_a_debian_package(tmp_path):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:xz") as tar:
        for name, body in (("./usr/share/a.ogg", b"odd"), ("./usr/share/b.ogg", b"even")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    members = [("debian-binary", b"2.0\n"), ("data.tar.xz", data.getvalue())]
    deb = tmp_path / "x_1_all.deb"
    with deb.open("wb") as out:
        out.write(b"!<arch>\n")
        for name, body in members:
            out.write(f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(body):<10}`\n".encode())
            out.write(body + b"\n" * (len(body) % 2))
    got = fetch_music.deb_members(deb, {"usr/share/a.ogg", "usr/share/b.ogg"})
    assert got == {"usr/share/a.ogg": b"odd", "usr/share/b.ogg": b"even"}
    with pytest.raises(SystemExit, match="no usr/share/c.ogg"):
        fetch_music.deb_members(deb, {"usr/share/c.ogg"})
