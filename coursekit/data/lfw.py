"""Labeled Faces in the Wild (Huang et al. 2007): people and the official pair lists.

The images sit in a folder per person (``<Name>/<Name>_0001.jpg``, 250x250 RGB), in one of the
official variants: ``lfw-deepfunneled`` (preferred), ``lfw_funneled``/``lfw-funneled`` or the
original ``lfw``; the layouts of scikit-learn's cache (``scikit_learn_data/lfw_home``) and
torchvision's (``lfw-py``) are searched too. Downloads use the funneled archive and the pair
lists that scikit-learn downloads (figshare mirror of the LFW site, sha256-checked), with the
LFW site itself as a second source (accepted only when its files have the same sha256).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import torch

from ..validation import check_int, check_tensor
from . import download
from ._common import ImageSet
from ._files import centre_crop, check_crop, check_size, resize, stack_images

__all__ = ["LFWPairs", "load_lfw_people", "load_lfw_pairs", "lfw_root", "center_crop"]

LFW_SIDE = 250
_VARIANTS = ("lfw-deepfunneled", "lfw_funneled", "lfw-funneled", "lfw")
_PARENTS = ("lfw", "", "scikit_learn_data/lfw_home", "lfw_home", "lfw-py")
FUNNELED = ("https://ndownloader.figshare.com/files/5976015",
            "b47c8422c8cded889dc5a13418c4bc2abbda121092b3533a83306f90d900100a")
PAIRS = {  # file name -> (url, sha256), as in sklearn.datasets._lfw
    "pairsDevTrain.txt": ("https://ndownloader.figshare.com/files/5976012",
                          "1d454dada7dfeca0e7eab6f65dc4e97a6312d44cf142207be28d688be92aabfa"),
    "pairsDevTest.txt": ("https://ndownloader.figshare.com/files/5976009",
                         "7cb06600ea8b2814ac26e946201cdb304296262aad67d046a16a7ec85d0ff87c"),
    "pairs.txt": ("https://ndownloader.figshare.com/files/5976006",
                  "ea42330c62c92989f9d7c03237ed5d591365e89b3e649747777b70e692dc1592"),
}
# second source: the LFW site itself; the same sha256 is required, so only the identical file is accepted
_UMASS = "http://vis-www.cs.umass.edu/lfw/"
CREDIT = "Labeled Faces in the Wild (University of Massachusetts, Amherst; cite Huang et al. 2007; research use)"


@dataclass
class LFWPairs:
    """Face pairs from an official LFW pair list.

    Attributes
    ----------
    images1, images2 : Tensor of shape (P, C, H, W), dtype uint8
        The first and second image of each pair.
    is_same : Tensor of shape (P,), dtype bool
        True for a matched pair (same person).
    fold : Tensor of shape (P,), dtype int64
        The cross-validation fold (0..9 for ``pairs.txt``; 0 for the DevTrain/DevTest lists).
    names1, names2, paths1, paths2 : list of str
        Person and file of each image.
    source : str
        Where the pairs came from.
    """

    images1: torch.Tensor
    images2: torch.Tensor
    is_same: torch.Tensor
    fold: torch.Tensor
    names1: list[str]
    names2: list[str]
    paths1: list[str] = field(repr=False)
    paths2: list[str] = field(repr=False)
    source: str = ""

    def __len__(self) -> int:
        return int(self.is_same.shape[0])


def _is_person_layout(folder: Path) -> bool:
    # an LFW variant holds <Name>/<Name>_0001.jpg; this tells `lfw/` (the original variant)
    # apart from a folder that merely contains lfw-deepfunneled/ and the pair lists
    if not folder.is_dir():
        return False
    for person in sorted(p for p in folder.iterdir() if p.is_dir())[:5]:
        if any(person.glob(f"{person.name}_[0-9][0-9][0-9][0-9].jpg")):
            return True
    return False


def _fetch_lfw(cache: Path) -> None:
    url, sha = FUNNELED
    download.fetch_archive((url, _UMASS + "lfw-funneled.tgz"), cache / "lfw" / "lfw_funneled",
                           marker="Aaron_Eckhart/Aaron_Eckhart_0001.jpg", sha256=sha)
    for name, (url, sha) in PAIRS.items():
        download.download_url((url, _UMASS + name), cache / "lfw" / name, sha256=sha)


def lfw_root(data_home: str | os.PathLike | None = None) -> Path:
    """The folder-per-person LFW image folder (downloaded into the cache dir when missing).

    Parameters
    ----------
    data_home : str or PathLike, optional
        Searched first for the LFW folder (default ``COURSEKIT_DATA``), then the user cache dir.

    Returns
    -------
    Path
        The folder holding one sub-folder of JPEGs per person.

    Raises
    ------
    DataNotFoundError
        When it is not found and cannot be downloaded.
    """
    rels = [str(Path(parent) / variant) for parent in _PARENTS for variant in _VARIANTS]
    return download.locate_or_fetch("lfw", rels, data_home, _fetch_lfw, (FUNNELED[0], _UMASS),
                                    is_valid=_is_person_layout)


def center_crop(images: torch.Tensor, side: int) -> torch.Tensor:
    """The centred ``side`` x ``side`` square of each image (what ``crop=`` does when loading).

    ``top = ⌊(H − side) / 2⌋``, ``left = ⌊(W − side) / 2⌋``; out = images[..., top:top+side, left:left+side].

    Parameters
    ----------
    images : Tensor of shape (..., H, W), e.g. (N, C, H, W)
    side : int in [1, min(H, W)]

    Returns
    -------
    Tensor of shape (..., side, side), a view of ``images``

    Examples
    --------
    >>> center_crop(torch.arange(25).reshape(1, 1, 5, 5), 3)[0, 0, 0].tolist()
    [6, 7, 8]
    """
    check_tensor(images, "images", ndim=range(2, 9), shape="(..., H, W)")
    h, w = images.shape[-2:]
    side = check_int(side, "side")
    if not 1 <= side <= min(h, w):
        raise ValueError(f"side must be an int in [1, {min(h, w)}] for images of size {h}x{w}, got {side}")
    top, left = (h - side) // 2, (w - side) // 2
    return images[..., top:top + side, left:left + side]


def _transform(crop, size, img):
    return resize(centre_crop(img, crop), size)


def _check_int(value, name: str, low: int, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int{' or None' if allow_none else ''}, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")


def load_lfw_people(
    data_home: str | os.PathLike | None = None, *, min_images_per_person: int = 10,
    max_people: int | None = None, max_images_per_person: int | None = None,
    crop: int | None = None, size: int | tuple[int, int] | None = None, color: bool = True,
) -> ImageSet:
    """LFW faces of the people with at least ``min_images_per_person`` images.

    People are taken in alphabetical order (the first ``max_people`` of them), each person's
    images in file order (the first ``max_images_per_person``). Each 250x250 image is cut to
    its centred ``crop`` x ``crop`` square, then resized (antialiased) to ``size``.

    Parameters
    ----------
    min_images_per_person : int >= 1
    max_people, max_images_per_person : int >= 1, optional
    crop : int in [1, 250], optional
        The face fills roughly the central 100-120 pixels of the funneled images.
    size : int or (H, W), optional
    color : bool
        RGB (C = 3) when True, grayscale (C = 1) when False.

    Returns
    -------
    ImageSet
        images uint8 (N, C, H, W); classes are the person names (``"George_W_Bush"``).

    Examples
    --------
    >>> people = load_lfw_people(min_images_per_person=50, crop=120, size=32)  # doctest: +SKIP
    >>> people.images.shape[1:]  # doctest: +SKIP
    torch.Size([3, 32, 32])
    """
    _check_int(min_images_per_person, "min_images_per_person", 1, False)
    _check_int(max_people, "max_people", 1, True)
    _check_int(max_images_per_person, "max_images_per_person", 1, True)
    crop, size = check_crop(crop, LFW_SIDE), check_size(size)
    root = lfw_root(data_home)
    people = []
    for person in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(person.glob("*.jpg"))
        if len(files) >= min_images_per_person:
            people.append((person.name, files[:max_images_per_person]))
    if not people:
        raise ValueError(f"no person in {str(root)!r} has min_images_per_person={min_images_per_person} or more images")
    people = people[:max_people]
    paths = [f for _, files in people for f in files]
    labels = torch.tensor([k for k, (_, files) in enumerate(people) for _ in files], dtype=torch.int64)
    images = stack_images(paths, "RGB" if color else "L", partial(_transform, crop, size))
    source = (
        f"{CREDIT}; {root.name} variant, {len(people)} people with >= {min_images_per_person} images, "
        f"crop={crop}, size={size}, from {root}"
    )
    return ImageSet(images, labels, [name for name, _ in people], source, [str(p) for p in paths])


def _pairs_path(pairs_file: str | os.PathLike, root: Path) -> Path:
    given = Path(pairs_file)
    if given.is_file():
        return given
    if given.name != str(pairs_file):  # a path (not a bare file name) that does not exist
        raise FileNotFoundError(f"pairs_file {str(pairs_file)!r} does not exist")
    for folder in (root.parent, root, root.parent / "lfw"):
        if (folder / given.name).is_file():
            return folder / given.name
    raise FileNotFoundError(f"pairs_file {given.name!r} is neither in {str(root.parent)!r} nor in {str(root)!r}")


def _parse_pairs(path: Path) -> list[tuple[int, str, int, str, int, bool, str]]:
    """(line number, name1, n1, name2, n2, is_same, fold) rows; 1-based image numbers."""
    lines = [(k + 1, line.split()) for k, line in enumerate(path.read_text().splitlines()) if line.strip()]
    if not lines or not 1 <= len(lines[0][1]) <= 2 or not all(t.isdigit() for t in lines[0][1]):
        raise ValueError(f"{path}: line 1 must be 'N' or 'FOLDS N' (e.g. '10 300'), got {lines[:1]}")
    folds, n = (1, int(lines[0][1][0])) if len(lines[0][1]) == 1 else map(int, lines[0][1])
    body = lines[1:]
    if len(body) != 2 * folds * n:
        raise ValueError(f"{path}: header says {folds} fold(s) x 2 x {n} pairs = {2 * folds * n} lines, found {len(body)}")
    rows = []
    for i, (lineno, tok) in enumerate(body):
        is_same = (i % (2 * n)) < n  # each fold: n matched pairs, then n mismatched ones
        try:
            if is_same and len(tok) == 3:
                rows.append((lineno, tok[0], int(tok[1]), tok[0], int(tok[2]), True, i // (2 * n)))
                continue
            if not is_same and len(tok) == 4:
                rows.append((lineno, tok[0], int(tok[1]), tok[2], int(tok[3]), False, i // (2 * n)))
                continue
        except ValueError:
            pass
        expected = "NAME N1 N2" if is_same else "NAME1 N1 NAME2 N2"
        raise ValueError(f"{path} line {lineno}: expected '{expected}', got {' '.join(tok)!r}")
    return rows


def load_lfw_pairs(
    data_home: str | os.PathLike | None = None, *, pairs_file: str | os.PathLike = "pairsDevTest.txt",
    crop: int | None = None, size: int | tuple[int, int] | None = None, color: bool = True,
) -> LFWPairs:
    """The image pairs of an official LFW pair list (matched and mismatched).

    ``pairs.txt`` has header ``10 300``: 10 folds, each 300 matched lines ``NAME N1 N2`` then 300
    mismatched lines ``NAME1 N1 NAME2 N2``; ``pairsDevTrain.txt``/``pairsDevTest.txt`` have
    header ``N`` and one fold (0). Image ``NAME N`` is ``<root>/NAME/NAME_{N:04d}.jpg``; each
    distinct file is decoded once. ``crop``/``size``/``color`` as in ``load_lfw_people``.

    Parameters
    ----------
    data_home : str or PathLike, optional
        Where ``lfw_root`` looks for the photos and the pair lists.
    pairs_file : str or PathLike
        A pair list's name in the LFW folder, or a path to one.
    crop : int, optional
        Side of a centred square crop of the 250x250 photos.
    size : int or (int, int), optional
        Resize (after the crop) to a square side or (H, W).
    color : bool
        RGB (C = 3) or grayscale (C = 1).

    Returns
    -------
    LFWPairs
        images1, images2 uint8 (P, C, H, W); is_same bool (P,); fold int64 (P,).

    Examples
    --------
    >>> pairs = load_lfw_pairs(crop=120, size=32)  # doctest: +SKIP
    >>> len(pairs), int(pairs.is_same.sum())  # doctest: +SKIP
    (1000, 500)
    """
    crop, size = check_crop(crop, LFW_SIDE), check_size(size)
    root = lfw_root(data_home)
    path = _pairs_path(pairs_file, root)
    rows = _parse_pairs(path)
    unique: dict[Path, int] = {}
    for lineno, name1, n1, name2, n2, _, _ in rows:
        for name, n in ((name1, n1), (name2, n2)):
            f = root / name / f"{name}_{n:04d}.jpg"
            if f not in unique:
                if not f.is_file():
                    what = "has no folder" if not (root / name).is_dir() else f"has no image number {n}"
                    raise FileNotFoundError(f"{path} line {lineno}: person {name!r} {what}: {str(f)!r} does not exist")
                unique[f] = len(unique)
    images = stack_images(list(unique), "RGB" if color else "L", partial(_transform, crop, size))
    i1 = torch.tensor([unique[root / r[1] / f"{r[1]}_{r[2]:04d}.jpg"] for r in rows])
    i2 = torch.tensor([unique[root / r[3] / f"{r[3]}_{r[4]:04d}.jpg"] for r in rows])
    return LFWPairs(
        images1=images[i1], images2=images[i2],
        is_same=torch.tensor([r[5] for r in rows], dtype=torch.bool),
        fold=torch.tensor([r[6] for r in rows], dtype=torch.int64),
        names1=[r[1] for r in rows], names2=[r[3] for r in rows],
        paths1=[str(root / r[1] / f"{r[1]}_{r[2]:04d}.jpg") for r in rows],
        paths2=[str(root / r[3] / f"{r[3]}_{r[4]:04d}.jpg") for r in rows],
        source=f"{CREDIT}; {path.name}, {len(rows)} pairs, {root.name} variant, crop={crop}, size={size}, from {root}",
    )
