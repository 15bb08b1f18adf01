"""Prototypes, prototype logits/loss and nearest-neighbour classification against loops and hand cases."""

import pytest
import torch

from coursekit.fewshot import (
    nearest_neighbour_classify,
    prototype_classify,
    prototype_logits,
    prototypes,
    prototypical_loss,
)


def test_prototypes_and_logits_hand_case():
    support = torch.tensor([[[0.0, 0.0], [2.0, 0.0]], [[0.0, 4.0], [0.0, 6.0]]])  # (2 way, 2 shot, 2)
    assert prototypes(support).tolist() == [[1.0, 0.0], [0.0, 5.0]]
    query = torch.tensor([[1.0, 1.0], [0.0, 4.0]])
    assert prototype_logits(query, prototypes(support)).tolist() == [[-1.0, -17.0], [-17.0, -1.0]]
    assert prototype_classify(support, query).tolist() == [0, 1]
    # a query nearer one support example of class 1 but nearer the mean of class 0
    support = torch.tensor([[[0.0], [4.0]], [[5.0], [20.0]]])
    assert prototype_classify(support, torch.tensor([[4.4]])).tolist() == [0]
    assert nearest_neighbour_classify(support.flatten(0, 1), torch.tensor([0, 0, 1, 1]), torch.tensor([[4.6]])).tolist() == [1]


def test_prototypical_loss_matches_loop_and_gradcheck():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(3, 2, 4, generator=g, dtype=torch.float64, requires_grad=True)
    q = torch.randn(3, 2, 4, generator=g, dtype=torch.float64, requires_grad=True)
    loss, acc = prototypical_loss(s, q)
    ref, correct = 0.0, 0
    for j in range(3):
        for i in range(2):
            d = torch.stack([((q[j, i] - s[c].mean(0)) ** 2).sum() for c in range(3)])
            ref = ref - torch.log_softmax(-d, 0)[j] / 6
            correct += int(d.argmin() == j)
    assert torch.allclose(loss, ref) and acc.item() == pytest.approx(correct / 6)
    small = (s[:2, :, :3].detach().clone().requires_grad_(), q[:2, :1, :3].detach().clone().requires_grad_())
    assert torch.autograd.gradcheck(lambda a, b: prototypical_loss(a, b)[0], small, fast_mode=True)
    with pytest.raises(ValueError, match=r"query must have shape \(n_way=3, n_query, D=4\)"):
        prototypical_loss(s, q[:2])


def test_nearest_neighbour_any_distance_and_ties():
    support = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    labels = torch.tensor([5, 6, 7])
    query = torch.tensor([[0.9, 0.1], [0.1, 2.0]])
    assert nearest_neighbour_classify(support, labels, query).tolist() == [5, 6]  # tie 5 vs 7: first wins

    def neg_cosine(a, b):
        return -torch.nn.functional.normalize(a, dim=1) @ torch.nn.functional.normalize(b, dim=1).T

    assert nearest_neighbour_classify(support, labels, torch.tensor([[10.0, 0.1]]), neg_cosine).tolist() == [5]
    images = torch.zeros(2, 1, 3, 3)
    images[1, 0, 1, 1] = 1  # works on raw images (pixel baseline)
    assert nearest_neighbour_classify(images, torch.tensor([0, 1]), images.flip(0)).tolist() == [1, 0]
    with pytest.raises(ValueError, match="share their trailing shape"):
        nearest_neighbour_classify(support, labels, torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"support_labels must have 3 entries"):
        nearest_neighbour_classify(support, labels[:2], query)
    with pytest.raises(TypeError, match="distance must be callable"):
        nearest_neighbour_classify(support, labels, query, distance="cosine")
    with pytest.raises(ValueError, match="query must contain only finite values"):
        nearest_neighbour_classify(support, labels, torch.full((1, 2), float("nan")))
    with pytest.raises(TypeError, match="floating-point"):
        prototype_classify(torch.ones(2, 1, 3, dtype=torch.long), torch.ones(1, 3))
    with pytest.raises(ValueError, match=r"support must have shape \(n_way, k_shot, D\)"):
        prototype_classify(torch.ones(2, 3), torch.ones(1, 3))


def test_nearest_neighbour_default_is_squared_euclidean_with_any_label_dtype():
    g = torch.Generator().manual_seed(4)
    support, query = torch.randn(6, 3, generator=g), torch.randn(5, 3, generator=g)
    labels = torch.tensor([3, 1, 4, 1, 5, 9], dtype=torch.int8)
    ref = [int(labels[min(range(6), key=lambda s: float(((q - support[s]) ** 2).sum()))]) for q in query]
    got = nearest_neighbour_classify(support, labels, query)
    assert got.tolist() == ref and got.dtype == torch.int8
    with pytest.raises(TypeError, match="support_labels must be an integer tensor"):
        nearest_neighbour_classify(support, labels.float(), query)
