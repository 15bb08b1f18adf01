"""Drawing only: functions take tensors or arrays, return matplotlib Axes or Figures, never show.

One module per kind of figure; this package re-exports the public functions.
"""

from .images import image_grid, show_image, to_hwc

__all__ = ["image_grid", "show_image", "to_hwc"]
