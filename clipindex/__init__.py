"""clipindex: turn a video montage into a checked index of cuts, musical segments and credits."""

__version__ = "0.1.0"
