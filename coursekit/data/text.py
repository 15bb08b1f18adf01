"""Sentence data: the movie-review sentence polarity data set v1.0 (Pang & Lee 2005), "MR" in Kim 2014."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from . import download

__all__ = ["TextSet", "load_mr_polarity"]

MR_URL = "https://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz"
MR_MD5 = {"rt-polarity.pos": "afcc7ff580b3b4df4bdb6528e6558ab5", "rt-polarity.neg": "1e35b7f7c5df24a135ca62b8eecded53"}
CREDIT = "Movie-review sentence polarity v1.0 (Pang & Lee 2005, cite them; Cornell)"


@dataclass
class TextSet:
    """Labelled sentences.

    Attributes
    ----------
    sentences : list of str
        One sentence per example, as in the file (MR is lower-cased and tokenised already).
    labels : Tensor of shape (N,), dtype int64
        1 = positive, 0 = negative.
    source : str
        Where the sentences came from.
    """

    sentences: list[str]
    labels: torch.Tensor
    source: str

    def __post_init__(self) -> None:
        if self.labels.dtype != torch.int64 or self.labels.shape != (len(self.sentences),):
            raise ValueError(
                f"labels must be int64 of shape ({len(self.sentences)},), got {self.labels.dtype} {tuple(self.labels.shape)}"
            )

    def __len__(self) -> int:
        return len(self.sentences)


def _verify_mr(folder: Path) -> None:
    for name, md5 in MR_MD5.items():  # the archive has no published checksum; its two files do
        path = folder / name
        got = download.file_md5(path) if path.is_file() else "missing"
        if got != md5:
            raise ValueError(f"md5 of {name} in the download is {got}, expected {md5}")


def _fetch_mr(cache: Path) -> None:
    # the files are checked in the temp folder, before anything is moved into the cache
    download.fetch_archive(MR_URL, cache / "mr_polarity", marker="rt-polarity.pos", verify=_verify_mr)


def _read_lines(path: Path) -> tuple[list[str], int]:
    """Non-empty stripped lines of a latin-1 file, and how many empty ones were skipped."""
    if not path.is_file():
        raise FileNotFoundError(f"MR file {str(path)!r} does not exist")
    # split on "\n" only: the files contain byte 0x85, which latin-1 decodes to U+0085 (NEL),
    # a character str.splitlines() would treat as a line break
    lines = [line.strip() for line in path.read_bytes().decode("latin-1").split("\n")]
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    kept = [line for line in lines if line]
    return kept, len(lines) - len(kept)


def load_mr_polarity(data_home: str | os.PathLike | None = None) -> TextSet:
    """The MR sentence polarity data: 5,331 positive then 5,331 negative review snippets.

    Reads ``<data>/mr_polarity/rt-polarity.pos`` and ``.neg`` (latin-1, one sentence a line;
    empty lines are skipped and counted in ``source``); downloads the Cornell archive into the
    user cache dir when no copy is found and the network is up.

    Parameters
    ----------
    data_home : str or PathLike, optional
        Searched first for ``mr_polarity/`` (default ``COURSEKIT_DATA``), then the user cache dir.

    Returns
    -------
    TextSet
        sentences (positives first), labels int64 (N,) with 1 = positive, 0 = negative.

    Examples
    --------
    >>> mr = load_mr_polarity()  # doctest: +SKIP
    >>> len(mr), int(mr.labels.sum())  # doctest: +SKIP
    (10662, 5331)
    """
    folder = download.locate_or_fetch(
        "mr", ["mr_polarity", "rt-polaritydata"], data_home, _fetch_mr, MR_URL,
        is_valid=lambda p: (p / "rt-polarity.pos").is_file() or (p / "rt-polarity.neg").is_file(),
    )
    pos, pos_empty = _read_lines(folder / "rt-polarity.pos")
    neg, neg_empty = _read_lines(folder / "rt-polarity.neg")
    if not pos or not neg:
        raise ValueError(f"{folder} must hold positive and negative sentences, got {len(pos)} and {len(neg)}")
    labels = torch.cat([torch.ones(len(pos), dtype=torch.int64), torch.zeros(len(neg), dtype=torch.int64)])
    source = (
        f"{CREDIT}: {len(pos)} positive + {len(neg)} negative sentences "
        f"({pos_empty + neg_empty} empty lines skipped), latin-1, from {folder}"
    )
    return TextSet(pos + neg, labels, source)
