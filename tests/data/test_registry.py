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
    with pytest.raises(TypeError, match="name must be a str .*got list"):
        registry.dataset_info(["mr"])


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


# ---------------------------------------------------------------- every loader, against a server that misbehaves

def _loaders():
    from coursekit.data import faces, lfw, omniglot, text

    return {
        "olivetti": faces.load_olivetti, "orl": faces.load_orl, "yale": faces.load_yale,
        "lfw": lfw.load_lfw_people, "omniglot": omniglot.load_omniglot, "omniglot runs": omniglot.load_omniglot_runs,
        "mr": text.load_mr_polarity,
    }


@pytest.mark.parametrize("mode", ["silent", "portal", "404"])
@pytest.mark.parametrize("loader", ["olivetti", "orl", "yale", "lfw", "omniglot", "omniglot runs", "mr"])
def test_every_loader_fails_with_one_clear_message(local_server, redirect_downloads, tmp_path, loader, mode):
    server = local_server(mode)
    redirect_downloads(server)
    with pytest.raises(DataNotFoundError) as info:
        _loaders()[loader]()
    message = str(info.value)
    name = loader.split()[0]
    expected = {"silent": "sent no data for 0.3 s", "portal": "captive portal", "404": "HTTP 404"}[mode]
    assert expected in message and "the download failed" in message
    assert f"`python -m coursekit data fetch {name}`" in message and "COURSEKIT_DATA tells coursekit" in message
    leftovers = [p for p in (tmp_path / "cache").rglob("*") if p.is_file() or p.name.startswith(".")]
    assert leftovers == []  # no .part file, no temp folder, no half-installed data set
    assert mode == "silent" or server.requests  # the request did reach the local server


def test_orl_and_yale_digests_match_the_offline_copy(data_root):
    from coursekit.data import faces

    assert download.tree_digest(data_root / "orl_faces", faces.ORL_FILES) == faces.ORL_DIGEST
    assert download.tree_digest(data_root / "yale" / "yalefaces", faces.YALE_FILES) == faces.YALE_DIGEST
    assert len(faces.ORL_FILES) == 400 and len(faces.YALE_FILES) == 164


def test_orl_download_is_checked_before_it_enters_the_cache(data_root, local_server, redirect_downloads, tmp_path):
    import io
    import urllib.parse
    import zipfile

    from coursekit.data import faces

    def archive(tamper: bool) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for rel in faces.ORL_FILES:
                data = (data_root / "orl_faces" / rel).read_bytes()
                zf.writestr(f"att_faces/{rel}", data[:-1] + b"\0" if tamper and rel == "s7/3.pgm" else data)
            zf.writestr("att_faces/s1/11.pgm", (data_root / "orl_faces" / "s2" / "1.pgm").read_bytes())  # unchecked
        return buf.getvalue()

    path = urllib.parse.urlparse(faces.ORL_URL).path
    redirect_downloads(local_server("files", {path: archive(tamper=True)}))
    with pytest.raises(DataNotFoundError, match=r"the ORL files in the download differ from the known copy"):
        faces.load_orl()
    assert not (tmp_path / "cache" / "orl_faces").exists()
    redirect_downloads(local_server("files", {path: archive(tamper=False)}))
    ds = faces.load_orl()
    assert ds.images.shape == (400, 1, 112, 92) and str(tmp_path / "cache" / "orl_faces") in ds.source
    assert not (tmp_path / "cache" / "orl_faces" / "s1" / "11.pgm").exists()  # only checked files are installed
