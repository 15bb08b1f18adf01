"""Face data sets: Olivetti (via scikit-learn), the original AT&T/ORL files, Yale, and LFW.

All loaders return uint8 images (N, C, H, W) with int64 labels (see ``ImageSet``); LFW lives
in ``coursekit.data.lfw`` and is re-exported here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import torch

from . import download
from ._common import ImageSet
from ._files import stack_images
from .lfw import LFWPairs, load_lfw_pairs, load_lfw_people

__all__ = [
    "load_olivetti", "load_orl", "load_yale", "load_lfw_people", "load_lfw_pairs", "LFWPairs",
    "YALE_CONDITIONS",
]

OLIVETTI_URL = "https://ndownloader.figshare.com/files/5976027"  # what scikit-learn downloads
ORL_URL = "https://www.cl.cam.ac.uk/Research/DTG/attarchive/pub/data/att_faces.zip"
YALE_URL = "http://vision.ucsd.edu/datasets/yale_face_dataset_original/yalefaces.zip"
YALE_CONDITIONS = (
    "centerlight", "glasses", "happy", "leftlight", "noglasses", "normal",
    "rightlight", "sad", "sleepy", "surprised", "wink",
)
_ORL_FOLDER = re.compile(r"s(\d+)")
_YALE_FILE = re.compile(r"subject(\d+)\.([a-z]+)")


def _fetch_olivetti(cache: Path) -> None:
    from sklearn.datasets import fetch_olivetti_faces

    fetch_olivetti_faces(data_home=cache / "scikit_learn_data", download_if_missing=True)


def load_olivetti(data_home: str | os.PathLike | None = None) -> ImageSet:
    """The Olivetti faces: 40 people x 10 images, 64x64 grayscale, via scikit-learn.

    Reads ``<data>/scikit_learn_data/olivetti_py3.pkz`` with
    ``sklearn.datasets.fetch_olivetti_faces(download_if_missing=False)``; when no copy exists
    and the network is up, scikit-learn downloads it into the user cache dir. scikit-learn's
    floats are k/242 for integer k, so ``round(255 x)`` maps them to distinct uint8 levels.

    Returns
    -------
    ImageSet
        images uint8 (400, 1, 64, 64); labels int64 (400,) in 0..39 (10 consecutive images per
        person); classes ``"person01"`` .. ``"person40"`` (person k is folder ``s{k}`` of ORL).

    Examples
    --------
    >>> faces = load_olivetti()  # doctest: +SKIP
    >>> tuple(faces.images.shape), faces.classes[0]  # doctest: +SKIP
    ((400, 1, 64, 64), 'person01')
    """
    from sklearn.datasets import fetch_olivetti_faces

    pkz = download.locate_or_fetch(
        "olivetti", ["scikit_learn_data/olivetti_py3.pkz"], data_home, _fetch_olivetti, OLIVETTI_URL
    )
    try:
        bunch = fetch_olivetti_faces(data_home=pkz.parent, download_if_missing=False)
    except Exception as exc:  # joblib/zlib errors on a damaged pickle say nothing about the file
        raise ValueError(f"cannot read {str(pkz)!r}: truncated or corrupt ({type(exc).__name__}: {exc})") from None
    images = torch.from_numpy(np.round(bunch.images * 255.0).astype(np.uint8))[:, None]
    labels = torch.from_numpy(bunch.target.astype(np.int64))
    classes = [f"person{k + 1:02d}" for k in range(int(labels.max()) + 1)]
    source = (
        f"Olivetti faces (AT&T Laboratories Cambridge; credit the Olivetti Research Laboratory), "
        f"40 people x 10 images, 64x64 grayscale, via scikit-learn from {pkz}"
    )
    return ImageSet(images, labels, classes, source)


def _fetch_orl(cache: Path) -> None:
    archive = download.download_url(ORL_URL, cache / "downloads" / "att_faces.zip")
    download.extract_archive(archive, cache / "orl_faces", marker="s1/1.pgm")


def load_orl(data_home: str | os.PathLike | None = None) -> ImageSet:
    """The original AT&T (ORL) face database: 40 people x 10 images, 112x92 grayscale PGM.

    Reads ``<data>/orl_faces/s{k}/{i}.pgm`` (k = 1..40, i = 1..10; ``s01`` also accepted),
    in numeric order of k then i. These are the same photos as Olivetti, at full resolution.

    Returns
    -------
    ImageSet
        images uint8 (400, 1, 112, 92); labels int64 (400,) in 0..39; classes
        ``"person01"`` .. ``"person40"`` (label k-1 is folder ``s{k}``).

    Examples
    --------
    >>> faces = load_orl()  # doctest: +SKIP
    >>> tuple(faces.images.shape)  # doctest: +SKIP
    (400, 1, 112, 92)
    """
    root = download.locate_or_fetch("orl", ["orl_faces"], data_home, _fetch_orl, ORL_URL)
    people = sorted(
        (int(m.group(1)), d) for d in root.iterdir() if d.is_dir() and (m := _ORL_FOLDER.fullmatch(d.name))
    )
    if not people:
        raise FileNotFoundError(f"{str(root)!r} holds no person folders named s1 .. s40")
    paths, labels, classes = [], [], []
    for label, (number, folder) in enumerate(people):
        files = sorted(folder.glob("*.pgm"), key=lambda p: (len(p.stem), p.stem))
        if not files:
            raise FileNotFoundError(f"person folder {str(folder)!r} holds no .pgm images")
        classes.append(f"person{number:02d}")
        paths += files
        labels += [label] * len(files)
    images = stack_images(paths, "L")
    source = (
        f"AT&T (ORL) face database (AT&T Laboratories Cambridge; credit the Olivetti Research "
        f"Laboratory), {len(classes)} people, {tuple(images.shape[2:])} grayscale, from {root}"
    )
    return ImageSet(images, torch.tensor(labels, dtype=torch.int64), classes, source, [str(p) for p in paths])


def _fetch_yale(cache: Path) -> None:
    archive = download.download_url(YALE_URL, cache / "downloads" / "yalefaces.zip")
    download.extract_archive(archive, cache / "yale" / "yalefaces", marker="subject02.happy")


def load_yale(
    data_home: str | os.PathLike | None = None, *, return_conditions: bool = False
) -> ImageSet | tuple[ImageSet, list[str]]:
    """The Yale face database: 15 people x 11 conditions, 243x320 grayscale.

    Reads ``<data>/yale/yalefaces/subject{NN}.{condition}`` (GIF files without an extension)
    for the conditions in ``YALE_CONDITIONS``; other files there (a readme, stray ``.gif``
    copies) are ignored. Order: subject, then condition, alphabetically.

    Parameters
    ----------
    return_conditions : bool
        Also return the condition of each image ("happy", "leftlight", ...).

    Returns
    -------
    ImageSet, or (ImageSet, list of str)
        images uint8 (N, 1, 243, 320), N <= 165; classes ``"subject01"`` .. ``"subject15"``.

    Examples
    --------
    >>> faces, conditions = load_yale(return_conditions=True)  # doctest: +SKIP
    >>> conditions[:2]  # doctest: +SKIP
    ['glasses', 'happy']
    """
    folder = download.locate_or_fetch("yale", ["yale/yalefaces"], data_home, _fetch_yale, YALE_URL)
    found = []
    for f in folder.iterdir():
        m = _YALE_FILE.fullmatch(f.name)
        if m and m.group(2) in YALE_CONDITIONS and f.is_file():
            found.append((int(m.group(1)), m.group(2), f))
    if not found:
        raise FileNotFoundError(f"{str(folder)!r} holds no files named subjectNN.<condition>")
    found.sort()
    subjects = sorted({s for s, _, _ in found})
    index = {s: i for i, s in enumerate(subjects)}
    images = stack_images([f for _, _, f in found], "L")
    labels = torch.tensor([index[s] for s, _, _ in found], dtype=torch.int64)
    source = (
        f"Yale face database (Yale University; research use), {len(subjects)} people, "
        f"{len(found)} images under 11 lighting/expression conditions, from {folder}"
    )
    result = ImageSet(images, labels, [f"subject{s:02d}" for s in subjects], source, [str(f) for _, _, f in found])
    return (result, [c for _, c, _ in found]) if return_conditions else result
