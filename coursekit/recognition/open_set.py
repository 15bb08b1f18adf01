"""Open-set identification: probes of enrolled people *and* of people never enrolled.

A probe is identified as its nearest enrolled person when that distance is ≤ t, else
"not recognized". Two rates describe a threshold t (Phillips et al., FRVT; ISO/IEC 19795-1):

* detection-and-identification rate DIR(t) = #{probes of enrolled people whose nearest
  person is the right one and whose distance ≤ t} / #probes of enrolled people;
* false accept rate FAR(t) = #{probes of never-enrolled people whose nearest distance ≤ t} /
  #probes of never-enrolled people (a stranger accepted as someone; FRVT calls the same
  quantity the false alarm / false positive identification rate).

Raising t trades false accepts for detections; the open-set curve is DIR against FAR.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import confusion_matrix

from ..validation import check_array, check_float

__all__ = ["UNKNOWN", "open_set_rates", "open_set_curve", "open_set_confusion"]

UNKNOWN = "(unknown)"  # true label of a never-enrolled probe, and the "not recognized" prediction


def _vec(x, name: str, *, dtype=None) -> np.ndarray:
    a = check_array(x, name)
    if dtype is bool:
        if a.dtype != bool:
            raise TypeError(f"{name} must be boolean, got dtype {a.dtype}")
        return a
    if not np.issubdtype(a.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if np.isnan(a).any():
        raise ValueError(f"{name} contains NaN")
    return a


def _check(known_distances, known_correct, unknown_distances):
    dk = _vec(known_distances, "known_distances")
    ck = _vec(known_correct, "known_correct", dtype=bool)
    du = _vec(unknown_distances, "unknown_distances")
    if dk.shape != ck.shape:
        raise ValueError(
            f"known_distances and known_correct must have the same length, got {len(dk)} and {len(ck)}"
        )
    return dk, ck, du


def open_set_rates(known_distances, known_correct, unknown_distances, threshold: float) -> tuple[float, float]:
    """DIR and FAR at one threshold.

    Parameters
    ----------
    known_distances : array-like of shape (Pk,)
        Distance from each probe of an enrolled person to its nearest enrolled person.
    known_correct : array-like of shape (Pk,), bool
        Whether that nearest person is the probe's own identity (rank-1 correct).
    unknown_distances : array-like of shape (Pu,)
        Distance from each probe of a never-enrolled person to its nearest enrolled person.
    threshold : float
        Accept when distance ≤ threshold (a number: Python, NumPy or 0-d tensor; ±inf allowed, NaN not).

    Returns
    -------
    dir, far : float

    Examples
    --------
    >>> open_set_rates([0.2, 0.5, 0.9], [True, False, True], [0.4, 1.2], threshold=0.6)
    (0.3333333333333333, 0.5)
    """
    dk, ck, du = _check(known_distances, known_correct, unknown_distances)
    t = check_float(threshold, "threshold", finite=False)
    return float(((dk <= t) & ck).mean()), float((du <= t).mean())


def open_set_curve(known_distances, known_correct, unknown_distances) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DIR against FAR at every threshold that changes either (each distinct distance).

    Parameters
    ----------
    known_distances : array-like of shape (Pk,)
    known_correct : array-like of shape (Pk,), bool
    unknown_distances : array-like of shape (Pu,)
        As in :func:`open_set_rates`.

    Returns
    -------
    far, dir, thresholds : ndarray of shape (T,)
        Thresholds increase; the first is ``-inf`` (reject everyone: FAR = DIR = 0). DIR ends at
        the rank-1 accuracy (never 1 unless every nearest person is right).

    Examples
    --------
    >>> open_set_curve([0.2, 0.5], [True, True], [0.4])[1].tolist()
    [0.0, 0.5, 0.5, 1.0]
    """
    dk, ck, du = _check(known_distances, known_correct, unknown_distances)
    thr = np.concatenate([[-np.inf], np.unique(np.concatenate([dk, du]))])
    hits = np.sort(dk[ck])
    dir_ = np.searchsorted(hits, thr, side="right") / len(dk)
    far = np.searchsorted(np.sort(du), thr, side="right") / len(du)
    return far, dir_, thr


def open_set_confusion(
    true_names: Sequence[str], predicted_names: Sequence[str | None], enrolled: Sequence[str]
) -> tuple[np.ndarray, list[str]]:
    """Confusion matrix of open-set decisions, with one extra class for "unknown".

    True names that are not ``enrolled`` and predictions of ``None`` ("not recognized") both
    become :data:`UNKNOWN`, so the last diagonal cell counts correct rejections, the last
    column misses/rejections and the last row false accepts.

    Parameters
    ----------
    true_names : sequence of P str
        Each probe's identity (any name not in ``enrolled`` means "never enrolled").
    predicted_names : sequence of P (str or None)
        Enrolled names, or None for "not recognized".
    enrolled : sequence of K distinct str

    Returns
    -------
    matrix : ndarray of shape (K + 1, K + 1), int
        ``matrix[i, j]`` = probes of class i predicted as class j (``sklearn.metrics.confusion_matrix``).
    labels : list of str
        ``list(enrolled) + [UNKNOWN]``.

    Examples
    --------
    >>> open_set_confusion(["a", "b", "zed"], ["a", None, "a"], ["a", "b"])[0].tolist()
    [[1, 0, 0], [0, 0, 1], [1, 0, 0]]
    """
    if isinstance(true_names, str) or isinstance(predicted_names, str):
        raise TypeError("true_names and predicted_names must be sequences of names, not one str")
    if len(true_names) != len(predicted_names) or len(true_names) == 0:
        raise ValueError(
            f"true_names and predicted_names must be non-empty and equally long, got {len(true_names)} "
            f"and {len(predicted_names)}"
        )
    labels = list(enrolled)
    if len(set(labels)) != len(labels) or UNKNOWN in labels or not labels:
        raise ValueError(f"enrolled must be distinct names (not {UNKNOWN!r}), got {labels!r:.80}")
    known = set(labels)
    bad = [p for p in predicted_names if p is not None and p not in known]
    if bad:
        raise ValueError(f"predicted_names must be enrolled names or None, got {bad[0]!r}")
    y_true = [n if n in known else UNKNOWN for n in true_names]
    y_pred = [UNKNOWN if p is None else p for p in predicted_names]
    labels.append(UNKNOWN)
    return confusion_matrix(y_true, y_pred, labels=labels), labels
