"""``clipindex embed``: the post's player, chapters, credits and JSON-LD, checked in Chromium."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from clipindex import ffmpeg
from clipindex.errors import ClipindexError
from clipindex.index import load_index
from clipindex.outputs import chapter_list
from clipindex.outputs.embed import render_embed
from conftest import SAMPLE_VIDEO
from output_helpers import headless_chromium, make_index, run_cli, serve, track


@pytest.fixture(scope="module")
def browser():
    yield from headless_chromium()


NASTY = '</script><script>alert("title")</script> & <b onmouseover="x">bold</b>'

FAKE_YOUTUBE_API = """
window.seeks = [];
window.YT = {loaded: 1, Player: function (element, options) {
  window.playerElement = element;
  this.seekTo = function (time) { window.seeks.push(time); };
  this.playVideo = function () {};
  this.getCurrentTime = function () { return window.seeks.length ? window.seeks.slice(-1)[0] : 0; };
  var player = this;
  setTimeout(function () { options.events.onReady({target: player}); }, 0);
}};
window.onYouTubeIframeAPIReady();
"""

BLOG_POST = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Rocky IV: the two training sequences, joined</title>
<style>body {{ font-family: Georgia, serif; max-width: 46rem; margin: 2rem auto; color: #222; }}
</style></head><body><article><h1>The training sequences of Rocky IV, back to back</h1>
<p>Drago trains in a laboratory; Rocky runs up a mountain. Here are both sequences joined, with
the songs that carry them.</p>
{fragment}
<p>Which one do you prefer?</p></article></body></html>"""


class _Elements(HTMLParser):
    """Collects every element's tag and attributes, and the text of scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _parse(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    return parser


def _playable_copy(browser, folder) -> str:
    """The sample in ``folder`` as this Chromium can play it: the MP4 itself, or for a build
    without H.264, a VP9/Opus WebM made with the bundled ffmpeg. Returns its name."""
    page = browser.new_page()
    h264 = page.evaluate(
        "document.createElement('video')"
        ".canPlayType('video/mp4; codecs=\"avc1.64001e, mp4a.40.2\"')"
    )
    page.close()
    if h264:
        shutil.copy(SAMPLE_VIDEO, folder / "montage.mp4")
        return "montage.mp4"
    subprocess.run(
        [ffmpeg.executable(), "-v", "error", "-i", f"file:{SAMPLE_VIDEO}", "-c:v", "libvpx-vp9"]
        + ["-deadline", "realtime", "-cpu-used", "8", "-b:v", "600k", "-c:a", "libopus"]
        + [f"file:{folder / 'montage.webm'}"],
        check=True,
    )
    return "montage.webm"


@pytest.fixture(scope="module")
def site(browser, sample_index, tmp_path_factory):
    """A folder holding the sample video, its index and the embed page made by the command."""
    folder = tmp_path_factory.mktemp("site")
    video = _playable_copy(browser, folder)
    (folder / "montage.json").write_text(sample_index.to_json())
    code, _, err = run_cli(
        "embed",
        folder / "montage.json",
        "--src",
        video,
        "--min-chapters",
        "3",
        "-o",
        folder / "index.html",
    )
    assert code == 0, err
    return folder


def test_html5_page_seeks_each_chapter_and_carries_the_chapters_track(
    browser,
    site,
    sample_index,
    tmp_path,
):
    chapters = chapter_list(sample_index, min_chapters=3).items
    with serve(site) as base:
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/index.html")
        page.wait_for_function("document.querySelector('video').readyState >= 1")
        assert page.evaluate("document.querySelector('video').duration") == pytest.approx(75.0)

        links = page.locator(".clipindex-chapters a")
        assert links.count() == len(chapters)
        # the playhead starts where the first chapter does, and a seek to where the player already
        # is need not happen at all: move it away so that every click makes a real seek
        page.evaluate(
            "() => new Promise(done => { const video = document.querySelector('video');"
            " video.addEventListener('seeked', done, {once: true});"
            " video.currentTime = video.duration - 1; })"
        )
        for number, chapter in enumerate(chapters):
            page.evaluate(
                "() => { window.landed = new Promise(done => document.querySelector('video')"
                ".addEventListener('seeking', e => done(e.target.currentTime), {once: true})); }"
            )
            links.nth(number).click()
            # where the seek lands, read as it starts: playback may already have moved on by the
            # time it ends on a busy machine
            assert page.evaluate("window.landed") == pytest.approx(chapter.start_s, abs=0.05)
            assert links.nth(number).get_attribute("aria-current") == "true"
            assert links.nth(number).inner_text().endswith(chapter.title)
        page.evaluate("document.querySelector('video').pause()")

        page.evaluate("document.querySelector('video').textTracks[0].mode = 'hidden'")
        page.wait_for_function("document.querySelector('video').textTracks[0].cues?.length > 0")
        track_kind, cues = page.evaluate(
            """() => { const track = document.querySelector('video').textTracks[0];
            return [track.kind, Array.from(track.cues).map(
                cue => [cue.id, cue.startTime, cue.endTime, cue.text])]; }"""
        )
        assert track_kind == "chapters"
        assert cues == [
            [f"chapter-{n}", pytest.approx(c.start_s), pytest.approx(c.end_s), c.title]
            for n, c in enumerate(chapters, start=1)
        ]

        video = json.loads(page.locator('script[type="application/ld+json"]').text_content())
        assert video["@type"] == "VideoObject" and video["contentUrl"].startswith("montage.")
        assert [(clip["name"], clip["startOffset"]) for clip in video["hasPart"]] == [
            (c.title, round(c.start_s, 3)) for c in chapters
        ]
        assert [r["name"] for r in video["audio"]] == ["Training Montage", "Hearts on Fire"]
        credits = page.locator(".clipindex-track").all_inner_texts()
        assert "John Cafferty" in credits[1] and "Scotti Bros. Records" in credits[1]
        page.screenshot(path=tmp_path / "embed-html5.png", full_page=True)

        page.goto(f"{base}/index.html?t=41.75")
        page.wait_for_function("document.querySelector('video').currentTime > 41")
        assert page.evaluate("document.querySelector('video').currentTime") == pytest.approx(41.75)
        page.close()
    assert errors == []
    assert all(url.startswith((base, "data:")) for url in requested), requested


def test_youtube_fragment_in_a_post_seeks_through_the_iframe_api(
    browser,
    sample_json_path,
    tmp_path,
    sample_index,
):
    fragment = tmp_path / "fragment.html"
    code, _, err = run_cli(
        "embed",
        sample_json_path,
        "--youtube",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=x",
        "--fragment",
        "--url",
        "https://blog.example/rocky-iv-training",
        "-o",
        fragment,
    )
    assert code == 0, err
    (tmp_path / "post.html").write_text(BLOG_POST.format(fragment=fragment.read_text()))
    chapters = chapter_list(sample_index).items
    with serve(tmp_path) as base:
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        outside: list[str] = []
        page.route(
            "https://www.youtube.com/iframe_api",
            lambda route: route.fulfill(body=FAKE_YOUTUBE_API, content_type="text/javascript"),
        )
        page.route(
            "https://www.youtube-nocookie.com/**",
            lambda route: route.fulfill(
                body="<body style='background:#111;color:#eee'>YouTube player</body>",
                content_type="text/html",
            ),
        )
        page.on(
            "request",
            lambda request: None if request.url.startswith(base) else outside.append(request.url),
        )
        page.goto(f"{base}/post.html")
        page.wait_for_function("window.playerElement !== undefined")
        assert page.evaluate("window.playerElement.tagName") == "IFRAME"
        links = page.locator(".clipindex-chapters a")
        for number in range(links.count()):
            links.nth(number).click()
        assert page.evaluate("window.seeks") == [c.start_s for c in chapters]
        assert links.nth(0).get_attribute("href") == (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=0"
        )
        video = json.loads(page.locator('script[type="application/ld+json"]').text_content())
        assert video["embedUrl"] == "https://www.youtube.com/embed/dQw4w9WgXcQ"
        assert video["hasPart"][1]["url"] == "https://blog.example/rocky-iv-training?t=41.75"
        page.screenshot(path=tmp_path / "embed-youtube.png", full_page=True)
        page.close()
    assert sorted(set(outside)) == [
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?enablejsapi=1&rel=0",
        "https://www.youtube.com/iframe_api",
    ]


@pytest.fixture(scope="module")
def sample_json_path(sample_index, tmp_path_factory):
    path = tmp_path_factory.mktemp("embed") / "montage.json"
    path.write_text(sample_index.to_json())
    return path


@pytest.mark.parametrize("player", [{"youtube": "dQw4w9WgXcQ"}, {"src": 'clip".mp4?a=1&b=<2>'}])
def test_every_user_text_is_escaped(player):
    index = make_index(
        [(0.0, 30.0, track(NASTY, NASTY)), (30.0, 60.0, track("Plain", "Band"))],
        60.0,
        title=NASTY,
    )
    chapters = chapter_list(index)
    picture = f"https://blog.example/{NASTY}.jpg"
    page = render_embed(
        chapters, url=f"https://blog.example/?q={NASTY}", thumbnail_url=picture, **player
    )
    parsed = _parse(page)
    scripts = [attrs for tag, attrs in parsed.elements if tag == "script"]
    external = [attrs["src"] for attrs in scripts if "src" in attrs]
    assert external == (["https://www.youtube.com/iframe_api"] if "youtube" in player else [])
    assert len(scripts) == 2 + len(external)  # the JSON-LD and the embed's own script
    assert not any(tag == "b" for tag, _ in parsed.elements)
    assert not any(key.startswith("on") for _, attrs in parsed.elements for key in attrs)
    linked = json.loads(parsed.scripts[0])
    assert linked["name"] == NASTY and linked["hasPart"][0]["name"] == chapters.items[0].title
    assert linked["thumbnailUrl"] == picture
    if "src" in player:
        videos = [attrs for tag, attrs in parsed.elements if tag == "video"]
        assert videos[0]["src"] == player["src"] and videos[0]["poster"] == picture


def test_the_upload_date_and_picture_go_into_the_json_ld_and_the_poster(sample_json_path):
    code, out, err = run_cli(
        "embed", sample_json_path, "--src", "montage.mp4", "--thumbnail", "montage.jpg",
        "--upload-date", "2024-05-01", "--fragment",
    )  # fmt: skip
    assert code == 0 and err == ""
    parsed = _parse(out)
    linked = json.loads(parsed.scripts[0])
    assert linked["uploadDate"] == "2024-05-01" and linked["thumbnailUrl"] == "montage.jpg"
    assert [attrs["poster"] for tag, attrs in parsed.elements if tag == "video"] == ["montage.jpg"]


def test_an_embed_without_upload_date_says_search_engines_need_it(sample_json_path):
    code, out, err = run_cli("embed", sample_json_path, "--youtube", "dQw4w9WgXcQ", "--fragment")
    assert code == 0 and err.startswith("warning: ") and err.count("\n") == 1
    assert "--upload-date" in err and "--thumbnail" not in err  # YouTube's picture is taken
    linked = json.loads(_parse(out).scripts[0])
    assert "uploadDate" not in linked
    assert linked["thumbnailUrl"] == "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg"


@pytest.mark.parametrize(
    "address",
    [
        "dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10",
        "https://youtu.be/dQw4w9WgXcQ",
        "youtube.com/shorts/dQw4w9WgXcQ",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    ],
)
def test_youtube_takes_an_id_or_an_address(sample_json_path, address):
    code, out, err = run_cli("embed", sample_json_path, "--youtube", address, "--fragment")
    assert code == 0, err
    assert "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?enablejsapi=1" in out
    assert not out.startswith("<!doctype")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--youtube", "https://vimeo.com/123"], "is not a YouTube video"),
        ([], "give either"),
        (["--youtube", "dQw4w9WgXcQ", "--src", "a.mp4"], "give either"),
    ],
)
def test_a_wrong_player_is_one_line(sample_json_path, args, message):
    code, out, err = run_cli("embed", sample_json_path, *args)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_the_standalone_page_is_a_whole_document(sample_json_path):
    code, out, _ = run_cli("embed", sample_json_path, "--src", "montage.mp4")
    assert code == 0
    assert out.startswith("<!doctype html>") and "<title>Rocky training in Russia [Rocky IV]" in out


def test_the_player_has_a_shot_as_poster_and_a_chapter_bar_marked_from_the_start(
    browser, site, tmp_path
):
    video = next(site / name for name in ("montage.mp4", "montage.webm") if (site / name).exists())
    index_path = site / "with-pictures.json"
    code, _, err = run_cli("index", video, "--thumbnails", site / "thumbs", "-o", index_path)
    assert code == 0, err
    chapters = chapter_list(load_index(index_path), min_chapters=3).items
    pages = {}
    for name, extra in (("first", []), ("chosen", ["--poster-shot", "5"])):
        out = site / f"{name}.html"
        args = ["embed", index_path, "--src", video.name, "--min-chapters", "3", "-o", out]
        code, _, err = run_cli(*args, *extra)
        assert code == 0, err
        pages[name] = out
        poster = re.search(r'poster="data:image/jpeg;base64,([^"]+)"', out.read_text())[1]
        expected = "shot-0000.jpg" if name == "first" else "shot-0005.jpg"
        assert base64.b64decode(poster) == (site / "thumbs" / expected).read_bytes()
    code, _, err = run_cli(
        "embed", index_path, "--src", video.name, "--poster-shot", "999", "-o", tmp_path / "x"
    )
    assert code == 2 and err.count("\n") == 1 and "--poster-shot 999" in err
    assert not (tmp_path / "x").exists()

    with serve(site) as base:
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.goto(f"{base}/first.html")
        page.wait_for_function("document.querySelector('video').readyState >= 1")
        assert (
            page.evaluate(
                "new Promise(done => { const img = new Image();"
                " img.onload = () => done(img.naturalWidth);"
                " img.src = document.querySelector('video').poster; })"
            )
            == 256
        )
        bar = page.locator(".clipindex-bar a")
        listed = page.locator(".clipindex-chapters a")
        assert bar.count() == len(chapters)
        # Marked from the start, before anything plays: the first chapter, in list and bar.
        assert bar.nth(0).get_attribute("aria-current") == "true"
        assert listed.nth(0).get_attribute("aria-current") == "true"
        widths = [bar.nth(n).bounding_box()["width"] for n in range(len(chapters))]
        total_s = sum(c.duration_s for c in chapters)
        for width, chapter in zip(widths, chapters, strict=True):
            assert width / sum(widths) == pytest.approx(chapter.duration_s / total_s, abs=0.02)
        colours = [bar.nth(n).evaluate("a => getComputedStyle(a).backgroundColor") for n in (0, -1)]
        assert colours[0] != colours[1]  # one colour per track
        page.evaluate(
            "() => { window.landed = new Promise(done => document.querySelector('video')"
            ".addEventListener('seeking', e => done(e.target.currentTime), {once: true})); }"
        )
        bar.nth(2).click()
        assert page.evaluate("window.landed") == pytest.approx(chapters[2].start_s, abs=0.05)
        assert listed.nth(2).get_attribute("aria-current") == "true"

        later = chapters[-1].start_s + 1
        page.goto(f"{base}/chosen.html?t={later}")
        page.wait_for_function("document.querySelector('video').readyState >= 1")
        assert bar.nth(len(chapters) - 1).get_attribute("aria-current") == "true"
        assert bar.nth(0).get_attribute("aria-current") is None
        page.close()


@pytest.mark.parametrize(
    "address",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
    ],
)
@pytest.mark.parametrize(
    "args",
    [
        ["embed", "{index}", "--src", "{address}"],
        ["embed", "{index}", "--youtube", "dQw4w9WgXcQ", "--url", "{address}"],
        ["embed", "{index}", "--src", "montage.mp4", "--thumbnail", "{address}"],
        ["chapters", "{index}", "-f", "jsonld", "--url", "{address}"],
        [
            "chapters",
            "{index}",
            "-f",
            "jsonld",
            "--url",
            "https://a.example/",
            "--thumbnail",
            "{address}",
        ],
    ],
    ids=["embed-src", "embed-url", "embed-thumbnail", "jsonld-url", "jsonld-thumbnail"],
)
def test_an_address_that_would_run_script_or_leave_the_web_is_refused(
    sample_json_path, args, address
):
    code, out, err = run_cli(*(a.format(index=sample_json_path, address=address) for a in args))
    assert code == 2 and out == "", err
    assert err.startswith("clipindex: error: Invalid value for '--") and err.count("\n") == 1


def test_the_library_refuses_such_addresses_too():
    chapters = chapter_list(make_index([(0.0, 30.0, track("A", "B"))], 30.0))
    with pytest.raises(ClipindexError, match="javascript: address"):
        render_embed(chapters, src="javascript:alert(1)")
    with pytest.raises(ClipindexError, match="javascript: address"):
        render_embed(chapters, youtube="dQw4w9WgXcQ", thumbnail_url="javascript:alert(1)")


@pytest.mark.parametrize(
    "address",
    [
        "montage.mp4",
        "videos/my clip.mp4",
        "/v/montage.mp4",
        "//cdn.example/m.mp4",
        "HTTPS://a.example/m.mp4",
    ],
)
def test_web_and_relative_addresses_are_taken(sample_json_path, address):
    code, out, err = run_cli("embed", sample_json_path, "--src", address, "--thumbnail", address)
    assert code == 0, err
    assert f'src="{html.escape(address)}"' in out
