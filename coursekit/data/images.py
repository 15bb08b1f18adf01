"""Content photos and style paintings for neural style transfer, as float (3, H, W) tensors in [0, 1].

Content photos ship inside scikit-image (``skimage.data``) and scikit-learn
(``load_sample_image``). Style paintings are reproductions of public-domain works, read from
``<data>/style/<name>.jpg``; five of them can be downloaded (md5-checked) from the example
folders of jcjohnson/neural-style and lengstrom/fast-style-transfer. When a painting can be
neither found nor downloaded, ``style_image`` returns ``generated_texture`` and prints so.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from . import download
from ._files import check_size, read_image

__all__ = ["CONTENT_IMAGES", "STYLE_IMAGES", "STYLE_TITLES", "content_image", "style_image", "style_title",
           "generated_texture"]

CONTENT_IMAGES = ("astronaut", "coffee", "chelsea", "rocket", "china", "flower")
STYLE_IMAGES = (
    "starry_night", "the_scream", "wave", "shipwreck", "composition_vii",
    "monet_cliff_walk_pourville", "monet_san_giorgio_dusk", "udnie", "woman-with-hat-matisse",
)
STYLE_TITLES = {  # name -> (title of the painting, painter), for figures
    "starry_night": ("The Starry Night", "Vincent van Gogh"),
    "the_scream": ("The Scream", "Edvard Munch"),
    "wave": ("The Great Wave off Kanagawa", "Katsushika Hokusai"),
    "shipwreck": ("The Shipwreck", "J. M. W. Turner"),
    "composition_vii": ("Composition VII", "Wassily Kandinsky"),
    "monet_cliff_walk_pourville": ("The Cliff Walk at Pourville", "Claude Monet"),
    "monet_san_giorgio_dusk": ("San Giorgio Maggiore at Dusk", "Claude Monet"),
    "udnie": ("Udnie", "Francis Picabia"),
    "woman-with-hat-matisse": ("Woman with a Hat", "Henri Matisse"),
}
_NEURAL_STYLE = "https://raw.githubusercontent.com/jcjohnson/neural-style/07c4b8299f8fbdafec0c514fc820ff1d7ff62e46/examples/inputs/"
_FAST_STYLE = "https://raw.githubusercontent.com/lengstrom/fast-style-transfer/0d3d981f7ab948253d355585bdbdfa914247b4d0/examples/style/"
STYLE_URLS = {  # name -> (url, md5 of the file in the course's data folder); the others have no verified source
    "starry_night": (_NEURAL_STYLE + "starry_night.jpg", "ff217acb6db32785b8651a0e316aeab3"),
    "the_scream": (_NEURAL_STYLE + "the_scream.jpg", "619b4f42c84d2b62d3518fb20fa619c2"),
    "shipwreck": (_NEURAL_STYLE + "shipwreck.jpg", "a43d815f29ea01ba10a1f9d7293c6218"),
    "woman-with-hat-matisse": (_NEURAL_STYLE + "woman-with-hat-matisse.jpg", "8897a19069a9305f60d71d3564828c66"),
    "udnie": (_FAST_STYLE + "udnie.jpg", "a35587cfdc24e867e3c1dd270d96ac17"),
}


def _to_tensor(img: Image.Image, size) -> torch.Tensor:
    """RGB PIL image -> float32 (3, H, W) in [0, 1], resized (antialiased) per ``size``."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        if size < 1:
            raise ValueError(f"size must be positive, got {size}")
        scale = size / max(img.width, img.height)  # int: the longer side becomes `size`
        target = (max(1, round(img.height * scale)), max(1, round(img.width * scale)))
    else:
        target = check_size(size)
    if target is not None and target != (img.height, img.width):
        img = img.resize((target[1], target[0]), Image.Resampling.LANCZOS)
    arr = np.array(img.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(arr).permute(2, 0, 1).contiguous()


def _is_path(name_or_path) -> bool:
    return isinstance(name_or_path, os.PathLike) or any(sep in name_or_path for sep in "/\\.")


def content_image(name_or_path: str | os.PathLike, size: int | tuple[int, int] | None = None) -> torch.Tensor:
    """A content photo: one of ``CONTENT_IMAGES`` or an image file.

    ``astronaut``, ``coffee``, ``chelsea``, ``rocket`` come from ``skimage.data``; ``china``,
    ``flower`` from ``sklearn.datasets.load_sample_image``.

    Parameters
    ----------
    size : int or (H, W), optional
        An int makes the longer side ``size`` (aspect kept); a pair is the exact (H, W).

    Returns
    -------
    Tensor of shape (3, H, W), float32 in [0, 1]

    Examples
    --------
    >>> tuple(content_image("chelsea", size=64).shape)
    (3, 43, 64)
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"name_or_path must be a str or path, got {type(name_or_path).__name__}")
    if _is_path(name_or_path):
        return _to_tensor(read_image(name_or_path, "RGB"), size)
    if name_or_path in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return _to_tensor(Image.fromarray(load_sample_image(f"{name_or_path}.jpg")), size)
    if name_or_path in CONTENT_IMAGES:
        import skimage.data

        return _to_tensor(Image.fromarray(getattr(skimage.data, name_or_path)()), size)
    raise ValueError(f"content image must be one of {CONTENT_IMAGES} or a file path, got {name_or_path!r}")


def generated_texture(size: int | tuple[int, int] = 256, seed: int = 0) -> torch.Tensor:
    """A painterly texture made from warped sinusoids: the stand-in for a missing painting.

    ``t(x, y) = sin(f x + 3 sin(g y + phi))``-style swirls from 4 random waves, mapped through a
    5-colour palette, so that it has strong colours and oriented strokes for a Gram matrix to catch.

    Parameters
    ----------
    size : int or (int, int)
        Side, or (H, W), in pixels.
    seed : int
        Draws the waves and the palette.

    Returns
    -------
    Tensor of shape (3, H, W), float32 in [0, 1]

    Examples
    --------
    >>> tuple(generated_texture(32).shape)
    (3, 32, 32)
    """
    h, w = check_size(size, "size")
    gen = torch.Generator().manual_seed(int(seed))
    y, x = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    field = torch.zeros(h, w)
    for _ in range(4):
        fx, fy, warp, phase = (torch.rand(4, generator=gen) * torch.tensor([14.0, 14.0, 3.0, 2 * math.pi])).tolist()
        angle = torch.rand(1, generator=gen).item() * math.pi
        u = x * math.cos(angle) + y * math.sin(angle)  # rotated coordinates give oriented strokes
        v = -x * math.sin(angle) + y * math.cos(angle)
        field += torch.sin(fx * u * 2 + warp * torch.sin(fy * v * 2 + phase))
    t = (field - field.min()) / (field.max() - field.min() + 1e-8) * 4  # position along the palette
    palette = torch.rand(5, 3, generator=gen) * 0.8 + 0.1
    lo = t.floor().long().clamp(max=3)
    frac = (t - lo).unsqueeze(-1)
    rgb = palette[lo] * (1 - frac) + palette[lo + 1] * frac  # (H, W, 3), linear between palette colours
    return rgb.permute(2, 0, 1).contiguous().clamp_(0, 1)


def style_title(name: str, sep: str = ", ") -> str:
    """The human title of one of ``STYLE_IMAGES``: the painting's title, ``sep``, its painter.

    Parameters
    ----------
    name : str
        One of ``STYLE_IMAGES`` (the file name without ``.jpg``).
    sep : str
        Between title and painter; ``"\\n"`` puts the painter on a second line (figure titles).

    Returns
    -------
    str

    Examples
    --------
    >>> style_title("woman-with-hat-matisse")
    'Woman with a Hat, Henri Matisse'
    >>> style_title("monet_cliff_walk_pourville", sep=" / ")
    'The Cliff Walk at Pourville / Claude Monet'
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if not isinstance(sep, str):
        raise TypeError(f"sep must be a str, got {type(sep).__name__}")
    if name not in STYLE_TITLES:
        raise ValueError(f"name must be one of {STYLE_IMAGES}, got {name!r}")
    return sep.join(STYLE_TITLES[name])


def _fetch_style(name: str, cache: Path) -> None:
    url, md5 = STYLE_URLS[name]
    download.download_url(url, cache / "style" / f"{name}.jpg", md5=md5)


def style_image(
    name_or_path: str | os.PathLike, size: int | tuple[int, int] | None = None,
    data_home: str | os.PathLike | None = None,
) -> torch.Tensor:
    """A style painting: one of ``STYLE_IMAGES`` (from ``<data>/style``) or an image file.

    A named painting missing from the data dir and the cache is downloaded into the cache when
    it has a verified source (``STYLE_URLS``) and the network is up; otherwise this prints a
    note and returns ``generated_texture`` of the requested size (512 px when size is None).

    Parameters
    ----------
    name_or_path : str or PathLike
        A name from ``STYLE_IMAGES`` or an image file.
    size : int or (int, int), optional
        Resize to a square side or to (H, W); None keeps the file's size.
    data_home : str or PathLike, optional
        Searched first for ``style/`` (default ``COURSEKIT_DATA``), then the user cache dir.

    Returns
    -------
    Tensor of shape (3, H, W), float32 in [0, 1]

    Examples
    --------
    >>> style_image("starry_night", size=128).shape[0]  # doctest: +SKIP
    3
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"name_or_path must be a str or path, got {type(name_or_path).__name__}")
    if _is_path(name_or_path) and name_or_path not in STYLE_IMAGES:
        return _to_tensor(read_image(name_or_path, "RGB"), size)
    if name_or_path not in STYLE_IMAGES:
        raise ValueError(f"style image must be one of {STYLE_IMAGES} or a file path, got {name_or_path!r}")
    name = str(name_or_path)
    fetch = (lambda cache: _fetch_style(name, cache)) if name in STYLE_URLS else None
    probe = STYLE_URLS[name][0] if name in STYLE_URLS else None
    download.search_roots(data_home)  # a wrong data_home is the caller's mistake: raise, do not fall back
    try:
        path = download.locate_or_fetch("style", [f"style/{name}.jpg"], data_home, fetch, probe)
    except OSError as exc:  # DataNotFoundError, or a failed download
        side = size if size is not None else 512
        shape = (side, side) if isinstance(side, int) else tuple(side)
        reason = str(exc).splitlines()[0].removesuffix(" Looked in:")
        print(f"style image {name!r} is not available ({reason}); using a generated texture instead")
        return generated_texture(shape)
    return _to_tensor(read_image(path, "RGB"), size)
