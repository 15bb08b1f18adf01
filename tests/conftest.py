"""Shared fixtures: the real data folder, and an isolated, offline cache for "data missing" tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coursekit import config
from coursekit.data import download

# what a complete copy of the course data holds (see ../shared/data/README.md)
_REAL_DATA = ("scikit_learn_data/olivetti_py3.pkz", "lfw/pairsDevTest.txt", "omniglot/one_shot_runs",
              "omniglot/images_background_small1", "mr_polarity/rt-polarity.pos", "style")


@pytest.fixture
def data_root() -> Path:
    """The real data dir (``config.data_dir()``); skipped when absent, a failure when ``CI`` is set."""
    try:
        root = config.data_dir()
        missing = [rel for rel in _REAL_DATA if not (root / rel).exists()]
    except FileNotFoundError as exc:
        root, missing = None, [str(exc)]
    if missing:
        message = f"the course data is not in {root} (missing {missing}); set COURSEKIT_DATA=../shared/data"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return root


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No data anywhere and no network: an empty cache dir, no COURSEKIT_DATA, is_online False.

    Any attempt to open a URL fails the test, so "never hits the network" is checked too.
    Returns the list of URLs that ``is_online`` was asked about.
    """
    asked: list[str] = []
    monkeypatch.delenv("COURSEKIT_DATA", raising=False)
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(download, "is_online", lambda url, timeout=None: asked.append(url) or False)

    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to open a URL")

    monkeypatch.setattr(download.urllib.request, "urlopen", no_network)
    return asked
