"""coursekit.checks.verification: the references and plain solutions pass, each mistake is caught."""

import pytest
import torch

from coursekit.checks import CheckFailed
from coursekit.checks import verification as checks
from coursekit.checks.verification import (
    _far_frr_inverted,
    _far_frr_over_all,
    _far_frr_strict,
    _far_frr_swapped,
    _far_frr_tar,
    _verify_inverted,
    _verify_l1,
    _verify_squared,
    _verify_strict,
    _verify_swapped,
)


def test_plain_notebook_solutions_pass(capsys):
    def verify(embedding, identity, database, threshold):
        distance = torch.linalg.norm(embedding - database[identity]).item()
        return distance <= threshold, distance

    def far_frr(distances, is_same, threshold):
        accept = distances <= threshold
        return (accept & ~is_same).sum().item() / (~is_same).sum().item(), \
            (~accept & is_same).sum().item() / is_same.sum().item()

    assert checks.check_verify(verify) == 5
    assert checks.check_far_frr(far_frr) == 3
    assert "verify: all 5 cases pass." in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (_verify_swapped, r"return \(is_match, distance\)"),
        (_verify_squared, "take the square root"),
        (_verify_inverted, "accept when distance <= threshold"),
        (_verify_strict, "use <=, not <"),
        (_verify_l1, "not the sum of absolute differences"),
    ],
)
def test_verify_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_verify(wrong)


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (_far_frr_swapped, r"return \(far, frr\)"),
        (_far_frr_over_all, "not by all pairs"),
        (_far_frr_strict, "use <="),
        (_far_frr_inverted, "distance <= threshold"),
        (_far_frr_tar, "that is TAR"),
    ],
)
def test_far_frr_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_far_frr(wrong)


def test_unhinted_wrong_answer_and_unfinished_exercise():
    with pytest.raises(CheckFailed, match="case 'close to the claimed person' fails"):
        checks.check_verify(lambda e, i, db, t: (True, 0.0))

    def todo(*args):
        raise NotImplementedError("fill in verify")

    with pytest.raises(CheckFailed, match="not implemented yet"):
        checks.check_verify(todo)
