"""Few-shot learning: prototype and nearest-neighbour classifiers, and their evaluation.

``classifiers`` labels queries from a support set over any embedding or distance (squared
Euclidean from :mod:`coursekit.distances` by default), ``evaluation`` scores episodes
(mean ± 95% CI, one N-way K-shot or a grid of them) and Lake et al.'s official 20-way one-shot
runs. The episodes themselves (``EpisodeSampler``, ``split_episode``) live in :mod:`coursekit.sampling`.
"""

from .classifiers import (
    nearest_neighbour_classify,
    prototype_classify,
    prototype_logits,
    prototypes,
    prototypical_loss,
)
from .evaluation import (
    EpisodeAccuracy,
    OneShotResult,
    evaluate_episodes,
    evaluate_one_shot_runs,
    evaluate_way_shot,
    mean_ci95,
)

__all__ = [
    "prototypes", "prototype_logits", "prototype_classify", "prototypical_loss",
    "nearest_neighbour_classify",
    "EpisodeAccuracy", "OneShotResult", "evaluate_episodes", "evaluate_way_shot", "evaluate_one_shot_runs",
    "mean_ci95",
]
