"""Loaders for the course's real data sets (one module per family) and generated fallbacks."""

from ._common import DataNotFoundError, ImageSet
from .faces import LFWPairs, load_lfw_pairs, load_lfw_people, load_olivetti, load_orl, load_yale
from .generated_faces import generated_faces
from .glyphs import make_glyphs
from .images import (
    CONTENT_IMAGES,
    STYLE_IMAGES,
    STYLE_TITLES,
    content_image,
    generated_texture,
    style_image,
    style_title,
)
from .omniglot import OneShotRun, held_out_characters, load_omniglot, load_omniglot_runs
from .registry import DATASETS
from .signals import SignalSet, make_ecg_signals
from .text import TextSet, load_mr_polarity
from .video import ClipSet, make_motion_clips

__all__ = [
    "DataNotFoundError", "ImageSet",
    "LFWPairs", "load_lfw_pairs", "load_lfw_people", "load_olivetti", "load_orl", "load_yale",
    "OneShotRun", "load_omniglot", "load_omniglot_runs", "held_out_characters",
    "TextSet", "load_mr_polarity",
    "CONTENT_IMAGES", "STYLE_IMAGES", "STYLE_TITLES", "content_image", "style_image", "style_title",
    "generated_texture",
    "DATASETS",
    "make_glyphs", "generated_faces", "SignalSet", "make_ecg_signals", "ClipSet", "make_motion_clips",
]
