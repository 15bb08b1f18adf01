"""Augmenting handwritten glyphs: small random affine warps, for training and at test time.

Koch et al. (2015) trained their Siamese network on Omniglot with random affine distortions
(rotation, shear, scale, translation); prototypical networks add 90° rotations as new classes.
At test time, averaging an embedding over a few small warps of the same image
(test-time augmentation) makes it less sensitive to how one person happened to draw it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["random_affine", "glyph_tensor", "augmented_embedding"]


def random_affine(
    x: torch.Tensor, generator: torch.Generator, *, quarter_turns: torch.Tensor | None = None,
    strength: float = 1.0, max_degrees: float = 10.0, max_scale: float = 0.15,
    max_shear: float = 0.15, max_shift: float = 0.1,
) -> torch.Tensor:
    """Warp each image by ``A = R(90°·q + θ) · Shear(s) · diag(1 + σ)`` plus a shift ``t``.

    ``θ ~ U(±max_degrees)``, ``σ ~ U(±max_scale)²``, ``s ~ U(±max_shear)``, ``t ~ U(±max_shift)²``
    (in units of half the image side), all times ``strength``; pixels outside are 0 (no ink).

    Parameters
    ----------
    x : Tensor of shape (N, C, H, W), float
    generator : torch.Generator
    quarter_turns : Tensor of shape (N,), integer, optional
        Extra rotation by ``90° · q`` (rotations as new classes); default 0.

    Returns
    -------
    Tensor of shape (N, C, H, W)

    Examples
    --------
    >>> x = torch.zeros(1, 1, 4, 4); x[0, 0, 0, 0] = 1
    >>> round(random_affine(x, torch.Generator(), quarter_turns=torch.tensor([2]), strength=0)[0, 0, 3, 3].item(), 4)
    1.0
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or not x.is_floating_point():
        raise ValueError(f"x must be a float tensor of shape (N, C, H, W), got {getattr(x, 'shape', type(x).__name__)}")
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    if not strength >= 0:
        raise ValueError(f"strength must be >= 0, got {strength}")
    n = x.shape[0]
    q = torch.zeros(n) if quarter_turns is None else torch.as_tensor(quarter_turns).float().cpu()
    if q.shape != (n,):
        raise ValueError(f"quarter_turns must have shape ({n},), got {tuple(q.shape)}")

    def u(*shape):  # uniform in [-1, 1]
        return torch.rand(*shape, generator=generator) * 2 - 1

    angle = q * (math.pi / 2) + strength * math.radians(max_degrees) * u(n)
    cos, sin = torch.cos(angle), torch.sin(angle)
    rot = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)  # (N, 2, 2)
    shear = torch.eye(2).repeat(n, 1, 1)
    shear[:, 0, 1] = strength * max_shear * u(n)
    scale = torch.diag_embed(1 + strength * max_scale * u(n, 2))
    shift = strength * max_shift * u(n, 2)
    theta = torch.cat([rot @ shear @ scale, shift[:, :, None]], 2).to(x)  # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


def glyph_tensor(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 glyphs (N, 1, H, W), ink 255, to float (N, 1, size, size) in [0, 1] by area averaging."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.dtype != torch.uint8:
        raise ValueError(f"images must be uint8 of shape (N, 1, H, W), got {getattr(images, 'dtype', type(images).__name__)} {tuple(getattr(images, 'shape', ()))}")
    x = images.float() / 255.0
    return x if x.shape[-2:] == (size, size) else F.interpolate(x, size=(size, size), mode="area")


def augmented_embedding(
    embed: Callable[[torch.Tensor], torch.Tensor], *, n_views: int = 8, strength: float = 0.5, seed: int = 0,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """Test-time augmentation: ``x ↦ (1/(V+1)) (f(x) + Σ_v f(warp_v(x)))`` with ``V = n_views`` warps.

    The warps are ``random_affine`` draws at ``strength`` from a generator seeded with ``seed``
    on every call, so the same image always gets the same embedding.

    Parameters
    ----------
    embed : callable
        ``f(x (B, C, H, W)) -> (B, D)``.
    n_views : int
        Extra warped views (0 gives back ``f``'s values).

    Returns
    -------
    callable
        ``x (B, C, H, W) -> (B, D)``.

    Examples
    --------
    >>> f = augmented_embedding(lambda x: x.sum((1, 2, 3))[:, None], n_views=0)
    >>> f(torch.ones(2, 1, 4, 4)).tolist()
    [[16.0], [16.0]]
    """
    if not callable(embed):
        raise TypeError(f"embed must be callable x -> (B, D), got {type(embed).__name__}")
    if isinstance(n_views, bool) or not isinstance(n_views, int) or n_views < 0:
        raise ValueError(f"n_views must be an int >= 0, got {n_views!r}")

    def tta(x: torch.Tensor) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed)
        total = embed(x)
        for _ in range(n_views):
            total = total + embed(random_affine(x, g, strength=strength))
        return total / (n_views + 1)

    return tta
