"""Metrics for "same person?" decisions: ROC, AUC, EER, TAR at FAR, best threshold, k-fold.

Conventions (every function here follows them)
-----------------------------------------------
* ``scores`` are one number per pair; ``is_same`` says whether the pair shows one person.
* ``kind="distance"`` (the default, as in the lecture's d(x1, x2)): a *small* value means
  "same"; the decision is ``is_same_predicted = score <= threshold``.
* ``kind="similarity"`` (logits, cosine similarities, probabilities): a *large* value means
  "same"; the decision is ``is_same_predicted = score >= threshold``.
* Returned thresholds are in the units of the input, so they can be applied as above.
* FAR (false accept rate) = FP / #different pairs; FRR (false reject rate) = FN / #same pairs;
  TAR = 1 − FRR. Internally a distance d is turned into the similarity −d, so ``sklearn.metrics``
  (which expects "higher means positive") does the counting.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from sklearn import metrics as skm
from sklearn.model_selection import StratifiedKFold

from ..distances import paired_distances
from ..validation import (
    check_array,
    check_choice,
    check_float,
    check_int,
    check_paired_embeddings,
)

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
]

Kind = Literal["distance", "similarity"]


def _check(scores, is_same, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate and return (similarity as float64, is_same as bool)."""
    check_choice(kind, "kind", ("distance", "similarity"))
    s = check_array(scores, "scores")
    y = check_array(is_same, "is_same")
    if s.shape != y.shape:
        raise ValueError(f"scores and is_same must have the same length, got {s.shape[0]} and {y.shape[0]}")
    if not np.issubdtype(s.dtype, np.number) or np.issubdtype(s.dtype, np.complexfloating):
        raise TypeError(f"scores must be real numbers, got dtype {s.dtype}")
    s = s.astype(np.float64)
    if not np.isfinite(s).all():
        raise ValueError(f"scores must be finite, got {int((~np.isfinite(s)).sum())} NaN/inf values")
    if y.dtype != bool:
        if not np.isin(y, (0, 1)).all():
            bad = np.unique(y[~np.isin(y, (0, 1))])[:5]
            raise ValueError(f"is_same must be binary (bool or 0/1), got values such as {bad.tolist()}")
        y = y.astype(bool)
    if y.all() or not y.any():
        raise ValueError(
            f"is_same must contain both same and different pairs, got {int(y.sum())} same "
            f"and {int((~y).sum())} different"
        )
    return (-s if kind == "distance" else s), y


def _back(threshold: np.ndarray | float, kind: str):
    """Similarity threshold -> threshold in the input's units."""
    return -threshold if kind == "distance" else threshold


def pair_distances(a: torch.Tensor, b: torch.Tensor, *, metric: str = "euclidean") -> torch.Tensor:
    """Distance between the embeddings of each pair.

    Parameters
    ----------
    a, b : Tensor of shape (P, D), floating point, finite
        Embeddings of the first and second image of each pair.
    metric : {"euclidean", "sqeuclidean", "cosine"}
        ``‖a_p − b_p‖₂``, ``‖a_p − b_p‖₂²`` (both :func:`coursekit.distances.paired_distances`)
        or ``1 − a_p·b_p / (‖a_p‖ ‖b_p‖)``.

    Returns
    -------
    Tensor of shape (P,)
        Small means "same"; same device and dtype as ``a``.

    Examples
    --------
    >>> pair_distances(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]])).tolist()
    [5.0]
    """
    check_choice(metric, "metric", ("euclidean", "sqeuclidean", "cosine"))
    if metric != "cosine":
        return paired_distances(a, b, squared=metric == "sqeuclidean")
    check_paired_embeddings(a, b)
    return 1.0 - torch.nn.functional.cosine_similarity(a, b, dim=1)


def far_frr(scores, is_same, threshold: float, *, kind: Kind = "distance") -> tuple[float, float]:
    """False accept rate and false reject rate of one threshold.

    FAR = #{different pairs accepted} / #{different pairs};
    FRR = #{same pairs rejected} / #{same pairs}; "accepted" means ``score <= threshold``
    for distances, ``score >= threshold`` for similarities.

    Parameters
    ----------
    scores : array-like of shape (P,)
        Distances (``kind="distance"``) or similarities (``kind="similarity"``), finite.
    is_same : array-like of shape (P,), bool or 0/1
        Both classes must occur.
    threshold : float
        A number (Python, NumPy or 0-d tensor; ±inf allowed, NaN not), in the scores' units.
    kind : {"distance", "similarity"}

    Returns
    -------
    far : float
    frr : float

    Examples
    --------
    >>> far_frr([0.1, 0.4, 0.3, 0.9], [True, True, False, False], threshold=0.35)
    (0.5, 0.5)
    """
    s, y = _check(scores, is_same, kind)
    threshold = check_float(threshold, "threshold", finite=False)
    accept = s >= _back(threshold, kind)
    return float(accept[~y].mean()), float((~accept[y]).mean())


def roc_curve(scores, is_same, *, kind: Kind = "distance") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve: FAR (false positive rate) and TAR (true positive rate) at every threshold.

    Parameters
    ----------
    scores : array-like of shape (P,)
        Distances (``kind="distance"``) or similarities (``kind="similarity"``).
    is_same : array-like of shape (P,), bool or 0/1
    kind : {"distance", "similarity"}

    Returns
    -------
    far, tar, thresholds : ndarray of shape (T,)
        Operating points from "accept nothing" (FAR = TAR = 0) to "accept everything", one
        per distinct score (``sklearn.metrics.roc_curve`` with ``drop_intermediate=False``).

    Examples
    --------
    >>> roc_curve([0.1, 0.9], [True, False])[1].tolist()
    [0.0, 1.0, 1.0]
    """
    s, y = _check(scores, is_same, kind)
    far, tar, thr = skm.roc_curve(y, s, drop_intermediate=False)
    return far, tar, _back(thr, kind)


def det_curve(scores, is_same, *, kind: Kind = "distance") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DET curve: FAR and FRR = 1 − TAR at every threshold (the ROC's points, other axes).

    Parameters
    ----------
    scores : array-like of shape (P,)
    is_same : array-like of shape (P,), bool or 0/1
    kind : {"distance", "similarity"}

    Returns
    -------
    far, frr, thresholds : ndarray of shape (T,)
        Same points and conventions as :func:`roc_curve`.

    Examples
    --------
    >>> det_curve([0.1, 0.5, 0.9], [True, False, False])[1].tolist()
    [1.0, 0.0, 0.0, 0.0]
    """
    far, tar, thr = roc_curve(scores, is_same, kind=kind)
    return far, 1.0 - tar, thr


def roc_auc_score(scores, is_same, *, kind: Kind = "distance") -> float:
    """Area under the ROC curve: P(a random same pair scores "more same" than a different pair).

    Parameters
    ----------
    scores : array-like of shape (P,)
    is_same : array-like of shape (P,), bool or 0/1
    kind : {"distance", "similarity"}

    Returns
    -------
    float
        In [0, 1]; 0.5 is chance.

    Examples
    --------
    >>> roc_auc_score([0.1, 0.2, 0.9], [True, False, False])
    1.0
    """
    s, y = _check(scores, is_same, kind)
    return float(skm.roc_auc_score(y, s))


def equal_error_rate(scores, is_same, *, kind: Kind = "distance") -> tuple[float, float]:
    """Equal error rate: where the false accept rate equals the false reject rate.

    FAR(t) and FRR(t) are evaluated at every distinct threshold; the EER is where the
    straight line between the two consecutive operating points at which ``FAR − FRR`` changes
    sign crosses ``FAR = FRR`` (the usual ROC-interpolated EER).

    Parameters
    ----------
    scores : array-like of shape (P,)
    is_same : array-like of shape (P,), bool or 0/1
    kind : {"distance", "similarity"}

    Returns
    -------
    eer : float
        In [0, 1]; 0 for perfectly separated scores.
    threshold : float
        The achievable threshold (a score value, input units) whose ``|FAR − FRR|`` is smallest.

    Examples
    --------
    >>> equal_error_rate([0.1, 0.4, 0.3, 0.9], [True, True, False, False])
    (0.5, 0.3)
    """
    s, y = _check(scores, is_same, kind)
    return _equal_error_rate(s, y, kind)


def _equal_error_rate(s: np.ndarray, y: np.ndarray, kind: str) -> tuple[float, float]:
    far, tar, thr = skm.roc_curve(y, s, drop_intermediate=False)
    frr = 1.0 - tar
    gap = far - frr  # goes from −1 (accept nothing) to +1 (accept everything), non-decreasing
    k = int(np.argmax(gap >= 0))  # first point with FAR >= FRR; k >= 1 since gap[0] = −1
    g0, g1 = gap[k - 1], gap[k]
    w = 0.0 if g1 == g0 else -g0 / (g1 - g0)
    eer = far[k - 1] + w * (far[k] - far[k - 1])
    best = int(np.argmin(np.abs(gap[1:]))) + 1  # skip the "accept nothing" point at +inf
    return float(eer), float(_back(thr[best], kind))


def tar_at_far(scores, is_same, far: float, *, kind: Kind = "distance") -> tuple[float, float]:
    """True accept rate at a false accept rate of at most ``far``.

    The largest TAR over thresholds whose FAR ≤ ``far``. With N different pairs, the only FARs
    that exist are 0, 1/N, 2/N, ...; asking for ``0 < far < 1/N`` warns, because it can only be
    met at FAR = 0.

    Parameters
    ----------
    scores : array-like of shape (P,)
    is_same : array-like of shape (P,), bool or 0/1
    far : float in (0, 1]
    kind : {"distance", "similarity"}

    Returns
    -------
    tar : float
    threshold : float
        Input units; ``inf``/``-inf`` when only "accept nothing" meets ``far``.

    Examples
    --------
    >>> tar_at_far([0.1, 0.2, 0.3, 0.9], [True, False, True, False], far=0.5)
    (1.0, 0.3)
    """
    s, y = _check(scores, is_same, kind)
    far = check_float(far, "far", minimum=0.0, maximum=1.0)
    if far == 0.0:
        raise ValueError("far must be in (0, 1], got 0.0")
    n_neg = int((~y).sum())
    if far < 1.0 / n_neg:
        warnings.warn(
            f"far={far:g} is below 1/{n_neg} = {1.0 / n_neg:.3g}, the smallest nonzero FAR that "
            f"{n_neg} different pairs can measure; reporting TAR at FAR = 0",
            UserWarning,
            stacklevel=2,
        )
    fpr, tpr, thr = skm.roc_curve(y, s, drop_intermediate=False)
    ok = np.flatnonzero(fpr <= far + 1e-12)
    k = ok[np.argmax(tpr[ok])]
    return float(tpr[k]), float(_back(thr[k], kind))


def best_accuracy_threshold(scores, is_same, *, kind: Kind = "distance") -> tuple[float, float]:
    """The threshold with the highest accuracy on these pairs, and that accuracy.

    accuracy(t) = (TP(t) + TN(t)) / P. Candidate thresholds are the midpoints between
    consecutive distinct scores (plus ±inf for "accept nothing/everything"), so a threshold
    never sits on a training score. Ties go to the first candidate in order of decreasing
    similarity (i.e. the strictest threshold).

    Parameters
    ----------
    scores : array-like of shape (P,)
    is_same : array-like of shape (P,), bool or 0/1
    kind : {"distance", "similarity"}

    Returns
    -------
    accuracy : float
    threshold : float
        Input units.

    Examples
    --------
    >>> best_accuracy_threshold([0.1, 0.2, 0.8, 0.9], [True, True, False, False])
    (1.0, 0.5)
    """
    s, y = _check(scores, is_same, kind)
    acc, thr = _best_accuracy_threshold(s, y)
    return acc, float(_back(thr, kind))


def _best_accuracy_threshold(s: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    far, tar, thr = skm.roc_curve(y, s, drop_intermediate=False)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    acc = (tar * n_pos + (1.0 - far) * n_neg) / (n_pos + n_neg)
    k = int(np.argmax(acc))
    # thr[k] accepts s >= thr[k]; any value in (thr[k+1], thr[k]] accepts the same pairs
    mid = -np.inf if k == len(thr) - 1 else (np.inf if k == 0 else 0.5 * (thr[k] + thr[k + 1]))
    return float(acc[k]), float(mid)


@dataclass
class KFoldResult:
    """The k-fold protocol's result: per-fold accuracies and thresholds, and their summary.

    ``mean`` and ``std`` (population std, ``ddof=0``) are over ``accuracies`` of shape (k,);
    ``thresholds`` (k,) are in the input's units. The LFW benchmark (Huang et al. 2007, View 2)
    reports ``mean ± standard_error``: the sample standard deviation (``ddof=1``) over √k.

    Attributes
    ----------
    accuracies : ndarray of shape (k,)
        Accuracy on each held-out fold.
    thresholds : ndarray of shape (k,)
        The threshold chosen on the other folds, input units.
    """

    accuracies: np.ndarray
    thresholds: np.ndarray

    @property
    def mean(self) -> float:
        """Mean accuracy over the folds."""
        return float(self.accuracies.mean())

    @property
    def std(self) -> float:
        """Population standard deviation of the folds' accuracies."""
        return float(self.accuracies.std())

    @property
    def standard_error(self) -> float:
        """LFW's standard error of the mean: S_E = σ̂ / √k with σ̂² = Σ (p_i − μ̂)² / (k − 1)."""
        k = len(self.accuracies)
        return float(self.accuracies.std(ddof=1) / np.sqrt(k))

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.std:.4f} over {len(self.accuracies)} folds"


def kfold_accuracy(
    scores, is_same, *, n_folds: int = 10, folds=None, kind: Kind = "distance"
) -> KFoldResult:
    """LFW-style k-fold accuracy: pick the threshold on k−1 folds, measure it on the held-out one.

    For each fold f: t_f = best_accuracy_threshold(pairs not in f); accuracy_f = accuracy of
    t_f on the pairs in f. Report mean ± std over folds (Huang et al. 2007, "View 2").

    Parameters
    ----------
    scores, is_same : array-like of shape (P,)
    n_folds : int
        Number of folds when ``folds`` is not given; the pairs are split into stratified,
        contiguous folds (``StratifiedKFold(shuffle=False)``), no randomness.
    folds : array-like of shape (P,), int, optional
        The fold of each pair (e.g. ``LFWPairs.fold``); overrides ``n_folds``.
    kind : {"distance", "similarity"}

    Returns
    -------
    KFoldResult
        ``accuracies`` and ``thresholds`` of shape (k,), ``mean`` and ``std``.

    Examples
    --------
    >>> kfold_accuracy([0.1, 0.2, 0.8, 0.9] * 5, [True, True, False, False] * 5, n_folds=5).mean
    1.0
    """
    s, y = _check(scores, is_same, kind)
    if folds is None:
        smallest = min(int(y.sum()), int((~y).sum()))
        n_folds = check_int(n_folds, "n_folds", minimum=2, maximum=max(2, smallest))  # <= the smaller class
        if n_folds > smallest:
            raise ValueError(f"n_folds must be an int in [2, {smallest}] (the size of the smaller class), got {n_folds}")
        fold_id = np.empty(len(s), dtype=np.int64)
        for f, (_, test) in enumerate(StratifiedKFold(n_splits=n_folds).split(s, y)):
            fold_id[test] = f
    else:
        fold_id = check_array(folds, "folds")
        if fold_id.shape != s.shape:
            raise ValueError(f"folds must have one entry per pair ({len(s)}), got {len(fold_id)}")
        if not np.issubdtype(fold_id.dtype, np.integer):
            raise TypeError(f"folds must hold integer fold ids, got dtype {fold_id.dtype}")
        if len(np.unique(fold_id)) < 2:
            raise ValueError(f"folds must name at least 2 folds, got {np.unique(fold_id).tolist()}")
    return _kfold_accuracy(s, y, fold_id, kind)


def _kfold_accuracy(s: np.ndarray, y: np.ndarray, fold_id: np.ndarray, kind: str) -> KFoldResult:
    accs, thrs = [], []
    for f in np.unique(fold_id):
        test = fold_id == f
        train_y = y[~test]
        if train_y.all() or not train_y.any():
            raise ValueError(f"the pairs outside fold {f} must contain both classes to pick a threshold")
        _, t = _best_accuracy_threshold(s[~test], train_y)
        accs.append(float(((s[test] >= t) == y[test]).mean()))
        thrs.append(float(_back(t, kind)))
    return KFoldResult(np.array(accs), np.array(thrs))
