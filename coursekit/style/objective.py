"""J(G) at one image size, the function ``transfer_style`` evaluates hundreds of times.

``StageObjective(net, content, style, ...)`` computes the targets once (the content image's
activations, the style image's Gram matrices); calling it on a generated image returns J and
its parts. The numbers are those of ``coursekit.style.costs`` (the tests compare them); two
things make it about twice as fast per evaluation on a CPU:

* inputs are validated once, when ``transfer_style`` starts, not at every evaluation (the
  finiteness checks of the public cost functions are full passes over every activation, and
  they nearly doubled the time of an evaluation): the content and style costs are written
  out here, and the tests hold them equal to ``content_cost`` and ``gram_style_cost``;
* the Gram matrix has a backward of one matrix product, in the activations' own memory
  layout. Autograd's backward of ``A Aᵀ`` is two products whose results it must add, one of
  them transposed; with channels-last activations that addition alone cost as much as a
  convolution. Here ``∂J/∂A = (∂J/∂G + ∂J/∂Gᵀ) A``, computed once.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from .costs import total_variation

__all__ = ["StageObjective", "normalized_gram"]


class _NormalizedGram(torch.autograd.Function):
    """Ĝ = A Aᵀ / (n_H n_W) for A of shape (N, C, H, W), with a one-product backward."""

    @staticmethod
    def forward(ctx, a: torch.Tensor) -> torch.Tensor:
        n, c, h, w = a.shape
        # channels-last activations are (N, H·W, C) matrices in memory: use them as they lie
        nhwc = a.is_contiguous(memory_format=torch.channels_last) and not a.is_contiguous()
        if nhwc:
            m = a.permute(0, 2, 3, 1).reshape(n, h * w, c)
            gram = m.transpose(1, 2) @ m
        else:
            m = a.reshape(n, c, h * w)
            gram = m @ m.transpose(1, 2)
        ctx.save_for_backward(m)
        ctx.nhwc, ctx.shape = nhwc, a.shape
        return gram / (h * w)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (m,) = ctx.saved_tensors
        n, c, h, w = ctx.shape
        sym = (grad + grad.transpose(1, 2)) / (h * w)
        if ctx.nhwc:
            return (m @ sym).reshape(n, h, w, c).permute(0, 3, 1, 2)
        return (sym @ m).reshape(n, c, h, w)


def normalized_gram(a: torch.Tensor) -> torch.Tensor:
    """``gram_matrix(a) / (n_H n_W)`` for a batch of activations, with a fast backward.

    Parameters
    ----------
    a : Tensor of shape (N, n_C, n_H, n_W)
        Activations, in the default or the channels-last memory layout. Only the rank is
        checked: this is the inner loop, and a finiteness check is a full pass over every
        activation (``coursekit.style.gram_matrix`` is the fully checked, teaching version).

    Returns
    -------
    Tensor of shape (N, n_C, n_C)

    Examples
    --------
    >>> normalized_gram(torch.ones(1, 2, 1, 3))
    tensor([[[1., 1.],
             [1., 1.]]])
    """
    if not isinstance(a, torch.Tensor) or a.dim() != 4 or a.numel() == 0:
        got = tuple(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__
        raise ValueError(f"a must be a non-empty tensor of shape (N, n_C, n_H, n_W), got {got}")
    return _NormalizedGram.apply(a)


class StageObjective:
    """J(G) = α J_content/(n_H n_W n_C) + β Σ_l λ_l J_style[l] + w_tv TV(G)/|G| at one size.

    Parameters
    ----------
    net : FeatureExtractor
        Returns (at least) ``content_layer`` and every key of ``style_weights``.
    content, style : Tensor of shape (3, H, W)
        Already resized to this stage's size; their activations are computed here, once.
    content_layer : str
    style_weights : dict name -> λ_l
    alpha, beta, tv_weight : float

    Calling it on an image of shape (3, H, W) returns ``(total, (j_content, j_style, j_tv))``,
    each a Tensor of shape (), differentiable with respect to the image.
    """

    def __init__(self, net, content: torch.Tensor, style: torch.Tensor, content_layer: str,
                 style_weights: Mapping[str, float], alpha: float, beta: float, tv_weight: float):
        self.net, self.content_layer, self.style_weights = net, content_layer, dict(style_weights)
        self.alpha, self.beta, self.tv_weight = alpha, beta, tv_weight
        with torch.no_grad():
            self.a_C = self._activations(content)[content_layer]
            acts = self._activations(style)
            self.grams = {k: normalized_gram(acts[k]) for k in self.style_weights}  # once per stage

    def _activations(self, image: torch.Tensor):
        # channels-last (NHWC) input: faster convolutions on CPU (oneDNN), still float32;
        # targets and G go through the same kernels, so J_content(C, C) is exactly 0
        return self.net(image[None].contiguous(memory_format=torch.channels_last))

    def __call__(self, image: torch.Tensor):
        acts = self._activations(image)
        a_G = acts[self.content_layer]
        # costs.content_cost, per activation so that α/β does not change with the image size
        j_content = 0.5 * (self.a_C - a_G).pow(2).sum() / a_G.numel()
        # costs.gram_style_cost: Σ (Ĝ(S) − Ĝ(G))² / (2 n_C)² for each layer
        j_style = sum(w * (self.grams[k] - normalized_gram(acts[k])).pow(2).sum() / (2 * acts[k].shape[1]) ** 2
                      for k, w in self.style_weights.items())
        j_tv = total_variation(image) / image.numel() if self.tv_weight else image.new_zeros(())
        total = self.alpha * j_content + self.beta * j_style + self.tv_weight * j_tv
        return total, (j_content, j_style, j_tv)
