"""Tests for coursekit.data.registry: the data set catalogue, where each part is, and fetching."""

from __future__ import annotations

import pytest

from coursekit.data import DataNotFoundError, download, registry


def test_names_and_info():
    assert set(registry.DATASETS) == {"olivetti", "orl", "yale", "lfw", "omniglot", "mr", "style"}
    for name, info in registry.DATASETS.items():
        assert info.name == name and info.description and info.source and info.licence and info.parts
        probes = [info.probe_url] if isinstance(info.probe_url, str) else info.probe_url
        assert info.fetch is not None and probes and all(u.startswith("http") for u in probes)
        assert len(info.download) > 40, name  # data list says how the download is checked
        import coursekit.data as data

        assert all(hasattr(data, loader) for loader in info.loaders), name
    with pytest.raises(ValueError, match=r"unknown data set 'faces'; expected one of \['lfw', 'mr',"):
        registry.dataset_info("faces")


def test_locate_real(data_root):
    for name, info in registry.DATASETS.items():
        found = registry.locate(name)
        for part in info.parts:
            if part.required:
                assert found[part.name] is not None, (name, part.name)
                assert registry.where(found[part.name]) == "data dir"
    assert registry.locate("lfw")["images"].name == "lfw-deepfunneled"
    assert registry.locate("omniglot")["images_background"] is None  # only the small sets are here


def test_locate_missing_and_cache(offline, tmp_path):
    assert all(v is None for v in registry.locate("mr").values())
    assert registry.where(None) == "missing"
    (tmp_path / "cache" / "mr_polarity").mkdir(parents=True)
    (tmp_path / "cache" / "mr_polarity" / "rt-polarity.pos").write_text("good\n")
    path = registry.locate("mr")["rt-polarity.pos/.neg"]
    assert path is not None and registry.where(path) == "cache"


def test_fetch_offline_and_unknown(offline):
    with pytest.raises(DataNotFoundError) as info:
        registry.fetch("omniglot")
    message = str(info.value)
    assert "cannot reach https://raw.githubusercontent.com/" in message and "(no internet?)" in message
    assert "data fetch" not in message  # the command that just failed is not suggested again
    assert "COURSEKIT_DATA tells coursekit where the course data lives" in message and "../" not in message
    with pytest.raises(ValueError, match="unknown data set 'bogus'"):
        registry.fetch("bogus")


def test_fetch_force_when_the_data_is_in_coursekit_data(data_root, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(download, "is_online", lambda url, timeout=None: False)
    assert registry.fetch("omniglot") == (tmp_path / "cache").resolve()  # present: nothing to do
    assert registry.describe("omniglot") == f"in COURSEKIT_DATA ({data_root})"
    with pytest.raises(DataNotFoundError) as info:
        registry.fetch("omniglot", force=True)
    message = str(info.value)
    assert "not found" not in message and "not available" not in message
    assert f"is already available in COURSEKIT_DATA ({data_root}) and the loaders keep using that copy" in message
    assert f"--force re-downloads it into the user cache ({(tmp_path / 'cache').resolve()}), and that failed" in message


def test_fetch_runs_and_skips(monkeypatch, offline, tmp_path):
    calls = []
    info = registry.DATASETS["mr"]

    def fake_fetch(cache):
        calls.append(cache)
        (cache / "mr_polarity").mkdir(parents=True, exist_ok=True)
        (cache / "mr_polarity" / "rt-polarity.pos").write_text("good\n")

    monkeypatch.setitem(registry.DATASETS, "mr", registry.DatasetInfo(**{**info.__dict__, "fetch": fake_fetch}))
    monkeypatch.setattr(download, "is_online", lambda url, timeout=None: True)
    assert registry.fetch("mr") == (tmp_path / "cache").resolve() and len(calls) == 1
    registry.fetch("mr")
    assert len(calls) == 1  # already there: nothing downloaded
    registry.fetch("mr", force=True)
    assert len(calls) == 2
