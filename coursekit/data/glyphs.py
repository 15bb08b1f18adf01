"""Generated glyphs: an Omniglot stand-in for machines with no Omniglot at all.

Each class is a character made of 1–4 pen strokes (quadratic Bézier curves through random
control points); each instance redraws those strokes with every control point jittered and
the whole character slightly shifted, scaled and rotated — as a different person would draw
the same character. The result is a labelled ``ImageSet`` (ink 255 on 0) that the few-shot code
accepts wherever it accepts Omniglot; notebooks use it only when Omniglot is missing, and say so.
"""

from __future__ import annotations

import math

import torch

from ._common import ImageSet

__all__ = ["make_glyphs"]


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def make_glyphs(
    n_classes: int = 100, n_per_class: int = 20, *, size: int = 28, jitter: float = 0.06,
    thickness: float = 0.05, seed: int = 0,
) -> ImageSet:
    """Random stroke characters: ``n_classes`` classes of ``n_per_class`` jittered drawings each.

    A stroke is ``B(t) = (1−t)² P0 + 2t(1−t) P1 + t² P2`` with control points in [−0.7, 0.7]²;
    an instance adds ``N(0, jitter²)`` to each control point, then applies a random rotation
    (±8°), scale (±8%) and shift (±jitter). Pixel ink is ``clamp(1.5 − d / thickness, 0, 1)``
    with ``d`` the distance to the nearest curve point (coordinates in [−1, 1]).

    Parameters
    ----------
    n_classes : int
        Number of characters (>= 1).
    n_per_class : int
        Drawings per character (>= 1).
    size : int
        Image side in pixels (>= 8).
    jitter, thickness : float
        Control-point noise and pen half-width, in units of the half side.
    seed : int

    Returns
    -------
    ImageSet
        images uint8 (n_classes · n_per_class, 1, size, size), labels grouped by class,
        classes ``"glyphs/character001"`` …

    Examples
    --------
    >>> g = make_glyphs(3, 2, size=16)
    >>> tuple(g.images.shape), g.labels.tolist()
    ((6, 1, 16, 16), [0, 0, 1, 1, 2, 2])
    """
    _check_int(n_classes, "n_classes", 1)
    _check_int(n_per_class, "n_per_class", 1)
    _check_int(size, "size", 8)
    _check_int(seed, "seed", 0)
    for name, v in (("jitter", jitter), ("thickness", thickness)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    if thickness == 0:
        raise ValueError("thickness must be > 0, got 0")
    return _make_glyphs(n_classes, n_per_class, size, float(jitter), float(thickness), seed)


def _make_glyphs(n_classes, n_per_class, size, jitter, thickness, seed):
    g = torch.Generator().manual_seed(seed)
    coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2 - 1
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    pixels = torch.stack([xx.flatten(), yy.flatten()], 1)  # (size², 2)
    t = torch.linspace(0, 1, 24)[:, None]  # points along each stroke
    images = []
    for _ in range(n_classes):
        n_strokes = int(torch.randint(1, 5, (1,), generator=g))
        ctrl = (torch.rand(n_strokes, 3, 2, generator=g) * 2 - 1) * 0.7  # the character
        noisy = ctrl + jitter * torch.randn(n_per_class, n_strokes, 3, 2, generator=g)  # (n, s, 3, 2)
        p0, p1, p2 = noisy[:, :, 0, None], noisy[:, :, 1, None], noisy[:, :, 2, None]
        curve = ((1 - t) ** 2 * p0 + 2 * t * (1 - t) * p1 + t**2 * p2).flatten(1, 2)  # (n, s·24, 2)
        angle = math.radians(8) * (torch.rand(n_per_class, generator=g) * 2 - 1)
        scale = 1 + 0.08 * (torch.rand(n_per_class, 1, 1, generator=g) * 2 - 1)
        rot = torch.stack([torch.stack([angle.cos(), -angle.sin()], 1), torch.stack([angle.sin(), angle.cos()], 1)], 1)
        shift = jitter * (torch.rand(n_per_class, 1, 2, generator=g) * 2 - 1)
        curve = scale * curve @ rot.transpose(1, 2) + shift
        dist = torch.cdist(pixels.expand(n_per_class, -1, -1), curve).amin(2)  # (n, size²)
        ink = (1.5 - dist / thickness).clamp(0, 1)
        images.append((ink * 255).round().to(torch.uint8).view(n_per_class, 1, size, size))
    labels = torch.arange(n_classes).repeat_interleave(n_per_class)
    classes = [f"glyphs/character{c + 1:03d}" for c in range(n_classes)]
    source = (f"generated glyphs (coursekit.data.glyphs.make_glyphs, seed={seed}): {n_classes} random "
              f"stroke characters x {n_per_class} jittered drawings, {size}x{size}, ink=255 — not real handwriting")
    return ImageSet(torch.cat(images), labels, classes, source)
