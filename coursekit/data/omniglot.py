"""Omniglot (Lake, Salakhutdinov & Tenenbaum 2015): handwritten characters of 50 alphabets.

The files are 105x105 1-bit PNGs with black ink on white. Loaders here return the opposite,
**ink = 255 on a 0 background**, so that an empty canvas is all zeros (what a network should
see as "nothing drawn"). Layouts read: ``<data>/omniglot/images_background_small1/<Alphabet>/
<character>/*.png`` (also ``images_background``, ``images_evaluation``, ``..._small2``),
torchvision's ``<data>/omniglot-py/images_background``, and the 20 official one-shot runs
``<data>/omniglot/one_shot_runs/run01..run20``. Downloads come from the authors' repository
(brendenlake/omniglot, MIT licence), as torchvision's do.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from PIL import Image, ImageOps

from . import download
from ._common import DataNotFoundError, ImageSet
from ._files import check_size, resize, stack_images

__all__ = [
    "OneShotRun", "load_omniglot", "load_omniglot_runs", "held_out_characters", "invert_ink", "OMNIGLOT_SETS",
]

_BASE_URL = "https://raw.githubusercontent.com/brendenlake/omniglot/master/python/"
# second source: the same files through github.com (another host name), md5-checked alike
_MIRROR_URL = "https://github.com/brendenlake/omniglot/raw/master/python/"
OMNIGLOT_SETS = {  # background= -> (folder, archive, md5, an alphabet the archive must hold)
    "small1": ("images_background_small1", "images_background_small1.zip", "e704a628b5459e08445c13499850abc4", "Balinese"),
    "small2": ("images_background_small2", "images_background_small2.zip", "b75a71a51d3b13f821f212756fe481fd", "Tagalog"),
    "background": ("images_background", "images_background.zip", "68d2efa1b9178cc56df9314c21c6e718", "Alphabet_of_the_Magi"),
    "evaluation": ("images_evaluation", "images_evaluation.zip", "6b91aef0f799c5bb55b94e3f2daec811", "Angelic"),
}
RUNS = ("one-shot-classification/all_runs.zip", "e8996daecdf12afeeb4a53a179f06b19")
CREDIT = "Omniglot (Lake, Salakhutdinov & Tenenbaum 2015; MIT licence)"
_RUN_LINE = re.compile(r"(run\d+)/test/item(\d+)\.png\s+(run\d+)/training/class(\d+)\.png")


@dataclass
class OneShotRun:
    """One official 20-way one-shot classification run.

    Attributes
    ----------
    name : str
        ``"run01"`` .. ``"run20"``.
    training : Tensor of shape (20, 1, H, W), dtype uint8
        One image of each of 20 characters (``class01`` .. ``class20``), ink = 255.
    test : Tensor of shape (20, 1, H, W), dtype uint8
        Another drawing of each character (``item01`` .. ``item20``), ink = 255.
    answer : Tensor of shape (20,), dtype int64
        ``training[answer[i]]`` is the character of ``test[i]``.
    """

    name: str
    training: torch.Tensor
    test: torch.Tensor
    answer: torch.Tensor


def invert_ink(images: torch.Tensor) -> torch.Tensor:
    """Turn black-ink-on-white uint8 images into the course's convention, ink = 255 on 0.

    ``out = 255 − x`` for every pixel, so that a blank canvas is all zeros.

    Parameters
    ----------
    images : Tensor of any shape, dtype uint8

    Returns
    -------
    Tensor of the same shape, dtype uint8

    Examples
    --------
    >>> invert_ink(torch.tensor([255, 0, 200], dtype=torch.uint8)).tolist()
    [0, 255, 55]
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a tensor, got {type(images).__name__}")
    if images.dtype != torch.uint8:
        raise TypeError(f"images must be uint8 (0..255), got {images.dtype}")
    return 255 - images


def _ink(size, img: Image.Image) -> Image.Image:
    return resize(ImageOps.invert(img), size)  # invert first so that resizing blends ink into 0


def _urls(relpath: str) -> tuple[str, str]:
    return _BASE_URL + relpath, _MIRROR_URL + relpath


def _fetch_set(background: str, cache: Path) -> None:
    folder, archive, md5, alphabet = OMNIGLOT_SETS[background]
    download.fetch_archive(_urls(archive), cache / "omniglot" / folder, marker=alphabet, md5=md5)


def _has_alphabets(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*/*/*.png"))


def load_omniglot(
    data_home: str | os.PathLike | None = None, *, background: str = "small1",
    size: int | tuple[int, int] | None = None,
) -> ImageSet:
    """An Omniglot image set: every drawing of every character, ink = 255 on 0.

    Parameters
    ----------
    background : {"small1", "small2", "background", "evaluation"}
        ``small1``: 5 alphabets, 136 characters, 2,720 images; ``small2``: 5 alphabets, 156
        characters; ``background``: 30 alphabets, 964 characters; ``evaluation``: 20 alphabets,
        659 characters (20 drawings of each character in every set).
    size : int or (H, W), optional
        Resize (antialiased) from 105x105.

    Returns
    -------
    ImageSet
        images uint8 (N, 1, H, W); classes ``"Alphabet/characterNN"`` in sorted order.

    Examples
    --------
    >>> chars = load_omniglot(background="small1", size=28)  # doctest: +SKIP
    >>> tuple(chars.images.shape), chars.classes[0]  # doctest: +SKIP
    ((2720, 1, 28, 28), 'Balinese/character01')
    """
    if background not in OMNIGLOT_SETS:
        raise ValueError(f"background must be one of {sorted(OMNIGLOT_SETS)}, got {background!r}")
    size = check_size(size)
    folder = OMNIGLOT_SETS[background][0]
    root = download.locate_or_fetch(
        "omniglot", [f"omniglot/{folder}", folder, f"omniglot-py/{folder}"], data_home,
        partial(_fetch_set, background), (_BASE_URL, _MIRROR_URL), is_valid=_has_alphabets,
    )
    paths, labels, classes = [], [], []
    for alphabet in sorted(p for p in root.iterdir() if p.is_dir()):
        for character in sorted(p for p in alphabet.iterdir() if p.is_dir()):
            files = sorted(character.glob("*.png"))
            if not files:
                raise FileNotFoundError(f"character folder {str(character)!r} holds no .png images")
            labels += [len(classes)] * len(files)
            classes.append(f"{alphabet.name}/{character.name}")
            paths += files
    images = stack_images(paths, "L", partial(_ink, size))
    source = f"{CREDIT}; {folder}: {len(classes)} characters, {len(paths)} drawings, ink=255, size={size}, from {root}"
    return ImageSet(images, torch.tensor(labels, dtype=torch.int64), classes, source, [str(p) for p in paths])


def _fetch_runs(cache: Path) -> None:
    download.fetch_archive(_urls(RUNS[0]), cache / "omniglot" / "one_shot_runs",
                           marker="run01/class_labels.txt", md5=RUNS[1])


def _parse_answers(run: Path) -> torch.Tensor:
    """answer[i] = index of the training class of test item i+1, from class_labels.txt."""
    labels = run / "class_labels.txt"
    if not labels.is_file():
        raise FileNotFoundError(f"one-shot run {str(run)!r} has no class_labels.txt")
    answer = [-1] * 20
    lines = [line for line in labels.read_text().splitlines() if line.strip()]
    for k, line in enumerate(lines, start=1):
        m = _RUN_LINE.fullmatch(line.strip())
        if not m or m.group(1) != run.name or m.group(3) != run.name:
            raise ValueError(
                f"{labels} line {k}: expected '{run.name}/test/itemNN.png {run.name}/training/classMM.png', got {line!r}"
            )
        item, cls = int(m.group(2)), int(m.group(4))
        if not (1 <= item <= 20 and 1 <= cls <= 20) or answer[item - 1] != -1:
            raise ValueError(f"{labels} line {k}: item {item} / class {cls} out of 1..20 or listed twice")
        answer[item - 1] = cls - 1
    if -1 in answer:
        raise ValueError(f"{labels} lists {len(lines)} items; every one of item01..item20 needs a line")
    return torch.tensor(answer, dtype=torch.int64)


def load_omniglot_runs(
    data_home: str | os.PathLike | None = None, *, size: int | tuple[int, int] | None = None,
) -> list[OneShotRun]:
    """The 20 official 20-way within-alphabet one-shot runs of Lake et al. (2015).

    In each run, every test item is to be matched to one of 20 training images (one drawing
    each of 20 characters of one alphabet, by different drawers); a learner scores the fraction
    of the 400 test items whose nearest training image is ``training[answer[i]]``.

    Parameters
    ----------
    data_home : str or PathLike, optional
        Searched first for ``omniglot/one_shot_runs/`` (default ``COURSEKIT_DATA``), then the user cache dir.
    size : int or (int, int), optional
        Resize the 105x105 drawings to a square side or (H, W).

    Returns
    -------
    list of OneShotRun
        ``run01`` .. ``run20``; images uint8 (20, 1, H, W), ink = 255 on 0.

    Examples
    --------
    >>> runs = load_omniglot_runs()  # doctest: +SKIP
    >>> len(runs), tuple(runs[0].training.shape)  # doctest: +SKIP
    (20, (20, 1, 105, 105))
    """
    size = check_size(size)
    root = download.locate_or_fetch(
        "omniglot", ["omniglot/one_shot_runs", "one_shot_runs", "omniglot/all_runs", "omniglot-py/one_shot_runs"],
        data_home, _fetch_runs, (_BASE_URL, _MIRROR_URL), is_valid=lambda p: any(p.glob("run*/class_labels.txt")),
    )
    runs = []
    for run in sorted(p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"run\d+", p.name)):
        answer = _parse_answers(run)
        training = stack_images([run / "training" / f"class{k:02d}.png" for k in range(1, 21)], "L", partial(_ink, size))
        test = stack_images([run / "test" / f"item{k:02d}.png" for k in range(1, 21)], "L", partial(_ink, size))
        runs.append(OneShotRun(run.name, training, test, answer))
    return runs


def held_out_characters(
    size: int | tuple[int, int] | None = None, data_home: str | os.PathLike | None = None,
    runs: list[OneShotRun] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, str]:
    """Characters never seen in training, as float images: the evaluation alphabets, else the one-shot runs.

    Omniglot's 20 evaluation alphabets (659 characters, 20 drawings each) when
    ``load_omniglot(background="evaluation")`` finds them (or can download them). Otherwise the
    20 official one-shot runs, whose 400 characters are also evaluation characters: run ``i``
    gives its 20 training drawings, labelled ``20·i + (0..19)``, and its 20 test drawings,
    labelled ``20·i + answer`` (so each test drawing has the class of its training drawing).
    Those hold **two** drawings per character: enough for 1-shot episodes with one query.

    Parameters
    ----------
    size : int or (int, int), optional
        Resize the 105x105 drawings to a square side or (H, W).
    data_home : str or PathLike, optional
        Searched first (default ``COURSEKIT_DATA``), then the user cache dir.
    runs : list of OneShotRun, optional
        The runs already loaded by ``load_omniglot_runs`` (at this ``size``; 105x105 when
        ``size`` is None), to avoid reading them twice; None: loaded when needed.

    Returns
    -------
    images : Tensor of shape (N, 1, H, W), float32 in [0, 1], ink = 1
        N = 13,180 from the evaluation alphabets, 800 from the 20 runs.
    labels : Tensor of shape (N,), int64
    source : str
        ``"evaluation alphabets"`` or ``"one-shot runs (2 drawings per character)"``.

    Raises
    ------
    DataNotFoundError
        When neither the evaluation alphabets nor the runs can be had.

    Examples
    --------
    >>> x, y, source = held_out_characters(size=28)  # doctest: +SKIP
    >>> tuple(x.shape), source  # offline: only the runs  # doctest: +SKIP
    ((800, 1, 28, 28), 'one-shot runs (2 drawings per character)')
    """
    size = check_size(size)
    if data_home is not None and not isinstance(data_home, (str, os.PathLike)):
        raise TypeError(f"data_home must be None, a str or a PathLike, got {type(data_home).__name__}")
    if runs is not None:
        _check_runs(runs, size or (105, 105))
    try:
        evaluation = load_omniglot(data_home, background="evaluation", size=size)
        return evaluation.float_images(), evaluation.labels, "evaluation alphabets"
    except DataNotFoundError:  # not on disk and no download: a damaged set still raises
        pass
    if runs is None:
        runs = load_omniglot_runs(data_home, size=size)
    images, labels, first = [], [], 0  # first: the class label of run i's class01 (20·i)
    for run in runs:
        images += [run.training, run.test]
        labels += [first + torch.arange(len(run.training)), first + run.answer]
        first += len(run.training)
    return torch.cat(images).float() / 255.0, torch.cat(labels), "one-shot runs (2 drawings per character)"


def _check_runs(runs, hw: tuple[int, int]) -> None:
    """runs: a non-empty list of OneShotRun with uint8 (n, 1, *hw) images and int64 answers in 0..n-1."""
    if not isinstance(runs, (list, tuple)):
        raise TypeError(f"runs must be a list of OneShotRun (from load_omniglot_runs), got {type(runs).__name__}")
    if not runs:
        raise ValueError("runs must hold at least one OneShotRun, got an empty list")
    for k, run in enumerate(runs):
        if not isinstance(run, OneShotRun):
            raise TypeError(f"runs[{k}] must be a OneShotRun (from load_omniglot_runs), got {type(run).__name__}")
        parts = {"training": run.training, "test": run.test, "answer": run.answer}
        for part, value in parts.items():
            if not isinstance(value, torch.Tensor):
                raise TypeError(f"runs[{k}].{part} must be a tensor, got {type(value).__name__}")
        if run.training.dtype != torch.uint8 or run.test.dtype != torch.uint8 or run.answer.dtype != torch.int64:
            raise TypeError(
                f"runs[{k}] must hold uint8 training and test images and int64 answer, "
                f"got {run.training.dtype}, {run.test.dtype}, {run.answer.dtype}"
            )
        n = run.training.shape[0]
        if run.training.shape != (n, 1, *hw) or run.test.shape != (n, 1, *hw) or run.answer.shape != (n,):
            raise ValueError(
                f"runs[{k}] must hold training and test of shape (n, 1, {hw[0]}, {hw[1]}) (the size asked for) "
                f"and answer (n,), got {tuple(run.training.shape)}, {tuple(run.test.shape)}, {tuple(run.answer.shape)}"
            )
        if n and not 0 <= int(run.answer.min()) <= int(run.answer.max()) < n:
            raise ValueError(f"runs[{k}].answer must hold indices in 0..{n - 1}, got {run.answer.tolist()}")
