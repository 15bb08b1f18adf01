"""Reading image files into uint8 arrays, with errors that name the file, and resizing."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

__all__ = ["read_image", "check_size", "check_crop", "resize", "stack_images"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".pgm", ".gif", ".bmp")


def read_image(path: str | os.PathLike, mode: str) -> Image.Image:
    """Open and fully decode an image, converted to PIL ``mode`` ("L" or "RGB").

    A missing file raises ``FileNotFoundError`` and a truncated or corrupt one ``ValueError``,
    both naming the file, instead of a traceback from deep inside the decoder.

    Parameters
    ----------
    path : str or PathLike
    mode : {"L", "RGB"}
        PIL mode to convert to.

    Returns
    -------
    PIL.Image.Image
        Decoded, in ``mode``.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it cannot be decoded.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file {str(path)!r} does not exist")
    try:
        with Image.open(path) as img:
            img.load()  # PIL decodes lazily; force it here so errors surface with the path
            return img.convert(mode)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"cannot decode image file {str(path)!r}: truncated or corrupt ({exc})") from None


def check_size(size, name: str = "size") -> tuple[int, int] | None:
    """Validate a target size: None, a positive int (square) or a (H, W) pair of positive ints.

    Parameters
    ----------
    size : None, int or (int, int)
        The requested size (numpy ints accepted, bool rejected).
    name : str
        The argument's name, for the messages.

    Returns
    -------
    (int, int) or None
        (H, W).

    Raises
    ------
    TypeError
        For another type.
    ValueError
        For a size below 1.
    """
    if size is None:
        return None
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (int(size), int(size))
    if (
        not isinstance(size, Sequence) or len(size) != 2
        or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in size)
    ):
        raise TypeError(f"{name} must be None, an int or a (height, width) pair of ints, got {size!r}")
    if min(size) < 1:
        raise ValueError(f"{name} must be positive, got {tuple(size)}")
    return int(size[0]), int(size[1])


def check_crop(crop, full: int, name: str = "crop") -> int | None:
    """Validate the side of a centred square crop inside a ``full`` x ``full`` image.

    Parameters
    ----------
    crop : None or int
        The crop's side in pixels.
    full : int
        The image's side.
    name : str
        The argument's name, for the messages.

    Returns
    -------
    int or None

    Raises
    ------
    TypeError
        If ``crop`` is not None or an int.
    ValueError
        If it is not in [1, full].
    """
    if crop is None:
        return None
    if not isinstance(crop, (int, np.integer)) or isinstance(crop, bool):
        raise TypeError(f"{name} must be None or an int, got {type(crop).__name__}")
    if not 1 <= crop <= full:
        raise ValueError(f"{name} must be in [1, {full}] (the side of a centred square), got {crop}")
    return int(crop)


def resize(img: Image.Image, size: tuple[int, int] | None) -> Image.Image:
    """Resize to (H, W) with an antialiased (area-averaging when shrinking) Lanczos filter.

    Parameters
    ----------
    img : PIL.Image.Image
    size : (int, int) or None
        (H, W); None returns ``img`` unchanged.

    Returns
    -------
    PIL.Image.Image
    """
    if size is None or (img.height, img.width) == size:
        return img
    return img.resize((size[1], size[0]), Image.Resampling.LANCZOS)


def centre_crop(img: Image.Image, crop: int | None) -> Image.Image:
    """The centred ``crop`` x ``crop`` square of ``img`` (unchanged when crop is None).

    Parameters
    ----------
    img : PIL.Image.Image
    crop : int or None
        The side in pixels (checked by ``check_crop``).

    Returns
    -------
    PIL.Image.Image
    """
    if crop is None:
        return img
    left, top = (img.width - crop) // 2, (img.height - crop) // 2
    return img.crop((left, top, left + crop, top + crop))


def to_chw(img: Image.Image) -> np.ndarray:
    """A PIL image ("L" or "RGB") as a uint8 array of shape (C, H, W).

    Parameters
    ----------
    img : PIL.Image.Image
        In mode "L" or "RGB".

    Returns
    -------
    ndarray of shape (C, H, W), uint8
        C = 1 for "L", 3 for "RGB".
    """
    arr = np.asarray(img, dtype=np.uint8)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


def stack_images(paths: Sequence[Path], mode: str, transform=None) -> torch.Tensor:
    """Decode ``paths`` into one preallocated uint8 tensor (N, C, H, W); all must share a size.

    ``transform(img) -> img`` (crop, resize, invert) runs on each decoded PIL image.
    Preallocating keeps peak memory at the size of the result plus one image. The copies go
    through NumPy: a per-image ``tensor[i] = ...`` is much slower on a busy machine, where
    torch's intra-op thread pool waits for cores.

    Parameters
    ----------
    paths : sequence of N Path
        Image files.
    mode : {"L", "RGB"}
        PIL mode to convert to (C = 1 or 3).
    transform : callable (PIL image) -> PIL image, optional

    Returns
    -------
    Tensor of shape (N, C, H, W), uint8

    Raises
    ------
    ValueError
        If the images (after ``transform``) differ in size, or one cannot be decoded.
    """
    if not paths:
        raise ValueError("no image files to read")
    out = None
    for i, path in enumerate(paths):
        img = read_image(path, mode)
        if transform is not None:
            img = transform(img)
        chw = to_chw(img)
        if out is None:
            out = np.empty((len(paths), *chw.shape), dtype=np.uint8)
        if chw.shape != out.shape[1:]:
            raise ValueError(
                f"image {str(path)!r} has shape {tuple(chw.shape)} (C, H, W), but {str(paths[0])!r} "
                f"has {tuple(out.shape[1:])}; pass size= to resize them all"
            )
        out[i] = chw
    return torch.from_numpy(out)
