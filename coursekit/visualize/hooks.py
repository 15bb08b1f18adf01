"""Reading the output of any named layer of any ``nn.Module`` with forward hooks.

Hooks are registered for one forward pass and removed afterwards, also when the pass fails.
Once every requested layer has produced its output the pass is stopped, so reading an early
layer costs only the layers before it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["get_layer", "hooked", "run_hooked", "layer_activations", "feature_maps"]


class _StopForward(Exception):
    """Raised by a hook once every requested layer has been seen."""


def get_layer(model: nn.Module, name: str) -> nn.Module:
    """The submodule of ``model`` called ``name`` (as in ``model.named_modules()``).

    Parameters
    ----------
    model : nn.Module
    name : str
        A name from ``model.named_modules()``, e.g. ``"features.28"``.

    Returns
    -------
    nn.Module

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module`` or ``name`` not a str.
    ValueError
        If there is no such layer (the message lists close matches).

    Examples
    --------
    >>> get_layer(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), "1")
    ReLU()
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(name, str):
        raise TypeError(f"layer name must be a str, got {type(name).__name__}")
    modules = dict(model.named_modules())
    if name not in modules:
        close = difflib.get_close_matches(name, list(modules), n=5)
        names = close or [n for n in modules if n][:8]
        raise ValueError(f"unknown layer name {name!r} in {type(model).__name__}; "
                         f"{'close matches' if close else 'some layer names'}: {names}")
    return modules[name]


@contextmanager
def hooked(
    model: nn.Module, layers: Sequence[str], on_output: Callable[[str, torch.Tensor], None]
) -> Iterator[None]:
    """Call ``on_output(name, output)`` whenever a layer in ``layers`` runs; stop after the last.

    Inside the ``with`` block, a forward pass raises a private ``_StopForward`` once every
    layer has run (run the pass with :func:`run_hooked`, which catches it). The hooks are removed
    on exit, also on errors.

    Parameters
    ----------
    model : nn.Module
    layers : sequence of str
        Names from ``model.named_modules()``; each must exist.
    on_output : callable (name, Tensor) -> None
        Called with each layer's output (the first element when the layer returns a tuple),
        e.g. a (N, C, H', W') tensor for a conv layer.

    Returns
    -------
    context manager
        Yields None; the hooks live for the duration of the ``with`` block.
    """
    targets = {name: get_layer(model, name) for name in layers}
    seen: set[str] = set()
    handles = []

    def make_hook(name: str):
        def hook(module, inputs, output):
            if isinstance(output, (tuple, list)):
                output = output[0]
            on_output(name, output)
            seen.add(name)
            if len(seen) == len(targets):
                raise _StopForward
        return hook

    try:
        for name, module in targets.items():
            handles.append(module.register_forward_hook(make_hook(name)))
        yield
    finally:
        for handle in handles:
            handle.remove()
        seen.clear()


def run_hooked(
    model: nn.Module,
    x: torch.Tensor,
    layers: Sequence[str],
    *,
    call: Callable[[nn.Module, torch.Tensor], object] | None = None,
) -> None:
    """Run one forward pass inside :func:`hooked`, stopping once the last hooked layer has run.

    Parameters
    ----------
    model : nn.Module
        The model whose layers are hooked.
    x : Tensor of shape (N, ...)
        The model's input.
    layers : sequence of str
        The hooked layer names (for the error message).
    call : callable (model, x) -> anything, optional
        How to run the pass (default ``model(x)``), e.g. for models that need extra arguments.

    Returns
    -------
    None
        The outputs reach the ``on_output`` callback given to :func:`hooked`.

    Raises
    ------
    TypeError
        If ``call`` is given and is not callable.
    ValueError
        If the pass finishes without running every hooked layer (a layer defined in
        ``__init__`` but not used by ``forward``).
    """
    if call is not None and not callable(call):
        raise TypeError(f"call must be a callable (model, x) -> output or None, got {type(call).__name__}")
    try:
        model(x) if call is None else call(model, x)
    except _StopForward:
        return
    raise ValueError(f"the forward pass finished without running layer(s) {list(layers)}: "
                     "they are defined but not used by forward()")


def layer_activations(
    model: nn.Module, x: torch.Tensor, layers: Sequence[str], *, detach: bool = True
) -> dict[str, torch.Tensor]:
    """The outputs of the named layers for input ``x``, in one (early-stopped) forward pass.

    Parameters
    ----------
    model : nn.Module
    x : Tensor of shape (N, ...), the model's input
    layers : list of str, names from ``model.named_modules()``
    detach : bool
        Detach the outputs (default); keep the graph for gradients with False.

    Returns
    -------
    dict name -> Tensor (e.g. (N, C, H', W') for a conv layer)

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 8, 3))
    >>> layer_activations(net, torch.zeros(2, 3, 9, 9), ["1"])["1"].shape
    torch.Size([2, 4, 7, 7])
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a tensor, got {type(x).__name__}")
    if isinstance(layers, str):
        layers = [layers]
    if len(layers) == 0:
        raise ValueError("layers is empty: name at least one layer")
    found: dict[str, torch.Tensor] = {}

    def keep(name: str, output: torch.Tensor) -> None:
        found[name] = output.detach() if detach else output

    with hooked(model, list(layers), keep):
        run_hooked(model, x, layers)
    return found


def feature_maps(
    model: nn.Module, image: torch.Tensor, layer: str, *, preprocess: Callable | None = None
) -> torch.Tensor:
    """The feature maps of one image at ``layer``: shape (C, H', W'), on the model's device.

    ``image`` is (C, H, W) or (1, C, H, W); ``preprocess`` (optional) maps the batch of one to
    the model's input (e.g. uint8 -> float). The model runs in eval mode without gradients.

    Parameters
    ----------
    model : nn.Module
    image : Tensor of shape (C, H, W) or (1, C, H, W)
    layer : str
        A name from ``model.named_modules()``.
    preprocess : callable, optional
        Maps the batch (1, C, H, W) to the model's input.

    Returns
    -------
    Tensor of shape (C', H', W')
        The layer's output for this image, detached.

    Examples
    --------
    >>> feature_maps(nn.Sequential(nn.Conv2d(3, 4, 3)), torch.zeros(3, 8, 8), "0").shape
    torch.Size([4, 6, 6])
    """
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"image must be a tensor, got {type(image).__name__}")
    if image.dim() == 3:
        image = image.unsqueeze(0)
    if image.dim() != 4 or image.shape[0] != 1:
        raise ValueError(f"image must have shape (C, H, W) or (1, C, H, W), got {tuple(image.shape)}")
    get_layer(model, layer)
    param = next(model.parameters(), None)
    x = image if param is None else image.to(param.device)
    x = preprocess(x) if preprocess is not None else x
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = layer_activations(model, x, [layer])[layer]
    finally:
        model.train(was_training)
    if out.dim() != 4:
        raise ValueError(f"layer {layer!r} gives output of shape {tuple(out.shape)}, not feature maps (N, C, H, W)")
    return out[0]
