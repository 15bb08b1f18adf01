"""Tests for coursekit.visualize.topk: the k inputs that excite each unit most, streamed."""

import pytest
import torch
from torch import nn

from coursekit.visualize import (
    layer_activations,
    top_k_activations,
)

from .nets import hooks_left, small_net


def _topk_bruteforce(net, images, layer, units, k):
    """One image and one unit at a time: the maximum over positions, then sort all images."""
    maps = [layer_activations(net, images[n:n + 1], [layer])[layer][0] for n in range(len(images))]
    rows = []
    for u in units:
        scored = []
        for n, a in enumerate(maps):
            best = (float("-inf"), n, -1, -1)
            for i in range(a.shape[1]):
                for j in range(a.shape[2]):
                    if float(a[u, i, j]) > best[0]:
                        best = (float(a[u, i, j]), n, i, j)
            scored.append(best)
        rows.append(sorted(scored, key=lambda t: -t[0])[:k])
    return rows


@pytest.mark.parametrize("layer,units", [("3", [0, 5, 7]), ("7", None)])
def test_top_k_matches_brute_force(layer, units):
    net = small_net(1)
    images = torch.randn(23, 3, 20, 20, generator=torch.Generator().manual_seed(2))
    labels = torch.zeros(23, dtype=torch.long)
    batches = ((images[i:i + 5], labels[i:i + 5]) for i in range(0, 23, 5))  # last batch has 3
    top = top_k_activations(net, batches, {layer: units}, k=4)[layer]
    chosen = units if units is not None else list(range(5))
    expected = _topk_bruteforce(net, images, layer, chosen, 4)
    assert top.units.tolist() == chosen and top.n_images == 23 and top.values.shape == (len(chosen), 4)
    for u, row in enumerate(expected):
        torch.testing.assert_close(top.values[u], torch.tensor([r[0] for r in row]))
        assert top.image_index[u].tolist() == [r[1] for r in row]
        assert top.row[u].tolist() == [r[2] for r in row]
        assert top.col[u].tolist() == [r[3] for r in row]
    assert hooks_left(net) == 0


def test_top_k_on_a_linear_layer_with_preprocess_keeps_the_model_mode():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 4)).train()
    images = torch.randint(0, 256, (9, 3, 2, 2), dtype=torch.uint8)
    top = top_k_activations(net, [images[:4], images[4:]], {"1": [2]}, k=9,
                            preprocess=lambda x: x.float() / 255)["1"]
    scores = net(images.float() / 255)[:, 2].detach()
    assert top.image_index[0].tolist() == scores.argsort(descending=True).tolist()
    assert top.map_size == (1, 1) and net.training


def test_top_k_bad_input_and_hooks_removed_after_errors():
    net = small_net()
    batches = [torch.randn(3, 3, 16, 16)]
    with pytest.raises(ValueError, match=r"unit index 8 is out of range for layer '3', which has 8 channels"):
        top_k_activations(net, batches, {"3": [1, 8]}, k=2)
    assert hooks_left(net) == 0
    with pytest.raises(ValueError, match=r"k=4 is larger than the number of images in the data set \(3\)"):
        top_k_activations(net, batches, {"3": [1]}, k=4)
    with pytest.raises(ValueError, match="k must be an int >= 1, got 0"):
        top_k_activations(net, batches, {"3": [1]}, k=0)
    with pytest.raises(ValueError, match=r"units\['3'\] is empty"):
        top_k_activations(net, batches, {"3": []}, k=1)
    with pytest.raises(ValueError, match="produced NaN activations for images 0..2"):
        top_k_activations(net, [torch.full((3, 3, 16, 16), float("nan"))], {"0": [0]}, k=1)
    with pytest.raises(TypeError, match="each batch must be a tensor"):
        top_k_activations(net, [[[1.0]]], {"0": [0]}, k=1)
    assert hooks_left(net) == 0
