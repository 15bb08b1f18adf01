"""Checks for the exercises of notebook 04 (face recognition).

``identify(embedding, database, threshold) -> (name or None, distance)`` with ``database`` a dict
name -> embedding (D,), and ``distance_matrix(probes, gallery) -> (P, M)`` computed with one
matrix product. Cases include a probe beyond the threshold ("not recognized") and one exactly on it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..recognition import FaceDatabase  # the reference (module paths may move: keep it here)
from ._harness import Case, Mistake, run_check

__all__ = ["check_identify", "check_distance_matrix"]


# ---- identify ------------------------------------------------------------------------------------

def _identify_reference(embedding, database, threshold):
    db = FaceDatabase()
    db.enroll_many(list(database), torch.stack(list(database.values())))
    return db.identify(embedding, threshold)


def _all_distances(embedding, database):
    return {name: float(torch.linalg.norm(embedding - e)) for name, e in database.items()}


def _identify_no_rejection(embedding, database, threshold):
    d = _all_distances(embedding, database)
    name = min(d, key=d.get)
    return name, d[name]


def _identify_farthest(embedding, database, threshold):
    d = _all_distances(embedding, database)
    name = max(d, key=d.get)
    return (name if d[name] <= threshold else None), d[name]


def _identify_strict(embedding, database, threshold):
    d = _all_distances(embedding, database)
    name = min(d, key=d.get)
    return (name if d[name] < threshold else None), d[name]


def _identify_squared(embedding, database, threshold):
    d = {n: float(((embedding - e) ** 2).sum()) for n, e in database.items()}
    name = min(d, key=d.get)
    return (name if d[name] <= threshold else None), d[name]


def _identify_last_below(embedding, database, threshold):
    # stops at the first person under the threshold instead of looking for the nearest
    for name, dist in _all_distances(embedding, database).items():
        if dist <= threshold:
            return name, dist
    return None, min(_all_distances(embedding, database).values())


def _identify_l1(embedding, database, threshold):
    d = {n: float((embedding - e).abs().sum()) for n, e in database.items()}
    name = min(d, key=d.get)
    return (name if d[name] <= threshold else None), d[name]


def _identify_cases() -> list[Case]:
    g = torch.Generator().manual_seed(5)
    db = {"ada": torch.tensor([0.0, 0.0]), "bob": torch.tensor([1.0, 0.0]), "cy": torch.tensor([0.0, 2.0])}
    big = {f"p{i}": torch.nn.functional.normalize(torch.randn(32, generator=g), dim=0) for i in range(6)}
    return [
        Case("nearest is bob", (torch.tensor([0.8, 0.1]), db, 0.5)),
        Case("two under the threshold: the nearest wins", (torch.tensor([0.6, 0.0]), db, 0.9)),
        Case("nobody close: not recognized", (torch.tensor([5.0, 5.0]), db, 1.0)),
        Case("just under a threshold below 1", (torch.tensor([1.0, 0.85]), db, 0.9)),
        Case("exactly on the threshold (3-4-5)", (torch.tensor([3.0, 4.0]), {"ada": torch.zeros(2)}, 5.0)),
        Case("D=32, 6 people", (big["p4"] + 0.05 * torch.randn(32, generator=g), big, 0.7)),
    ]


def check_identify(learner_fn: Callable) -> None:
    """Check ``identify(embedding, database, threshold) -> (name or None, distance)``: the nearest
    person by Euclidean distance, or None when that distance is larger than ``threshold``.

    Parameters
    ----------
    learner_fn : callable (embedding (D,), database dict name -> (D,), threshold: float) -> (str or None, float)
        The learner's ``identify``.

    Returns
    -------
    None
        Prints ``identify: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When the name or distance differs: no rejection of unknown faces, the largest
        distance, ``<`` at the threshold, or squared distances.
    """
    return run_check(
        "identify", learner_fn, _identify_reference, _identify_cases(),
        mistakes=[
            Mistake(_identify_no_rejection,
                    "return None (\"not recognized\") when even the nearest person is farther than the threshold."),
            Mistake(_identify_farthest, "look for the *smallest* distance, not the largest."),
            Mistake(_identify_strict, "a distance equal to the threshold is a match: use <=."),
            Mistake(_identify_squared, "use the Euclidean distance ‖a − b‖₂ (take the square root)."),
            Mistake(_identify_last_below,
                    "do not stop at the first person under the threshold: find the nearest one, then compare."),
            Mistake(_identify_l1, "use the Euclidean (L2) distance ‖a − b‖₂, not the sum of absolute differences."),
        ],
        rtol=1e-5,
        verified="(name or None, distance): the nearest person by Euclidean distance, None beyond the "
                 "threshold, a distance equal to it accepted",
    )


# ---- distance matrix -----------------------------------------------------------------------------

def _dm_reference(probes, gallery):
    return torch.cdist(probes, gallery)


def _dm_no_sqrt(probes, gallery):
    return torch.cdist(probes, gallery) ** 2


def _dm_plus(probes, gallery):
    d2 = (probes**2).sum(1, keepdim=True) + 2 * probes @ gallery.T + (gallery**2).sum(1)
    return d2.clamp_min(0).sqrt()


def _dm_transposed(probes, gallery):
    return torch.cdist(gallery, probes)


def _dm_no_norms(probes, gallery):
    return (-2 * probes @ gallery.T).clamp_min(0).sqrt()


def _dm_norms_not_squared(probes, gallery):
    d2 = probes.norm(dim=1, keepdim=True) - 2 * probes @ gallery.T + gallery.norm(dim=1)
    return d2.clamp_min(0).sqrt()


def _unit32(n: int, d: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.normalize(torch.randn(n, d, generator=g), dim=1)


def _dm_cases() -> list[Case]:
    g = torch.Generator().manual_seed(6)
    return [
        Case("3-4-5 by hand", (torch.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=torch.float64),
                               torch.tensor([[3.0, 4.0], [6.0, 8.0], [0.0, 1.0]], dtype=torch.float64))),
        Case("P=4 probes, M=7 gallery, D=5", (torch.randn(4, 5, generator=g, dtype=torch.float64),
                                              torch.randn(7, 5, generator=g, dtype=torch.float64))),
        Case("P=1 probe, M=3 gallery, D=16", (torch.randn(1, 16, generator=g, dtype=torch.float64),
                                              torch.randn(3, 16, generator=g, dtype=torch.float64))),
        Case("float32 unit embeddings, probes = gallery (self-matches: distance ≈ 0)",
             (_unit32(12, 128, 3), _unit32(12, 128, 3)), atol=3e-3),
    ]


def check_distance_matrix(learner_fn: Callable) -> None:
    """Check ``distance_matrix(probes (P, D), gallery (M, D)) -> (P, M)``:
    D[p, m] = ‖probes[p] − gallery[m]‖₂ (e.g. from ‖p‖² − 2 p·g + ‖g‖²).

    Parameters
    ----------
    learner_fn : callable (probes (P, D), gallery (M, D)) -> Tensor (P, M)
        The learner's ``distance_matrix``.

    Returns
    -------
    None
        Prints ``distance_matrix: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When an entry differs from ‖p − g‖₂: no square root, +2 p·g, a (M, P) result,
        or a norm missing from the expansion.
    """
    return run_check(
        "distance_matrix", learner_fn, _dm_reference, _dm_cases(),
        mistakes=[
            Mistake(_dm_no_sqrt, "take the square root of ‖p‖² − 2 p·g + ‖g‖² to get the distance."),
            Mistake(_dm_plus, "the cross term is *minus* 2 p·g: ‖p − g‖² = ‖p‖² − 2 p·g + ‖g‖²."),
            Mistake(_dm_transposed, "the result has one row per probe and one column per gallery entry: (P, M)."),
            Mistake(_dm_no_norms, "‖p − g‖² = ‖p‖² − 2 p·g + ‖g‖²: add both squared norms, not only the cross term."),
            Mistake(_dm_norms_not_squared, "the norms in ‖p‖² − 2 p·g + ‖g‖² are squared: (x ** 2).sum(1), "
                    "not torch.linalg.norm(x, dim=1)."),
        ],
        nan_hint="‖p‖² − 2 p·g + ‖g‖² comes out slightly negative from rounding when p ≈ g (float32 "
                 "self-matches): clamp it at 0 (.clamp_min(0)) before the square root.",
        verified="(P, M) in the input's dtype, one row per probe, ‖p‖² − 2 p·g + ‖g‖² signs, no NaN on "
                 "float32 self-matches",
    )
