"""J(G) at one image size, the function ``transfer_style`` evaluates hundreds of times.

``StageObjective(net, content, style, ...)`` computes the targets once (the content image's
activations, the style image's Gram matrices); calling it on a generated image returns J and
its parts. The numbers are those of ``coursekit.style.costs`` (the tests compare them); three
things make it more than twice as fast per evaluation on a CPU:

* inputs are validated once, when ``transfer_style`` starts, not at every evaluation (the
  finiteness checks of the public cost functions are full passes over every activation, and
  they nearly doubled the time of an evaluation): the content and style costs are written
  out here, and the tests hold them equal to ``content_cost`` and ``gram_style_cost``;
* the Gram matrix has a backward of one matrix product, in the activations' own memory
  layout. Autograd's backward of ``A Aᵀ`` is two products whose results it must add, one of
  them transposed; with channels-last activations that addition alone cost as much as a
  convolution. Here ``∂J/∂A = (∂J/∂G + ∂J/∂Gᵀ) A``, computed once;
* at a layer whose activations feed both a cost and the next layer, the two gradients are
  not added by autograd as separate tensors: the cost's gradient is accumulated into the one
  coming back from the next layer, in place (``_Tap``). The network runs only up to the
  deepest layer with a cost.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from ..models.vgg import VGG19_LAYERS
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


class _Tap(torch.autograd.Function):
    """At a layer with a loss: A passes on unchanged, and its content and style costs come out.

    The gradient that reaches A is the sum of what comes back from the layers above and the
    costs' own gradients. Left to autograd, each is a new tensor and the sum a third: at the
    64 × 256 × 256 layers, that addition cost more than the Gram product itself. Here the costs'
    gradients are added to the incoming one as they are computed (``baddbmm``, then one
    in-place add), in the activations' memory layout.
    """

    @staticmethod
    def forward(ctx, a, a_content, gram_style):
        ctx.set_materialize_grads(False)  # the deepest tap's A goes nowhere: its gradient is None
        n, c, h, w = a.shape
        nhwc = a.is_contiguous(memory_format=torch.channels_last) and not a.is_contiguous()
        ctx.nhwc, ctx.shape = nhwc, a.shape
        j_content = j_style = a.new_zeros(())
        m = gram_error = content_error = None
        if gram_style is not None:
            m = a.permute(0, 2, 3, 1).reshape(n, h * w, c) if nhwc else a.reshape(n, c, h * w)
            gram = (m.transpose(1, 2) @ m if nhwc else m @ m.transpose(1, 2)) / (h * w)
            gram_error = gram - gram_style
            j_style = gram_error.pow(2).sum() / (2 * c) ** 2  # costs.gram_style_cost
        if a_content is not None:
            content_error = a - a_content
            j_content = 0.5 * content_error.pow(2).sum() / a.numel()  # costs.content_cost / |A|
        ctx.save_for_backward(m, gram_error, content_error)
        return a.as_strided(a.shape, a.stride()), j_content, j_style

    @staticmethod
    def backward(ctx, grad, grad_content, grad_style):
        # ``grad`` comes from the backward of the next layer of StageObjective's walk through
        # VGG (a ReLU, a pooling or a convolution): a fresh tensor that nothing else holds, so
        # it is added to in place. (Not so after, e.g., a sum or an addition, whose backward
        # hands out the same tensor twice: _Tap is for that walk only.)
        m, gram_error, content_error = ctx.saved_tensors
        n, c, h, w = ctx.shape
        layout = torch.channels_last if ctx.nhwc else torch.contiguous_format
        if grad is not None:
            grad = grad.contiguous(memory_format=layout)  # a no-op when the layouts agree
        if gram_error is not None and grad_style is not None:
            # ∂J_style/∂Ĝ = 2 (Ĝ − Ĝ_S) / (2 n_C)²; ∂/∂A = (∂Ĝ + ∂Ĝᵀ) A / (n_H n_W)
            d_gram = gram_error * (grad_style * 2 / ((2 * c) ** 2 * h * w))
            sym = d_gram + d_gram.transpose(1, 2)
            if ctx.nhwc:
                if grad is None:
                    grad = (m @ sym).reshape(n, h, w, c).permute(0, 3, 1, 2)
                else:
                    grad.permute(0, 2, 3, 1).reshape(n, h * w, c).baddbmm_(m, sym)  # a view: grad += A ∂
            elif grad is None:
                grad = (sym @ m).reshape(n, c, h, w)
            else:
                grad.reshape(n, c, h * w).baddbmm_(sym, m)
        if content_error is not None and grad_content is not None:
            # ∂J_content/∂A = (A − A_C) / |A|
            scale = float(grad_content) / content_error.numel()
            grad = content_error * scale if grad is None else grad.add_(content_error, alpha=scale)
        return grad, None, None


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
    each a Tensor of shape (), differentiable with respect to the image. The network runs
    only up to the deepest loss layer.
    """

    def __init__(self, net, content: torch.Tensor, style: torch.Tensor, content_layer: str,
                 style_weights: Mapping[str, float], alpha: float, beta: float, tv_weight: float):
        self.net, self.content_layer, self.style_weights = net, content_layer, dict(style_weights)
        self.alpha, self.beta, self.tv_weight = alpha, beta, tv_weight
        self.taps = {VGG19_LAYERS.index(k): k for k in (content_layer, *self.style_weights)}
        with torch.no_grad():
            self.a_C = self._activations(content)[content_layer]
            acts = self._activations(style)
            self.grams = {k: normalized_gram(acts[k]) for k in self.style_weights}  # once per stage

    def _input(self, image: torch.Tensor) -> torch.Tensor:
        # channels-last (NHWC): faster convolutions on CPU (oneDNN), still float32; targets and
        # G go through the same kernels, so J_content(C, C) is exactly 0
        x = image[None].contiguous(memory_format=torch.channels_last)
        return (x - self.net.mean.to(x.dtype)) / self.net.std.to(x.dtype)  # as FeatureExtractor does

    def _activations(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        h, out = self._input(image), {}
        for i, module in enumerate(self.net.body[: max(self.taps) + 1]):
            h = module(h)
            if i in self.taps:
                out[self.taps[i]] = h
        return out

    def __call__(self, image: torch.Tensor):
        h, j_content, j_style = self._input(image), None, 0.0
        for i, module in enumerate(self.net.body[: max(self.taps) + 1]):
            h = module(h)
            if i in self.taps:
                name = self.taps[i]
                a_content = self.a_C if name == self.content_layer else None
                h, jc, js = _Tap.apply(h, a_content, self.grams.get(name))
                if a_content is not None:
                    j_content = jc
                if name in self.style_weights:
                    j_style = j_style + self.style_weights[name] * js
        j_tv = total_variation(image) / image.numel() if self.tv_weight else image.new_zeros(())
        total = self.alpha * j_content + self.beta * j_style + self.tv_weight * j_tv
        return total, (j_content, j_style, j_tv)
