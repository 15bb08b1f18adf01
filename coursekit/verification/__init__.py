"""Face verification: "same person?" decisions from pair distances, and how to measure them.

``metrics`` holds the pair distances and the ROC, AUC, EER, FAR/FRR, TAR at FAR, best
threshold and k-fold protocol (conventions in its docstring). ``siamese`` holds verification as
binary classification over a shared embedding (DeepFace): ``pair_features``, ``SiameseHead``,
``SiameseNetwork`` (the head is trained by ``coursekit.training.train_siamese_head``).
"""

from .metrics import (
    KFoldResult,
    best_accuracy_threshold,
    det_curve,
    equal_error_rate,
    far_frr,
    kfold_accuracy,
    pair_distances,
    roc_auc_score,
    roc_curve,
    tar_at_far,
)
from .siamese import SiameseHead, SiameseNetwork, pair_features

__all__ = [
    "pair_distances",
    "far_frr",
    "roc_curve",
    "det_curve",
    "roc_auc_score",
    "equal_error_rate",
    "tar_at_far",
    "best_accuracy_threshold",
    "KFoldResult",
    "kfold_accuracy",
    "pair_features",
    "SiameseHead",
    "SiameseNetwork",
]
