"""Tests for coursekit.style.costs: the costs of neural style transfer."""

import math

import pytest
import torch
from torch.autograd import gradcheck

from coursekit.style.costs import (
    content_cost,
    gram_matrix,
    gram_style_cost,
    layer_style_cost,
    style_cost,
    total_cost,
    total_variation,
)


def _rand(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# ---- brute-force references: one loop per index of the formula -----------------------------

def _gram_loops(A):  # A: (C, H, W)
    n_C, n_H, n_W = A.shape
    G = torch.zeros(n_C, n_C, dtype=torch.float64)
    for k in range(n_C):
        for k2 in range(n_C):
            for i in range(n_H):
                for j in range(n_W):
                    G[k, k2] += float(A[k, i, j]) * float(A[k2, i, j])
    return G


def _layer_style_loops(a_S, a_G):  # (C, H, W) each, same shape
    n_C, n_H, n_W = a_S.shape
    GS, GG = _gram_loops(a_S), _gram_loops(a_G)
    s = 0.0
    for k in range(n_C):
        for k2 in range(n_C):
            s += float(GS[k, k2] - GG[k, k2]) ** 2
    return s / (2 * n_H * n_W * n_C) ** 2


def _content_loops(a_C, a_G):
    return 0.5 * sum((float(c) - float(g)) ** 2 for c, g in zip(a_C.flatten(), a_G.flatten(), strict=True))


def _tv_loops(x):  # (C, H, W)
    C, H, W = x.shape
    s = 0.0
    for c in range(C):
        for i in range(H):
            for j in range(W):
                if i + 1 < H:
                    s += float(x[c, i + 1, j] - x[c, i, j]) ** 2
                if j + 1 < W:
                    s += float(x[c, i, j + 1] - x[c, i, j]) ** 2
    return s


# ---- content cost ---------------------------------------------------------------------------

def test_content_cost_hand_computed():
    a_C = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    a_G = torch.tensor([[[1.0, 0.0], [3.0, 7.0]]])
    assert content_cost(a_C, a_G).item() == pytest.approx(0.5 * (4 + 9))


def test_content_cost_matches_loops_and_sums_batch():
    a_C, a_G = _rand(2, 3, 4, 5, seed=1), _rand(2, 3, 4, 5, seed=2)
    assert content_cost(a_C, a_G).item() == pytest.approx(_content_loops(a_C, a_G), rel=1e-5)
    parts = content_cost(a_C[0], a_G[0]) + content_cost(a_C[1], a_G[1])
    assert content_cost(a_C, a_G).item() == pytest.approx(parts.item(), rel=1e-6)


def test_content_cost_zero_for_equal_and_gradcheck():
    a = _rand(3, 4, 4, seed=3)
    assert content_cost(a, a.clone()).item() == 0.0
    a_C = _rand(2, 3, 3, dtype=torch.float64, seed=4)
    a_G = _rand(2, 3, 3, dtype=torch.float64, seed=5).requires_grad_(True)
    assert gradcheck(lambda g: content_cost(a_C, g), (a_G,))


def test_content_cost_bad_inputs():
    with pytest.raises(ValueError, match=r"same shape, got \(1, 2, 2\) and \(1, 2, 3\)"):
        content_cost(torch.zeros(1, 2, 2), torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match=r"a_C must have shape \(C, H, W\) or \(N, C, H, W\), got \(4, 4\)"):
        content_cost(torch.zeros(4, 4), torch.zeros(4, 4))
    with pytest.raises(TypeError, match=r"a_G must be a torch.Tensor of shape \(C, H, W\) or \(N, C, H, W\), got list"):
        content_cost(torch.zeros(1, 2, 2), [[0.0]])
    with pytest.raises(TypeError, match="floating-point tensor, got dtype torch.int64"):
        content_cost(torch.zeros(1, 2, 2, dtype=torch.long), torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="must not be empty"):
        content_cost(torch.zeros(0, 2, 2), torch.zeros(0, 2, 2))
    with pytest.raises(ValueError, match="a_G must contain only finite values, got 1 NaN or infinite entries"):
        content_cost(torch.zeros(1, 2, 2), torch.tensor([[[0.0, float("nan")], [0.0, 0.0]]]))


# ---- Gram matrix ------------------------------------------------------------------------------

def test_gram_matrix_hand_computed():
    # two channels, two positions: a_1 = (1, 2), a_2 = (3, 4)
    A = torch.tensor([[[1.0, 2.0]], [[3.0, 4.0]]])
    expected = torch.tensor([[1 + 4, 3 + 8], [3 + 8, 9 + 16]], dtype=torch.float32)
    torch.testing.assert_close(gram_matrix(A), expected)


def test_gram_matrix_matches_loops_single_and_batch():
    A = _rand(2, 4, 3, 5, seed=6)
    G = gram_matrix(A)
    assert G.shape == (2, 4, 4)
    for n in range(2):
        torch.testing.assert_close(G[n].double(), _gram_loops(A[n]), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(gram_matrix(A[n]), G[n])
    torch.testing.assert_close(G, G.transpose(-1, -2))  # symmetric


def test_gram_matrix_dtype_device_follow_input_and_gradcheck():
    A = _rand(3, 2, 2, dtype=torch.float64, seed=7).requires_grad_(True)
    assert gram_matrix(A).dtype == torch.float64
    assert gradcheck(gram_matrix, (A,))


def test_gram_matrix_bad_inputs():
    with pytest.raises(ValueError, match=r"A must have shape \(C, H, W\) or \(N, C, H, W\), got \(2, 3, 4, 5, 6\)"):
        gram_matrix(torch.zeros(2, 3, 4, 5, 6))
    with pytest.raises(TypeError, match=r"A must be a torch.Tensor of shape .*, got ndarray\(dtype=float64, shape=\(2, 2, 2\)\)"):
        import numpy as np

        gram_matrix(np.zeros((2, 2, 2)))


# ---- layer style cost ---------------------------------------------------------------------------

def test_layer_style_cost_hand_computed():
    # n_C = 1, n_H = n_W = 1: G(S) = 4, G(G) = 1, cost = (4 - 1)^2 / (2*1*1*1)^2 = 9/4
    assert layer_style_cost(torch.tensor([[[2.0]]]), torch.tensor([[[1.0]]])).item() == pytest.approx(2.25)


def test_layer_style_cost_matches_loops():
    a_S, a_G = _rand(3, 4, 2, seed=8), _rand(3, 4, 2, seed=9)
    assert layer_style_cost(a_S, a_G).item() == pytest.approx(_layer_style_loops(a_S, a_G), rel=1e-5)
    batch = layer_style_cost(torch.stack([a_S, a_G]), torch.stack([a_G, a_G]))
    assert batch.item() == pytest.approx(_layer_style_loops(a_S, a_G), rel=1e-5)


def test_layer_style_cost_different_sizes_uses_per_size_gram():
    # a style image twice as wide, made of two copies: its normalised Gram equals the original's
    a_G = _rand(3, 4, 4, seed=10)
    a_S = torch.cat([a_G, a_G], dim=-1)
    assert layer_style_cost(a_S, a_G).item() == pytest.approx(0.0, abs=1e-6)
    a_S2 = torch.cat([2 * a_G, 2 * a_G], dim=-1)
    # G(S)/(n_H n_W) = 4 G(G)/(n_H n_W): cost = (3 G(G)/16)^2 summed / (4 n_C^2)
    ref = ((3 * _gram_loops(a_G) / 16) ** 2).sum().item() / (4 * 9)
    assert layer_style_cost(a_S2, a_G).item() == pytest.approx(ref, rel=1e-5)


def test_layer_style_cost_gradcheck():
    a_S = _rand(2, 3, 3, dtype=torch.float64, seed=11)
    a_G = _rand(2, 3, 3, dtype=torch.float64, seed=12).requires_grad_(True)
    assert gradcheck(lambda g: layer_style_cost(a_S, g), (a_G,))


def test_layer_style_cost_bad_inputs():
    with pytest.raises(ValueError, match=r"same rank, batch size and number of channels, got \(3, 2, 2\) and \(4, 2, 2\)"):
        layer_style_cost(torch.zeros(3, 2, 2), torch.zeros(4, 2, 2))
    with pytest.raises(ValueError, match=r"got \(1, 3, 2, 2\) and \(3, 2, 2\)"):
        layer_style_cost(torch.zeros(1, 3, 2, 2), torch.zeros(3, 2, 2))


def test_gram_style_cost_equals_layer_style_cost_on_normalised_grams():
    # the optimiser's path (the style's Gram computed once) is tested equal to the lecture's formula
    for shape_S, shape_G in [((3, 4, 2), (3, 4, 2)), ((2, 3, 5, 4), (2, 3, 5, 4)), ((3, 6, 2), (3, 4, 4))]:
        a_S, a_G = _rand(*shape_S, seed=20), _rand(*shape_G, seed=21)
        gram_S = gram_matrix(a_S) / (a_S.shape[-2] * a_S.shape[-1])
        gram_G = gram_matrix(a_G) / (a_G.shape[-2] * a_G.shape[-1])
        torch.testing.assert_close(gram_style_cost(gram_S, gram_G), layer_style_cost(a_S, a_G), rtol=1e-5, atol=0)
    # n_C = 1: (1 - 0)^2 / (2 * 1)^2
    assert gram_style_cost(torch.ones(1, 1), torch.zeros(1, 1)).item() == 0.25


def test_gram_style_cost_bad_inputs():
    with pytest.raises(ValueError, match=r"gram_S must have shape \(C, C\) or \(N, C, C\) with C >= 1, got \(2, 3\)"):
        gram_style_cost(torch.zeros(2, 3), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"gram_S and gram_G must have the same shape, got \(2, 2\) and \(3, 3\)"):
        gram_style_cost(torch.zeros(2, 2), torch.zeros(3, 3))
    with pytest.raises(TypeError, match=r"gram_G must be a torch.Tensor of shape \(C, C\) or \(N, C, C\), got list"):
        gram_style_cost(torch.zeros(2, 2), [[0.0]])
    with pytest.raises(TypeError, match="gram_S must be a floating-point tensor, got dtype torch.int64"):
        gram_style_cost(torch.zeros(2, 2, dtype=torch.long), torch.zeros(2, 2))


# ---- style cost over layers -------------------------------------------------------------------

def test_style_cost_weighted_sum_dict_and_list():
    S = {"a": _rand(2, 3, 3, seed=13), "b": _rand(4, 2, 2, seed=14), "unused": _rand(1, 1, 1)}
    G = {"a": _rand(2, 3, 3, seed=15), "b": _rand(4, 2, 2, seed=16)}
    w = {"a": 0.3, "b": 2.0}
    ref = 0.3 * _layer_style_loops(S["a"], G["a"]) + 2.0 * _layer_style_loops(S["b"], G["b"])
    assert style_cost(S, G, w).item() == pytest.approx(ref, rel=1e-5)
    as_lists = style_cost([S["a"], S["b"]], [G["a"], G["b"]], [0.3, 2.0])
    assert as_lists.item() == pytest.approx(ref, rel=1e-5)


def test_style_cost_bad_inputs():
    S = {"a": torch.zeros(2, 2, 2)}
    with pytest.raises(ValueError, match=r"generated_activations has no layer \['b'\] named in layer_weights"):
        style_cost({"a": S["a"], "b": S["a"]}, S, {"a": 1.0, "b": 1.0})
    with pytest.raises(ValueError, match="one entry per layer weight \\(2\\), got 1"):
        style_cost([S["a"]], [S["a"], S["a"]], [1.0, 1.0])
    with pytest.raises(TypeError, match="layer_weights is a dict, so style_activations must be a dict"):
        style_cost([S["a"]], S, {"a": 1.0})
    with pytest.raises(ValueError, match="at least one layer"):
        style_cost({}, {}, {})
    with pytest.raises(ValueError, match="layer weight for 'a' must be a finite number, got nan"):
        style_cost(S, S, {"a": math.nan})
    with pytest.raises(ValueError, match="layer weight for 'a' must be a number >= 0.0, got -1.0"):
        style_cost(S, S, {"a": -1.0})
    with pytest.raises(TypeError, match="layer weight for 'a' must be a real number >= 0.0, got str '1'"):
        style_cost(S, S, {"a": "1"})
    assert style_cost(S, S, {"a": torch.tensor(2.0)}).item() == 0.0  # a 0-d tensor is a number
    with pytest.raises(TypeError, match="layer_weights must be a dict or a list, got int"):
        style_cost(S, S, 1)
    with pytest.raises(ValueError, match=r"layer 'a': .* got \(2, 2, 2\) and \(3, 2, 2\)"):
        style_cost(S, {"a": torch.zeros(3, 2, 2)}, {"a": 1.0})


# ---- total variation and total cost ---------------------------------------------------------------

def test_total_variation_hand_and_loops():
    x = torch.tensor([[[0.0, 1.0], [0.0, 3.0]]])  # vertical diffs 0, 2; horizontal 1, 3
    assert total_variation(x).item() == pytest.approx(0 + 4 + 1 + 9)
    y = _rand(3, 5, 4, seed=17)
    assert total_variation(y).item() == pytest.approx(_tv_loops(y), rel=1e-5)
    assert total_variation(torch.ones(2, 3, 5, 5)).item() == 0.0
    z = _rand(1, 3, 3, dtype=torch.float64, seed=18).requires_grad_(True)
    assert gradcheck(total_variation, (z,))
    with pytest.raises(ValueError, match=r"image must have shape \(C, H, W\) or \(N, C, H, W\), got \(5,\)"):
        total_variation(torch.zeros(5))


def test_total_cost_formula_defaults_and_tensors():
    assert total_cost(1.0, 2.0) == pytest.approx(10 * 1 + 40 * 2)
    assert total_cost(3.0, 0.5, alpha=1, beta=100) == pytest.approx(53.0)
    jc = torch.tensor(2.0, requires_grad=True)
    J = total_cost(jc, torch.tensor(1.0), alpha=5, beta=1)
    J.backward()
    assert J.item() == 11.0 and jc.grad.item() == 5.0


def test_total_cost_bad_inputs():
    with pytest.raises(ValueError, match=r"J_content must be a scalar, got a tensor of shape \(2,\)"):
        total_cost(torch.zeros(2), 1.0)
    with pytest.raises(TypeError, match="J_style must be a real number, got str '2'"):
        total_cost(1.0, "2")
    with pytest.raises(ValueError, match=r"alpha must be a number >= 0.0, got -1.0"):
        total_cost(1.0, 1.0, alpha=-1)
    with pytest.raises(TypeError, match="beta must be a real number >= 0.0, got NoneType"):
        total_cost(1.0, 1.0, beta=None)
    with pytest.raises(ValueError, match="beta must be a finite number, got nan"):
        total_cost(1.0, 1.0, beta=math.nan)
    with pytest.raises(TypeError, match="alpha must be a real number >= 0.0, got bool True"):
        total_cost(1.0, 1.0, alpha=True)
