"""The music analysis: segments, hand-overs, gaps, track identity, tempo and loudness.

One module per step: ``features`` (what the analysis hears), ``gaps`` (stretches without music),
``segmentation`` (hand-overs from the sound alone), ``identify`` (matching reference recordings),
``tempo``, ``loudness``, and ``analysis``, which runs them for the pipeline.

Only NumPy does the arithmetic: importing SciPy would cost 0.6 s of CPU time at every start. The
few pieces of SciPy the analysis needs (FFT lengths, a DCT, squared distances, a median filter, a
filter's frequency response) are written here, each naming the SciPy function it stands for, and
``tests/test_music_against_scipy.py`` checks them against it.
"""

from clipindex.music.analysis import AnalysedSegment, MusicAnalysis, analyse_music
from clipindex.music.features import FrameFeatures, block_features, frame_features
from clipindex.music.gaps import find_gaps
from clipindex.music.identify import Match, match_references, prepare_reference
from clipindex.music.segmentation import (
    ChangeProfile,
    MusicBoundary,
    MusicSegmentation,
    MusicSpan,
    find_music_segments,
    novelty_curve,
    refine_boundary,
    snap_to_cut,
)

__all__ = [
    "AnalysedSegment",
    "ChangeProfile",
    "FrameFeatures",
    "Match",
    "MusicAnalysis",
    "MusicBoundary",
    "MusicSegmentation",
    "MusicSpan",
    "analyse_music",
    "block_features",
    "find_gaps",
    "find_music_segments",
    "frame_features",
    "match_references",
    "novelty_curve",
    "prepare_reference",
    "refine_boundary",
    "snap_to_cut",
]
