"""Tests for coursekit.checks.one_shot: each check passes the reference and catches each mistake."""

import pytest
import torch

from coursekit import fewshot
from coursekit.checks import CheckFailed
from coursekit.checks import one_shot as checks
from coursekit.sampling import split_episode


def test_references_pass(capsys):
    assert checks.check_split_episode(split_episode) == 3
    assert checks.check_prototype_classify(fewshot.prototype_classify) == 4
    assert "prototype_classify: all 4 cases pass." in capsys.readouterr().out


def test_plain_notebook_solutions_pass():
    def split(labels, classes, k_shot, n_query, order):
        support, query = [], []
        for c in classes:
            members = order[labels[order] == c]
            support.append(members[:k_shot])
            query.append(members[k_shot : k_shot + n_query])
        return torch.stack(support), torch.stack(query)

    def classify(support, query):
        protos = support.mean(dim=1)
        return torch.cdist(query, protos).argmin(dim=1)

    checks.check_split_episode(split)
    checks.check_prototype_classify(classify)


def _members(labels, c, order):
    return order[labels[order] == c]


def _split_overlap(labels, classes, k, q, order):
    rows = [_members(labels, c, order) for c in classes]
    return torch.stack([r[:k] for r in rows]), torch.stack([r[:q] for r in rows])


def _split_dataset_order(labels, classes, k, q, order):
    rows = [(labels == c).nonzero().flatten() for c in classes]
    return torch.stack([r[:k] for r in rows]), torch.stack([r[k : k + q] for r in rows])


def _split_labels(labels, classes, k, q, order):
    rows = [_members(labels, c, order) for c in classes]
    return labels[torch.stack([r[:k] for r in rows])], labels[torch.stack([r[k : k + q] for r in rows])]


def _split_swapped(labels, classes, k, q, order):
    rows = [_members(labels, c, order) for c in classes]
    return torch.stack([r[q : q + k] for r in rows]), torch.stack([r[:q] for r in rows])


def _split_sorted(labels, classes, k, q, order):
    rows = [_members(labels, c, order) for c in sorted(classes.tolist())]
    return torch.stack([r[:k] for r in rows]), torch.stack([r[k : k + q] for r in rows])


def _split_flat(labels, classes, k, q, order):
    s, qq = split_episode(labels, classes, k, q, order)
    return s.flatten(), qq.flatten()


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_split_overlap, "share examples"),
        (_split_dataset_order, "walk `order`"),
        (_split_labels, "this returns labels"),
        (_split_swapped, "swapped"),
        (_split_sorted, "sorted class order"),
        (_split_flat, None),  # no known mistake: the shape message alone
    ],
)
def test_split_check_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match="split_episode: case") as info:
        checks.check_split_episode(wrong)
    if hint:
        assert hint in str(info.value)
    else:
        assert "has shape" in str(info.value) and "Likely mistake" not in str(info.value)


def _proto_nearest(support, query):
    return torch.cdist(query, support.flatten(0, 1)).argmin(1) // support.shape[1]


def _proto_argmax(support, query):
    return torch.cdist(query, support.mean(1)).argmax(1)


def _proto_sum(support, query):
    return torch.cdist(query, support.sum(1)).argmin(1)


def _proto_dot(support, query):
    return (query @ support.mean(1).T).argmax(1)


def _proto_first_shot(support, query):
    return torch.cdist(query, support[:, 0]).argmin(1)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_proto_nearest, "nearest single support example"),
        (_proto_argmax, "farthest class"),
        (_proto_sum, "divide by k_shot"),
        (_proto_dot, "dot product is not a distance"),
        (_proto_first_shot, None),
    ],
)
def test_prototype_check_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match="prototype_classify: case") as info:
        checks.check_prototype_classify(wrong)
    if hint:
        assert hint in str(info.value)


def test_unimplemented_and_crashing_learner_code():
    def todo(*args):
        raise NotImplementedError("write split_episode")

    with pytest.raises(CheckFailed, match="not implemented yet"):
        checks.check_split_episode(todo)
    with pytest.raises(CheckFailed, match="raised IndexError"):
        checks.check_prototype_classify(lambda s, q: s[99])
