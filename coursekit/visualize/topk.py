"""The k images of a data set that most activate each chosen unit (Zeiler & Fergus 2014).

A unit is one channel of a layer. For each image, its activation is the channel's maximum
over positions, a_u(x) = max_{i,j} A_u(x)[i, j], remembered with the position (i, j) where it
occurs. One pass over the data keeps, per unit, the k largest a_u seen so far: after each
batch, ``topk`` over the k kept values and the batch's B new ones. Memory is units × k (plus
one batch), never the whole data set's activations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from .hooks import get_layer, hooked, run_hooked

__all__ = ["TopActivations", "top_k_activations"]


@dataclass
class TopActivations:
    """The top-k images of each unit of one layer, best first.

    Attributes
    ----------
    layer : str
    units : Tensor of shape (U,), the channel indices
    values : Tensor of shape (U, k), a_u of each kept image, in decreasing order
    image_index : Tensor of shape (U, k), position of the image in the stream
    row, col : Tensors of shape (U, k), where in the feature map the maximum is
    map_size : (H', W'), the layer's feature-map size
    n_images : int, how many images were streamed
    """

    layer: str
    units: torch.Tensor
    values: torch.Tensor
    image_index: torch.Tensor
    row: torch.Tensor
    col: torch.Tensor
    map_size: tuple[int, int]
    n_images: int


class _Stream:
    """Running top-k of one layer's units (internal)."""

    def __init__(self, layer: str, units: Sequence[int] | None, k: int) -> None:
        self.layer, self.k = layer, k
        self.units = None if units is None else torch.as_tensor(list(units), dtype=torch.long)
        self.values = self.index = self.pos = None
        self.map_size: tuple[int, int] | None = None

    def update(self, output: torch.Tensor, offset: int) -> None:
        if output.dim() == 2:  # a fully connected layer: a 1x1 "map"
            output = output[:, :, None, None]
        if output.dim() != 4:
            raise ValueError(f"layer {self.layer!r} output must be (N, C, H, W) or (N, C), got {tuple(output.shape)}")
        n_channels = output.shape[1]
        if self.units is None:
            self.units = torch.arange(n_channels)
        if self.map_size is None:  # first batch: check the units once
            bad = self.units[(self.units < 0) | (self.units >= n_channels)]
            if bad.numel():
                raise ValueError(f"unit index {int(bad[0])} is out of range for layer {self.layer!r}, "
                                 f"which has {n_channels} channels (0..{n_channels - 1})")
            self.map_size = (output.shape[2], output.shape[3])
        a = output[:, self.units.to(output.device)].flatten(2)  # (B, U, H'W')
        best, where = a.max(dim=2)  # (B, U): per image and unit, the strongest position
        if torch.isnan(best).any():
            raise ValueError(f"layer {self.layer!r} produced NaN activations for images {offset}..{offset + len(a) - 1}")
        best, where = best.T.float().cpu(), where.T.cpu()  # (U, B)
        index = torch.arange(offset, offset + a.shape[0]).expand_as(best)
        if self.values is not None:
            best = torch.cat([self.values, best], dim=1)
            where = torch.cat([self.pos, where], dim=1)
            index = torch.cat([self.index, index], dim=1)
        keep = min(self.k, best.shape[1])
        self.values, order = best.topk(keep, dim=1)
        self.pos, self.index = where.gather(1, order), index.gather(1, order)

    def result(self, n_images: int) -> TopActivations:
        width = self.map_size[1]
        return TopActivations(self.layer, self.units.clone(), self.values, self.index,
                              self.pos // width, self.pos % width, self.map_size, n_images)


def _images_of(batch) -> torch.Tensor:
    if isinstance(batch, (tuple, list)):
        if len(batch) == 0:
            raise ValueError("a batch is an empty tuple; expected images or (images, labels, ...)")
        batch = batch[0]
    if not isinstance(batch, torch.Tensor):
        raise TypeError(f"each batch must be a tensor or a tuple whose first item is one, got {type(batch).__name__}")
    return batch


def top_k_activations(
    model: nn.Module,
    batches: Iterable,
    units: Mapping[str, Sequence[int] | None],
    k: int = 9,
    *,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
    progress: bool = False,
) -> dict[str, TopActivations]:
    """Stream ``batches`` through ``model`` once; keep the k most-activating images per unit.

    Parameters
    ----------
    model : nn.Module
        Run in eval mode without gradients (its mode is restored), on its own device.
    batches : iterable of Tensor (B, ...) or of tuples whose first item is one (a DataLoader)
        Images are numbered in stream order: the first batch holds images 0..B−1, and so on.
    units : dict layer name -> list of channel indices (None: every channel)
    k : int
        Images kept per unit; the stream must hold at least k images.
    preprocess : callable, optional
        Applied to each batch on the model's device (e.g. ``lambda x: x.float() / 255``).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    dict layer name -> TopActivations (values (U, k) in decreasing order of
    a_u(x) = max_{i,j} A_u(x)[i, j], with the image index and the position (i, j)).

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(1, 2, 3))
    >>> top_k_activations(net, [torch.randn(5, 1, 6, 6)], {"0": [1]}, k=3)["0"].values.shape
    torch.Size([1, 3])
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    if not isinstance(units, Mapping) or len(units) == 0:
        raise ValueError(f"units must be a non-empty dict of layer name -> unit indices, got {units!r}")
    for name, chosen in units.items():
        get_layer(model, name)
        if chosen is not None and len(chosen) == 0:
            raise ValueError(f"units[{name!r}] is empty: choose at least one unit, or None for all")
    return _top_k_activations(model, batches, units, k, preprocess, progress)


def _top_k_activations(model, batches, units, k, preprocess, progress):
    streams = {name: _Stream(name, chosen, k) for name, chosen in units.items()}
    param = next(model.parameters(), None)
    device = None if param is None else param.device
    offset = 0

    def on_output(name: str, output: torch.Tensor) -> None:
        streams[name].update(output, offset)

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), hooked(model, list(units), on_output):
            for batch in tqdm(batches, desc="top-k", disable=not progress):
                x = _images_of(batch)
                x = x.to(device) if device is not None else x
                run_hooked(model, preprocess(x) if preprocess is not None else x, list(units))
                offset += x.shape[0]
    finally:
        model.train(was_training)
    if offset < k:
        raise ValueError(f"k={k} is larger than the number of images in the data set ({offset})")
    return {name: stream.result(offset) for name, stream in streams.items()}
