"""coursekit.checks.triplet (notebook 02): wrong learner solutions are caught, correct alternatives pass
(the post's dense code, cdist, loops)."""

import pytest
import torch

from coursekit import distances, losses
from coursekit.checks import triplet as checks

from ._table import assert_caught, assert_passes


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


def test_references_pass_with_one_line(capsys):
    assert_passes(checks.check_pairwise_distances, distances.pairwise_distances)
    assert_passes(checks.check_anchor_masks, losses.anchor_positive_mask, losses.anchor_negative_mask)
    assert_passes(checks.check_valid_triplet_mask, losses.valid_triplet_mask)
    assert_passes(checks.check_batch_all_triplet_loss, losses.batch_all_triplet_loss)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and all(" cases pass — " in line for line in out)


def _raise(*args, **kwargs):
    raise NotImplementedError("Exercise: write the body of f here.")


@pytest.mark.parametrize("check", [checks.check_pairwise_distances, checks.check_valid_triplet_mask,
                                   checks.check_batch_all_triplet_loss])
def test_unfinished_exercise_says_not_implemented(check):
    assert_caught(check, _raise, fragment="not implemented yet")


# ---- pairwise_distances --------------------------------------------------------------------------

def _dist_features(embeddings, squared=False):
    d = torch.cdist(embeddings.T, embeddings.T)  # distances between the D features, not the B rows
    return d**2 if squared else d


def _dist_float32_buffer(embeddings, squared=False):
    B = len(embeddings)
    d = torch.zeros(B, B)
    for i in range(B):
        for j in range(B):
            d[i, j] = ((embeddings[i] - embeddings[j]) ** 2).sum()
    return d if squared else torch.where(d > 0, d, 1).sqrt() * (d > 0)


def _dist_numpy(embeddings, squared=False):
    return post_pairwise_distances(embeddings.detach(), squared).numpy()


def _dist_detached(embeddings, squared=False):
    return post_pairwise_distances(embeddings, squared).detach()


def _dist_centres_in_place(embeddings, squared=False):
    embeddings -= embeddings.mean(0)  # distances do not change, the caller's embeddings do
    return post_pairwise_distances(embeddings, squared)


def dist_cdist(embeddings, squared=False):
    d = torch.cdist(embeddings, embeddings)
    return d**2 if squared else d


def dist_loop(embeddings, squared=False):
    B = len(embeddings)
    d = torch.zeros(B, B, dtype=embeddings.dtype)
    for i in range(B):
        for j in range(B):
            d[i, j] = torch.linalg.norm(embeddings[i] - embeddings[j])
    return d**2 if squared else d


def dist_broadcast_safe_sqrt(embeddings, squared=False):
    d2 = ((embeddings[:, None] - embeddings[None]) ** 2).sum(-1)
    if squared:
        return d2
    zero = d2 == 0
    return torch.where(zero, 0.0, torch.where(zero, 1.0, d2).sqrt())


DIST_WRONG = {
    "no clamp before sqrt": (checks._dist_no_clamp, "clamp it at 0 before the sqrt"),
    "torch.maximum, no mask": (checks._dist_maximum_no_mask, "contains NaN or inf"),
    "swapped axes (features, not rows)": (_dist_features, "has shape (4, 4), expected (6, 6)"),
    "always squared": (checks._dist_always_squared, "take the square root when squared=False"),
    "never squared": (checks._dist_never_squared, "return the squared distances when squared=True"),
    "plus sign": (checks._dist_plus_sign, "the middle term is subtracted"),
    "no cross term": (checks._dist_sum_norms, "the cross term −2 a·b is missing"),
    "float32 buffer": (_dist_float32_buffer, "dtype torch.float32, expected torch.float64"),
    "numpy": (_dist_numpy, "numpy array"),
    "detached": (_dist_detached, "does not carry a gradient"),
    "centres the input in place": (_dist_centres_in_place, "changed its input `embeddings` in place"),
}

DIST_RIGHT = {
    "the post's code": post_pairwise_distances,
    "cdist": dist_cdist,
    "loop with linalg.norm": dist_loop,
    "broadcast, safe sqrt": dist_broadcast_safe_sqrt,
}


@pytest.mark.parametrize("name", DIST_WRONG)
def test_pairwise_distances_catches(name):
    fn, fragment = DIST_WRONG[name]
    assert_caught(checks.check_pairwise_distances, fn, fragment=fragment)


@pytest.mark.parametrize("name", DIST_RIGHT)
def test_pairwise_distances_accepts(name):
    assert_passes(checks.check_pairwise_distances, DIST_RIGHT[name])


def test_the_nan_mistakes_are_what_the_hint_says():
    e = torch.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]], requires_grad=True)
    checks._dist_maximum_no_mask(e).sum().backward()  # torch.maximum, like the post's tf.maximum
    assert torch.isnan(e.grad).any()
    e.grad = None
    checks._dist_no_clamp(e).sum().backward()
    assert torch.isnan(e.grad).any()
    # with clamp and the mask (the reference) the same input has finite gradients
    e.grad = None
    distances.pairwise_distances(e).sum().backward()
    assert torch.isfinite(e.grad).all()


# ---- anchor masks --------------------------------------------------------------------------------

def ap_loop(labels):
    B = len(labels)
    m = torch.zeros(B, B, dtype=torch.bool)
    for i in range(B):
        for j in range(B):
            m[i, j] = i != j and bool(labels[i] == labels[j])
    return m


def an_loop(labels):
    return torch.tensor([[bool(a != b) for b in labels] for a in labels])


def ap_ne(labels):
    return torch.eq(labels[:, None], labels).logical_and(~torch.eye(len(labels), dtype=torch.bool))


MASK_WRONG = {
    "positive includes the anchor": ((checks._ap_with_diagonal, losses.anchor_negative_mask), "not its own positive"),
    "negative has the same label": ((losses.anchor_positive_mask, checks._an_equal), "a negative has a *different*"),
    "negative is just i != k": ((losses.anchor_positive_mask, checks._an_excluding_diagonal_only),
                                "depends on the labels"),
    "swapped": ((losses.anchor_negative_mask, losses.anchor_positive_mask), "the two masks are swapped"),
    "int masks": ((lambda y: post_anchor_positive_mask(y).int(), post_anchor_negative_mask), "dtype torch.int32"),
    "float masks": ((post_anchor_positive_mask, lambda y: post_anchor_negative_mask(y).float()),
                    "expected torch.bool"),
    "numpy": ((lambda y: post_anchor_positive_mask(y).numpy(), post_anchor_negative_mask), "numpy array"),
    "positive ignores labels": ((lambda y: ~torch.eye(len(y), dtype=torch.bool), post_anchor_negative_mask),
                                "output[0]["),
    "negative by order": ((post_anchor_positive_mask, lambda y: y[:, None] > y[None]), "output[1]["),
    "elementwise, not pairwise": ((lambda y: y == y, post_anchor_negative_mask), "output[0] has shape"),
}

MASK_RIGHT = {
    "the post's code": (post_anchor_positive_mask, post_anchor_negative_mask),
    "loops": (ap_loop, an_loop),
    "eq/logical_and and ne": (ap_ne, lambda y: torch.ne(y[:, None], y[None, :])),
}


@pytest.mark.parametrize("name", MASK_WRONG)
def test_anchor_masks_catches(name):
    fns, fragment = MASK_WRONG[name]
    assert_caught(checks.check_anchor_masks, *fns, fragment=fragment)


@pytest.mark.parametrize("name", MASK_RIGHT)
def test_anchor_masks_accepts(name):
    assert_passes(checks.check_anchor_masks, *MASK_RIGHT[name])


# ---- valid triplet mask --------------------------------------------------------------------------

def valid_loop(labels):
    B = len(labels)
    m = torch.zeros(B, B, B, dtype=torch.bool)
    for a in range(B):
        for p in range(B):
            for n in range(B):
                m[a, p, n] = a != p and bool(labels[a] == labels[p]) and bool(labels[a] != labels[n])
    return m


def valid_from_masks(labels):
    return post_anchor_positive_mask(labels)[:, :, None] & post_anchor_negative_mask(labels)[:, None, :]


VALID_WRONG = {
    "labels only, a may equal p": (checks._valid_labels_only, "must be different images"),
    "axes (a, n, p)": (checks._valid_wrong_axes, "mask[a, p, n]"),
    "distinct indices only": (checks._valid_distinct_only, "not only three distinct indices"),
    "int": (lambda y: post_valid_triplet_mask(y).int(), "dtype torch.int32, expected torch.bool"),
    "float": (lambda y: post_valid_triplet_mask(y).float(), "a mask is boolean"),
    "numpy": (lambda y: post_valid_triplet_mask(y).numpy(), "numpy array"),
    "positive mask twice": (lambda y: post_anchor_positive_mask(y)[:, :, None] & post_anchor_positive_mask(y)[:, None, :],
                            "fails"),
    "2-D": (post_anchor_positive_mask, "has shape"),
    "axes (n, p, a)": (lambda y: post_valid_triplet_mask(y).permute(2, 1, 0), "fails"),
}

VALID_RIGHT = {"the post's code": post_valid_triplet_mask, "loops": valid_loop, "from the two masks": valid_from_masks}


@pytest.mark.parametrize("name", VALID_WRONG)
def test_valid_triplet_mask_catches(name):
    fn, fragment = VALID_WRONG[name]
    assert_caught(checks.check_valid_triplet_mask, fn, fragment=fragment)


@pytest.mark.parametrize("name", VALID_RIGHT)
def test_valid_triplet_mask_accepts(name):
    assert_passes(checks.check_valid_triplet_mask, VALID_RIGHT[name])


# ---- batch-all triplet loss ----------------------------------------------------------------------

def _ba_item(labels, embeddings, margin, squared=False):
    loss, frac = post_batch_all(labels, embeddings, margin, squared)
    return loss.item(), frac


def _ba_numpy(labels, embeddings, margin, squared=False):
    loss, frac = post_batch_all(labels, embeddings.detach(), margin, squared)
    return loss.numpy(), frac.numpy()


def _ba_detached(labels, embeddings, margin, squared=False):
    loss, frac = post_batch_all(labels, embeddings, margin, squared)
    return loss.detach(), frac


def _ba_count(labels, embeddings, margin, squared=False):
    loss, frac = post_batch_all(labels, embeddings, margin, squared)
    return loss, frac * post_valid_triplet_mask(labels).sum()


def _ba_no_eps(labels, embeddings, margin, squared=False):
    loss, frac = post_batch_all(labels, embeddings, margin, squared)
    n_pos = frac * post_valid_triplet_mask(labels).sum()
    return loss * (n_pos + 1e-16) / n_pos, frac  # sum / n_pos: 0 / 0 when nothing is positive


def _ba_normalises_in_place(labels, embeddings, margin, squared=False):
    embeddings /= embeddings.norm(dim=1, keepdim=True)
    return post_batch_all(labels, embeddings, margin, squared)


def ba_loop(labels, embeddings, margin, squared=False):
    d = torch.cdist(embeddings, embeddings)
    d = d**2 if squared else d
    total, n_pos, n_valid = d.sum() * 0, 0, 0  # a zero that keeps the graph: backward() works
    B = len(labels)
    for a in range(B):
        for p in range(B):
            for n in range(B):
                if a != p and labels[a] == labels[p] and labels[a] != labels[n]:
                    n_valid += 1
                    t = d[a, p] - d[a, n] + margin
                    if t > 1e-16:
                        total, n_pos = total + t, n_pos + 1
    return total / max(n_pos, 1), torch.tensor(n_pos / max(n_valid, 1))


def ba_float32_fraction(labels, embeddings, margin, squared=False):
    d = dist_cdist(embeddings, squared)
    t = torch.relu((d[:, :, None] - d[:, None, :] + margin) * post_valid_triplet_mask(labels))
    n_pos = (t > 1e-16).sum()
    return t.sum() / n_pos.clamp_min(1), n_pos / post_valid_triplet_mask(labels).sum()  # int / int: float32


BA_WRONG = {
    "mean over valid": (checks._ba_mean_over_valid, "with a *positive* loss"),
    "mean over all": (checks._ba_mean_over_all, "not over all B³ entries"),
    "no relu": (checks._ba_no_relu, "relu"),
    "fraction of all": (checks._ba_fraction_of_all, "/ *valid* triplets"),
    "margin subtracted": (checks._ba_margin_subtracted, "add the margin"),
    "ignores squared": (checks._ba_ignores_squared, "pass `squared` on"),
    "swapped outputs": (checks._ba_swapped, "in this order"),
    ".item()": (_ba_item, "output[0] is a Python float"),
    "numpy": (_ba_numpy, "numpy"),
    "detached": (_ba_detached, "does not carry a gradient"),
    "count instead of fraction": (_ba_count, "output[1]"),
    "no epsilon": (_ba_no_eps, "is NaN"),
    "normalises in place": (_ba_normalises_in_place, "changed its input `embeddings` in place"),
}

BA_RIGHT = {
    "the post's code": post_batch_all,
    "loops": ba_loop,
    "float32 fraction": ba_float32_fraction,
}


@pytest.mark.parametrize("name", BA_WRONG)
def test_batch_all_catches(name):
    fn, fragment = BA_WRONG[name]
    assert_caught(checks.check_batch_all_triplet_loss, fn, fragment=fragment)


@pytest.mark.parametrize("name", BA_RIGHT)
def test_batch_all_accepts(name):
    assert_passes(checks.check_batch_all_triplet_loss, BA_RIGHT[name])
