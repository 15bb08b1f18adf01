"""coursekit.checks.style (notebook 06): wrong learner solutions are caught, correct alternatives pass."""

import pytest
import torch
from torch.nn import functional as F

from coursekit import style
from coursekit.checks import style as checks

from ._table import assert_caught, assert_passes


def test_references_pass_with_one_line(capsys):
    assert_passes(checks.check_content_cost, style.content_cost)
    assert_passes(checks.check_gram_matrix, style.gram_matrix)
    assert_passes(checks.check_layer_style_cost, style.layer_style_cost)
    assert_passes(checks.check_total_cost, style.total_cost)
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("gram_matrix: 4 cases pass — ") and "uses A·Aᵀ not Aᵀ·A" in out[1]
    assert len(out) == 4


def _gram(A):
    M = A.reshape(A.shape[0], -1)
    return M @ M.T


# ---- content cost --------------------------------------------------------------------------------

def _content_in_place(a_C, a_G):
    a_G -= a_C
    return 0.5 * (a_G**2).sum()


CONTENT_WRONG = {
    "no 1/2": (checks._content_no_half, "factor 1/2 is missing"),
    "mean": (checks._content_mean, "not a mean"),
    "norm": (checks._content_norm, "square the norm"),
    "abs": (checks._content_abs, "absolute values"),
    "Coursera normaliser": (checks._content_coursera, "not 1/(4 n_H n_W n_C)"),
    "per channel": (checks._content_per_channel, "has shape (3,), expected ()"),
    ".item()": (lambda a_C, a_G: style.content_cost(a_C, a_G).item(), "Python float"),
    "numpy": (lambda a_C, a_G: 0.5 * ((a_C.detach().numpy() - a_G.detach().numpy()) ** 2).sum(), "numpy"),
    "detached": (lambda a_C, a_G: style.content_cost(a_C, a_G).detach(), "does not carry a gradient"),
    "in place": (_content_in_place, "changed its input `a_G` in place"),
    "float64 result": (lambda a_C, a_G: style.content_cost(a_C, a_G).double(), "expected torch.float32"),
}

CONTENT_RIGHT = {
    "sum of squares": lambda a_C, a_G: 0.5 * torch.sum((a_G - a_C) ** 2),
    "mse_loss(sum)": lambda a_C, a_G: 0.5 * F.mse_loss(a_G, a_C, reduction="sum"),
    "norm squared": lambda a_C, a_G: torch.linalg.norm(a_C - a_G) ** 2 / 2,
}


@pytest.mark.parametrize("name", CONTENT_WRONG)
def test_content_cost_catches(name):
    fn, fragment = CONTENT_WRONG[name]
    assert_caught(checks.check_content_cost, fn, fragment=fragment)


@pytest.mark.parametrize("name", CONTENT_RIGHT)
def test_content_cost_accepts(name):
    assert_passes(checks.check_content_cost, CONTENT_RIGHT[name])


# ---- Gram matrix ---------------------------------------------------------------------------------

def _gram_relu_in_place(A):
    A.clamp_(min=0)
    return _gram(A)


def _gram_float64_buffer(A):
    n_C = A.shape[0]
    G = torch.zeros(n_C, n_C, dtype=torch.float64)
    for k in range(n_C):
        for j in range(n_C):
            G[k, j] = (A[k] * A[j]).sum()
    return G


GRAM_WRONG = {
    "normalised by n_H n_W": (checks._gram_normalised, "not normalised"),
    "normalised by all": (checks._gram_normalised_all, "do not divide by n_C n_H n_W"),
    "reshape straight to (n_H n_W, n_C)": (checks._gram_transposed_reshape, "mixes channels and positions"),
    "Aᵀ A": (checks._gram_outer_positions, "not Aᵀ A"),
    "elementwise": (checks._gram_elementwise, "not an elementwise square"),
    "numpy": (lambda A: _gram(A).detach().numpy(), "numpy array"),
    "detached": (lambda A: _gram(A.detach()), "does not carry a gradient"),
    "float64 buffer": (_gram_float64_buffer, "dtype torch.float64, expected torch.float32"),
    "ReLU in place": (_gram_relu_in_place, "changed an input in place"),
    "3-D result": (lambda A: A[:, None] * A[None], "has shape"),
}


def gram_loop(A):
    n_C = A.shape[0]
    return torch.stack([torch.stack([(A[k] * A[j]).sum() for j in range(n_C)]) for k in range(n_C)])


GRAM_RIGHT = {
    "einsum": lambda A: torch.einsum("chw,dhw->cd", A, A),
    "view and .t()": lambda A: A.view(A.shape[0], -1) @ A.view(A.shape[0], -1).t(),
    "tensordot": lambda A: torch.tensordot(A, A, dims=([1, 2], [1, 2])),
    "loop": gram_loop,
}


@pytest.mark.parametrize("name", GRAM_WRONG)
def test_gram_matrix_catches(name):
    fn, fragment = GRAM_WRONG[name]
    assert_caught(checks.check_gram_matrix, fn, fragment=fragment)


@pytest.mark.parametrize("name", GRAM_RIGHT)
def test_gram_matrix_accepts(name):
    assert_passes(checks.check_gram_matrix, GRAM_RIGHT[name])


# ---- layer style cost ----------------------------------------------------------------------------

def layer_reference_like(a_S, a_G):
    n_C, n_H, n_W = a_G.shape
    return ((_gram(a_S) - _gram(a_G)) ** 2).sum() / (2 * n_H * n_W * n_C) ** 2


def layer_mse(a_S, a_G):
    n_C, n_H, n_W = a_G.shape
    G_S, G_G = (torch.einsum("chw,dhw->cd", a, a) for a in (a_S, a_G))
    return F.mse_loss(G_G, G_S, reduction="sum") / (4 * (n_C * n_H * n_W) ** 2)


def _layer_relu_in_place(a_S, a_G):
    a_S.clamp_(min=0)
    return layer_reference_like(a_S, a_G)


LAYER_WRONG = {
    "no normaliser": (checks._style_with_norm(lambda c, h, w: 1.0), "divide by (2 n_H n_W n_C)²"),
    "normaliser not squared": (checks._style_with_norm(lambda c, h, w: 1 / (2 * h * w * c)), "is squared"),
    "missing 2": (checks._style_with_norm(lambda c, h, w: 1 / (h * w * c) ** 2), "the factor 2 is missing"),
    "2 outside the square": (checks._style_with_norm(lambda c, h, w: 1 / (2 * (h * w * c) ** 2)),
                             "the 2 is inside the square"),
    "normalised Gram": (checks._style_norm_gram, "unnormalised Gram"),
    "square root": (checks._style_sqrt, "do not take a square root"),
    "Aᵀ A Gram": (checks._style_transposed_gram, "not Aᵀ A"),
    ".item()": (lambda a_S, a_G: layer_reference_like(a_S, a_G).item(), "Python float"),
    "numpy": (lambda a_S, a_G: layer_reference_like(a_S.detach(), a_G.detach()).numpy(), "numpy"),
    "ReLU in place": (_layer_relu_in_place, "changed its input `a_S` in place"),
    "detached": (lambda a_S, a_G: layer_reference_like(a_S, a_G.detach()), "does not carry a gradient"),
}

LAYER_RIGHT = {"reference-like": layer_reference_like, "einsum + mse_loss": layer_mse}


@pytest.mark.parametrize("name", LAYER_WRONG)
def test_layer_style_cost_catches(name):
    fn, fragment = LAYER_WRONG[name]
    assert_caught(checks.check_layer_style_cost, fn, fragment=fragment)


@pytest.mark.parametrize("name", LAYER_RIGHT)
def test_layer_style_cost_accepts(name):
    assert_passes(checks.check_layer_style_cost, LAYER_RIGHT[name])


# ---- total cost ----------------------------------------------------------------------------------

def _total_in_place(J_content, J_style, alpha=10, beta=40):
    J_content *= alpha
    J_style *= beta
    return J_content + J_style


def _total_float(J_content, J_style, alpha=10, beta=40):
    return float(alpha * J_content + beta * J_style)


TOTAL_WRONG = {
    "defaults swapped": (checks._total_defaults_swapped, "the defaults are alpha=10, beta=40"),
    "weights swapped": (checks._total_swapped, "you swapped them"),
    "unweighted": (checks._total_unweighted, "multiply J_content by alpha"),
    "product": (checks._total_product, "each weight multiplies its own cost"),
    "normalised": (checks._total_normalised, "no division by alpha + beta"),
    "float()": (_total_float, "Python float"),
    "in place": (_total_in_place, "changed its input `J_content` in place"),
    "tuple": (lambda J_content, J_style, alpha=10, beta=40: (alpha * J_content, beta * J_style),
              "should be a"),
    "detached": (lambda J_content, J_style, alpha=10, beta=40:
                 alpha * torch.as_tensor(J_content).detach() + beta * torch.as_tensor(J_style).detach(),
                 "fails"),
}

TOTAL_RIGHT = {
    "reversed sum": lambda J_content, J_style, alpha=10, beta=40: beta * J_style + alpha * J_content,
    "sum of a tuple": lambda J_content, J_style, alpha=10, beta=40: sum((alpha * J_content, beta * J_style)),
}


@pytest.mark.parametrize("name", TOTAL_WRONG)
def test_total_cost_catches(name):
    fn, fragment = TOTAL_WRONG[name]
    assert_caught(checks.check_total_cost, fn, fragment=fragment)


@pytest.mark.parametrize("name", TOTAL_RIGHT)
def test_total_cost_accepts(name):
    assert_passes(checks.check_total_cost, TOTAL_RIGHT[name])
