"""Activation maximisation: the image a unit would like to see, by gradient ascent.

Start from faint noise x and repeat (Erhan et al. 2009; Simonyan et al. 2014; the jitter and
blur regularisers of Yosinski et al. 2015 and Olah et al., Distill 2017):

    x ← roll(x, random shift ≤ jitter)                 jitter: no pixel-exact tricks
    g = ∂ a_u(x) / ∂x                                    a_u = mean (or one position) of channel u
    x ← x + lr · g / mean|g|                             normalised ascent step
    x ← m + (1 − decay) (x − m)                          shrink towards the mid value m
    x ← gaussian_blur(x, σ) every ``blur_every`` steps   suppress high frequencies
    x ← clip(x, value_range)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn
from torchvision.transforms.functional import gaussian_blur

from .hooks import get_layer, layer_activations

__all__ = ["maximize_activation"]


def maximize_activation(
    model: nn.Module,
    layer: str,
    unit: int,
    image_size: int | tuple[int, int],
    *,
    channels: int = 3,
    steps: int = 100,
    lr: float = 0.02,
    jitter: int = 4,
    decay: float = 0.01,
    blur_every: int = 4,
    blur_sigma: float = 0.6,
    value_range: tuple[float, float] | None = (0.0, 1.0),
    location: tuple[int, int] | None = None,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, list[float]]:
    """An image of shape (channels, H, W) that strongly activates channel ``unit`` of ``layer``.

    Parameters
    ----------
    model : nn.Module (put in eval mode for the run, then restored; its weights do not change)
    layer : str, a name from ``model.named_modules()``
    unit : int, the channel
    image_size : int or (H, W)
    steps, lr, jitter, decay, blur_every, blur_sigma : the ascent and its regularisers (see
        the module docstring); ``jitter=0`` or ``blur_every=0`` turns that one off.
    value_range : (low, high) or None
        Pixel range of x (clipped each step; m is its middle). None: no clipping, m = 0.
    location : (row, col), optional
        Maximise the unit at that position of the map; default the mean over the map.
    preprocess : callable, optional
        Maps x (in ``value_range``) to the model's input, e.g. ``lambda x: x * 255``.
    generator : torch.Generator, optional
        For the starting noise and the jitter (CPU generator).

    Returns
    -------
    (image, history): image Tensor (channels, H, W) on the model's device; history the
    objective a_u before each step.

    Examples
    --------
    >>> img, hist = maximize_activation(nn.Sequential(nn.Conv2d(3, 2, 3)), "0", 1, 8, steps=3)
    >>> img.shape, len(hist)
    (torch.Size([3, 8, 8]), 3)
    """
    get_layer(model, layer)
    if isinstance(unit, bool) or not isinstance(unit, int) or unit < 0:
        raise ValueError(f"unit must be an int >= 0, got {unit!r}")
    h, w = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if min(h, w) < 1:
        raise ValueError(f"image_size must be positive, got {image_size!r}")
    if steps < 1 or lr <= 0 or jitter < 0 or not 0 <= decay < 1 or blur_every < 0 or blur_sigma <= 0:
        raise ValueError(f"need steps >= 1, lr > 0, jitter >= 0, 0 <= decay < 1, blur_every >= 0, "
                         f"blur_sigma > 0; got {steps}, {lr}, {jitter}, {decay}, {blur_every}, {blur_sigma}")
    if value_range is not None and not value_range[0] < value_range[1]:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range!r}")
    return _maximize_activation(model, layer, unit, (h, w), channels, steps, lr, jitter, decay,
                                blur_every, blur_sigma, value_range, location, preprocess, generator)


def _maximize_activation(model, layer, unit, size, channels, steps, lr, jitter, decay, blur_every,
                         blur_sigma, value_range, location, preprocess, generator):
    param = next(model.parameters(), None)
    device = torch.device("cpu") if param is None else param.device
    dtype = torch.float32 if param is None else param.dtype
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    mid = 0.0 if value_range is None else (value_range[0] + value_range[1]) / 2
    spread = 1.0 if value_range is None else (value_range[1] - value_range[0])
    x = mid + 0.01 * spread * torch.randn(1, channels, *size, generator=generator, dtype=dtype)
    x = x.to(device)
    ksize = 2 * math.ceil(2 * blur_sigma) + 1
    history = []
    was_training = model.training
    model.eval()
    try:
        for step in range(steps):
            x.requires_grad_(True)
            shift = torch.randint(-jitter, jitter + 1, (2,), generator=generator).tolist() if jitter else [0, 0]
            shifted = torch.roll(x, shifts=shift, dims=(2, 3))
            inp = preprocess(shifted) if preprocess is not None else shifted
            with torch.enable_grad():
                act = layer_activations(model, inp, [layer], detach=False)[layer]
                if act.dim() == 2:
                    act = act[:, :, None, None]
                if unit >= act.shape[1]:
                    raise ValueError(f"unit {unit} is out of range for layer {layer!r}, which has "
                                     f"{act.shape[1]} channels (0..{act.shape[1] - 1})")
                if location is not None and not (0 <= location[0] < act.shape[2] and 0 <= location[1] < act.shape[3]):
                    raise ValueError(f"location must lie in the {act.shape[2]}x{act.shape[3]} map of layer "
                                     f"{layer!r}, got {tuple(location)}")
                objective = act[0, unit].mean() if location is None else act[0, unit, location[0], location[1]]
                (grad,) = torch.autograd.grad(objective, x)
            history.append(float(objective.detach()))
            with torch.no_grad():
                x = x + lr * spread * grad / (grad.abs().mean() + 1e-12)
                x = mid + (1 - decay) * (x - mid)
                if blur_every and (step + 1) % blur_every == 0:
                    x = gaussian_blur(x, [ksize, ksize], [blur_sigma, blur_sigma])
                if value_range is not None:
                    x = x.clamp(*value_range)
    finally:
        model.train(was_training)
    return x.detach()[0], history
