"""The costs of neural style transfer (Gatys et al. 2015, as the lecture writes them).

``J(G) = α J_content(C, G) + β J_style(S, G)``: the content cost compares one layer's
activations of the content image C and the generated image G; the style cost compares the
Gram matrices (uncentred correlations between channels) of S and G at several layers. The
optimiser that minimises J over the pixels of G lives in ``coursekit.style.transfer``.

Activations are tensors of shape (C, H, W) for one image or (N, C, H, W) for a batch
(the lecture's n_C, n_H, n_W). Every function keeps the input's device and dtype.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from ..validation import check_float, check_tensor

__all__ = [
    "content_cost",
    "gram_matrix",
    "layer_style_cost",
    "gram_style_cost",
    "style_cost",
    "total_variation",
    "total_cost",
]


# ---- input checks (the rules of coursekit.validation) -------------------------------------------

_ACTIVATIONS = "(C, H, W) or (N, C, H, W)"


def _check_activations(a: object, name: str) -> torch.Tensor:
    check_tensor(a, name, ndim=(3, 4), shape=_ACTIVATIONS, floating=True)
    if a.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(a.shape)}")
    return check_tensor(a, name, finite=True)


def _check_same_shape(a: torch.Tensor, b: torch.Tensor, na: str, nb: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{na} and {nb} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )


def _check_gram(g: object, name: str) -> torch.Tensor:
    check_tensor(g, name, ndim=(2, 3), shape="(C, C) or (N, C, C)", floating=True)
    if g.shape[-1] != g.shape[-2] or g.numel() == 0:
        raise ValueError(f"{name} must have shape (C, C) or (N, C, C) with C >= 1, got {tuple(g.shape)}")
    return check_tensor(g, name, finite=True)


# ---- content ----------------------------------------------------------------------------------

def content_cost(a_C: torch.Tensor, a_G: torch.Tensor) -> torch.Tensor:
    """Content cost: half the squared distance between two activations of one layer.

    ``J_content(C, G) = 1/2 Σ_ijk (a[l](C)_ijk − a[l](G)_ijk)²``

    Parameters
    ----------
    a_C : Tensor of shape (n_C, n_H, n_W) or (N, n_C, n_H, n_W)
        Activations of the content image at layer l.
    a_G : Tensor of the same shape as ``a_C``
        Activations of the generated image at layer l.

    Returns
    -------
    Tensor of shape ()
        The cost (summed over the batch when there is one).

    Examples
    --------
    >>> content_cost(torch.zeros(1, 2, 2), torch.ones(1, 2, 2)).item()
    2.0
    """
    _check_activations(a_C, "a_C")
    _check_activations(a_G, "a_G")
    _check_same_shape(a_C, a_G, "a_C", "a_G")
    return _content_cost(a_C, a_G)


def _content_cost(a_C: torch.Tensor, a_G: torch.Tensor) -> torch.Tensor:
    return 0.5 * (a_C - a_G).pow(2).sum()


# ---- style --------------------------------------------------------------------------------------

def gram_matrix(A: torch.Tensor) -> torch.Tensor:
    """Gram matrix of one layer's activations: the uncentred correlations between channels.

    ``G_kk' = Σ_ij a_ijk a_ijk'``: unroll the activations to a matrix of shape (n_C, n_H n_W)
    and multiply it by its transpose. It is an *uncentred* correlation: the channels' means are
    not subtracted and nothing is divided by their norms, so ``G_kk`` is how strongly channel k
    fires overall and ``G_kk'`` how strongly k and k' fire at the same places.
    ``G / (n_H n_W)`` is the same statistic independent of the image size.

    Parameters
    ----------
    A : Tensor of shape (n_C, n_H, n_W) or (N, n_C, n_H, n_W)
        One layer's activations.

    Returns
    -------
    Tensor of shape (n_C, n_C) or (N, n_C, n_C)
        Symmetric, positive semi-definite.

    Examples
    --------
    >>> gram_matrix(torch.ones(2, 1, 3))
    tensor([[3., 3.],
            [3., 3.]])
    """
    _check_activations(A, "A")
    return _gram_matrix(A)


def _gram_matrix(A: torch.Tensor) -> torch.Tensor:
    flat = A.flatten(-2)  # (..., n_C, n_H*n_W): channels stay rows
    return flat @ flat.transpose(-1, -2)


def layer_style_cost(a_S: torch.Tensor, a_G: torch.Tensor) -> torch.Tensor:
    """Style cost of one layer: squared distance between the Gram matrices of S and G.

    ``J_style[l](S, G) = 1 / (2 n_H n_W n_C)² Σ_k Σ_k' (G(S)_kk' − G(G)_kk')²``

    When S and G have different spatial sizes (a style image of another aspect ratio), each
    Gram matrix is divided by its own ``n_H n_W`` first, i.e. the cost is
    ``1 / (2 n_C)² Σ (G(S)/(n_H^S n_W^S) − G(G)/(n_H^G n_W^G))²`` (``gram_style_cost``),
    which is the formula above when the sizes are equal.

    Parameters
    ----------
    a_S : Tensor of shape (n_C, n_H, n_W) or (N, n_C, n_H, n_W)
        Activations of the style image at layer l.
    a_G : Tensor of shape (n_C, n_H', n_W') or (N, n_C, n_H', n_W')
        Activations of the generated image: same rank, batch and channels as ``a_S``.

    Returns
    -------
    Tensor of shape ()
        The cost (summed over the batch when there is one).

    Examples
    --------
    >>> layer_style_cost(torch.zeros(1, 1, 1), torch.ones(1, 1, 1)).item()
    0.25
    """
    _check_activations(a_S, "a_S")
    _check_activations(a_G, "a_G")
    if a_S.shape[:-2] != a_G.shape[:-2]:
        raise ValueError(
            "a_S and a_G must have the same rank, batch size and number of channels, got "
            f"{tuple(a_S.shape)} and {tuple(a_G.shape)}"
        )
    return _layer_style_cost(a_S, a_G)


def _layer_style_cost(a_S: torch.Tensor, a_G: torch.Tensor) -> torch.Tensor:
    n_C, n_H, n_W = a_G.shape[-3:]
    if a_S.shape == a_G.shape:  # the lecture's formula
        return (_gram_matrix(a_S) - _gram_matrix(a_G)).pow(2).sum() / (2 * n_H * n_W * n_C) ** 2
    # sizes differ: each Gram divided by its own n_H n_W (the same number when sizes are equal)
    hw_S = a_S.shape[-2] * a_S.shape[-1]
    return _gram_style_cost(_gram_matrix(a_S) / hw_S, _gram_matrix(a_G) / (n_H * n_W))


def gram_style_cost(gram_S: torch.Tensor, gram_G: torch.Tensor) -> torch.Tensor:
    """Layer style cost from size-normalised Gram matrices ``Ĝ = G / (n_H n_W)``.

    ``J_style[l](S, G) = 1 / (2 n_C)² Σ_k Σ_k' (Ĝ(S)_kk' − Ĝ(G)_kk')²``, which equals
    ``layer_style_cost(a_S, a_G)`` for ``Ĝ(S) = gram_matrix(a_S) / (n_H n_W)`` (and the same
    for G). The optimiser uses it to compute the style's Gram matrix once, not at every step.

    Parameters
    ----------
    gram_S : Tensor of shape (n_C, n_C) or (N, n_C, n_C)
        The style image's Gram matrix divided by its layer's ``n_H n_W``.
    gram_G : Tensor of the same shape as ``gram_S``
        The generated image's Gram matrix divided by its layer's ``n_H n_W``.

    Returns
    -------
    Tensor of shape ()
        The cost (summed over the batch when there is one).

    Examples
    --------
    >>> gram_style_cost(torch.zeros(1, 1), torch.ones(1, 1)).item()
    0.25
    """
    _check_gram(gram_S, "gram_S")
    _check_gram(gram_G, "gram_G")
    _check_same_shape(gram_S, gram_G, "gram_S", "gram_G")
    return _gram_style_cost(gram_S, gram_G)


def _gram_style_cost(gram_S: torch.Tensor, gram_G: torch.Tensor) -> torch.Tensor:
    n_C = gram_G.shape[-1]
    return (gram_S - gram_G).pow(2).sum() / (2 * n_C) ** 2


def style_cost(
    style_activations: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
    generated_activations: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
    layer_weights: Mapping[str, float] | Sequence[float],
) -> torch.Tensor:
    """Style cost over several layers: a weighted sum of the layer style costs.

    ``J_style(S, G) = Σ_l λ_l J_style[l](S, G)``

    Parameters
    ----------
    style_activations : dict name -> Tensor, or list of Tensors
        Each layer's activations of the style image, shape (n_C, n_H, n_W) or (N, n_C, n_H, n_W).
    generated_activations : dict name -> Tensor, or list of Tensors
        The same layers' activations of the generated image (same rank, batch and channels).
    layer_weights : dict name -> float, or list of floats
        λ_l. With dicts, its keys choose the layers (each must be in both activation dicts);
        with lists, all three lists have one entry per layer.

    Returns
    -------
    Tensor of shape ()

    Examples
    --------
    >>> style_cost({"c1": torch.zeros(1, 1, 1)}, {"c1": torch.ones(1, 1, 1)}, {"c1": 2.0}).item()
    0.5
    """
    layers = _pair_layers(style_activations, generated_activations, layer_weights)
    return sum(w * _layer_style_cost(a_S, a_G) for a_S, a_G, w in layers)


def _pair_layers(style_acts, gen_acts, weights) -> list[tuple[torch.Tensor, torch.Tensor, float]]:
    if isinstance(weights, Mapping):
        for arg, acts in (("style_activations", style_acts), ("generated_activations", gen_acts)):
            if not isinstance(acts, Mapping):
                raise TypeError(
                    f"layer_weights is a dict, so {arg} must be a dict name -> Tensor, "
                    f"got {type(acts).__name__}"
                )
            missing = [k for k in weights if k not in acts]
            if missing:
                raise ValueError(
                    f"{arg} has no layer {missing} named in layer_weights; it has {list(acts)}"
                )
        triples = [(style_acts[k], gen_acts[k], weights[k], k) for k in weights]
    elif isinstance(weights, Sequence) and not isinstance(weights, str):
        for arg, acts in (("style_activations", style_acts), ("generated_activations", gen_acts)):
            if isinstance(acts, Mapping) or not isinstance(acts, Sequence):
                raise TypeError(
                    f"layer_weights is a list, so {arg} must be a list of Tensors, "
                    f"got {type(acts).__name__}"
                )
            if len(acts) != len(weights):
                raise ValueError(
                    f"{arg} must have one entry per layer weight ({len(weights)}), got {len(acts)}"
                )
        triples = [(s, g, w, str(i)) for i, (s, g, w) in enumerate(zip(style_acts, gen_acts, weights, strict=True))]
    else:
        raise TypeError(f"layer_weights must be a dict or a list, got {type(weights).__name__}")
    if not triples:
        raise ValueError("layer_weights must name at least one layer, got none")
    out = []
    for a_S, a_G, w, name in triples:
        w = check_float(w, f"layer weight for {name!r}", minimum=0.0)
        _check_activations(a_S, f"style_activations[{name!r}]")
        _check_activations(a_G, f"generated_activations[{name!r}]")
        if a_S.shape[:-2] != a_G.shape[:-2]:
            raise ValueError(
                f"layer {name!r}: style and generated activations must have the same rank, batch "
                f"and channels, got {tuple(a_S.shape)} and {tuple(a_G.shape)}"
            )
        out.append((a_S, a_G, w))
    return out


# ---- smoothness and the total ---------------------------------------------------------------------

def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Total variation (squared, anisotropic): how much neighbouring pixels differ.

    ``TV(G) = Σ_c Σ_ij (G_c,i+1,j − G_c,i,j)² + (G_c,i,j+1 − G_c,i,j)²``; adding a small multiple
    of it to J smooths away high-frequency noise (Mahendran & Vedaldi 2015).

    Parameters
    ----------
    image : Tensor of shape (C, H, W) or (N, C, H, W)

    Returns
    -------
    Tensor of shape ()
        Summed over channels (and the batch when there is one).

    Examples
    --------
    >>> total_variation(torch.tensor([[[0.0, 1.0], [0.0, 1.0]]])).item()
    2.0
    """
    _check_activations(image, "image")
    return _total_variation(image)


def _total_variation(image: torch.Tensor) -> torch.Tensor:
    dh = image[..., 1:, :] - image[..., :-1, :]  # vertical neighbours
    dw = image[..., :, 1:] - image[..., :, :-1]  # horizontal neighbours
    return dh.pow(2).sum() + dw.pow(2).sum()


def total_cost(
    J_content: torch.Tensor | float,
    J_style: torch.Tensor | float,
    alpha: float = 10,
    beta: float = 40,
) -> torch.Tensor | float:
    """Total cost of the generated image.

    ``J(G) = α J_content(C, G) + β J_style(S, G)``

    Parameters
    ----------
    J_content : Tensor of shape () or float
        The content cost.
    J_style : Tensor of shape () or float
        The style cost.
    alpha, beta : float, finite and >= 0
        Weights of the content and the style cost.

    Returns
    -------
    Tensor of shape () (a float when both costs are numbers)

    Examples
    --------
    >>> total_cost(1.0, 2.0)
    90.0
    """
    for name, value in (("J_content", J_content), ("J_style", J_style)):
        if isinstance(value, torch.Tensor):  # kept as a tensor: its gradient flows through J
            if value.numel() != 1:
                raise ValueError(f"{name} must be a scalar, got a tensor of shape {tuple(value.shape)}")
        else:
            check_float(value, name)
    alpha = check_float(alpha, "alpha", minimum=0.0)
    beta = check_float(beta, "beta", minimum=0.0)
    return alpha * J_content + beta * J_style
