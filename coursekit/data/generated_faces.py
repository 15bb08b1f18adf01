"""Generated cartoon faces: a stand-in for Olivetti when no real face data can be had.

Each person is a random set of facial proportions (face shape, skin tone, eye spacing and
size, brow, nose, mouth, hair line); each of their images redraws that person with a new
pose (shift, zoom, tilt), lighting direction, expression (smile, eye opening) and noise. The
identity is in the proportions, the nuisance in the rest — the same structure as real faces,
much easier. Notebooks use it only when ``load_olivetti`` fails, and say so.
"""

from __future__ import annotations

import math

import torch

from ._common import ImageSet

__all__ = ["generated_faces"]


def _ellipse(u, v, cx, cy, rx, ry, sharpness=40.0):
    """Soft indicator of an ellipse: ~1 inside, ~0 outside. u, v: (N, H, W); parameters (N, 1, 1)."""
    r = ((u - cx) / rx) ** 2 + ((v - cy) / ry) ** 2
    return torch.sigmoid(sharpness * (1.0 - r))


def generated_faces(n_people: int = 40, per_person: int = 10, size: int = 64, *, seed: int = 0) -> ImageSet:
    """Grayscale generated faces, laid out like Olivetti.

    Parameters
    ----------
    n_people, per_person : int >= 1
    size : int >= 16
        Images are ``size × size``.
    seed : int
        Everything is drawn from ``torch.Generator().manual_seed(seed)``.

    Returns
    -------
    ImageSet
        images uint8 (n_people·per_person, 1, size, size); labels int64, ``per_person``
        consecutive images per person; classes ``"generated01"``, ...

    Examples
    --------
    >>> faces = generated_faces(3, 2, size=32)
    >>> tuple(faces.images.shape), faces.labels.tolist()
    ((6, 1, 32, 32), [0, 0, 1, 1, 2, 2])
    """
    for name, value, low in (("n_people", n_people, 1), ("per_person", per_person, 1), ("size", size, 16)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < low:
            raise ValueError(f"{name} must be >= {low}, got {value}")
    g = torch.Generator().manual_seed(seed)
    n = n_people * per_person

    def draw(low, high, per="person"):
        x = low + (high - low) * torch.rand(n_people if per == "person" else n, generator=g)
        x = x.repeat_interleave(per_person) if per == "person" else x
        return x.view(n, 1, 1)

    # identity: proportions of the face (one draw per person)
    face_w, face_h, skin = draw(0.55, 0.75), draw(0.72, 0.9), draw(0.45, 0.8)
    eye_y, eye_dx, eye_r = draw(-0.28, -0.1), draw(0.2, 0.34), draw(0.05, 0.1)
    brow_gap, brow_tilt = draw(0.08, 0.16), draw(-0.08, 0.08)
    nose_len, nose_w = draw(0.12, 0.3), draw(0.04, 0.09)
    mouth_y, mouth_w, hair_y, hair = draw(0.3, 0.5), draw(0.15, 0.32), draw(-0.85, -0.5), draw(0.05, 0.3)
    # nuisance: pose, lighting and expression (one draw per image)
    dx, dy, zoom, tilt = draw(-0.08, 0.08, "image"), draw(-0.08, 0.08, "image"), draw(0.93, 1.07, "image"), draw(-0.14, 0.14, "image")
    light, light_angle = draw(0.0, 0.35, "image"), draw(0.0, 2 * math.pi, "image")
    smile, eye_open = draw(-0.08, 0.14, "image"), draw(0.45, 1.0, "image")

    t = torch.linspace(-1.0, 1.0, size)
    y0, x0 = torch.meshgrid(t, t, indexing="ij")  # (size, size)
    x0, y0 = (x0[None] - dx) / zoom, (y0[None] - dy) / zoom
    u = x0 * torch.cos(tilt) + y0 * torch.sin(tilt)  # face coordinates (N, size, size)
    v = -x0 * torch.sin(tilt) + y0 * torch.cos(tilt)

    img = torch.full_like(u, 0.15)
    face = _ellipse(u, v, 0.0, 0.05, face_w, face_h)
    img = img + face * (skin - 0.15)
    hair_mask = face * torch.sigmoid(30 * (hair_y - v)) + _ellipse(u, v, 0.0, hair_y, face_w * 1.05, 0.25) * (v < hair_y)
    img = img * (1 - hair_mask.clamp(0, 1)) + hair * hair_mask.clamp(0, 1)
    for side in (-1.0, 1.0):
        eye = _ellipse(u, v, side * eye_dx, eye_y, eye_r * 1.4, eye_r * eye_open)
        img = img * (1 - eye) + 0.08 * eye
        brow_v = eye_y - brow_gap + side * brow_tilt * (u - side * eye_dx)
        brow = _ellipse(u, v, side * eye_dx, brow_v, eye_r * 1.8, 0.025, 20.0)
        img = img * (1 - 0.7 * brow) + 0.7 * brow * hair
    nose = _ellipse(u, v, 0.0, eye_y + nose_len / 2 + 0.08, nose_w, nose_len / 2)
    img = img - 0.12 * nose
    mouth_v = mouth_y + smile * (1 - (u / mouth_w) ** 2)  # a parabola: smile > 0 curves up
    mouth = _ellipse(u, v, 0.0, mouth_v, mouth_w, 0.035, 20.0)
    img = img * (1 - mouth) + 0.25 * mouth
    shade = 1.0 + light * (x0 * torch.cos(light_angle) + y0 * torch.sin(light_angle))
    img = img * shade + 0.03 * torch.randn(img.shape, generator=g)
    images = (img.clamp(0, 1) * 255).round().to(torch.uint8)[:, None]
    labels = torch.arange(n_people).repeat_interleave(per_person)
    classes = [f"generated{i + 1:02d}" for i in range(n_people)]
    return ImageSet(images, labels, classes, f"generated cartoon faces (coursekit, seed {seed}): not real data")
