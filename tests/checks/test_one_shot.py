"""coursekit.checks.one_shot (notebook 01): wrong learner solutions are caught, correct alternatives pass."""

import pytest
import torch

from coursekit import fewshot, sampling
from coursekit.checks import one_shot as checks

from ._table import assert_caught, assert_passes


def test_references_pass_with_one_line(capsys):
    assert_passes(checks.check_split_episode, sampling.split_episode)
    assert_passes(checks.check_prototype_classify, fewshot.prototype_classify)
    out = capsys.readouterr().out.splitlines()
    assert out == [line for line in out if " cases pass — " in line] and len(out) == 2


# ---- split_episode -------------------------------------------------------------------------------

def _members(labels, c, order):
    return order[labels[order] == c]


def split_loop(labels, classes, k_shot, n_query, order):
    support, query = [], []
    for c in classes:
        members = order[labels[order] == c]
        support.append(members[:k_shot])
        query.append(members[k_shot:k_shot + n_query])
    return torch.stack(support), torch.stack(query)


def split_python_lists(labels, classes, k_shot, n_query, order):
    support, query = [], []
    for c in classes.tolist():
        members = [int(p) for p in order if int(labels[p]) == c]
        support.append(members[:k_shot])
        query.append(members[k_shot:k_shot + n_query])
    return torch.tensor(support), torch.tensor(query)


def split_rank_trick(labels, classes, k_shot, n_query, order):
    ordered = labels[order]
    rows = [order[(ordered == c).nonzero().flatten()[: k_shot + n_query]] for c in classes]
    both = torch.stack(rows)
    return both[:, :k_shot], both[:, k_shot:]


def _split_float(labels, classes, k_shot, n_query, order):
    s, q = split_loop(labels, classes, k_shot, n_query, order)
    return s.float(), q.float()


def _split_float_buffer(labels, classes, k_shot, n_query, order):
    support, query = torch.zeros(len(classes), k_shot), torch.zeros(len(classes), n_query)
    for j, c in enumerate(classes):
        members = order[labels[order] == c]
        support[j], query[j] = members[:k_shot], members[k_shot:k_shot + n_query]
    return support, query


def _split_numpy(labels, classes, k_shot, n_query, order):
    s, q = split_loop(labels, classes, k_shot, n_query, order)
    return s.numpy(), q.numpy()


def _split_sorts_order(labels, classes, k_shot, n_query, order):
    order.copy_(order.sort().values)  # "tidies" the caller's permutation
    return split_loop(labels, classes, k_shot, n_query, order)


def _split_flat(labels, classes, k_shot, n_query, order):
    s, q = split_loop(labels, classes, k_shot, n_query, order)
    return s.flatten(), q.flatten()


def _split_one_query_short(labels, classes, k_shot, n_query, order):
    s, q = split_loop(labels, classes, k_shot, n_query, order)
    return s, q[:, :-1]


SPLIT_WRONG = {
    "support and query overlap": (checks._split_overlap, "share examples"),
    "ignores order": (checks._split_ignores_order, "walk `order`"),
    "returns labels": (checks._split_returns_labels, "this returns labels"),
    "swapped": (checks._split_swapped, "support and query are swapped"),
    "sorted classes": (checks._split_sorted_classes, "sorted class order"),
    "float indices": (_split_float, "output[0] has dtype torch.float32, expected torch.int64"),
    "float buffer": (_split_float_buffer, "indices are integers"),
    "numpy": (_split_numpy, "numpy array"),
    "changes order in place": (_split_sorts_order, "changed its input `order` in place"),
    "flattened": (_split_flat, "has shape"),
    "one query short (off by one)": (_split_one_query_short, "output[1] has shape"),
}

SPLIT_RIGHT = {"loop": split_loop, "python lists": split_python_lists, "rank trick": split_rank_trick}


@pytest.mark.parametrize("name", SPLIT_WRONG)
def test_split_episode_catches(name):
    fn, fragment = SPLIT_WRONG[name]
    assert_caught(checks.check_split_episode, fn, fragment=fragment)


@pytest.mark.parametrize("name", SPLIT_RIGHT)
def test_split_episode_accepts(name):
    assert_passes(checks.check_split_episode, SPLIT_RIGHT[name])


# ---- prototype_classify --------------------------------------------------------------------------

def proto_cdist(support, query):
    return torch.cdist(query, support.mean(dim=1)).argmin(dim=1)


def proto_loop(support, query):
    prototypes = support.mean(1)
    out = []
    for q in query:
        d = [float(((q - c) ** 2).sum()) for c in prototypes]
        out.append(min(range(len(d)), key=d.__getitem__))
    return torch.tensor(out)


def proto_expansion(support, query):
    c = support.mean(1)
    d2 = (query**2).sum(1, keepdim=True) - 2 * query @ c.T + (c**2).sum(1)
    return (-d2).argmax(1)


def _proto_min_namedtuple(support, query):
    return torch.min(torch.cdist(query, support.mean(1)), dim=1)


def _proto_float(support, query):
    return proto_cdist(support, query).float()


def _proto_numpy(support, query):
    return proto_cdist(support, query).numpy()


def _proto_keepdim(support, query):
    return torch.cdist(query, support.mean(1)).argmin(1, keepdim=True)


def _proto_distances(support, query):
    return torch.cdist(query, support.mean(1))


def _proto_centres_in_place(support, query):
    support -= support.mean(1, keepdim=True)  # "centres" the support set in place
    return proto_cdist(support + 0, query)


def _proto_mean_wrong_axis(support, query):
    return torch.cdist(query, support.mean(0)).argmin(1)


PROTO_WRONG = {
    "nearest example": (checks._proto_nearest_example, "nearest single support example"),
    "argmax of distance": (checks._proto_argmax, "farthest class"),
    "sum not mean": (checks._proto_sum, "divide by k_shot"),
    "dot product": (checks._proto_dot, "dot product is not a distance"),
    "first shot only": (checks._proto_first_example, "not its first one"),
    "torch.min namedtuple": (_proto_min_namedtuple, "take .values"),
    "float indices": (_proto_float, "dtype torch.float32, expected torch.int64"),
    "numpy": (_proto_numpy, "numpy array"),
    "keepdim": (_proto_keepdim, "has shape (4, 1), expected (4,)"),
    "returns distances": (_proto_distances, "has shape"),
    "in place": (_proto_centres_in_place, "changed its input `support` in place"),
    "mean over the wrong axis": (_proto_mean_wrong_axis, "fails"),
}

PROTO_RIGHT = {"cdist": proto_cdist, "loop": proto_loop, "expansion": proto_expansion}


@pytest.mark.parametrize("name", PROTO_WRONG)
def test_prototype_classify_catches(name):
    fn, fragment = PROTO_WRONG[name]
    assert_caught(checks.check_prototype_classify, fn, fragment=fragment)


@pytest.mark.parametrize("name", PROTO_RIGHT)
def test_prototype_classify_accepts(name):
    assert_passes(checks.check_prototype_classify, PROTO_RIGHT[name])


def test_integer_outputs_name_the_first_differing_entry():
    message = assert_caught(checks.check_prototype_classify, checks._proto_argmax, fragment="output[")
    assert "relative error" not in message and ", expected " in message
