"""One notebook as an offline HTML page: MathML, embedded images, no CDN scripts."""

from __future__ import annotations

import base64
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from PIL import Image

from coursekit.export.page import export_html

# a 2x1 PNG, as a notebook output stores it (base64)
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAEElEQVR4nGP4z8DAwMDAAAAW+AL+TqIyzAAAAABJRU5ErkJggg=="


@pytest.fixture
def nb():
    code = new_code_cell("plot()", outputs=[new_output("display_data", data={"image/png": PNG_B64})])
    return new_notebook(cells=[new_markdown_cell("# T\n\n$\\alpha + \\beta$ and ![dot](dot.png)"), code])


def _external(body: str) -> list[str]:
    """src/href attributes that point off the machine."""
    return re.findall(r'(?:src|href)="(https?://[^"]*)"', body)


def test_offline_page_has_mathml_embedded_images_and_no_external_loads(nb, tmp_path):
    Image.new("RGB", (3, 2), "red").save(tmp_path / "dot.png")
    body = export_html(nb, tmp_path / "t.html", path=tmp_path).read_text()
    assert _external(body) == []
    assert "<script src=" not in body and "mathjax" not in body.lower()
    assert body.count("<math") == 1 and "\\alpha" not in body
    assert f"data:image/png;base64,{PNG_B64}" in body           # the output figure
    dot = base64.b64encode((tmp_path / "dot.png").read_bytes()).decode()
    assert 'src="dot.png"' not in body and f"data:image/png;base64,{dot}" in body  # the markdown image


def test_cdn_page_is_nbconverts_default(nb, tmp_path):
    body = export_html(nb, tmp_path / "t.html", cdn=True).read_text()
    assert any("cdnjs.cloudflare.com" in url for url in _external(body))
    assert "$\\alpha + \\beta$" in body  # left for MathJax


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"nb": {"cells": []}}, TypeError, "nb must be an nbformat.NotebookNode"),
    ({"target": 3}, TypeError, "target must be a str or Path"),
    ({"cdn": "yes"}, TypeError, "cdn must be a bool"),
    ({"target": "/nonexistent/dir/t.html"}, ValueError, "target's folder must exist"),
])
def test_bad_arguments(nb, tmp_path, kwargs, error, match):
    args = {"nb": nb, "target": tmp_path / "t.html", **kwargs}
    with pytest.raises(error, match=match):
        export_html(args.pop("nb"), args.pop("target"), **args)


def test_title_comes_from_the_file_name(nb, tmp_path):
    body = export_html(nb, tmp_path / "06_style.html").read_text()
    assert "<title>06_style</title>" in body
    assert nbformat.validate(nb) is None  # the notebook given is not modified into something invalid
