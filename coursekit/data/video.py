"""Generated labelled video clips: a handwritten digit that moves, rotates or zooms.

Every clip is made as a *forward* clip (moving right, moving down, turning clockwise, zooming in)
and then shown either as it is or reversed in time, which gives its opposite (left, up,
anticlockwise, zooming out). Clips come in pairs — the same frames once in each order, with the
two opposite labels — so any model that looks at the *set* of frames (a per-frame 2-D CNN that
averages over time) sees identical inputs for the two labels and is at chance by construction.
Digits are scikit-learn's bundled ``load_digits`` (8×8, no download).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from sklearn.datasets import load_digits
from torch.nn import functional as F

__all__ = ["MOTIONS", "OPPOSITE", "ClipSet", "make_motion_clips"]

MOTIONS = ("right", "left", "down", "up", "cw", "ccw", "zoom_in", "zoom_out")
OPPOSITE = {"right": "left", "left": "right", "down": "up", "up": "down",
            "cw": "ccw", "ccw": "cw", "zoom_in": "zoom_out", "zoom_out": "zoom_in"}
_FORWARD = ("right", "down", "cw", "zoom_in")


@dataclass
class ClipSet:
    """Labelled clips.

    Attributes
    ----------
    clips : Tensor of shape (N, 1, T, H, W), float32 in [0, 1]
        NCDHW, the layout ``nn.Conv3d`` expects (D = time).
    labels : Tensor of shape (N,), int64
        Index into ``classes``.
    classes : list of str
        Motion names, e.g. ``["right", "left"]``.
    pair_ids : Tensor of shape (N,), int64
        Clips with the same pair id hold the same frames in opposite orders.
    digits : Tensor of shape (N,), int64
        The digit (0–9) shown.
    source : str
    """

    clips: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    pair_ids: torch.Tensor
    digits: torch.Tensor
    source: str

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def _check_motions(motions: Sequence[str]) -> tuple[str, ...]:
    if isinstance(motions, str):
        raise TypeError(f"motions must be a sequence of names, got the single str {motions!r}")
    motions = tuple(motions)
    if len(motions) < 2:
        raise ValueError(f"motions must name at least 2 classes, got {motions!r}")
    unknown = [m for m in motions if m not in MOTIONS]
    if unknown:
        raise ValueError(f"unknown motion {unknown[0]!r}; expected names from {MOTIONS}")
    if len(set(motions)) != len(motions):
        raise ValueError(f"motions must not repeat, got {motions!r}")
    missing = [m for m in motions if OPPOSITE[m] not in motions]
    if missing:
        raise ValueError(
            f"every motion needs its opposite in motions (clips come in reversed pairs): "
            f"{missing[0]!r} is there but {OPPOSITE[missing[0]]!r} is not"
        )
    return motions


def make_motion_clips(
    n_clips: int,
    motions: Sequence[str] = ("right", "left"),
    *,
    n_frames: int = 8,
    size: int = 32,
    noise: float = 0.05,
    seed: int = 0,
) -> ClipSet:
    """Make ``n_clips`` seeded clips of a digit moving in one of ``motions``, in reversed pairs.

    Parameters
    ----------
    n_clips : int
        A multiple of ``len(motions)``, so every class gets the same number of clips.
    motions : sequence of str
        Class names from ``MOTIONS``; each one's opposite (``OPPOSITE``) must be present too.
    n_frames, size : int
        T frames of H = W = ``size`` pixels (size >= 16). The digit is ``size // 2`` pixels tall.
    noise : float
        Std of Gaussian pixel noise (drawn once per forward clip, so it is reversed with it).
    seed : int

    Returns
    -------
    ClipSet
        ``clips`` (N, 1, T, H, W); pair p holds clips 2p (forward order) and 2p+1 (reversed), so
        ``clips[2p+1] == clips[2p].flip(2)`` exactly. Motion per frame: translations move 1–2 px,
        rotations turn 8–15°, zooms scale by 1.06–1.12 (all seeded). The digit
        stays fully inside the frame.

    Examples
    --------
    >>> s = make_motion_clips(4, n_frames=6, size=16)
    >>> tuple(s.clips.shape), s.labels.tolist(), bool((s.clips[1] == s.clips[0].flip(1)).all())
    ((4, 1, 6, 16, 16), [0, 1, 0, 1], True)
    """
    motions = _check_motions(motions)
    if isinstance(n_clips, bool) or not isinstance(n_clips, int) or n_clips < 1 or n_clips % len(motions):
        raise ValueError(f"n_clips must be a positive multiple of len(motions)={len(motions)}, got {n_clips!r}")
    if isinstance(n_frames, bool) or not isinstance(n_frames, int) or n_frames < 2:
        raise ValueError(f"n_frames must be an int >= 2 (motion needs two frames), got {n_frames!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 16:
        raise ValueError(f"size must be an int >= 16, got {size!r}")
    if not (isinstance(noise, (int, float)) and 0.0 <= noise < 1.0):
        raise ValueError(f"noise must be a float in [0, 1), got {noise!r}")
    return _make_motion_clips(n_clips, motions, n_frames, size, float(noise), seed)


def _digit_canvas(images: torch.Tensor, size: int) -> torch.Tensor:
    """8×8 digits (B, 8, 8) in 0..16 → (B, 1, size, size) canvases with the digit, size//2 tall, centred."""
    d = size // 2
    up = F.interpolate(images[:, None] / 16.0, size=(d, d), mode="bilinear", align_corners=False)
    pad = (size - d) // 2
    return F.pad(up, (pad, size - d - pad, pad, size - d - pad))


def _make_motion_clips(n_clips: int, motions: tuple[str, ...], n_frames: int, size: int,
                       noise: float, seed: int) -> ClipSet:
    g = torch.Generator().manual_seed(seed)
    digits_all = load_digits()
    images = torch.as_tensor(digits_all.images, dtype=torch.float32)  # (1797, 8, 8), 0..16
    targets = torch.as_tensor(digits_all.target, dtype=torch.long)
    kinds = [m for m in _FORWARD if m in motions]  # one forward motion per opposite pair
    n_pairs = n_clips // 2
    kind_of_pair = torch.arange(n_pairs) % len(kinds)
    kind_of_pair = kind_of_pair[torch.randperm(n_pairs, generator=g)]
    pick = torch.randint(0, len(images), (n_pairs,), generator=g)
    canvas = _digit_canvas(images[pick], size)  # (P, 1, S, S)

    T = n_frames
    t = torch.arange(T, dtype=torch.float32)  # (T,)
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n_pairs, generator=g)  # noqa: E731
    # per pair: centre (cx, cy) in pixels, angle (radians), log-scale, each a (P, T) trajectory
    half = size / 2.0
    cx = torch.full((n_pairs, T), half)
    cy = torch.full((n_pairs, T), half)
    angle = u(-0.15, 0.15)[:, None].expand(n_pairs, T).clone()
    log_s = torch.zeros(n_pairs, T)
    room = size / 2.0  # a digit size/2 tall is fully visible while its centre stays in [size/4, 3 size/4]
    speed = u(1.0, 2.0).clamp(max=room / (T - 1))  # px per frame, slower for long clips so the digit stays in view
    travel = speed * (T - 1)
    start = size / 4.0 + (room - travel) * torch.rand(n_pairs, generator=g)
    across = size / 4.0 + room * torch.rand(n_pairs, generator=g)  # position on the other axis
    for k, kind in enumerate(kinds):
        m = kind_of_pair == k
        if kind == "right":
            cx[m] = start[m, None] + speed[m, None] * t
            cy[m] = across[m, None].expand(-1, T)
        elif kind == "down":
            cy[m] = start[m, None] + speed[m, None] * t
            cx[m] = across[m, None].expand(-1, T)
        elif kind == "cw":
            step = u(math.radians(8), math.radians(15))
            angle[m] = angle[m] + step[m, None] * (t - (T - 1) / 2)
        else:  # zoom_in: scale grows geometrically from about 1/r to about r over the clip
            step = torch.log(u(1.06, 1.12))
            log_s[m] = step[m, None] * (t - (T - 1) / 2)

    # affine_grid maps output coords p (normalised to [-1, 1], y down) to source coords
    # q = R(-a) (p - c) / s: the content appears at centre c, scaled by s, turned by +a, which with
    # y pointing down is clockwise on screen
    c_norm_x = (2 * cx / size) - 1
    c_norm_y = (2 * cy / size) - 1
    cos, sin, inv_s = torch.cos(angle), torch.sin(angle), torch.exp(-log_s)
    a11, a12 = cos * inv_s, sin * inv_s
    a21, a22 = -sin * inv_s, cos * inv_s
    theta = torch.stack([
        torch.stack([a11, a12, -(a11 * c_norm_x + a12 * c_norm_y)], -1),
        torch.stack([a21, a22, -(a21 * c_norm_x + a22 * c_norm_y)], -1),
    ], -2)  # (P, T, 2, 3)
    grid = F.affine_grid(theta.reshape(-1, 2, 3), [n_pairs * T, 1, size, size], align_corners=False)
    src = canvas[:, None].expand(-1, T, -1, -1, -1).reshape(n_pairs * T, 1, size, size)
    frames = F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    forward = frames.reshape(n_pairs, T, size, size)[:, None]  # (P, 1, T, H, W)
    if noise > 0:
        forward = forward + noise * torch.randn(forward.shape, generator=g)
    forward = forward.clamp(0.0, 1.0)

    clips = torch.stack([forward, forward.flip(2)], dim=1).reshape(n_clips, 1, T, size, size)
    class_of = {name: i for i, name in enumerate(motions)}
    fwd_label = torch.tensor([class_of[kinds[k]] for k in kind_of_pair.tolist()], dtype=torch.long)
    rev_label = torch.tensor([class_of[OPPOSITE[kinds[k]]] for k in kind_of_pair.tolist()], dtype=torch.long)
    labels = torch.stack([fwd_label, rev_label], 1).reshape(-1)
    pair_ids = torch.arange(n_pairs).repeat_interleave(2)
    return ClipSet(
        clips=clips.contiguous(),
        labels=labels,
        classes=list(motions),
        pair_ids=pair_ids,
        digits=targets[pick].repeat_interleave(2),
        source=f"generated: scikit-learn load_digits moving {'/'.join(motions)}, seed {seed}",
    )
