"""Tests for coursekit.checks.style: each check passes the reference and catches each mistake."""

import pytest
import torch

from coursekit import style
from coursekit.checks import CheckFailed
from coursekit.checks import style as checks


def test_references_pass(capsys):
    assert checks.check_content_cost(style.content_cost) == 4
    assert checks.check_gram_matrix(style.gram_matrix) == 3
    assert checks.check_layer_style_cost(style.layer_style_cost) == 4
    assert checks.check_total_cost(style.total_cost) == 3
    assert "gram_matrix: all 3 cases pass." in capsys.readouterr().out


def test_plain_notebook_solutions_pass():
    # what a learner writes in the notebook: (n_C, n_H, n_W) only, no validation
    def gram(A):
        M = A.reshape(A.shape[0], -1)
        return M @ M.T

    def layer(a_S, a_G):
        n_C, n_H, n_W = a_G.shape
        return ((gram(a_S) - gram(a_G)) ** 2).sum() / (2 * n_H * n_W * n_C) ** 2

    checks.check_gram_matrix(gram)
    checks.check_layer_style_cost(layer)
    checks.check_content_cost(lambda a_C, a_G: 0.5 * torch.sum((a_C - a_G) ** 2))
    checks.check_total_cost(lambda J_content, J_style, alpha=10, beta=40: alpha * J_content + beta * J_style)


def _gram(A):
    M = A.reshape(A.shape[0], -1)
    return M @ M.T


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda a_C, a_G: ((a_C - a_G) ** 2).sum(), "factor 1/2 is missing"),
        (lambda a_C, a_G: 0.5 * ((a_C - a_G) ** 2).mean(), "not a mean"),
        (lambda a_C, a_G: 0.5 * (a_C - a_G).norm(), "square the norm"),
        (lambda a_C, a_G: 0.5 * (a_C - a_G).abs().sum(), "absolute values"),
        (lambda a_C, a_G: ((a_C - a_G) ** 2).sum() / (4 * a_C.numel()), r"not 1/\(4 n_H n_W n_C\)"),
    ],
)
def test_content_check_catches(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_content_cost(wrong)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda A: _gram(A) / (A.shape[1] * A.shape[2]), "not normalised"),
        (lambda A: A.reshape(-1, A.shape[0]).T @ A.reshape(-1, A.shape[0]), "mixes channels and positions"),
        (lambda A: A.reshape(A.shape[0], -1).T @ A.reshape(A.shape[0], -1), "not Aᵀ A"),
        (lambda A: (A.reshape(A.shape[0], -1) ** 2).sum(dim=1), "elementwise"),
    ],
)
def test_gram_check_catches(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_gram_matrix(wrong)


def _layer(norm):
    def fn(a_S, a_G):
        n_C, n_H, n_W = a_G.shape
        return ((_gram(a_S) - _gram(a_G)) ** 2).sum() * norm(n_C, n_H, n_W)
    return fn


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_layer(lambda c, h, w: 1.0), r"divide by \(2 n_H n_W n_C\)²"),
        (_layer(lambda c, h, w: 1 / (2 * h * w * c)), "the normaliser is squared"),
        (_layer(lambda c, h, w: 1 / (h * w * c) ** 2), "factor 2 is missing"),
        (_layer(lambda c, h, w: 0.5 / (h * w * c) ** 2), "the 2 is inside the square"),
        (
            lambda a_S, a_G: (
                (_gram(a_S) - _gram(a_G)) / (a_G.shape[1] * a_G.shape[2])
            ).pow(2).sum() / (2 * a_G.numel()) ** 2,
            "unnormalised Gram",
        ),
        (lambda a_S, a_G: (_gram(a_S) - _gram(a_G)).norm() / (2 * a_G.numel()) ** 2, "square root"),
    ],
)
def test_layer_style_check_catches(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_layer_style_cost(wrong)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda J_content, J_style, alpha=10, beta=40: beta * J_content + alpha * J_style, "swapped"),
        (lambda J_content, J_style, alpha=40, beta=10: alpha * J_content + beta * J_style, "defaults are alpha=10"),
        (lambda J_content, J_style, alpha=10, beta=40: J_content + J_style, "multiply J_content by alpha"),
        (lambda J_content, J_style, alpha=10, beta=40: alpha * beta * (J_content + J_style), "its own cost"),
    ],
)
def test_total_check_catches(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_total_cost(wrong)


def test_unknown_mistake_still_fails_without_hint_and_not_implemented():
    with pytest.raises(CheckFailed, match="case 'n_C=3, n_H=4, n_W=5' fails") as info:
        checks.check_content_cost(lambda a_C, a_G: 3 * ((a_C - a_G) ** 2).sum())
    assert "Likely mistake" not in str(info.value)

    def todo(A):
        raise NotImplementedError("write gram_matrix")

    with pytest.raises(CheckFailed, match="not implemented yet"):
        checks.check_gram_matrix(todo)
