"""The course's data sets: what each is, where it comes from, whether it is here, and how to fetch it.

``DATASETS`` maps a name (``olivetti``, ``orl``, ``yale``, ``lfw``, ``omniglot``, ``mr``,
``style``) to a ``DatasetInfo``. A data set has parts (LFW: the images and each pair list);
``locate`` says where each part is found (data dir, cache, or missing), ``fetch`` downloads
the missing parts into the user cache dir. This is what ``python -m coursekit data`` and
``python -m coursekit doctor`` print.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .. import config
from . import download, faces, images, lfw, omniglot, text
from ._common import DataNotFoundError

__all__ = ["Part", "DatasetInfo", "DATASETS", "dataset_info", "locate", "where", "describe", "fetch"]


@dataclass(frozen=True)
class Part:
    """One piece of a data set, found at the first existing ``root / relpath`` (see ``find_data``).

    Attributes
    ----------
    name : str
        The part's name, e.g. ``"rt-polarity.pos/.neg"``.
    relpaths : tuple of str
        Where it may lie under a search root, in order of preference.
    is_valid : callable (Path) -> bool
        Extra test of a candidate (default: it exists).
    required : bool
        False for parts that are reported when present but never needed.
    """

    name: str
    relpaths: tuple[str, ...]
    is_valid: Callable[[Path], bool] = Path.exists
    required: bool = True  # False: reported when present (the full Omniglot sets), never required


@dataclass(frozen=True)
class DatasetInfo:
    """What a data set is (description, source, licence), what makes it up, and how to fetch it.

    Attributes
    ----------
    name : str
    description, source, licence : str
        What ``data list`` prints.
    loaders : tuple of str
        The ``coursekit.data`` functions that read it.
    parts : tuple of Part
    fetch : callable (Path) -> None, optional
        Downloads it into the given cache dir; None when there is no public download.
    probe_url : str or tuple of str, optional
        Hosts probed before ``fetch``.
    download : str
        How a download is checked, and how sure its source is.
    """

    name: str
    description: str
    source: str
    licence: str
    loaders: tuple[str, ...]
    parts: tuple[Part, ...]
    fetch: Callable[[Path], None] | None = field(default=None, repr=False)
    probe_url: str | tuple[str, ...] | None = None
    download: str = ""  # how a download is checked, and how sure its source is (``data list``)


def _fetch_all(*fetchers: Callable[[Path], None]) -> Callable[[Path], None]:
    def run(cache: Path) -> None:
        for f in fetchers:
            f(cache)

    return run


def _omniglot_part(key: str, required: bool) -> Part:
    folder = omniglot.OMNIGLOT_SETS[key][0]
    rels = (f"omniglot/{folder}", folder, f"omniglot-py/{folder}")
    return Part(folder, rels, omniglot._has_alphabets, required)


_LFW_ROOTS = tuple(str(Path(p) / v) for p in lfw._PARENTS for v in lfw._VARIANTS)
DATASETS: dict[str, DatasetInfo] = {
    d.name: d for d in [
        DatasetInfo(
            "olivetti", "Olivetti faces: 40 people x 10 images, 64x64 grayscale (scikit-learn's copy)",
            "AT&T Laboratories Cambridge, via scikit-learn (figshare)", "credit the Olivetti Research Laboratory",
            ("load_olivetti",), (Part("olivetti_faces", faces._OLIVETTI_FILES, faces._is_known_olivetti),),
            faces._fetch_olivetti, faces.OLIVETTI_MAT[0],
            "the original olivettifaces.mat (figshare, else its first home at NYU), sha256-checked, "
            "converted once to .npz; a scikit-learn .pkz is read only when its sha256 is known",
        ),
        DatasetInfo(
            "orl", "AT&T (ORL) faces at full resolution: 40 people x 10 images, 112x92 PGM",
            faces.ORL_URL, "credit the Olivetti Research Laboratory (see its README)",
            ("load_orl",), (Part("orl_faces", ("orl_faces",), lambda p: (p / "s1").is_dir()),),
            faces._fetch_orl, faces.ORL_URL,
            "one source (its host is uncertain), no second one known; the archive's checksum is unknown, "
            "its 400 images are checked against the digest of the course's offline copy. If the "
            "download fails, only a local copy works (COURSEKIT_DATA); load_olivetti has the same people",
        ),
        DatasetInfo(
            "yale", "Yale faces: 15 people x 11 lighting/expression conditions, 243x320 GIF",
            faces.YALE_URL, "Yale University; research use",
            ("load_yale",), (Part("yalefaces", ("yale/yalefaces",)),), faces._fetch_yale, faces.YALE_URL,
            "its host is reported gone and no second source is known: expect only a local copy to work "
            "(COURSEKIT_DATA); the archive's checksum is unknown, its 164 images are checked against the "
            "digest of the course's offline copy",
        ),
        DatasetInfo(
            "lfw", "Labeled Faces in the Wild: 250x250 RGB faces, folder per person, and the official pair lists",
            "University of Massachusetts, Amherst (funneled variant and pair lists via scikit-learn's figshare mirror)",
            "research use; cite Huang et al. 2007", ("load_lfw_people", "load_lfw_pairs"),
            (Part("images", _LFW_ROOTS, lfw._is_person_layout),
             *(Part(f, tuple(str(Path(p) / f) for p in lfw._PARENTS)) for f in ("pairsDevTest.txt", "pairsDevTrain.txt", "pairs.txt"))),
            lfw._fetch_lfw, (lfw.FUNNELED[0], lfw._UMASS),
            "figshare (scikit-learn's mirror), else the LFW site; every file sha256-checked",
        ),
        DatasetInfo(
            "omniglot", "Omniglot handwritten characters (small background sets, the 20 one-shot runs, full sets)",
            "Lake, Salakhutdinov & Tenenbaum 2015 (github.com/brendenlake/omniglot)", "MIT",
            ("load_omniglot", "load_omniglot_runs"),
            (_omniglot_part("small1", True), _omniglot_part("small2", True),
             Part("one_shot_runs", ("omniglot/one_shot_runs", "one_shot_runs", "omniglot/all_runs"),
                  lambda p: (p / "run01" / "class_labels.txt").is_file()),
             _omniglot_part("background", False), _omniglot_part("evaluation", False)),
            _fetch_all(*(partial(omniglot._fetch_set, k) for k in omniglot.OMNIGLOT_SETS), omniglot._fetch_runs),
            (omniglot._BASE_URL, omniglot._MIRROR_URL),
            "raw.githubusercontent.com, else github.com; every archive md5-checked",
        ),
        DatasetInfo(
            "mr", "Movie-review sentence polarity v1.0: 5,331 positive + 5,331 negative sentences",
            text.MR_URL, "cite Pang & Lee 2005", ("load_mr_polarity",),
            (Part("rt-polarity.pos/.neg", ("mr_polarity", "rt-polaritydata"), lambda p: (p / "rt-polarity.pos").is_file()),),
            text._fetch_mr, text.MR_URL,
            "one source (Cornell); the archive's checksum is unknown, its two files are md5-checked "
            "before they are moved into the cache",
        ),
        DatasetInfo(
            "style", "Reproductions of public-domain paintings for style transfer",
            "jcjohnson/neural-style and lengstrom/fast-style-transfer example folders (5 of 9 verified by md5)",
            "public-domain paintings", ("style_image",),
            tuple(Part(n, (f"style/{n}.jpg",), required=n in images.STYLE_URLS) for n in images.STYLE_IMAGES),
            _fetch_all(*(partial(images._fetch_style, n) for n in images.STYLE_URLS)),
            next(iter(images.STYLE_URLS.values()))[0],
            f"{len(images.STYLE_URLS)} of {len(images.STYLE_IMAGES)} paintings have a source, each "
            "md5-checked; the others exist only in a local copy",
        ),
    ]
}


def dataset_info(name: str) -> DatasetInfo:
    """The ``DatasetInfo`` of ``name``; a ``ValueError`` lists the known names otherwise.

    Parameters
    ----------
    name : str
        A key of ``DATASETS``.

    Returns
    -------
    DatasetInfo

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        If it is unknown.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str (a data set's name), got {type(name).__name__}")
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; expected one of {sorted(DATASETS)}")
    return DATASETS[name]


def locate(name: str, data_home: str | os.PathLike | None = None) -> dict[str, Path | None]:
    """Where each part of data set ``name`` is found (a path), or None when it is missing.

    Parameters
    ----------
    name : str
        A key of ``DATASETS``.
    data_home : str or PathLike, optional
        The data dir searched first (default ``COURSEKIT_DATA``).

    Returns
    -------
    dict of str to Path or None
        Part name -> where it was found.

    Examples
    --------
    >>> sorted(locate("mr"))
    ['rt-polarity.pos/.neg']
    """
    info = dataset_info(name)
    return {p.name: download.find_data(p.relpaths, data_home, is_valid=p.is_valid) for p in info.parts}


def where(path: Path | None, data_home: str | os.PathLike | None = None) -> str:
    """``"data dir"``, ``"cache"`` or ``"missing"``: which search root ``path`` lies in.

    Parameters
    ----------
    path : Path or None
        A found part (None: missing).
    data_home : str or PathLike, optional
        The data dir (default ``COURSEKIT_DATA``).

    Returns
    -------
    str
    """
    if path is None:
        return "missing"
    roots = download.search_roots(data_home)
    if path.is_relative_to(roots[0]):
        return "data dir" if roots[0] != config.cache_dir() else "cache"
    return "cache"


def describe(name: str, data_home: str | os.PathLike | None = None) -> str:
    """Where the parts of ``name`` that are present lie, e.g. "in COURSEKIT_DATA (/data)".

    Parameters
    ----------
    name : str
        A key of ``DATASETS``.
    data_home : str or PathLike, optional
        The data dir (default ``COURSEKIT_DATA``).

    Returns
    -------
    str
        ``"nowhere"`` when no part is present.

    Examples
    --------
    >>> describe("mr", "/tmp")
    'nowhere'
    """
    roots = {"data dir": ("in COURSEKIT_DATA" if data_home is None else "in the data dir", config.data_dir(data_home)),
             "cache": ("in the user cache", config.cache_dir())}
    found = [p for p in locate(name, data_home).values() if p is not None]
    places = dict.fromkeys(f"{roots[where(p, data_home)][0]} ({roots[where(p, data_home)][1]})" for p in found)
    return " and ".join(places) or "nowhere"


def fetch(name: str, *, force: bool = False) -> Path:
    """Download data set ``name`` into the user cache dir (skipped when all its parts are found).

    With ``force``, download it into the cache even when a copy exists (in ``$COURSEKIT_DATA``
    or the cache); that copy is left as it is when the download fails.

    Parameters
    ----------
    name : str
        A key of ``DATASETS``.
    force : bool
        Download even when a copy exists.

    Returns
    -------
    Path
        The cache dir.

    Raises
    ------
    DataNotFoundError
        When it has no public download, no host answers, or the download fails; the message
        says why, where a copy already is (if anywhere), and what ``COURSEKIT_DATA`` is.
    """
    info = dataset_info(name)
    cache = config.cache_dir()
    found = locate(name)
    present = [found[p.name] for p in info.parts if p.required]
    if not force and all(path is not None for path in present):
        return cache
    looked_in = [cache / rel for p in info.parts for rel in p.relpaths[:1]]
    why = ""
    if info.fetch is None or info.probe_url is None:
        why = "it has no public download"
    else:
        probes = [info.probe_url] if isinstance(info.probe_url, str) else list(info.probe_url)
        if not download.any_online(probes):
            why = f"cannot reach {' or '.join(probes)} (no internet?)"
        else:
            try:
                info.fetch(cache)
                return cache
            except (OSError, ValueError) as exc:
                why = f"the download failed: {exc}"
    if all(path is not None for path in present):  # only with force: a copy is already here
        raise DataNotFoundError(
            f"data set {name!r} is already available {describe(name)} and the loaders keep using that copy; "
            f"--force re-downloads it into the user cache ({cache}), and that failed: {why}."
        )
    raise download.data_not_found(name, looked_in, why, fetch_hint=False)
