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

With ``objective.bfloat16 = True`` the convolutions run in bfloat16 (inputs and weights rounded
to 8 significant bits, products summed in float32), everything else in float32: 0.5–0.9 of
the time of a float32 evaluation (256 px, one thread) where the hardware computes bfloat16 natively
(:func:`coursekit.config.has_fast_bfloat16`), but J is then approximate (about 1e-4 relative)
and so is its gradient (a few percent): good enough to make progress far from the minimum, not to
find it. ``transfer_style(bfloat16_evaluations=...)`` uses it for the first evaluations of
its last stage.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import torch
from torch import nn

from ..models.vgg import VGG19_LAYERS
from .costs import total_variation

__all__ = ["StageObjective", "normalized_gram"]


def _is_nhwc(a: torch.Tensor) -> bool:
    """Channels-last activations are (N, H·W, C) matrices in memory: they are used as they lie."""
    return a.is_contiguous(memory_format=torch.channels_last) and not a.is_contiguous()


def _matrix(a: torch.Tensor, nhwc: bool) -> torch.Tensor:
    """A of shape (N, C, H, W) as (N, H·W, C) if ``nhwc``, else (N, C, H·W): a view."""
    n, c, h, w = a.shape
    return a.permute(0, 2, 3, 1).reshape(n, h * w, c) if nhwc else a.reshape(n, c, h * w)


def _gram(a: torch.Tensor, nhwc: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(A as ``_matrix``, Ĝ = A Aᵀ / (n_H n_W)) with one product in A's own layout."""
    m = _matrix(a, nhwc)
    return m, (m.transpose(1, 2) @ m if nhwc else m @ m.transpose(1, 2)) / (a.shape[2] * a.shape[3])


def _gram_backward(m: torch.Tensor, sym: torch.Tensor, shape, nhwc: bool, into: torch.Tensor | None):
    """``sym`` A (the gradient of the Gram product for ``sym = ∂Ĝ + ∂Ĝᵀ``, already over n_H n_W),
    as a tensor of ``shape``; added in place to ``into`` when given (a tensor in the same layout)."""
    n, c, h, w = shape
    if into is not None:
        _matrix(into, nhwc).baddbmm_(*((m, sym) if nhwc else (sym, m)))  # a view: into += sym A
        return into
    if nhwc:
        return (m @ sym).reshape(n, h, w, c).permute(0, 3, 1, 2)
    return (sym @ m).reshape(n, c, h, w)


class _NormalizedGram(torch.autograd.Function):
    """Ĝ = A Aᵀ / (n_H n_W) for A of shape (N, C, H, W), with a one-product backward."""

    @staticmethod
    def forward(ctx, a: torch.Tensor) -> torch.Tensor:
        ctx.nhwc, ctx.shape = _is_nhwc(a), a.shape
        m, gram = _gram(a, ctx.nhwc)
        ctx.save_for_backward(m)
        return gram

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (m,) = ctx.saved_tensors
        _, _, h, w = ctx.shape
        sym = (grad + grad.transpose(1, 2)) / (h * w)
        return _gram_backward(m, sym, ctx.shape, ctx.nhwc, None)


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
        ctx.nhwc, ctx.shape = _is_nhwc(a), a.shape
        j_content = j_style = a.new_zeros(())
        m = gram_error = content_error = None
        if gram_style is not None:
            m, gram = _gram(a, ctx.nhwc)
            gram_error = gram - gram_style
            j_style = gram_error.pow(2).sum() / (2 * a.shape[1]) ** 2  # costs.gram_style_cost
        if a_content is not None:
            content_error = a - a_content
            j_content = 0.5 * content_error.pow(2).sum() / a.numel()  # costs.content_cost / |A|
        ctx.save_for_backward(m, gram_error, content_error)
        # a view with a's own strides (a itself, or view_as, comes back with other strides for
        # the size-1 batch, and oneDNN then rounds differently: J_content(C, C) would not be 0)
        return a.as_strided(a.shape, a.stride()), j_content, j_style

    @staticmethod
    def backward(ctx, grad, grad_content, grad_style):
        # ``grad`` comes from the backward of the next layer of StageObjective's walk through
        # VGG (a ReLU, a pooling or a convolution): a fresh tensor that nothing else holds, so
        # it is added to in place. (Not so after, e.g., a sum or an addition, whose backward
        # hands out the same tensor twice: _Tap is for that walk only.)
        m, gram_error, content_error = ctx.saved_tensors
        _, c, h, w = ctx.shape
        if grad is not None:  # a no-op when the layouts agree
            grad = grad.contiguous(memory_format=torch.channels_last if ctx.nhwc else torch.contiguous_format)
        if gram_error is not None and grad_style is not None:
            # ∂J_style/∂Ĝ = 2 (Ĝ − Ĝ_S) / (2 n_C)²; ∂/∂A = (∂Ĝ + ∂Ĝᵀ) A / (n_H n_W)
            d_gram = gram_error * (grad_style * 2 / ((2 * c) ** 2 * h * w))
            grad = _gram_backward(m, d_gram + d_gram.transpose(1, 2), ctx.shape, ctx.nhwc, grad)
        if content_error is not None and grad_content is not None:
            # ∂J_content/∂A = (A − A_C) / |A|
            scale = float(grad_content) / content_error.numel()
            grad = content_error * scale if grad is None else grad.add_(content_error, alpha=scale)
        return grad, None, None


class _Bfloat16Conv(nn.Module):
    """A convolution computed in bfloat16 (a rounded copy of its weights), float32 in and out."""

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        self.conv = copy.deepcopy(conv).to(torch.bfloat16)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.conv(h.to(torch.bfloat16)).float()  # .to keeps the channels-last layout


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

    Attributes
    ----------
    bfloat16 : bool
        Set it to run the convolutions of the next calls in bfloat16 (see the module's text);
        the targets stay those computed in float32. False at first.
    """

    def __init__(self, net, content: torch.Tensor, style: torch.Tensor, content_layer: str,
                 style_weights: Mapping[str, float], alpha: float, beta: float, tv_weight: float):
        self.net, self.content_layer, self.style_weights = net, content_layer, dict(style_weights)
        self.alpha, self.beta, self.tv_weight = alpha, beta, tv_weight
        taps = {VGG19_LAYERS.index(k): k for k in (content_layer, *self.style_weights)}
        self.taps, self.body = taps, net.body[: max(taps) + 1]  # no layer past the deepest cost
        self.bfloat16, self._body_bf16 = False, None
        with torch.no_grad():
            self.a_C = self._activations(content)[content_layer]
            acts = self._activations(style)
            self.grams = {k: normalized_gram(acts[k]) for k in self.style_weights}  # once per stage

    def _walk(self, image: torch.Tensor, tap) -> None:
        """Run the network on ``image``; at each layer with a cost, go on with ``tap(name, h)``."""
        # channels-last (NHWC): faster convolutions on CPU (oneDNN), still float32; targets and
        # G go through the same kernels, so J_content(C, C) is exactly 0
        h = self.net.normalize(image[None].contiguous(memory_format=torch.channels_last))
        body = self.body
        if self.bfloat16:
            if self._body_bf16 is None:  # built at the first bfloat16 call
                self._body_bf16 = nn.Sequential(*(
                    _Bfloat16Conv(m) if isinstance(m, nn.Conv2d) else m for m in self.body))
            body = self._body_bf16
        for i, module in enumerate(body):
            h = module(h)
            if i in self.taps:
                h = tap(self.taps[i], h)

    def _activations(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        acts = {}
        self._walk(image, lambda name, h: acts.setdefault(name, h))
        return acts

    def __call__(self, image: torch.Tensor):
        costs = {}  # name -> (J_content, J_style) at that layer

        def tap(name, h):
            h, *costs[name] = _Tap.apply(h, self.a_C if name == self.content_layer else None, self.grams.get(name))
            return h

        self._walk(image, tap)
        j_content = costs[self.content_layer][0]
        j_style = sum(w * costs[k][1] for k, w in self.style_weights.items())
        j_tv = total_variation(image) / image.numel() if self.tv_weight else image.new_zeros(())
        total = self.alpha * j_content + self.beta * j_style + self.tv_weight * j_tv
        return total, (j_content, j_style, j_tv)
