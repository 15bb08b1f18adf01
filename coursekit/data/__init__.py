"""Loaders for the course's real data sets (one module per family) and generated fallbacks."""

from ._common import DataNotFoundError, ImageSet

__all__ = ["DataNotFoundError", "ImageSet"]
