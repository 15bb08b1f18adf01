"""Tests for coursekit.cli.data: ``python -m coursekit data list`` and ``data fetch``."""

from __future__ import annotations

import pytest

from coursekit.cli import main
from coursekit.data import download


def test_data_list_and_fetch(offline, capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "olivetti: MISSING" in out and "Pang & Lee" in out and "loaders: load_lfw_people, load_lfw_pairs" in out
    assert "yale: MISSING" in out and "download: its host is reported gone and no second source is known" in out
    assert main(["data", "fetch", "bogus"]) == 2
    assert "unknown data set 'bogus'" in capsys.readouterr().out
    assert main(["data", "fetch", "mr", "olivetti"]) == 1
    out = capsys.readouterr().out
    assert "mr: not fetched" in out and "olivetti: not fetched" in out and "no internet" in out
    assert main(["data", "fetch", "all"]) == 1
    assert len(offline) == 2 + 2 + 2 + 2 + 1 + 1 + 1 + 1 + 1  # every host of every data set probed once


def test_data_fetch_offline_message_for_a_learner(offline, capsys):
    assert main(["data", "fetch", "omniglot"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("omniglot: not fetched: data set 'omniglot' is not available: cannot reach ")
    assert "data fetch omniglot" not in out  # no advice to re-run the command that just failed
    assert "../" not in out and "shared/data" not in out  # no path that means nothing to a learner
    assert "set the environment variable COURSEKIT_DATA to the folder that holds it" in out
    assert "COURSEKIT_DATA tells coursekit where the course data lives" in out


def test_data_fetch_force_with_the_data_in_coursekit_data(data_root, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(download, "is_online", lambda url, timeout=None: False)
    assert main(["data", "fetch", "omniglot"]) == 0
    assert capsys.readouterr().out == f"omniglot: ready, in COURSEKIT_DATA ({data_root})\n"
    assert main(["data", "fetch", "--force", "omniglot"]) == 1
    out = capsys.readouterr().out
    assert "not found" not in out and "not available" not in out
    assert f"omniglot: not fetched: data set 'omniglot' is already available in COURSEKIT_DATA ({data_root})" in out
    assert "--force re-downloads it into the user cache" in out


def test_data_list_real(data_root, capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "lfw: available" in out and "MISSING" not in out


def test_fetch_requires_a_name():
    with pytest.raises(SystemExit):
        main(["data", "fetch"])
