"""The notebook-02 checks pass the reference and the post's dense code, and catch each wrong version."""

import pytest
import torch

from coursekit import losses
from coursekit.checks import CheckFailed
from coursekit.checks import triplet as checks
from coursekit.distances import pairwise_distances


# ---- what a learner writes: the post's code, ported line by line -----------------------------------
def post_pairwise_distances(embeddings, squared=False):
    dot = embeddings @ embeddings.T
    square_norm = torch.diagonal(dot)
    d = square_norm[None, :] - 2.0 * dot + square_norm[:, None]
    d = torch.clamp(d, min=0.0)
    if not squared:
        mask = (d == 0.0).to(d.dtype)
        d = torch.sqrt(d + mask * 1e-16)
        d = d * (1.0 - mask)
    return d


def post_anchor_positive_mask(labels):
    eye = torch.eye(len(labels), dtype=torch.bool)
    return ~eye & (labels[None, :] == labels[:, None])


def post_anchor_negative_mask(labels):
    return ~(labels[None, :] == labels[:, None])


def post_valid_triplet_mask(labels):
    eye = torch.eye(len(labels), dtype=torch.bool)
    distinct = ~eye[:, :, None] & ~eye[:, None, :] & ~eye[None, :, :]
    eq = labels[None, :] == labels[:, None]
    return distinct & (eq[:, :, None] & ~eq[:, None, :])


def post_batch_all(labels, embeddings, margin, squared=False):
    d = post_pairwise_distances(embeddings, squared=squared)
    t = d[:, :, None] - d[:, None, :] + margin
    t = post_valid_triplet_mask(labels).to(d.dtype) * t
    t = torch.clamp(t, min=0.0)
    n_pos = (t > 1e-16).to(d.dtype).sum()
    n_valid = post_valid_triplet_mask(labels).to(d.dtype).sum()
    return t.sum() / (n_pos + 1e-16), n_pos / (n_valid + 1e-16)


def test_reference_and_the_posts_code_pass(capsys):
    assert checks.check_pairwise_distances(pairwise_distances) == 6
    assert checks.check_pairwise_distances(post_pairwise_distances) == 6
    assert checks.check_anchor_masks(losses.anchor_positive_mask, losses.anchor_negative_mask) == 4
    assert checks.check_anchor_masks(post_anchor_positive_mask, post_anchor_negative_mask) == 4
    assert checks.check_valid_triplet_mask(post_valid_triplet_mask) == 4
    assert checks.check_batch_all_triplet_loss(post_batch_all) == 6
    assert checks.check_batch_all_triplet_loss(losses.batch_all_triplet_loss) == 6
    assert "all 6 cases pass" in capsys.readouterr().out


def _raise(*args, **kwargs):
    raise NotImplementedError("complete the exercise")


@pytest.mark.parametrize("check", [checks.check_pairwise_distances, checks.check_valid_triplet_mask,
                                   checks.check_batch_all_triplet_loss])
def test_unfinished_exercise_says_not_implemented(check):
    with pytest.raises(CheckFailed, match="not implemented yet"):
        check(_raise)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (checks._dist_no_clamp, r"contain NaN.*clamp it at 0.*add a small value"),
        (checks._dist_maximum_no_mask, r"contain NaN.*clamp it at 0.*add a small value"),
        (checks._dist_always_squared, r"take the square root when squared=False"),
        (checks._dist_never_squared, r"return the squared distances when squared=True"),
        (checks._dist_plus_sign, r"the middle term is subtracted"),
    ],
)
def test_pairwise_distance_mistakes_are_named(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_pairwise_distances(wrong)


def test_the_nan_mistakes_are_what_the_hint_says():
    e = torch.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]], requires_grad=True)
    checks._dist_maximum_no_mask(e).sum().backward()  # torch.maximum, like the post's tf.maximum
    assert torch.isnan(e.grad).any()
    e.grad = None
    checks._dist_no_clamp(e).sum().backward()
    assert torch.isnan(e.grad).any()
    # with clamp and the mask (the reference) the same input has finite gradients
    e.grad = None
    pairwise_distances(e).sum().backward()
    assert torch.isfinite(e.grad).all()


@pytest.mark.parametrize(
    ("ap", "an", "hint"),
    [
        (checks._ap_with_diagonal, losses.anchor_negative_mask, r"not its own positive"),
        (losses.anchor_positive_mask, checks._an_equal, r"a negative has a \*different\* label"),
        (losses.anchor_positive_mask, checks._an_excluding_diagonal_only, r"depends on the labels"),
    ],
)
def test_mask_mistakes_are_named(ap, an, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_anchor_masks(ap, an)


def test_int_masks_are_rejected_with_a_dtype_message():
    with pytest.raises(CheckFailed, match=r"dtype"):
        checks.check_anchor_masks(lambda y: losses.anchor_positive_mask(y).int(),
                                  lambda y: losses.anchor_negative_mask(y).int())


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (checks._valid_labels_only, r"must be different images"),
        (checks._valid_wrong_axes, r"mask\[a, p, n\]"),
    ],
)
def test_valid_mask_mistakes_are_named(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_valid_triplet_mask(wrong)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (checks._ba_mean_over_valid, r"with a \*positive\* loss"),
        (checks._ba_mean_over_all, r"not over all B³ entries"),
        (checks._ba_no_relu, r"relu"),
        (checks._ba_fraction_of_all, r"/ \*valid\* triplets"),
        (checks._ba_margin_subtracted, r"add the margin"),
        (checks._ba_ignores_squared, r"pass `squared` on"),
        (checks._ba_swapped, r"in this order"),
    ],
)
def test_batch_all_mistakes_are_named(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_batch_all_triplet_loss(wrong)


def test_batch_all_without_epsilon_fails_on_the_no_positive_case():
    def no_eps(labels, embeddings, margin, squared=False):
        loss, frac = post_batch_all(labels, embeddings, margin, squared)
        n_pos = frac * losses.valid_triplet_mask(labels).sum()
        return loss * (n_pos + 1e-16) / n_pos, frac  # sum / n_pos: 0 / 0 when nothing is positive

    with pytest.raises(CheckFailed, match=r"no positive triplet .* contains NaN"):
        checks.check_batch_all_triplet_loss(no_eps)
