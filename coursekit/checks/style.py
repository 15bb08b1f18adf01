"""Checks for the exercises of notebook 06 (neural style transfer).

Each check runs the learner's function and ``coursekit.style``'s on tiny seeded activations of
shape (n_C, n_H, n_W), with n_C, n_H and n_W all different so that a reshape in the wrong
order cannot pass, and names the likely mistake when the output matches a known wrong version.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .. import style  # the references (module paths may move: keep them here)
from ._harness import Case, Grad, Mistake, run_check

__all__ = ["check_content_cost", "check_gram_matrix", "check_layer_style_cost", "check_total_cost"]


def _acts(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _pairs() -> list[Case]:
    return [
        Case("n_C=3, n_H=4, n_W=5", (_acts((3, 4, 5), 1), _acts((3, 4, 5), 2))),
        Case("one channel, one pixel", (torch.tensor([[[2.0]]]), torch.tensor([[[0.5]]]))),
        Case("n_C=8, n_H=2, n_W=6", (_acts((8, 2, 6), 3), _acts((8, 2, 6), 4))),
        Case("equal activations", (_acts((2, 3, 3), 5), _acts((2, 3, 3), 5))),
    ]


# ---- content cost --------------------------------------------------------------------------------

def _content_no_half(a_C, a_G):
    return ((a_C - a_G) ** 2).sum()


def _content_mean(a_C, a_G):
    return 0.5 * ((a_C - a_G) ** 2).mean()


def _content_norm(a_C, a_G):
    return 0.5 * (a_C - a_G).norm()


def _content_abs(a_C, a_G):
    return 0.5 * (a_C - a_G).abs().sum()


def _content_coursera(a_C, a_G):
    return ((a_C - a_G) ** 2).sum() / (4 * a_C.numel())


def _content_per_channel(a_C, a_G):
    return 0.5 * ((a_C - a_G) ** 2).sum(dim=(1, 2))


def check_content_cost(learner_fn: Callable) -> None:
    """Check ``content_cost(a_C, a_G) = 1/2 Σ (a_C − a_G)²`` for activations (n_C, n_H, n_W).

    Parameters
    ----------
    learner_fn : callable (a_C (n_C, n_H, n_W), a_G (n_C, n_H, n_W)) -> Tensor ()
        The learner's ``content_cost``.

    Returns
    -------
    None
        Prints ``content_cost: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When J or its gradient differs: the factor 1/2 missing, a mean instead of a sum,
        a norm that is not squared, absolute values.
    """
    return run_check(
        "content_cost", learner_fn, style.content_cost, _pairs(),
        mistakes=[
            Mistake(_content_no_half, "the factor 1/2 is missing: J = 1/2 Σ (a_C − a_G)²."),
            Mistake(_content_mean, "use a sum over all entries, not a mean."),
            Mistake(_content_norm, "square the norm: Σ (a_C − a_G)², not ‖a_C − a_G‖."),
            Mistake(_content_abs, "square the differences instead of taking absolute values."),
            Mistake(_content_coursera, "this course's content cost is 1/2 Σ (·)², not 1/(4 n_H n_W n_C) Σ (·)²."),
            Mistake(_content_per_channel, "sum over every entry (all channels too): the cost is one number."),
        ],
        grad=Grad(wrt=(0, 1)),
        verified="a 0-d tensor in the input's dtype, 1/2 Σ (a_C − a_G)² summed (not averaged), "
                 "J.backward() works",
    )


# ---- Gram matrix ---------------------------------------------------------------------------------

def _gram_normalised(A):
    M = A.reshape(A.shape[0], -1)
    return M @ M.T / M.shape[1]


def _gram_transposed_reshape(A):
    M = A.reshape(-1, A.shape[0])  # (n_H n_W, n_C) straight from (n_C, n_H, n_W): scrambles channels
    return M.T @ M


def _gram_outer_positions(A):
    M = A.reshape(A.shape[0], -1)
    return M.T @ M


def _gram_elementwise(A):
    M = A.reshape(A.shape[0], -1)
    return (M * M).sum(dim=1)


def _gram_normalised_all(A):
    M = A.reshape(A.shape[0], -1)
    return M @ M.T / A.numel()


def _gram_cases() -> list[Case]:
    return [
        Case("n_C=2, n_H=1, n_W=3", (torch.tensor([[[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0]]]),)),
        Case("n_C=3, n_H=4, n_W=5", (_acts((3, 4, 5), 6),)),
        Case("n_C=6, n_H=2, n_W=3", (_acts((6, 2, 3), 7),)),
        Case("float64, n_C=4, n_H=3, n_W=2", (_acts((4, 3, 2), 8).double(),)),
    ]


def check_gram_matrix(learner_fn: Callable) -> None:
    """Check ``gram_matrix(A)``: G_kk' = Σ_ij a_ijk a_ijk' for A of shape (n_C, n_H, n_W) -> (n_C, n_C).

    Parameters
    ----------
    learner_fn : callable (A (n_C, n_H, n_W)) -> Tensor (n_C, n_C)
        The learner's ``gram_matrix``.

    Returns
    -------
    None
        Prints ``gram_matrix: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When G or its gradient differs: a normalised Gram matrix, a reshape that mixes
        channels, Aᵀ A instead of A Aᵀ, an elementwise square.
    """
    return run_check(
        "gram_matrix", learner_fn, style.gram_matrix, _gram_cases(),
        mistakes=[
            Mistake(_gram_normalised, "do not divide by n_H n_W: this Gram matrix is not normalised."),
            Mistake(_gram_transposed_reshape,
                    "reshape to (n_C, n_H n_W) first, then transpose; reshaping straight to "
                    "(n_H n_W, n_C) mixes channels and positions."),
            Mistake(_gram_outer_positions, "G = A Aᵀ with A of shape (n_C, n_H n_W), not Aᵀ A."),
            Mistake(_gram_elementwise, "a Gram matrix is a matrix product A Aᵀ, not an elementwise square."),
            Mistake(_gram_normalised_all, "do not divide by n_C n_H n_W: this Gram matrix is not normalised."),
        ],
        grad=Grad(wrt=(0,)),
        verified="(n_C, n_C) in the input's dtype, unnormalised, uses A·Aᵀ not Aᵀ·A, channels not mixed "
                 "by the reshape, gradients flow",
    )


# ---- layer style cost ------------------------------------------------------------------------------

def _gram(A):
    M = A.reshape(A.shape[0], -1)
    return M @ M.T


def _style_with_norm(norm: Callable[[int, int, int], float]) -> Callable:
    def wrong(a_S, a_G):
        n_C, n_H, n_W = a_G.shape
        return ((_gram(a_S) - _gram(a_G)) ** 2).sum() * norm(n_C, n_H, n_W)
    return wrong


def _style_norm_gram(a_S, a_G):
    n_C, n_H, n_W = a_G.shape
    d = _gram(a_S) / (n_H * n_W) - _gram(a_G) / (n_H * n_W)
    return (d**2).sum() / (2 * n_H * n_W * n_C) ** 2


def _style_sqrt(a_S, a_G):
    n_C, n_H, n_W = a_G.shape
    return (_gram(a_S) - _gram(a_G)).norm() / (2 * n_H * n_W * n_C) ** 2


def _style_transposed_gram(a_S, a_G):
    n_C, n_H, n_W = a_G.shape

    def g(A):
        M = A.reshape(A.shape[0], -1)
        return M.T @ M

    return ((g(a_S) - g(a_G)) ** 2).sum() / (2 * n_H * n_W * n_C) ** 2


def check_layer_style_cost(learner_fn: Callable) -> None:
    """Check ``layer_style_cost(a_S, a_G) = 1/(2 n_H n_W n_C)² Σ_kk' (G(S) − G(G))²``.

    Parameters
    ----------
    learner_fn : callable (a_S (n_C, n_H, n_W), a_G (n_C, n_H, n_W)) -> Tensor ()
        The learner's ``layer_style_cost``.

    Returns
    -------
    None
        Prints ``layer_style_cost: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When the cost or its gradient differs: normalised Gram matrices, a square root
        of the sum, Aᵀ A instead of A Aᵀ.
    """
    return run_check(
        "layer_style_cost", learner_fn, style.layer_style_cost, _pairs(),
        mistakes=[
            Mistake(_style_with_norm(lambda c, h, w: 1.0), "divide by (2 n_H n_W n_C)²."),
            Mistake(_style_with_norm(lambda c, h, w: 1 / (2 * h * w * c)),
                    "the normaliser is squared: 1/(2 n_H n_W n_C)², not 1/(2 n_H n_W n_C)."),
            Mistake(_style_with_norm(lambda c, h, w: 1 / (h * w * c) ** 2),
                    "the factor 2 is missing inside the square: 1/(2 n_H n_W n_C)²."),
            Mistake(_style_with_norm(lambda c, h, w: 1 / (2 * (h * w * c) ** 2)),
                    "the 2 is inside the square: (2 n_H n_W n_C)² = 4 (n_H n_W n_C)²."),
            Mistake(_style_norm_gram, "use the unnormalised Gram matrices (no division by n_H n_W)."),
            Mistake(_style_sqrt, "sum the squared differences; do not take a square root."),
            Mistake(_style_transposed_gram, "G = A Aᵀ with A of shape (n_C, n_H n_W), not Aᵀ A."),
        ],
        grad=Grad(wrt=(1,)),
        verified="a 0-d tensor in the input's dtype, 1/(2 n_H n_W n_C)² Σ (G(S) − G(G))² with unnormalised "
                 "Gram matrices, J.backward() works",
    )


# ---- total cost -------------------------------------------------------------------------------------

def _total_swapped(J_content, J_style, alpha=10, beta=40):
    return beta * J_content + alpha * J_style


def _total_defaults_swapped(J_content, J_style, alpha=40, beta=10):
    return alpha * J_content + beta * J_style


def _total_unweighted(J_content, J_style, alpha=10, beta=40):
    return J_content + J_style


def _total_product(J_content, J_style, alpha=10, beta=40):
    return alpha * beta * (J_content + J_style)


def _total_normalised(J_content, J_style, alpha=10, beta=40):
    return (alpha * J_content + beta * J_style) / (alpha + beta)


def check_total_cost(learner_fn: Callable) -> None:
    """Check ``total_cost(J_content, J_style, alpha=10, beta=40) = α J_content + β J_style``.

    Parameters
    ----------
    learner_fn : callable (J_content, J_style, alpha=10, beta=40) -> float or Tensor ()
        The learner's ``total_cost``.

    Returns
    -------
    None
        Prints ``total_cost: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When J differs from α J_content + β J_style: swapped defaults or weights, a
        missing weight, a product, a division by α + β.
    """
    cases = [
        Case("alpha=1, beta=1000", (2.0, 3.0), {"alpha": 1, "beta": 1000}),
        Case("defaults alpha=10, beta=40", (1.5, 0.25)),
        Case("tensor costs", (torch.tensor(0.7), torch.tensor(1.3)), {"alpha": 2.0, "beta": 5.0}),
        Case("tensor costs, default weights", (torch.tensor(0.2), torch.tensor(0.05))),
    ]
    return run_check(
        "total_cost", learner_fn, style.total_cost, cases,
        mistakes=[
            Mistake(_total_defaults_swapped, "the defaults are alpha=10, beta=40."),
            Mistake(_total_swapped, "alpha weighs the content cost and beta the style cost: you swapped them."),
            Mistake(_total_unweighted, "multiply J_content by alpha and J_style by beta."),
            Mistake(_total_product, "J = alpha J_content + beta J_style: each weight multiplies its own cost."),
            Mistake(_total_normalised, "no division by alpha + beta: J = alpha J_content + beta J_style."),
        ],
        grad=Grad(wrt=(0, 1)),
        verified="alpha J_content + beta J_style with the defaults alpha=10, beta=40, a tensor for tensor "
                 "costs, J.backward() works",
    )
