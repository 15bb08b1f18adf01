"""A bad-input sweep over the public functions built on coursekit.validation (issue 19, point 6).

One rule everywhere: a wrong *type* raises TypeError, a wrong *value* ValueError, and the message
names the argument; every spelling of a valid value (any integer label dtype, NumPy scalars, 0-d
tensors) gives the same answer as the plain one.
"""

import math

import numpy as np
import pytest
import torch

from coursekit import distances, fewshot, losses, sampling, verification
from coursekit.recognition import FaceDatabase, open_set_rates

Y = torch.tensor([0, 0, 1, 1, 2, 2])
E = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
SCORES, SAME = [0.1, 0.4, 0.3, 0.9], [True, True, False, False]


def _db():
    db = FaceDatabase()
    db.enroll_many(["a", "b", "c"], E[:3])
    return db


# (function of one argument, that argument's name): each is swept with the bad labels below
LABEL_TAKERS = {
    "anchor_positive_mask": (losses.anchor_positive_mask, "labels"),
    "valid_triplet_mask": (losses.valid_triplet_mask, "labels"),
    "batch_all_triplet_loss": (lambda y: losses.batch_all_triplet_loss(y, E, 0.2), "labels"),
    "batch_hard_triplet_loss": (lambda y: losses.batch_hard_triplet_loss(y, E, 0.2), "labels"),
    "PKSampler": (lambda y: sampling.PKSampler(y, 2, 2), "labels"),
    "EpisodeSampler": (lambda y: sampling.EpisodeSampler(y, n_way=2, k_shot=1, n_query=1, n_episodes=1), "labels"),
    "all_pairs": (sampling.all_pairs, "labels"),
    "identity_split": (lambda y: sampling.identity_split(y, 1), "labels"),
    "nearest_neighbour_classify": (lambda y: fewshot.nearest_neighbour_classify(E, y, E[:2]), "support_labels"),
}
BAD_LABELS = [
    ("list", Y.tolist(), TypeError),
    ("ndarray", Y.numpy(), TypeError),
    ("float tensor", Y.float(), TypeError),
    ("bool tensor", Y.bool(), TypeError),
    ("2-D", Y[None], ValueError),
]


@pytest.mark.parametrize("fn_name", sorted(LABEL_TAKERS))
@pytest.mark.parametrize(("what", "bad", "err"), BAD_LABELS, ids=[b[0] for b in BAD_LABELS])
def test_bad_labels(fn_name, what, bad, err):
    fn, arg = LABEL_TAKERS[fn_name]
    with pytest.raises(err, match=rf"^{arg} must"):
        fn(bad)


@pytest.mark.parametrize("fn_name", sorted(LABEL_TAKERS))
@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.int32, torch.uint8])
def test_every_integer_label_dtype_is_accepted(fn_name, dtype):
    LABEL_TAKERS[fn_name][0](Y.to(dtype))  # no error


EMBEDDING_TAKERS = {
    "pairwise_distances": (distances.pairwise_distances, "embeddings"),
    "cross_distances": (lambda x: distances.cross_distances(x, E), "a"),
    "paired_distances": (lambda x: distances.paired_distances(E, x), "b"),
    "pair_distances": (lambda x: verification.pair_distances(x, E), "a"),
    "batch_all_triplet_loss": (lambda x: losses.batch_all_triplet_loss(Y, x, 0.2), "embeddings"),
    "triplet_loss": (lambda x: losses.triplet_loss(E, x, E, 0.2), "positive"),
    "contrastive_loss": (lambda x: losses.contrastive_loss(x, E, Y == 0, 0.2), "embeddings1"),
    "prototype_logits": (lambda x: fewshot.prototype_logits(x, E), "query"),
    "FaceDatabase.enroll": (lambda x: _db().enroll("z", x), "embeddings"),
    "FaceDatabase.identify_batch": (lambda x: _db().identify_batch(x, 1.0), "embedding"),
}
NAN = E.clone()
NAN[2, 1] = math.nan
INF64 = E.double().clone()
INF64[0, 0] = 1e300  # finite in float64: refused where the float32 conversion makes it inf
BAD_EMBEDDINGS = [
    ("list", E.tolist(), TypeError),
    ("int tensor", E.long(), TypeError),
    ("NaN", NAN, ValueError),
    ("inf", NAN.nan_to_num(posinf=0.0, nan=math.inf), ValueError),
    ("3-D", E[None], ValueError),
]


@pytest.mark.parametrize("fn_name", sorted(EMBEDDING_TAKERS))
@pytest.mark.parametrize(("what", "bad", "err"), BAD_EMBEDDINGS, ids=[b[0] for b in BAD_EMBEDDINGS])
def test_bad_embeddings(fn_name, what, bad, err):
    fn, arg = EMBEDDING_TAKERS[fn_name]
    with pytest.raises(err, match=rf"^{arg}\b"):
        fn(bad)


@pytest.mark.parametrize("fn_name", ["FaceDatabase.enroll", "FaceDatabase.identify_batch"])
def test_float64_that_overflows_float32_is_refused(fn_name):
    fn, arg = EMBEDDING_TAKERS[fn_name]
    with pytest.raises(ValueError, match=rf"^{arg} \(as float32\) must contain only finite values"):
        fn(INF64)


# (function of one scalar, name, the valid value): each swept with the bad scalars below
SCALAR_TAKERS = {
    "margin (batch-all)": (lambda m: losses.batch_all_triplet_loss(Y, E, m)[0], "margin", 0.5),
    "margin (triplet)": (lambda m: losses.triplet_loss(E, E.flip(0), E, m), "margin", 0.5),
    "threshold (far_frr)": (lambda t: verification.far_frr(SCORES, SAME, t), "threshold", 0.5),
    "far (tar_at_far)": (lambda f: verification.tar_at_far(SCORES, SAME, f), "far", 0.5),
    "threshold (open_set_rates)": (lambda t: open_set_rates([0.2, 0.9], [True, True], [0.4], t), "threshold", 0.5),
    "threshold (identify)": (lambda t: _db().identify(E[0], t), "threshold", 0.5),
}
BAD_SCALARS = [("str", "0.5", TypeError), ("bool", True, TypeError), ("None", None, TypeError),
               ("1-element tensor", torch.tensor([0.5]), TypeError), ("NaN", math.nan, ValueError)]


@pytest.mark.parametrize("fn_name", sorted(SCALAR_TAKERS))
@pytest.mark.parametrize(("what", "bad", "err"), BAD_SCALARS, ids=[b[0] for b in BAD_SCALARS])
def test_bad_scalars(fn_name, what, bad, err):
    fn, arg, _ = SCALAR_TAKERS[fn_name]
    with pytest.raises(err, match=rf"^{arg} must"):
        fn(bad)


@pytest.mark.parametrize("fn_name", sorted(SCALAR_TAKERS))
@pytest.mark.parametrize("spelling", [np.float64, lambda v: torch.tensor(v, dtype=torch.float64)], ids=["numpy", "0-d tensor"])
def test_scalar_spellings_give_the_same_answer(fn_name, spelling):
    fn, _, good = SCALAR_TAKERS[fn_name]
    want, got = fn(good), fn(spelling(good))
    if isinstance(want, torch.Tensor):
        assert torch.equal(want, got)
    else:
        assert want == got


INT_TAKERS = {
    "PKSampler p": (lambda v: sampling.PKSampler(Y, v, 2), "p"),
    "EpisodeSampler k_shot": (lambda v: sampling.EpisodeSampler(Y, n_way=2, k_shot=v, n_query=0, n_episodes=1), "k_shot"),
    "sample_pairs n_same": (lambda v: sampling.sample_pairs(Y, v, 1), "n_same"),
    "identity_split n_test_people": (lambda v: sampling.identity_split(Y, v), "n_test_people"),
    "FaceDatabase.top_k k": (lambda v: _db().top_k(E[0], v), "k"),
    "kfold_accuracy n_folds": (lambda v: verification.kfold_accuracy(SCORES * 2, SAME * 2, n_folds=v), "n_folds"),
}


@pytest.mark.parametrize("fn_name", sorted(INT_TAKERS))
@pytest.mark.parametrize(("bad", "err"), [(True, TypeError), (2.0, TypeError), ("2", TypeError), (-1, ValueError)],
                         ids=["bool", "float", "str", "negative"])
def test_bad_ints(fn_name, bad, err):
    fn, arg = INT_TAKERS[fn_name]
    with pytest.raises(err, match=rf"^{arg} must be an int"):
        fn(bad)


@pytest.mark.parametrize("fn_name", sorted(INT_TAKERS))
def test_numpy_ints_are_ints(fn_name):
    INT_TAKERS[fn_name][0](np.int64(2))  # no error


def test_generators_follow_one_convention():
    for fn in (lambda g: sampling.PKSampler(Y, 2, 2, generator=g),
               lambda g: sampling.sample_pairs(Y, 1, 1, generator=g),
               lambda g: sampling.identity_split(Y, 1, generator=g),
               lambda g: fewshot.evaluate_episodes(lambda x: x, E, Y, n_way=2, k_shot=1, n_query=1, n_episodes=2, generator=g)):
        fn(None)
        fn(torch.Generator().manual_seed(0))
        with pytest.raises(TypeError, match="^generator must be a torch.Generator or None, got int 0"):
            fn(0)
