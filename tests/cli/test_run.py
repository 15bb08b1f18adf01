"""``coursekit run``: page, deck, index and timings per export (execution replaced by a stand-in)."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit.authoring import strip_outputs
from coursekit.cli import main
from coursekit.cli import run as run_cli
from coursekit.export.reveal import RevealNotFoundError
from tests.sample_notebooks import exercise_notebook


@pytest.fixture
def course(tmp_path, monkeypatch):
    """Two notebooks; 'executing' one takes 2.5 s, the one with 'boom' fails."""
    src = tmp_path / "src"
    src.mkdir()
    for name, code in (("01_ok", "x = 1"), ("02_bad", "boom")):
        nb = new_notebook(cells=[new_markdown_cell(f"# {name}\n\n1. learn $x_{name[1]}$"), new_code_cell(code)])
        nbformat.write(nb, src / f"{name}.ipynb")

    def fake_execute(nb, cwd, quick, timeout):
        if "boom" in nb.cells[1].source:
            raise RuntimeError("NameError: name 'boom' is not defined")
        return nb, 2.5

    monkeypatch.setattr(run_cli, "execute_notebook", fake_execute)
    return src


def test_run_writes_a_browsable_course(course, tmp_path, capsys):
    out = tmp_path / "site"
    assert main(["run", "--quick", str(course), "-o", str(out)]) == 1  # one notebook failed
    printed = capsys.readouterr().out
    assert "course map:" in printed and "FAILED: NameError" in printed
    assert sorted(p.name for p in out.iterdir()) == ["01_ok.html", "01_ok.slides.html", "index.html",
                                                     "timings.json"]
    index = (out / "index.html").read_text()
    assert 'href="01_ok.slides.html"' in index and "FAILED: NameError" in index
    assert "2 s <small>(this export)</small>" in index
    assert json.loads((out / "timings.json").read_text())["seconds"] == {"01_ok": {"quick": 2.5}}


def test_recorded_table_next_to_the_notebooks_fills_the_other_mode(course, tmp_path):
    (course / "timings.json").write_text(json.dumps(
        {"recorded": "2026-01-01", "machine": "test box", "note": "busy", "seconds": {"01_ok": {"full": 321.0}}}))
    main(["run", "--quick", str(course / "01_ok.ipynb"), "-o", str(tmp_path / "site")])
    index = (tmp_path / "site" / "index.html").read_text()
    assert "321 s <small>(recorded)</small>" in index and "2026-01-01 on test box (busy)." in index


def test_without_local_reveal_the_pages_and_index_are_still_written(course, tmp_path, monkeypatch, capsys):
    def missing(theme="white"):
        raise RevealNotFoundError("reveal.js is taken from jupyterlab-rise, which is not installed")

    monkeypatch.setattr(run_cli, "find_reveal", missing)
    out = tmp_path / "site"
    main(["run", "--quick", str(course / "01_ok.ipynb"), "-o", str(out)])
    assert "note: no slides in this export: reveal.js is taken from jupyterlab-rise" in capsys.readouterr().out
    assert not (out / "01_ok.slides.html").exists() and (out / "01_ok.html").exists()
    assert "slides</a>" not in (out / "index.html").read_text()


def test_cdn_flag_keeps_the_cdn_versions(course, tmp_path):
    out = tmp_path / "site"
    main(["run", "--quick", "--cdn", str(course / "01_ok.ipynb"), "-o", str(out)])
    assert "cdnjs.cloudflare.com" in (out / "01_ok.html").read_text()
    assert "unpkg.com/reveal.js" in (out / "01_ok.slides.html").read_text()


def test_run_exports_a_course_notebook(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(strip_outputs(exercise_notebook()), src / "01_double.ipynb")
    assert main(["run", "--quick", str(src), "-o", str(tmp_path / "html"), "--figures", str(tmp_path / "fig")]) == 0
    out = capsys.readouterr().out
    assert "[1/1] 01_double.ipynb (quick mode)" in out and "total" in out
    html = (tmp_path / "html" / "01_double.html").read_text()
    assert "Doubling" in html and "<html" in html.lower()


def test_cli_run_reports_a_failing_notebook(tmp_path, capsys):
    nb = new_notebook(cells=[new_code_cell("raise RuntimeError('boom')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "bad.ipynb")
    assert main(["run", "--quick", str(tmp_path / "bad.ipynb"), "-o", str(tmp_path / "html")]) == 1
    assert "FAILED" in capsys.readouterr().out
