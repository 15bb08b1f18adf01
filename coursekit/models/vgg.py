"""A VGG-19 feature extractor for neural style transfer, with an honest offline fallback.

With ImageNet weights (torchvision's ``VGG19_Weights.IMAGENET1K_V1``) this is the network of
Gatys et al. 2015. The weights are read from the torch hub cache
(``$TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth``) or downloaded when allowed; nothing
downloads otherwise. Without them, ``weights="auto"`` falls back to a randomly initialised
VGG-19 whose layers are rescaled to unit-variance activations on the images at hand (He, Wang
& Hopcroft 2016 showed random-weight VGGs still synthesise textures and transfer style), and
says so in ``FeatureExtractor.weights_source`` and once when it happens: a plain printed line in a
notebook (no red stderr box), a ``UserWarning`` for library code elsewhere (``announce=False``
leaves it to the caller, who prints ``weights_source``).

Layers are named as in the paper: ``conv1_1, relu1_1, conv1_2, relu1_2, pool1, conv2_1, ...,
relu5_4, pool5``. The network is truncated after the last layer asked for.
"""

from __future__ import annotations

import os
import sys
import urllib.request
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch
import torchvision
from torch import nn

__all__ = [
    "VGG19_LAYERS",
    "FeatureExtractor",
    "vgg19_features",
    "imagenet_weights_file",
]

_BLOCKS = (2, 2, 4, 4, 4)  # conv layers per block in VGG-19 (torchvision cfg "E")
_CHANNELS = (64, 128, 256, 512, 512)
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)
_WEIGHTS_CHOICES = ("auto", "imagenet", "random")


def _layer_names() -> tuple[str, ...]:
    names = []
    for b, n in enumerate(_BLOCKS, start=1):
        for i in range(1, n + 1):
            names += [f"conv{b}_{i}", f"relu{b}_{i}"]
        names.append(f"pool{b}")
    return tuple(names)


VGG19_LAYERS: tuple[str, ...] = _layer_names()  # index i is torchvision's vgg19().features[i]


class FeatureExtractor(nn.Module):
    """Named activations of a (truncated) VGG-19 for images in [0, 1].

    ``forward(x)`` takes a Tensor of shape (N, 3, H, W) with values in [0, 1], applies the
    ImageNet normalisation ``(x − mean) / std`` and returns a dict layer name -> activations
    of shape (N, C_l, H_l, W_l) for each name in ``layers``.

    Parameters
    ----------
    body : nn.Sequential
        torchvision's VGG-19 ``features`` layers, truncated (``vgg19_features`` builds it).
    layers : sequence of str
        Names from ``VGG19_LAYERS`` to return.
    weights_source : str
        Where the weights came from, in words.
    is_pretrained : bool
        True only with the ImageNet weights.

    Attributes
    ----------
    layers : tuple of str
        The layers returned, in network order.
    weights_source : str
        Where the weights came from, in words (print it: a fallback must be announced).
    is_pretrained : bool
        True only with the ImageNet weights.
    """

    def __init__(self, body: nn.Sequential, layers: Sequence[str], weights_source: str, is_pretrained: bool):
        super().__init__()
        self.body = body
        self.layers = tuple(layers)
        self.weights_source = weights_source
        self.is_pretrained = is_pretrained
        self._index = {VGG19_LAYERS.index(name): name for name in self.layers}
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Activations of the named layers.

        Parameters
        ----------
        x : Tensor of float, shape (N, 3, H, W)
            RGB images in [0, 1] (normalised here with ImageNet's mean and std).

        Returns
        -------
        dict of str to Tensor
            ``{name: (N, C_l, H_l, W_l)}``; block b (``conv{b}_*``, ``relu{b}_*``) has
            C_l = 64, 128, 256, 512, 512 and H_l = H / 2**(b−1); ``pool{b}`` halves it again.
        """
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"x must have shape (N, 3, H, W), got {tuple(x.shape)}")
        h = self.normalize(x)
        out = {}
        for i, module in enumerate(self.body):
            h = module(h)
            if i in self._index:
                out[self._index[i]] = h
        return out

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """``(x − mean) / std`` with ImageNet's channel statistics: what the first conv layer sees.

        Parameters
        ----------
        x : Tensor of float, shape (N, 3, H, W)
            RGB images in [0, 1] (not checked: ``forward`` checks, and so do its callers).

        Returns
        -------
        Tensor of shape (N, 3, H, W), in x's dtype and memory layout
        """
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    @torch.no_grad()
    def rescale_(self, images: Sequence[torch.Tensor]) -> FeatureExtractor:
        """Rescale each conv layer so that its outputs on ``images`` have zero mean, unit variance.

        Data-dependent initialisation (Krähenbühl et al. 2016; Mishkin & Matas 2016) for the
        random fallback: without it, the Gram matrices of deep random layers have wildly
        different scales. Pretrained weights are left alone.

        Parameters
        ----------
        images : sequence of Tensor, each of shape (N, 3, H, W)
            Images in [0, 1]; sizes may differ (e.g. the content photo and the painting).

        Returns
        -------
        FeatureExtractor
            ``self``, rescaled in place.
        """
        if isinstance(images, torch.Tensor):
            images = [images]
        if len(images) == 0:
            raise ValueError("images must hold at least one (N, 3, H, W) tensor, got none")
        for i, im in enumerate(images):
            if not isinstance(im, torch.Tensor) or im.dim() != 4 or im.shape[1] != 3:
                shape = tuple(im.shape) if isinstance(im, torch.Tensor) else type(im).__name__
                raise ValueError(f"images[{i}] must have shape (N, 3, H, W), got {shape}")
        if self.is_pretrained:
            return self
        hs = [self.normalize(im) for im in images]
        for module in self.body:
            if isinstance(module, nn.Conv2d):
                ys = [module(h).transpose(0, 1).flatten(1) for h in hs]  # (C, N*H*W) each
                y = torch.cat(ys, dim=1)
                mean, std = y.mean(dim=1), y.std(dim=1).clamp_min(1e-6)
                module.weight.div_(std.view(-1, 1, 1, 1))
                module.bias.sub_(mean).div_(std)  # zero-mean pre-activations: half the units fire
            hs = [module(h) for h in hs]
        return self


def imagenet_weights_file() -> Path:
    """The file torchvision reads ``VGG19_Weights.IMAGENET1K_V1`` from (it may not exist).

    ``$TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth`` (``torch.hub.get_dir()`` resolves
    ``$TORCH_HOME``, default ``~/.cache/torch``).

    Returns
    -------
    Path
        Where torchvision keeps (or would download) the weights.
    """
    url = torchvision.models.VGG19_Weights.IMAGENET1K_V1.url
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def _can_download(url: str, timeout: float) -> bool:
    try:
        request = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def _make_body(last: int, pool: str, generator: torch.Generator | None) -> nn.Sequential:
    # torchvision's own layer list, so ImageNet state-dict keys ("features.N.weight") line up
    cfg, n_modules = [], 0
    for v in torchvision.models.vgg.cfgs["E"]:  # build only the layers needed
        if n_modules > last:
            break
        cfg.append(v)
        n_modules += 1 if v == "M" else 2  # "M" is a pool; a number is a conv + a ReLU
    body = torchvision.models.vgg.make_layers(cfg)[: last + 1]
    for i, module in enumerate(body):
        if isinstance(module, nn.ReLU):
            body[i] = nn.ReLU(inplace=False)  # activations are returned, so never overwrite them
        elif isinstance(module, nn.MaxPool2d) and pool == "avg":
            body[i] = nn.AvgPool2d(kernel_size=2, stride=2)  # Gatys et al.: smoother images
        elif isinstance(module, nn.Conv2d) and generator is not None:
            with torch.no_grad():  # torchvision's init (Kaiming, fan_out), but seeded
                fan_out = module.out_channels * module.kernel_size[0] * module.kernel_size[1]
                module.weight.normal_(0.0, (2.0 / fan_out) ** 0.5, generator=generator)
                module.bias.zero_()
    return body


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell), found without importing IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _announce_fallback(message: str) -> None:
    """Say once that the random fallback is in use: printed in a notebook, a warning elsewhere."""
    if _in_notebook():
        print(message)  # a learner reads it as output, not as a red stderr box
    else:
        warnings.warn(message, stacklevel=3)


def vgg19_features(
    layers: Sequence[str],
    *,
    weights: str = "auto",
    pool: str = "max",
    allow_download: bool = False,
    generator: torch.Generator | None = None,
    download_timeout: float = 5.0,
    announce: bool = True,
) -> FeatureExtractor:
    """Build a VGG-19 feature extractor returning the named layers' activations.

    Parameters
    ----------
    layers : sequence of str
        Names from ``VGG19_LAYERS`` (e.g. ``["relu1_1", "relu2_1", "relu4_2"]``); the network
        is cut after the deepest one.
    weights : {"auto", "imagenet", "random"}
        ``"imagenet"``: torchvision's ``VGG19_Weights.IMAGENET1K_V1`` from the torch cache (or
        downloaded when ``allow_download``), else ``FileNotFoundError``. ``"random"``: a
        randomly initialised VGG-19 (seeded by ``generator``); call ``rescale_(images)`` on it.
        ``"auto"``: ImageNet when available, else the random fallback, announced (see ``announce``).
    pool : {"max", "avg"}
        Pooling; Gatys et al. replace max-pooling by average pooling.
    allow_download : bool
        Whether ImageNet weights missing from the cache may be downloaded (548 MB).
    generator : torch.Generator, optional
        Seeds the random weights.
    download_timeout : float
        Seconds to wait for the download server before falling back (``allow_download`` only).
    announce : bool
        Whether ``weights="auto"`` says it fell back to random weights: one printed line in a
        notebook, a ``UserWarning`` elsewhere. False leaves it to the caller (print
        ``net.weights_source``, as notebook 06 does).

    Returns
    -------
    FeatureExtractor
        In eval mode, no parameter requires grad; ``weights_source`` says which weights.
        ``net(x)`` maps x of shape (N, 3, H, W) in [0, 1] to ``{name: (N, C_l, H_l, W_l)}``,
        e.g. ``relu1_1`` (N, 64, H, W), ``relu2_1`` (N, 128, H/2, W/2), ..., ``relu5_1``
        (N, 512, H/16, W/16).

    Examples
    --------
    >>> net = vgg19_features(["relu1_1"], weights="random", generator=torch.Generator().manual_seed(0))
    >>> net(torch.rand(1, 3, 8, 8))["relu1_1"].shape
    torch.Size([1, 64, 8, 8])
    """
    if isinstance(layers, str) or not isinstance(layers, Sequence) or len(layers) == 0:
        raise ValueError(f"layers must be a non-empty list of layer names, got {layers!r}")
    unknown = [name for name in layers if name not in VGG19_LAYERS]
    if unknown:
        raise ValueError(f"unknown VGG-19 layer(s) {unknown}; expected names like {VGG19_LAYERS[:5]} ...")
    if weights not in _WEIGHTS_CHOICES:
        raise ValueError(f"weights must be one of {_WEIGHTS_CHOICES}, got {weights!r}")
    if pool not in ("max", "avg"):
        raise ValueError(f"pool must be 'max' or 'avg', got {pool!r}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    if not isinstance(announce, bool):
        raise TypeError(f"announce must be a bool, got {type(announce).__name__}")
    ordered = sorted(set(layers), key=VGG19_LAYERS.index)
    body = _make_body(VGG19_LAYERS.index(ordered[-1]), pool, generator)

    if weights in ("auto", "imagenet"):
        api = torchvision.models.VGG19_Weights.IMAGENET1K_V1
        path = imagenet_weights_file()
        if path.is_file() or (allow_download and _can_download(api.url, download_timeout)):
            state = api.get_state_dict(progress=True, check_hash=True)  # torchvision's loader
            prefix = "features."
            own = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            body.load_state_dict({k: v for k, v in own.items() if k in body.state_dict()})
            source = f"VGG-19 with ImageNet weights (torchvision VGG19_Weights.IMAGENET1K_V1, {path})"
            return FeatureExtractor(body, ordered, source, is_pretrained=True)
        if weights == "imagenet":
            raise FileNotFoundError(
                f"VGG-19 ImageNet weights not found at {path} and "
                + ("the download failed" if allow_download else "allow_download=False")
                + "; pass weights='auto' to fall back to a random network"
            )
        source = (
            f"FALLBACK: no ImageNet VGG-19 weights at {path} (offline), so this is a randomly "
            "initialised VGG-19 rescaled to unit-variance activations (He et al. 2016); styles "
            "transfer, but less faithfully than with the pretrained network"
        )
        if announce:
            _announce_fallback(source)
        return FeatureExtractor(body, ordered, source, is_pretrained=False)
    source = "randomly initialised VGG-19 (weights='random'), rescaled to unit-variance activations"
    return FeatureExtractor(body, ordered, source, is_pretrained=False)
