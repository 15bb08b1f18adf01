"""The costs of neural style transfer (Gatys et al. 2015, as the lecture writes them).

``J(G) = α J_content(C, G) + β J_style(S, G)``: the content cost compares one layer's
activations of the content image C and the generated image G; the style cost compares the
Gram matrices (channel correlations) of S and G at several layers. The optimiser that
minimises J over the pixels of G lives in ``coursekit.style_transfer``.

Activations are tensors of shape (C, H, W) for one image or (N, C, H, W) for a batch
(the lecture's n_C, n_H, n_W). Every function keeps the input's device and dtype.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

__all__ = [
    "content_cost",
    "gram_matrix",
    "layer_style_cost",
    "style_cost",
    "total_variation",
    "total_cost",
]


def _check_activations(a: object, name: str) -> torch.Tensor:
    if not isinstance(a, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(a).__name__}")
    if a.dim() not in (3, 4):
        raise ValueError(
            f"{name} must have shape (C, H, W) or (N, C, H, W), got {tuple(a.shape)} (rank {a.dim()})"
        )
    if not a.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {a.dtype}")
    if a.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(a.shape)}")
    return a


def _check_same_shape(a: torch.Tensor, b: torch.Tensor, na: str, nb: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{na} and {nb} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )


def content_cost(a_C: torch.Tensor, a_G: torch.Tensor) -> torch.Tensor:
    """Content cost: half the squared distance between two activations of one layer.

    ``J_content(C, G) = 1/2 Σ_ijk (a[l](C)_ijk − a[l](G)_ijk)²``

    Parameters
    ----------
    a_C, a_G : Tensor of shape (C, H, W) or (N, C, H, W)
        Activations of the content image and of the generated image (same shape).

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


def gram_matrix(A: torch.Tensor) -> torch.Tensor:
    """Gram matrix of one layer's activations: the (unnormalised) channel correlations.

    ``G_kk' = Σ_ij a_ijk a_ijk'``: unroll the activations to a matrix of shape (n_C, n_H n_W)
    and multiply it by its transpose.

    Parameters
    ----------
    A : Tensor of shape (C, H, W) or (N, C, H, W)

    Returns
    -------
    Tensor of shape (C, C) or (N, C, C)

    Examples
    --------
    >>> gram_matrix(torch.ones(2, 1, 3))
    tensor([[3., 3.],
            [3., 3.]])
    """
    _check_activations(A, "A")
    return _gram_matrix(A)


def _gram_matrix(A: torch.Tensor) -> torch.Tensor:
    flat = A.flatten(-2)  # (..., C, H*W): channels stay rows
    return flat @ flat.transpose(-1, -2)


def layer_style_cost(a_S: torch.Tensor, a_G: torch.Tensor) -> torch.Tensor:
    """Style cost of one layer: squared distance between the Gram matrices of S and G.

    ``J_style[l](S, G) = 1 / (2 n_H n_W n_C)² Σ_k Σ_k' (G(S)_kk' − G(G)_kk')²``

    When S and G have different spatial sizes (a style image of another aspect ratio), each
    Gram matrix is divided by its own ``n_H n_W`` first, i.e. the cost is
    ``1 / (4 n_C²) Σ (G(S)/(n_H^S n_W^S) − G(G)/(n_H^G n_W^G))²``, which is the formula above
    when the sizes are equal.

    Parameters
    ----------
    a_S, a_G : Tensor of shape (C, H, W) or (N, C, H, W)
        Activations of the style and of the generated image: same rank, batch and channels.

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
    return _layer_style_cost(_gram_matrix(a_S), a_S.shape[-2] * a_S.shape[-1], a_G)


def _layer_style_cost(gram_S: torch.Tensor, n_hw_S: int, a_G: torch.Tensor) -> torch.Tensor:
    # gram_S may be precomputed once (the optimiser does); only G's Gram changes per step
    n_C, n_hw_G = a_G.shape[-3], a_G.shape[-2] * a_G.shape[-1]
    diff = gram_S / n_hw_S - _gram_matrix(a_G) / n_hw_G
    return diff.pow(2).sum() / (4.0 * n_C**2)


def style_cost(
    style_activations: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
    generated_activations: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
    layer_weights: Mapping[str, float] | Sequence[float],
) -> torch.Tensor:
    """Style cost over several layers: a weighted sum of the layer style costs.

    ``J_style(S, G) = Σ_l λ_l J_style[l](S, G)``

    Parameters
    ----------
    style_activations, generated_activations : dict name -> Tensor, or list of Tensors
        Each layer's activations (C, H, W) or (N, C, H, W) for the style and generated image.
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
    pairs = _pair_layers(style_activations, generated_activations, layer_weights)
    return _style_cost(pairs)


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
        names = list(weights)
        triples = [(style_acts[k], gen_acts[k], weights[k], k) for k in names]
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
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not torch.isfinite(torch.tensor(float(w))):
            raise TypeError(f"layer weight for {name!r} must be a finite number, got {w!r}")
        _check_activations(a_S, f"style_activations[{name!r}]")
        _check_activations(a_G, f"generated_activations[{name!r}]")
        if a_S.shape[:-2] != a_G.shape[:-2]:
            raise ValueError(
                f"layer {name!r}: style and generated activations must have the same rank, batch "
                f"and channels, got {tuple(a_S.shape)} and {tuple(a_G.shape)}"
            )
        out.append((a_S, a_G, float(w)))
    return out


def _style_cost(pairs: list[tuple[torch.Tensor, torch.Tensor, float]]) -> torch.Tensor:
    total = 0.0
    for a_S, a_G, w in pairs:
        total = total + w * _layer_style_cost(_gram_matrix(a_S), a_S.shape[-2] * a_S.shape[-1], a_G)
    return total


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

    Examples
    --------
    >>> total_variation(torch.tensor([[[0.0, 1.0], [0.0, 1.0]]])).item()
    2.0
    """
    _check_activations(image, "image")
    return _total_variation(image)


def _total_variation(image: torch.Tensor) -> torch.Tensor:
    dh = image[..., 1:, :] - image[..., :-1, :]
    dw = image[..., :, 1:] - image[..., :, :-1]
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
    J_content, J_style : Tensor of shape () or float
    alpha, beta : float, >= 0
        Weights of the content and the style cost.

    Returns
    -------
    Tensor of shape () (a float when both costs are floats)

    Examples
    --------
    >>> total_cost(1.0, 2.0)
    90.0
    """
    for name, value in (("J_content", J_content), ("J_style", J_style)):
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise ValueError(f"{name} must be a scalar, got a tensor of shape {tuple(value.shape)}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} must be a scalar tensor or a number, got {type(value).__name__}")
    for name, value in (("alpha", alpha), ("beta", beta)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} must be a number, got {type(value).__name__}")
        if not value >= 0 or value == float("inf"):
            raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return _total_cost(J_content, J_style, alpha, beta)


def _total_cost(J_content, J_style, alpha: float, beta: float):
    return alpha * J_content + beta * J_style
