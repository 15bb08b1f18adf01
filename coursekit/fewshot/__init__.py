"""Few-shot learning: N-way K-shot episodes, prototype and nearest-neighbour classifiers, evaluation.

``episodes`` samples episodes, ``classifiers`` labels queries from a support set over any
embedding or distance, ``evaluation`` scores episodes (mean ± 95% CI) and Lake et al.'s
official 20-way one-shot runs.
"""

from .classifiers import (
    nearest_neighbour_classify,
    prototype_classify,
    prototype_logits,
    prototypes,
    prototypical_loss,
    squared_euclidean,
)
from .episodes import Episode, EpisodeSampler, split_episode
from .evaluation import (
    EpisodeAccuracy,
    OneShotResult,
    evaluate_episodes,
    evaluate_one_shot_runs,
    mean_ci95,
)

__all__ = [
    "Episode", "EpisodeSampler", "split_episode",
    "squared_euclidean", "prototypes", "prototype_logits", "prototype_classify", "prototypical_loss",
    "nearest_neighbour_classify",
    "EpisodeAccuracy", "OneShotResult", "evaluate_episodes", "evaluate_one_shot_runs", "mean_ci95",
]
