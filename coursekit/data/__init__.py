"""Loaders for the course's real data sets (one module per family) and generated fallbacks."""

from ._common import DataNotFoundError, ImageSet
from .faces import LFWPairs, load_lfw_pairs, load_lfw_people, load_olivetti, load_orl, load_yale
from .omniglot import OneShotRun, load_omniglot, load_omniglot_runs

__all__ = [
    "DataNotFoundError", "ImageSet",
    "LFWPairs", "load_lfw_pairs", "load_lfw_people", "load_olivetti", "load_orl", "load_yale",
    "OneShotRun", "load_omniglot", "load_omniglot_runs",
]
