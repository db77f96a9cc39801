"""Cut detection: every hard cut to the frame, flashes and pans ignored, gradual transitions named.

Frames stream through :class:`CutDetector` once, already 256 px wide. Each is measured against
the frames before it (:mod:`~clipindex.cuts.features`); the decisions wait for the whole video,
as a montage's shots can be 3 frames long and PySceneDetect's own rules (a 15-frame minimum
shot, a fixed threshold) merge them or fire on flashes.

The pipeline depends on the :class:`~clipindex.cuts.base.SceneDetector` interface, not on one
detector: :class:`CutDetector` is clipindex's own, and :func:`make_detector` also offers
TransNetV2, a neural network (``pip install 'clipindex[ml]'``, :mod:`~clipindex.cuts.transnet`).

What clipindex's own detector measures, and why:

- The **motion-compensated residual** (:mod:`~clipindex.cuts.motion`): what is left of each
  block of a small grey frame after its best match in the frame before, over the blocks that
  show something, relative to the frames' contrast. Movement, blur and a hand at the lens leave
  little; a new shot leaves much, even in the same palette, in the dark or on a text card.
  It is measured only where the content changes as a cut's would, and around there.
- **ContentDetector's score** (mean change of hue, saturation and luma) finds most hard cuts;
  it is computed from the HSV frame directly, as the edge map its statistics path would also
  build (at zero weight) costs twice the rest of the work.
- **HistogramDetector's luma histogram** change backs a weaker score spike: a pan or a moving
  shot keeps its tones, so a cut into or out of one, or between two shots of like colours,
  still stands out there. HashDetector's perceptual hash is not used: on dark and flat frames
  it flips half its bits between frames of one shot, and it finds no cut the two others miss.
- A **signature** of each frame (16 x 9 pixels, colour) recognises the shot a flash returns
  to, and lets a dissolve be tested for what it is, a mix of two pictures.
- Mean **brightness and saturation** find black and white frames, and the ramps into them.

How it is decided (:mod:`~clipindex.cuts.hard`, :mod:`~clipindex.cuts.gradual`):

- a **hard cut** is a spike of the residual against the busier side of its neighbours
  (AdaptiveDetector's idea, with medians and both sides apart), so every frame of a fast pan or
  of snow is busy and none stands out, while a 3-frame shot gives two spikes; or a spike of the
  content or histogram score that the residual confirms;
- a blink of black (up to ``dip_max_hold_s``) that opens the video is no shot;
- a **flash** (a few bright, washed-out frames, then the same shot again, as a camera flash or
  lightning, even dying away or twice over) cancels the spikes it causes;
- a steady ramp into or out of **black or white** is a ``fade_out`` or ``fade_in``, both with
  a short stay between them a ``dip``; an instant change to or from black is a hard cut;
- a **dissolve** is a window whose inner frames lie on the mix of its two ends, in order, with
  the lower contrast of a mix, between two steady shots: motion is no mix, however large.

Each transition has a span; spikes inside a gradual transition are not cuts. The parameters
(:class:`CutParameters`) are recorded in every index.
"""

from clipindex.cuts.base import Cut, FrameRecord, SceneDetector
from clipindex.cuts.detector import CutDetector, shots_from_cuts
from clipindex.cuts.parameters import CutParameters

DETECTORS = ("clipindex", "transnetv2")
"""The detectors :func:`make_detector` knows, by name; the first is the default."""


def make_detector(
    name: str = "clipindex", parameters: CutParameters | None = None, fps: float = 25.0
) -> SceneDetector:
    """The detector called ``name``, for a video of nominal rate ``fps``.

    ``transnetv2`` needs ``pip install 'clipindex[ml]'`` and says so (a
    :class:`~clipindex.errors.UsageError`) when it is missing; it runs on a GPU when torch sees
    one. ``parameters`` are clipindex's own detector's; TransNetV2 uses their black level to
    name fades and dips.
    """
    if name == "clipindex":
        return CutDetector(parameters, fps=fps)
    if name == "transnetv2":
        from clipindex.cuts.transnet import TransNetV2Detector

        return TransNetV2Detector(parameters)
    raise ValueError(f"unknown detector {name!r}; choose from {', '.join(DETECTORS)}")


__all__ = [
    "DETECTORS",
    "Cut",
    "CutDetector",
    "CutParameters",
    "FrameRecord",
    "SceneDetector",
    "make_detector",
    "shots_from_cuts",
]
