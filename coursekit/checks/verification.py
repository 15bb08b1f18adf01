"""Checks for the exercises of notebook 03 (face verification).

``verify(embedding, identity, database, threshold) -> (is_match, distance)`` with ``database`` a
dict name -> embedding (D,), and ``far_frr(distances, is_same, threshold) -> (far, frr)``.
Cases put a distance exactly on the threshold, so ``<`` instead of ``<=`` is caught.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .. import verification  # the references (module paths may move: keep them here)
from ._harness import Case, Mistake, run_check

__all__ = ["check_verify", "check_far_frr"]


# ---- verify --------------------------------------------------------------------------------------

def _verify_reference(embedding, identity, database, threshold):
    d = float(verification.pair_distances(embedding[None], database[identity][None])[0])
    return d <= threshold, d


def _verify_squared(embedding, identity, database, threshold):
    d = float(((embedding - database[identity]) ** 2).sum())
    return d <= threshold, d


def _verify_inverted(embedding, identity, database, threshold):
    d = float(torch.linalg.norm(embedding - database[identity]))
    return d > threshold, d


def _verify_strict(embedding, identity, database, threshold):
    d = float(torch.linalg.norm(embedding - database[identity]))
    return d < threshold, d


def _verify_l1(embedding, identity, database, threshold):
    d = float((embedding - database[identity]).abs().sum())
    return d <= threshold, d


def _verify_swapped(embedding, identity, database, threshold):
    d = float(torch.linalg.norm(embedding - database[identity]))
    return d, d <= threshold


def _verify_nearest_anyone(embedding, identity, database, threshold):
    d = min(float(torch.linalg.norm(embedding - e)) for e in database.values())
    return d <= threshold, d


def _verify_cases() -> list[Case]:
    g = torch.Generator().manual_seed(3)
    db = {"ada": torch.tensor([0.0, 0.0]), "bob": torch.tensor([3.0, 0.0])}
    big = {f"p{i}": torch.randn(16, generator=g) for i in range(3)}
    probe = big["p1"] + 0.1 * torch.randn(16, generator=g)
    return [
        Case("close to the claimed person", (torch.tensor([0.3, 0.4]), "ada", db, 0.7)),
        Case("far from the claimed person", (torch.tensor([0.3, 0.4]), "bob", db, 0.7)),
        Case("distance exactly on the threshold (3-4-5)", (torch.tensor([3.0, 4.0]), "ada", db, 5.0)),
        Case("D=16, the right person", (probe, "p1", big, 0.7)),
        Case("D=16, an impostor", (probe, "p2", big, 0.7)),
    ]


def check_verify(learner_fn: Callable) -> None:
    """Check ``verify(embedding, identity, database, threshold) -> (is_match, distance)``:
    distance = ‖embedding − database[identity]‖₂, is_match = distance <= threshold.

    Parameters
    ----------
    learner_fn : callable (embedding (D,), identity: str, database dict name -> (D,), threshold: float) -> (bool, float)
        The learner's ``verify``.

    Returns
    -------
    None
        Prints ``verify: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When the decision or the distance differ: the tuple in the other order, a squared
        distance, ``<`` at the threshold, or the decision reversed.
    """
    return run_check(
        "verify", learner_fn, _verify_reference, _verify_cases(),
        mistakes=[
            Mistake(_verify_swapped, "return (is_match, distance) in that order."),
            Mistake(_verify_squared, "the distance is the Euclidean norm ‖a − b‖₂: take the square root."),
            Mistake(_verify_strict, "a distance equal to the threshold is accepted: use <=, not <."),
            Mistake(_verify_inverted, "a *small* distance means the same person: accept when distance <= threshold."),
            Mistake(_verify_l1, "use the Euclidean (L2) norm, not the sum of absolute differences."),
            Mistake(_verify_nearest_anyone, "compare with the claimed identity's embedding database[identity], "
                    "not with whoever is nearest (that is recognition, not verification)."),
        ],
        rtol=1e-5,
        verified="(is_match, distance): the Euclidean distance to the claimed identity, accepted when "
                 "<= threshold (equality included)",
    )


# ---- FAR and FRR ---------------------------------------------------------------------------------

def _far_frr_reference(distances, is_same, threshold):
    return verification.far_frr(distances, is_same, threshold)


def _far_frr_over_all(distances, is_same, threshold):
    accept = distances <= threshold
    n = len(distances)
    return float((accept & ~is_same).sum() / n), float((~accept & is_same).sum() / n)


def _far_frr_swapped(distances, is_same, threshold):
    far, frr = verification.far_frr(distances, is_same, threshold)
    return frr, far


def _far_frr_strict(distances, is_same, threshold):
    accept = distances < threshold
    return float(accept[~is_same].float().mean()), float((~accept[is_same]).float().mean())


def _far_frr_inverted(distances, is_same, threshold):
    accept = distances > threshold
    return float(accept[~is_same].float().mean()), float((~accept[is_same]).float().mean())


def _far_frr_tar(distances, is_same, threshold):
    accept = distances <= threshold
    return float(accept[~is_same].float().mean()), float(accept[is_same].float().mean())


def _far_frr_cases() -> list[Case]:
    g = torch.Generator().manual_seed(4)
    same = torch.arange(40) % 4 != 0  # 30 same, 10 different: unequal classes
    d = torch.where(same, 0.6, 1.0) + 0.3 * torch.randn(40, generator=g)
    return [
        Case("hand-made, 3 same 3 different", (torch.tensor([0.1, 0.4, 0.3, 0.9, 0.2, 0.8]),
                                                torch.tensor([True, True, False, False, True, False]), 0.35)),
        Case("distances on the threshold", (torch.tensor([0.5, 0.5, 0.5, 0.8, 0.1]),
                                            torch.tensor([True, True, False, False, True]), 0.5)),
        Case("30 same, 10 different", (d, same, 0.8)),
    ]


def _far_frr_counts(distances, is_same, threshold):
    accept = distances <= threshold
    return float((accept & ~is_same).sum()), float((~accept & is_same).sum())


def check_far_frr(learner_fn: Callable) -> None:
    """Check ``far_frr(distances, is_same, threshold) -> (far, frr)`` for tensors of shape (P,):
    FAR = accepted different pairs / different pairs, FRR = rejected same pairs / same pairs.

    Parameters
    ----------
    learner_fn : callable (distances (P,), is_same (P,) bool, threshold: float) -> (float, float)
        The learner's ``far_frr``.

    Returns
    -------
    None
        Prints ``far_frr: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When a rate differs: (frr, far) returned, the wrong denominators, ``<`` at the
        threshold, or accepting large distances.
    """
    return run_check(
        "far_frr", learner_fn, _far_frr_reference, _far_frr_cases(),
        mistakes=[
            Mistake(_far_frr_swapped, "return (far, frr): false accepts first, then false rejects."),
            Mistake(_far_frr_over_all,
                    "divide by the number of *different* pairs (FAR) and of *same* pairs (FRR), not by all pairs."),
            Mistake(_far_frr_strict, "a pair whose distance equals the threshold is accepted: use <=."),
            Mistake(_far_frr_inverted, "accept (say \"same\") when the distance is *small*: distance <= threshold."),
            Mistake(_far_frr_tar, "FRR counts the same pairs that are *rejected*, not accepted (that is TAR = 1 − FRR)."),
            Mistake(_far_frr_counts, "FAR and FRR are rates: divide the counts by the number of different "
                    "(FAR) and same (FRR) pairs."),
        ],
        verified="(far, frr): accepted different pairs / different pairs and rejected same pairs / same "
                 "pairs, distance == threshold accepted, unequal class sizes",
    )
