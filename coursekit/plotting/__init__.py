"""Drawing only: functions take tensors or arrays, return matplotlib Axes or Figures, never show.

One module per kind of figure; this package re-exports the public functions.
"""

from .conv import (
    plot_accuracy_curves,
    plot_clips,
    plot_conv3d_kernel,
    plot_signals,
    plot_token_activations,
)
from .embeddings import plot_distance_shift, plot_embedding_2d, plot_triplet_history
from .fewshot import plot_accuracy_vs_way_shot, plot_episode, plot_nearest_neighbours, plot_siamese
from .images import image_grid, show_image, to_hwc
from .verification import (
    plot_confusion,
    plot_det,
    plot_distance_histograms,
    plot_open_set_curve,
    plot_pairs,
    plot_roc,
    plot_timings,
)
from .visualize import (
    patch_mosaic,
    plot_feature_maps,
    plot_filters,
    plot_receptive_field_box,
    plot_top_patches,
)
from .widgets import slider_range, threshold_slider

__all__ = [
    "plot_accuracy_curves", "plot_clips", "plot_conv3d_kernel", "plot_signals", "plot_token_activations",
    "plot_distance_shift", "plot_embedding_2d", "plot_triplet_history",
    "plot_accuracy_vs_way_shot", "plot_episode", "plot_nearest_neighbours", "plot_siamese",
    "image_grid", "show_image", "to_hwc",
    "plot_confusion", "plot_det", "plot_distance_histograms", "plot_open_set_curve",
    "plot_pairs", "plot_roc", "plot_timings",
    "patch_mosaic", "plot_feature_maps", "plot_filters", "plot_receptive_field_box", "plot_top_patches",
    "slider_range", "threshold_slider",
]
