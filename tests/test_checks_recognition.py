"""coursekit.checks.recognition: the references and plain solutions pass, each mistake is caught."""

import pytest
import torch

from coursekit.checks import CheckFailed
from coursekit.checks import recognition as checks
from coursekit.checks.recognition import (
    _dm_no_sqrt,
    _dm_plus,
    _dm_transposed,
    _identify_farthest,
    _identify_last_below,
    _identify_no_rejection,
    _identify_squared,
    _identify_strict,
)


def test_plain_notebook_solutions_pass(capsys):
    def identify(embedding, database, threshold):
        best_name, best = None, float("inf")
        for name, e in database.items():
            d = torch.linalg.norm(embedding - e).item()
            if d < best:
                best_name, best = name, d
        return (best_name if best <= threshold else None), best

    def distance_matrix(probes, gallery):
        d2 = (probes**2).sum(1, keepdim=True) - 2 * probes @ gallery.T + (gallery**2).sum(1)
        return d2.clamp_min(0).sqrt()

    assert checks.check_identify(identify) == 5
    assert checks.check_distance_matrix(distance_matrix) == 3
    assert "identify: all 5 cases pass." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (_identify_no_rejection, "not recognized"),
        (_identify_farthest, "smallest"),
        (_identify_strict, "use <="),
        (_identify_squared, "square root"),
        (_identify_last_below, "do not stop at the first person"),
    ],
)
def test_identify_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_identify(wrong)


@pytest.mark.parametrize(
    "wrong,hint",
    [(_dm_no_sqrt, "square root"), (_dm_plus, "minus"), (_dm_transposed, r"\(P, M\)")],
)
def test_distance_matrix_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_distance_matrix(wrong)


def test_nan_from_missing_clamp_is_reported():
    # unclamped expansion can go slightly negative -> NaN after sqrt; identical rows force it here
    def no_clamp(probes, gallery):
        d2 = (probes**2).sum(1, keepdim=True) - 2 * probes @ gallery.T + (gallery**2).sum(1)
        return d2.sqrt() * float("nan")

    with pytest.raises(CheckFailed, match="contains NaN"):
        checks.check_distance_matrix(no_clamp)
