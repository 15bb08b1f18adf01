"""coursekit.checks.verification (notebook 03): wrong learner solutions are caught, correct alternatives pass."""

import numpy as np
import pytest
import torch

from coursekit.checks import verification as checks

from ._table import assert_caught, assert_passes


def test_references_pass_with_one_line(capsys):
    assert_passes(checks.check_verify, checks._verify_reference)
    assert_passes(checks.check_far_frr, checks._far_frr_reference)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("verify: 5 cases pass — ") and out[1].startswith("far_frr: 3 cases pass — ")


# ---- verify --------------------------------------------------------------------------------------

def verify_norm(embedding, identity, database, threshold):
    d = torch.linalg.norm(embedding - database[identity])
    return d <= threshold, d  # 0-d tensors


def verify_pow(embedding, identity, database, threshold):
    d = float((embedding - database[identity]).pow(2).sum().sqrt())
    return bool(d <= threshold), d


def verify_numpy(embedding, identity, database, threshold):
    d = np.linalg.norm(embedding.numpy() - database[identity].numpy())
    return d <= threshold, d  # numpy scalars are numbers too


def _verify_int(embedding, identity, database, threshold):
    d = float(torch.dist(embedding, database[identity]))
    return int(d <= threshold), d


def _verify_only_bool(embedding, identity, database, threshold):
    return float(torch.dist(embedding, database[identity])) <= threshold


def _verify_in_place(embedding, identity, database, threshold):
    embedding -= database[identity]
    d = float(embedding.norm())
    return d <= threshold, d


def _verify_cosine(embedding, identity, database, threshold):
    d = 1 - float(torch.nn.functional.cosine_similarity(embedding, database[identity], dim=0))
    return d <= threshold, d


def _verify_always(embedding, identity, database, threshold):
    return True, float(torch.dist(embedding, database[identity]))


VERIFY_WRONG = {
    "swapped outputs": (checks._verify_swapped, "return (is_match, distance) in that order"),
    "squared distance": (checks._verify_squared, "take the square root"),
    "strict <": (checks._verify_strict, "use <=, not <"),
    "inverted": (checks._verify_inverted, "a *small* distance means the same person"),
    "L1": (checks._verify_l1, "not the sum of absolute differences"),
    "nearest anyone": (checks._verify_nearest_anyone, "compare with the claimed identity"),
    "int, not bool": (_verify_int, "output[0] should be True or False"),
    "only the bool": (_verify_only_bool, "should be a tuple of 2 items"),
    "in place": (_verify_in_place, "changed its input `embedding` in place"),
    "cosine": (_verify_cosine, "fails"),
    "ignores the threshold": (_verify_always, "output[0] is True, expected False"),
}

VERIFY_RIGHT = {"0-d tensors": verify_norm, "pow/sum/sqrt": verify_pow, "numpy": verify_numpy}


@pytest.mark.parametrize("name", VERIFY_WRONG)
def test_verify_catches(name):
    fn, fragment = VERIFY_WRONG[name]
    assert_caught(checks.check_verify, fn, fragment=fragment)


@pytest.mark.parametrize("name", VERIFY_RIGHT)
def test_verify_accepts(name):
    assert_passes(checks.check_verify, VERIFY_RIGHT[name])


# ---- far_frr -------------------------------------------------------------------------------------

def far_frr_means(distances, is_same, threshold):
    accept = distances <= threshold
    return accept[~is_same].float().mean(), (~accept[is_same]).float().mean()  # 0-d tensors


def far_frr_loop(distances, is_same, threshold):
    fa = fr = n_diff = n_same = 0
    for d, same in zip(distances.tolist(), is_same.tolist(), strict=True):
        if same:
            n_same += 1
            fr += d > threshold
        else:
            n_diff += 1
            fa += d <= threshold
    return fa / n_diff, fr / n_same


def far_frr_logical(distances, is_same, threshold):
    different = is_same.logical_not()
    accept = distances.le(threshold)
    return float((accept & different).sum() / different.sum()), float((~accept & is_same).sum() / is_same.sum())


def _far_frr_one_minus(distances, is_same, threshold):
    different = 1 - is_same  # torch refuses `-` on a bool tensor
    accept = distances <= threshold
    return float((accept * different).sum() / different.sum()), float((~accept & is_same).sum() / is_same.sum())


def _far_frr_percent(distances, is_same, threshold):
    far, frr = checks._far_frr_reference(distances, is_same, threshold)
    return 100 * far, 100 * frr


def _far_frr_in_place(distances, is_same, threshold):
    is_same.logical_not_()
    accept = distances <= threshold
    return float(accept[is_same].float().mean()), float((~accept[~is_same]).float().mean())


def _far_frr_stacked(distances, is_same, threshold):
    return torch.stack(list(far_frr_means(distances, is_same, threshold)))


FAR_WRONG = {
    "swapped": (checks._far_frr_swapped, "return (far, frr)"),
    "over all pairs": (checks._far_frr_over_all, "not by all pairs"),
    "strict <": (checks._far_frr_strict, "use <="),
    "inverted": (checks._far_frr_inverted, "when the distance is *small*"),
    "TAR instead of FRR": (checks._far_frr_tar, "that is TAR = 1 − FRR"),
    "counts": (checks._far_frr_counts, "FAR and FRR are rates"),
    "1 - is_same on bool": (_far_frr_one_minus, "your function raised"),
    "percent": (_far_frr_percent, "fails"),
    "flips is_same in place": (_far_frr_in_place, "changed its input `is_same` in place"),
    "one stacked tensor": (_far_frr_stacked, "should be a tuple of 2 items"),
}

FAR_RIGHT = {"means of bool masks": far_frr_means, "loop": far_frr_loop, "logical_not/le": far_frr_logical}


@pytest.mark.parametrize("name", FAR_WRONG)
def test_far_frr_catches(name):
    fn, fragment = FAR_WRONG[name]
    assert_caught(checks.check_far_frr, fn, fragment=fragment)


@pytest.mark.parametrize("name", FAR_RIGHT)
def test_far_frr_accepts(name):
    assert_passes(checks.check_far_frr, FAR_RIGHT[name])


def test_torch_errors_from_the_learners_code_are_not_called_unimplemented():
    message = assert_caught(checks.check_far_frr, _far_frr_one_minus, fragment="your function raised")
    assert "not implemented yet" not in message and "bool" in message
