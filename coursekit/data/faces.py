"""Face data sets: Olivetti (never unpickling unknown files), the original AT&T/ORL
files, Yale, and LFW.

All loaders return uint8 images (N, C, H, W) with int64 labels (see ``ImageSet``); LFW lives
in ``coursekit.data.lfw`` and is re-exported here.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from functools import partial
from pathlib import Path

import numpy as np
import torch

from . import download
from ._common import DataNotFoundError, ImageSet
from ._files import stack_images
from .lfw import LFWPairs, load_lfw_pairs, load_lfw_people

__all__ = [
    "load_olivetti", "load_orl", "load_yale", "load_lfw_people", "load_lfw_pairs", "LFWPairs",
    "YALE_CONDITIONS",
]

# Olivetti: the original MATLAB file that scikit-learn downloads (figshare) and its first home
# (Sam Roweis's page); sha256 as published in scikit-learn (sklearn/datasets/_olivetti_faces.py)
OLIVETTI_MAT = (
    ("https://ndownloader.figshare.com/files/5976027", "https://cs.nyu.edu/~roweis/data/olivettifaces.mat"),
    "b612fb967f2dc77c9c62d3e1266e0c73d5fca46a4b8906c18e454d41af987794",
)
OLIVETTI_URL = OLIVETTI_MAT[0][0]
# scikit-learn's own cache (a joblib pickle) is unpickled only when its bytes are these: the
# file written by scikit-learn 1.x (joblib, compress=6) that the course's offline data copy holds
OLIVETTI_PKZ_SHA256 = frozenset({"47398b319d88c78459514b30b87c562313aad345b5c6a387b678d7f8177be4ba"})
# sha256 of the (400, 64, 64) uint8 images every route must produce (C-order bytes)
OLIVETTI_IMAGES_SHA256 = "81eaaeae7d0d4c4393258cc7171df73003501639b76d07c54eb2da0f600624a2"
_OLIVETTI_FILES = ("olivetti/olivetti_faces.npz", "olivetti/olivettifaces.mat", "scikit_learn_data/olivetti_py3.pkz")

# ORL and Yale: the archives' own checksums are unknown (no copy of them was available to hash);
# their contents are checked against the digest (``download.tree_digest``) of the course's
# offline copy, which holds the original files. Yale's host is reported gone and ORL's is
# uncertain; no second source is known, so a local copy may be the only way to get them.
ORL_URL = "https://www.cl.cam.ac.uk/Research/DTG/attarchive/pub/data/att_faces.zip"
ORL_FILES = tuple(f"s{k}/{i}.pgm" for k in range(1, 41) for i in range(1, 11))
ORL_DIGEST = "792ac116afb36ddf9a315e239563d65e020f3a1841061ce554f26cc558581974"
YALE_URL = "http://vision.ucsd.edu/datasets/yale_face_dataset_original/yalefaces.zip"
YALE_DIGEST = "bb111701d8c396873bf8a82bdc82210447854b11494388c7b299f017e1e31fff"
YALE_CONDITIONS = (
    "centerlight", "glasses", "happy", "leftlight", "noglasses", "normal",
    "rightlight", "sad", "sleepy", "surprised", "wink",
)
# the 164 files of the offline copy (subject01.centerlight is missing from it)
YALE_FILES = tuple(
    f"subject{s:02d}.{c}" for s in range(1, 16) for c in YALE_CONDITIONS if (s, c) != (1, "centerlight")
)
_ORL_FOLDER = re.compile(r"s(\d+)")
_YALE_FILE = re.compile(r"subject(\d+)\.([a-z]+)")


def _faces_to_uint8(raw: np.ndarray) -> np.ndarray:
    """The MATLAB ``faces`` array transposed, (400, 4096), to uint8 images (400, 64, 64).

    As scikit-learn does: scale to [0, 1] by the global min and max, then each 4096-row is a
    column-major 64x64 image. scikit-learn's floats are k/242, so ``round(255 x)`` keeps them apart.
    """
    if raw.shape != (400, 4096):
        raise ValueError(f"the Olivetti faces array must have shape (400, 4096), got {raw.shape}")
    faces = np.float32(raw)
    faces -= faces.min()
    faces /= faces.max()
    faces = faces.reshape((400, 64, 64)).transpose(0, 2, 1)
    return np.ascontiguousarray(np.round(faces * 255.0).astype(np.uint8))


def _check_images(images: np.ndarray, path: Path) -> np.ndarray:
    if images.shape != (400, 64, 64) or images.dtype != np.uint8:
        raise ValueError(f"{str(path)!r} must hold uint8 images of shape (400, 64, 64), got {images.dtype} {images.shape}")
    got = hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()
    if got != OLIVETTI_IMAGES_SHA256:
        raise ValueError(f"the Olivetti images in {str(path)!r} are damaged or altered: their sha256 is {got}, "
                         f"expected {OLIVETTI_IMAGES_SHA256}; delete the file and run `python -m coursekit data fetch olivetti`")
    return images


def _read_mat(path: Path) -> np.ndarray:
    """uint8 images (400, 64, 64) from ``olivettifaces.mat`` (no hash check; see ``_read_olivetti``)."""
    from scipy.io import loadmat

    try:
        raw = loadmat(path)["faces"].T
    except (ValueError, KeyError, OSError, TypeError) as exc:
        raise ValueError(f"cannot read {str(path)!r}: truncated or corrupt ({type(exc).__name__}: {exc})") from None
    return _faces_to_uint8(np.asarray(raw))


def _read_olivetti(path: Path) -> np.ndarray:
    """uint8 images (400, 64, 64) from a converted .npz, the original .mat or scikit-learn's .pkz.

    No user file is ever unpickled unchecked: the .npz is read with ``allow_pickle=False``, and
    the .pkz (a pickle, which can run code when loaded) only after its SHA-256 matched a known file.
    """
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as npz:
                images = npz["images"]
        except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"cannot read {str(path)!r}: truncated or corrupt ({type(exc).__name__}: {exc}); "
                             "delete it and run `python -m coursekit data fetch olivetti`") from None
        return _check_images(images, path)
    if path.suffix == ".mat":
        if (got := download.file_md5(path, "sha256")) != OLIVETTI_MAT[1]:
            raise ValueError(f"{str(path)!r} is not the original olivettifaces.mat: its sha256 is {got}, "
                             f"expected {OLIVETTI_MAT[1]} (truncated, corrupt or altered)")
        return _check_images(_read_mat(path), path)
    if (got := download.file_md5(path, "sha256")) not in OLIVETTI_PKZ_SHA256:
        raise ValueError(
            f"refusing to read {str(path)!r}: a .pkz is a pickle, and loading a pickle can run code, so coursekit "
            f"loads only the scikit-learn files it knows; this one's sha256 is {got} (truncated, corrupt, altered, "
            "or written by another scikit-learn version). Delete it and run `python -m coursekit data fetch "
            "olivetti`, which downloads the original .mat file and converts it without pickles."
        )
    import joblib

    return _check_images(_faces_to_uint8(np.asarray(joblib.load(path))), path)


def _is_known_olivetti(path: Path) -> bool:
    """Whether a found Olivetti file may be read: a .npz (checked when read), or a .mat or .pkz
    whose SHA-256 is a known one. Others are skipped, so that the search goes on (to the cache,
    then a download) instead of stopping at a file that will never be unpickled."""
    if path.suffix == ".npz":
        return path.is_file()
    known = {OLIVETTI_MAT[1]} if path.suffix == ".mat" else OLIVETTI_PKZ_SHA256
    return path.is_file() and download.file_md5(path, "sha256") in known


def _fetch_olivetti(cache: Path) -> None:
    """Download the original .mat (sha256-checked), convert it once into ``olivetti_faces.npz``."""
    urls, sha256 = OLIVETTI_MAT
    folder = cache / "olivetti"
    mat = download.download_url(urls, folder / "olivettifaces.mat", sha256=sha256)
    try:
        images = _check_images(_read_mat(mat), mat)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".olivetti_faces.", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(out, images=images)
            os.replace(tmp, folder / "olivetti_faces.npz")
        finally:
            Path(tmp).unlink(missing_ok=True)
    finally:
        mat.unlink(missing_ok=True)


def load_olivetti(data_home: str | os.PathLike | None = None) -> ImageSet:
    """The Olivetti faces: 40 people x 10 images, 64x64 grayscale (scikit-learn's version).

    Reads, in each data folder, the first of: ``olivetti/olivetti_faces.npz`` (what
    ``python -m coursekit data fetch olivetti`` writes), ``olivetti/olivettifaces.mat`` (the
    original file) or scikit-learn's ``scikit_learn_data/olivetti_py3.pkz``. Reading never
    runs code from the data: the .npz is read without pickles, and scikit-learn's .pkz (a
    pickle) is loaded only after its SHA-256 matched a known file (a .pkz or .mat with another
    hash is skipped, and named in the error if nothing else is found); every route's images are
    checked against the known SHA-256 of the data set. When no copy exists and the network is
    up, the original .mat is downloaded (sha256-checked) and converted once into the .npz in
    the user cache dir. As in scikit-learn, pixels are scaled by the global min and max; those
    floats are k/242, so ``round(255 x)`` maps them to distinct uint8 levels.

    Parameters
    ----------
    data_home : str or PathLike, optional
        Searched first for ``olivetti/`` (default ``COURSEKIT_DATA``), then the user cache dir.

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
    try:
        path = download.locate_or_fetch("olivetti", list(_OLIVETTI_FILES), data_home, _fetch_olivetti,
                                        OLIVETTI_MAT[0], is_valid=_is_known_olivetti)
    except DataNotFoundError as exc:
        roots = download.search_roots(data_home)
        skipped = [str(root / rel) for root in roots for rel in _OLIVETTI_FILES[1:] if (root / rel).is_file()]
        if not skipped:
            raise
        raise DataNotFoundError(
            f"{exc}\nSkipped, because their SHA-256 is not one coursekit knows (truncated, altered, or written by "
            f"another scikit-learn version; a .pkz is a pickle, which can run code, so it is never loaded "
            f"unchecked): {', '.join(skipped)}"
        ) from None
    images = torch.from_numpy(_read_olivetti(path))[:, None]
    labels = torch.arange(400, dtype=torch.int64) // 10
    classes = [f"person{k + 1:02d}" for k in range(40)]
    source = (
        f"Olivetti faces (AT&T Laboratories Cambridge; credit the Olivetti Research Laboratory), "
        f"40 people x 10 images, 64x64 grayscale, scikit-learn's version, from {path}"
    )
    return ImageSet(images, labels, classes, source)


def _verify_tree(name: str, files: tuple[str, ...], digest: str, folder: Path) -> None:
    """Check the unpacked files against the known digest, then drop every file it does not cover,
    so that only checked files are installed (a loader globs its folder)."""
    if (got := download.tree_digest(folder, files)) != digest:
        raise ValueError(f"the {name} files in the download differ from the known copy "
                         f"(tree digest {got}, expected {digest})")
    checked = {folder / rel for rel in files}
    for path in [p for p in folder.rglob("*") if p.is_file() or p.is_symlink()]:
        if path not in checked:
            path.unlink()


def _fetch_orl(cache: Path) -> None:
    download.fetch_archive(ORL_URL, cache / "orl_faces", marker="s1/1.pgm",
                           verify=partial(_verify_tree, "ORL", ORL_FILES, ORL_DIGEST))


def load_orl(data_home: str | os.PathLike | None = None) -> ImageSet:
    """The original AT&T (ORL) face database: 40 people x 10 images, 112x92 grayscale PGM.

    Reads ``<data>/orl_faces/s{k}/{i}.pgm`` (k = 1..40, i = 1..10; ``s01`` also accepted),
    in numeric order of k then i. These are the same photos as Olivetti, at full resolution.

    Parameters
    ----------
    data_home : str or PathLike, optional
        Searched first for ``orl_faces/`` (default ``COURSEKIT_DATA``), then the user cache dir.

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
    download.fetch_archive(YALE_URL, cache / "yale" / "yalefaces", marker="subject02.happy",
                           verify=partial(_verify_tree, "Yale", YALE_FILES, YALE_DIGEST))


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
