"""``coursekit slides``: offline decks by default, a clear error without the local reveal.js."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from coursekit.authoring import strip_outputs
from coursekit.cli import main
from coursekit.cli import slides as slides_cli
from coursekit.export.reveal import RevealAssets, RevealNotFoundError
from tests.sample_notebooks import exercise_notebook


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "01_deck.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# One\n\n$\\beta$"), new_markdown_cell("# Two")]), path)
    return path


def test_deck_uses_the_local_reveal_and_theme(notebook, tmp_path, monkeypatch, capsys):
    asked = []

    def fake_find(theme):
        asked.append(theme)
        return RevealAssets("0.0.0", "export default {};", ".r{}", theme, f".t-{theme}{{}}")

    monkeypatch.setattr(slides_cli, "find_reveal", fake_find)
    assert main(["slides", str(notebook), "-o", str(tmp_path / "out"), "--theme", "night"]) == 0
    assert asked == ["night"]
    deck = (tmp_path / "out" / "01_deck.slides.html").read_text()
    assert ".t-night{}" in deck and "<math" in deck and "unpkg" not in deck
    assert "01_deck.ipynb ->" in capsys.readouterr().out


def test_missing_reveal_fails_with_the_install_hint(notebook, tmp_path, monkeypatch, capsys):
    def missing(theme):
        raise RevealNotFoundError('pip install -e ".[instructor]" (or pass --cdn ...)')

    monkeypatch.setattr(slides_cli, "find_reveal", missing)
    assert main(["slides", str(notebook), "-o", str(tmp_path / "out")]) == 2
    assert 'error: pip install -e ".[instructor]"' in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cdn_deck_needs_no_local_reveal(notebook, tmp_path, monkeypatch):
    monkeypatch.setattr(slides_cli, "find_reveal", lambda theme: pytest.fail("looked for reveal.js"))
    assert main(["slides", "--cdn", str(notebook), "-o", str(tmp_path / "out")]) == 0
    assert "unpkg.com/reveal.js" in (tmp_path / "out" / "01_deck.slides.html").read_text()


def test_slides_of_a_course_notebook(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(strip_outputs(exercise_notebook()), src / "01_double.ipynb")
    assert main(["slides", str(src / "01_double.ipynb"), "-o", str(tmp_path / "slides")]) == 0
    deck = (tmp_path / "slides" / "01_double.slides.html").read_text()
    assert "reveal" in deck.lower() and "Doubling" in deck
