"""reveal.js read from jupyterlab-rise's shipped source maps; a clear error when it is not there."""

from __future__ import annotations

import json
import re

import pytest

from coursekit.export import reveal
from coursekit.export.reveal import RevealNotFoundError, _css_from_loader_module, find_reveal


@pytest.fixture
def assets():
    pytest.importorskip("jupyterlab_rise", reason='the [instructor] extra (jupyterlab-rise) is not installed')
    return find_reveal("white")


def test_assets_are_reveal_js_itself(assets):
    assert re.fullmatch(r"\d+\.\d+\.\d+", assets.version)
    assert assets.js.lstrip().startswith("/*!") and "export default" in assets.js[-300:]
    assert ".reveal .slides" in assets.css and assets.theme == "white"
    for css in (assets.css, assets.theme_css):
        assert "___CSS_LOADER" not in css and "@import" not in css  # no web fonts fetched
        assert not re.search(r"url\((?!data:)", css), "every url() in reveal's CSS is a data: URL"


def test_another_theme(assets):
    assert find_reveal("black").theme_css != assets.theme_css


def test_css_loader_module_is_unwrapped():
    module = (
        'var ___CSS_LOADER_URL_IMPORT_0___ = new URL("data:image/png;base64,AAA", import.meta.url);\n'
        "var ___CSS_LOADER_EXPORT___ = ___CSS_LOADER_API_IMPORT___(___CSS_LOADER_API_SOURCEMAP_IMPORT___);\n"
        "var ___CSS_LOADER_URL_REPLACEMENT_0___ = ___CSS_LOADER_GET_URL_IMPORT___(___CSS_LOADER_URL_IMPORT_0___);\n"
        "___CSS_LOADER_EXPORT___.push([module.id, `a{content:\"\\\\f101\"}"
        " b{background:url(${___CSS_LOADER_URL_REPLACEMENT_0___})} c{x:\\`}`, \"\",{\"version\":3}]);"
    )
    assert _css_from_loader_module(module) == ('a{content:"\\f101"} b{background:url(data:image/png;base64,AAA)}'
                                               " c{x:`}")


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(reveal.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RevealNotFoundError, match=r'pip install -e "\.\[instructor\]".*--cdn'):
        find_reveal()


def test_a_build_without_reveal_sources_is_reported(monkeypatch, tmp_path):
    (tmp_path / "1.js.map").write_text(json.dumps({"sources": ["x.js"], "sourcesContent": ["x"]}))
    monkeypatch.setattr(reveal, "rise_static_dir", lambda: tmp_path)
    with pytest.raises(RevealNotFoundError, match="lacks .*reveal.esm.js"):
        find_reveal()


@pytest.mark.parametrize(("theme", "error", "match"), [
    (1, TypeError, "theme must be a str"),
    ("pink", ValueError, "theme must be one of"),
])
def test_bad_theme(theme, error, match):
    with pytest.raises(error, match=match):
        find_reveal(theme)
