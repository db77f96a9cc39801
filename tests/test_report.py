"""``clipindex report`` and ``index --thumbnails``: one picture per shot, taken from that shot, in a
self-contained page that Chromium shows with its timeline."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil

import cv2
import numpy as np
import pytest

from clipindex.frames import FrameStream
from conftest import SAMPLE_CREDITS, SAMPLE_VIDEO
from output_helpers import headless_chromium, run_cli, serve

_SIGNATURE = (32, 18)


@pytest.fixture(scope="module")
def browser():
    yield from headless_chromium()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """The sample indexed by the command with --thumbnails, and its report."""
    folder = tmp_path_factory.mktemp("report")
    code, _, err = run_cli(
        "index",
        SAMPLE_VIDEO,
        "--credits",
        SAMPLE_CREDITS,
        "--thumbnails",
        folder / "thumbs",
        "-o",
        folder / "montage.json",
    )
    assert code == 0, err
    code, _, err = run_cli("report", folder / "montage.json", "-o", folder / "report.html")
    assert code == 0, err
    return folder, json.loads((folder / "montage.json").read_text())


def _signature(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, _SIGNATURE, interpolation=cv2.INTER_AREA).astype(np.float32)


def test_each_shot_has_a_thumbnail_taken_from_that_shot(indexed):
    folder, index = indexed
    shots = index["shots"]
    assert [shot["thumbnail"] for shot in shots] == [
        f"thumbs/shot-{n:04d}.jpg" for n in range(len(shots))
    ]
    assert sorted(p.name for p in (folder / "thumbs").iterdir()) == [
        f"shot-{n:04d}.jpg" for n in range(len(shots))
    ]
    with FrameStream(SAMPLE_VIDEO) as frames:
        signatures = np.stack([_signature(frame.image) for frame in frames])
    for shot in shots:
        picture = cv2.imread(str(folder / shot["thumbnail"]))
        assert picture is not None and picture.shape[1] == 256
        distance = np.abs(signatures - _signature(picture)).mean(axis=(1, 2, 3))
        inside = distance[shot["start_frame"] : shot["end_frame"] + 1].min()
        assert inside <= distance.min() + 0.5, f"shot {shot['index']} shows another shot"


def test_the_report_is_one_file_with_every_picture_inside(indexed):
    folder, index = indexed
    page = (folder / "report.html").read_text()
    pictures = re.findall(r'<img class="shot-thumb" src="data:image/jpeg;base64,([^"]+)"', page)
    assert len(pictures) == len(index["shots"])
    assert base64.b64decode(pictures[0]) == (folder / "thumbs/shot-0000.jpg").read_bytes()
    # Nothing is loaded from elsewhere but the video the player plays (linked, not copied).
    linked = re.findall(r'(?:src|href)="(?!data:|#)([^"]+)"', page)
    assert linked == [os.path.relpath(SAMPLE_VIDEO, folder)]
    assert page.index('<video id="player"') < page.index('<svg class="timeline"')
    assert "Hearts on Fire" in page and "Scotti Bros. Records" in page


def test_chromium_shows_a_picture_per_shot_and_the_timeline(browser, indexed, tmp_path):
    folder, index = indexed
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto((folder / "report.html").as_uri())
    page.wait_for_load_state("load")
    shown = page.evaluate(
        "Array.from(document.querySelectorAll('img.shot-thumb'))"
        ".filter(img => img.complete && img.naturalWidth > 0).length"
    )
    assert shown == len(index["shots"])
    assert page.locator("svg.timeline rect.shot-bar").count() == len(index["shots"])
    assert page.locator("svg.timeline .cut-hard").count() == sum(
        cut["kind"] == "hard" for cut in index["cuts"]
    )
    assert page.locator("svg.timeline .cut-fade_out").count() == 1
    assert page.locator("svg.timeline .cut-fade_in").count() == 1
    segments = page.locator("svg.timeline .segment text").all_text_contents()
    assert segments == ["Training Montage", "Hearts on Fire"]
    curve = page.locator("svg.timeline polyline.curve").get_attribute("points").split()
    assert len(curve) == len(index["music_curve"]["times_s"])
    page.locator("#shot-12").hover()
    assert "active" in page.locator('rect.shot-bar[data-shot="12"]').get_attribute("class")
    page.screenshot(path=tmp_path / "report.png", full_page=True)
    page.close()
    assert all(url.startswith(("file:", "data:")) for url in requested)


def test_report_without_thumbnails_says_how_to_get_them(sample_index, tmp_path):
    (tmp_path / "montage.json").write_text(sample_index.to_json())
    code, out, err = run_cli("report", tmp_path / "montage.json")
    assert code == 0, err
    assert out.count('<div class="no-thumb">') == len(sample_index.shots)
    assert "clipindex index --thumbnails DIR" in out


def test_missing_thumbnail_files_are_a_warning(indexed, tmp_path):
    folder, _ = indexed
    moved = tmp_path / "montage.json"
    moved.write_text((folder / "montage.json").read_text())
    code, out, err = run_cli("report", moved, "-o", tmp_path / "report.html")
    assert code == 0 and out == ""
    assert err.splitlines() == [
        f"warning: 49 shot pictures listed in {moved} were not found beside it",
        f"{tmp_path / 'report.html'}: 49 shots, 0 pictures, 48 cuts, 2 musical segments, "
        f"a player of {SAMPLE_VIDEO}",
    ]


def test_thumbnail_paths_are_relative_to_the_index_folder(tmp_path):
    (tmp_path / "out").mkdir()
    code, out, err = run_cli(
        "index", SAMPLE_VIDEO, "--thumbnails", "pictures", "-o", "out/montage.json", cwd=tmp_path
    )
    assert code == 0, err
    shots = json.loads((tmp_path / "out/montage.json").read_text())["shots"]
    assert shots[0]["thumbnail"] == "../pictures/shot-0000.jpg"
    assert (tmp_path / "out" / shots[-1]["thumbnail"]).is_file()
    assert err.splitlines()[0] == (  # said before any work
        "warning: the shot pictures go to pictures, outside the index's folder: clipindex "
        "report reads pictures only from the index's folder and below"
    )


def test_a_thumbnails_path_that_is_a_file_is_refused_before_any_work(tmp_path):
    (tmp_path / "taken").write_text("")
    code, out, err = run_cli("index", SAMPLE_VIDEO, "--thumbnails", tmp_path / "taken")
    assert code == 2 and out == "" and err.count("\n") == 1


def _isolated_cut(cuts: list[dict]) -> dict:
    """A hard cut with no other cut within 0.6 s, to click on the timeline."""
    times = [cut["time_s"] for cut in cuts]
    return next(
        cut
        for n, cut in enumerate(cuts[1:-1], start=1)
        if cut["kind"] == "hard" and times[n] - times[n - 1] > 0.6 and times[n + 1] - times[n] > 0.6
    )


def test_the_report_plays_the_video_and_seeks_on_click_and_keys(browser, indexed, tmp_path):
    folder, index = indexed
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(SAMPLE_VIDEO, site / "montage.mp4")
    (site / "montage.json").write_text((folder / "montage.json").read_text())
    code, _, err = run_cli(
        "report", site / "montage.json", "--video", site / "montage.mp4", "-o", site / "r.html"
    )
    assert code == 0 and "a player of" in err, err
    with serve(site) as base:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"{base}/r.html")
        page.wait_for_function("document.getElementById('player').readyState >= 1")
        at = "document.getElementById('player').currentTime"

        def landed(time_s: float) -> None:
            page.wait_for_function(f"Math.abs({at} - {time_s}) < 0.01", timeout=5000)

        cut = _isolated_cut(index["cuts"])
        page.locator(f'svg.timeline .cut[data-frame="{cut["frame"]}"]').click()
        landed(cut["time_s"])
        later = [c["time_s"] for c in index["cuts"] if c["time_s"] > cut["time_s"]]
        page.keyboard.press("n")
        landed(later[0])
        page.keyboard.press("p")
        landed(cut["time_s"])
        handover = index["segments"][1]["start_s"]
        page.keyboard.press("Shift+N")
        landed(handover)
        page.locator("#shot-3").click()
        landed(index["shots"][3]["start_s"])
        page.locator('rect.shot-bar[data-shot="20"]').click()
        landed(index["shots"][20]["start_s"])
        box = page.locator("svg.timeline").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.5)
        page.wait_for_function(f"{at} > 60")
        clicked = page.evaluate(at)
        page.locator("#correct-here").click()
        lines = page.locator("#correction").text_content().splitlines()
        shown = f"{clicked:.3f}"
        assert lines[0].startswith(f"clipindex correct {site / 'montage.mp4'} --add-cut {shown}")
        assert f"--handover 1={shown}" in lines[2]
        page.close()


def test_the_report_shows_warnings_first_then_tempo_loudness_and_damage(sample_index, tmp_path):
    index = json.loads(sample_index.to_json())
    index["warnings"] = ["damaged video from 20.0 s to 22.5 s: 4 decoding errors (ffmpeg: x)"]
    index["title"] = None
    for segment in index["segments"]:
        segment["track"] = None
    path = tmp_path / "montage.json"
    path.write_text(json.dumps(index))
    code, page, err = run_cli("report", path)
    assert code == 0, err
    assert page.index("<h2>Warnings</h2>") < page.index("<h2>Timeline</h2>")
    assert '<rect class="damage"' in page and "damaged video 0:20.0–0:22.5" in page
    assert f"<title>{SAMPLE_VIDEO.name} — clipindex report</title>" in page
    for segment in sample_index.segments:
        assert f"{segment.tempo_bpm:.0f} BPM (confidence {segment.tempo_confidence:.0%})" in page
        assert f"{segment.loudness_lufs:.1f} LUFS" in page


def test_a_report_puts_in_only_the_jpegs_inside_the_index_folder(indexed, tmp_path):
    """An index names its pictures; a hand-edited one cannot make the page carry any other file:
    not one by absolute path, nor through ``..`` or a link out of the folder, nor a device,
    a pipe, a folder or anything that is not a JPEG."""
    folder, index = indexed
    work = tmp_path / "work"
    (work / "thumbs").mkdir(parents=True)
    for shot in index["shots"]:
        (work / shot["thumbnail"]).write_bytes((folder / shot["thumbnail"]).read_bytes())
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"\xff\xd8\xff secret kept outside the folder")
    (work / "thumbs" / "out.jpg").symlink_to(secret)
    os.mkfifo(work / "thumbs" / "pipe.jpg")
    (work / "notes.jpg").write_text("text named like a picture")
    hostile = [
        "/etc/passwd",
        "/proc/self/environ",
        "/dev/zero",
        "../secret.jpg",
        "thumbs/../../secret.jpg",
        "thumbs/out.jpg",
        "thumbs/pipe.jpg",
        "thumbs",
        "notes.jpg",
    ]
    for shot, name in zip(index["shots"], hostile, strict=False):
        shot["thumbnail"] = name
    (work / "montage.json").write_text(json.dumps(index))
    code, out, err = run_cli("report", work / "montage.json", "-o", work / "report.html")
    assert code == 0 and out == ""
    listed = work / "montage.json"
    assert err.splitlines() == [
        f"warning: 6 shot pictures listed in {listed} lead out of its folder, and were not read",
        f"warning: 2 shot pictures listed in {listed} are not regular files, and were not read",
        f"warning: 1 shot pictures listed in {listed} are not JPEG pictures, and were not read",
        f"{work / 'report.html'}: 49 shots, 40 pictures, 48 cuts, 2 musical segments, "
        f"a player of {SAMPLE_VIDEO}",
    ]
    page = (work / "report.html").read_text()
    pictures = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page)
    inside = [(folder / f"thumbs/shot-{n:04d}.jpg").read_bytes() for n in range(9, 49)]
    assert [base64.b64decode(p) for p in pictures] == inside
