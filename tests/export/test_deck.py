"""One notebook as a self-contained reveal.js deck."""

from __future__ import annotations

import base64
import re

import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from coursekit.export.deck import _inline_styles, export_slides
from coursekit.export.reveal import RevealAssets


@pytest.fixture
def nb():
    return new_notebook(cells=[new_markdown_cell("# One\n\n$x^2$"), new_markdown_cell("# Two")])


@pytest.fixture
def fake_reveal():
    """Stand-in assets, so the test checks the wiring without jupyterlab-rise."""
    return RevealAssets(version="0.0.0", js="export default {initialize(){}};",
                        css=".reveal{color:red}", theme="black", theme_css=".theme-black{}")


def test_offline_deck_inlines_reveal_and_loads_nothing_external(nb, fake_reveal, tmp_path):
    body = export_slides(nb, tmp_path / "d.slides.html", reveal=fake_reveal).read_text()
    assert re.findall(r'(?:src|href)="(https?://[^"]*)"', body) == []
    assert "<link" not in body and "require(" not in body and "MathJax" not in body
    assert "<style>\n.reveal{color:red}\n</style>" in body
    assert '<style id="theme">\n.theme-black{}\n</style>' in body
    (encoded,) = re.findall(r'import Reveal from "data:text/javascript;base64,([^"]+)"', body)
    assert base64.b64decode(encoded).decode() == fake_reveal.js
    assert body.count("<section") >= 2 and "<math" in body and "$x^2$" not in body


def test_real_reveal_is_inlined(nb, tmp_path):
    pytest.importorskip("jupyterlab_rise", reason="the [instructor] extra is not installed")
    from coursekit.export.reveal import find_reveal

    assets = find_reveal()
    body = export_slides(nb, tmp_path / "d.html", reveal=assets).read_text()
    assert assets.css in body and assets.theme_css in body


def test_cdn_deck_is_nbconverts_default(nb, tmp_path):
    body = export_slides(nb, tmp_path / "d.html", cdn=True).read_text()
    assert "unpkg.com/reveal.js" in body


def test_reveal_is_required_without_cdn(nb, tmp_path):
    with pytest.raises(TypeError, match=r"reveal must be RevealAssets \(from find_reveal\(\)\) unless cdn"):
        export_slides(nb, tmp_path / "d.html")


def test_a_changed_template_fails_instead_of_shipping_a_dead_link(fake_reveal):
    with pytest.raises(RuntimeError, match="exactly one link to reveal.css"):
        _inline_styles("<html></html>", fake_reveal)
