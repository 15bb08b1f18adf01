"""The course map: objectives parsed from notebooks, times measured or 'not measured', links."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit.authoring import read_notebook
from coursekit.export.course_index import (
    IndexEntry,
    notebook_objectives,
    read_timings,
    write_index,
    write_timings,
)

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _nb(*markdown: str):
    return new_notebook(cells=[new_code_cell("x = 1"), *map(new_markdown_cell, markdown)])


def test_numbered_list_with_continuation_lines():
    nb = _nb("# Title\n\nIntro text.\n\n1. first,\n   continued;\n2. second\n\nAfter.", "# Other\n\n1. no")
    assert notebook_objectives(nb) == ("Title", ["first, continued;", "second"])


def test_list_right_after_a_sentence():
    assert notebook_objectives(_nb("# T\nThis notebook:\n1. a\n2. b"))[1] == ["a", "b"]


def test_without_a_numbered_list_the_last_paragraph_is_the_objective():
    nb = _nb("# T\n\nWhy this matters,\nover two lines.\n\n- a bullet\n- another\n\nThis notebook does X.")
    assert notebook_objectives(nb) == ("T", ["This notebook does X."])


def test_no_markdown_at_all():
    assert notebook_objectives(new_notebook(cells=[new_code_cell("1")])) == ("", [])


def test_objectives_rejects_non_notebooks():
    with pytest.raises(TypeError, match="nb must be an nbformat.NotebookNode"):
        notebook_objectives({"cells": []})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_course_notebook_states_its_objectives(path):
    title, objectives = notebook_objectives(read_notebook(path))
    assert title and objectives and all(len(o) > 10 for o in objectives)


def test_timings_round_trip_without_nan(tmp_path):
    entries = [IndexEntry("00_a", "A", [], seconds={"quick": 12.34}),
               IndexEntry("01_b", "B", [], seconds={"quick": math.nan}), IndexEntry("02_c", "C", [])]
    path = write_timings(entries, tmp_path / "timings.json")
    assert read_timings(path) == {"00_a": {"quick": 12.3}}
    assert "machine" in json.loads(path.read_text())


def test_write_timings_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="entries must be a list of IndexEntry"):
        write_timings([{"name": "a"}], tmp_path / "t.json")
    with pytest.raises(TypeError, match="path must be a str or Path"):
        write_timings([IndexEntry("a", "A", [])], None)


def test_read_timings_missing_and_malformed(tmp_path):
    assert read_timings(tmp_path / "none.json") == {}
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="must hold"):
        read_timings(tmp_path / "bad.json")
    with pytest.raises(TypeError, match="path must be a str or Path"):
        read_timings(3)


def test_index_rows_times_and_links(tmp_path):
    entries = [
        IndexEntry("00_a", "Alpha $\\alpha$", ["learn $x^2$"], html="00_a.html", slides="00_a.slides.html",
                   seconds={"quick": 61.6}),
        IndexEntry("01_b", "B", ["b"], status="FAILED: boom"),
        IndexEntry("02_c", "C", ["c"], html="02_c.html"),
    ]
    recorded = {"00_a": {"quick": 5.0, "full": 300.0}, "02_c": {"full": 40.0}}
    body = write_index(entries, tmp_path / "index.html", recorded=recorded, note="from a test").read_text()
    rows = {e.name: body.split(f'<tr id="{e.name}">')[1].split("</tr>")[0] for e in entries}
    assert "62 s <small>(this export)</small>" in rows["00_a"]    # this export wins over the record
    assert "300 s <small>(recorded)</small>" in rows["00_a"]
    assert rows["01_b"].count("not measured") == 2 and "FAILED: boom" in rows["01_b"] and "<a " not in rows["01_b"]
    assert '<a href="00_a.html">page</a> · <a href="00_a.slides.html">slides</a>' in rows["00_a"]
    assert rows["00_a"].count("<math") == 2 and "$" not in rows["00_a"]
    assert "not measured" in rows["02_c"] and "40 s <small>(recorded)</small>" in rows["02_c"]
    assert "from a test" in body


@pytest.mark.parametrize(("entries", "target", "error", "match"), [
    ("00_a", "index.html", TypeError, "entries must be a list of IndexEntry"),
    ([], "index.html", ValueError, "at least one notebook"),
    ([IndexEntry("a", "A", [])], "missing/index.html", ValueError, "target's folder must exist"),
])
def test_index_bad_arguments(tmp_path, entries, target, error, match):
    with pytest.raises(error, match=match):
        write_index(entries, tmp_path / target)
