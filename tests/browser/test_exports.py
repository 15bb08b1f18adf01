"""The exported course opens in headless Chromium with every network request blocked.

``coursekit run --quick`` exports a tiny two-cell course (math, a matplotlib figure, slide
metadata); ``coursekit slides`` exports a real deck (notebook 06, not executed: its math).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit.cli import main
from tests.browser.conftest import is_local_url

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# what raw TeX looks like when math was not rendered
RAW_MATH = re.compile(r"\$[^$\s][^$]*\$|\\[A-Za-z]+")

INTRO = r"""# A tiny lesson

We compare $d(x_1, x_2) = \lVert f(x_1) - f(x_2) \rVert$ with a threshold $\tau$; a `$HOME` in
code stays code.

1. write $J(G) = \alpha J_{content} + \beta J_{style}$;
2. plot a curve.
"""
FIGURE = """import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
%matplotlib inline
plt.plot([0, 1, 4, 9]); plt.title("squares"); plt.show()"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """``coursekit run --quick`` on the tiny course: page, deck, index."""
    root = tmp_path_factory.mktemp("course")
    nb = new_notebook(cells=[new_markdown_cell(INTRO), new_code_cell(FIGURE),
                             new_markdown_cell("## Display math\n\n$$\\sum_i \\alpha_i^2$$")])
    nb.cells[2].metadata["slideshow"] = {"slide_type": "slide"}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "src").mkdir()
    nbformat.write(nb, root / "src" / "01_tiny.ipynb")
    assert main(["run", "--quick", str(root / "src"), "-o", str(root / "site")]) == 0
    return root / "site"


@pytest.fixture(scope="module")
def real_deck(tmp_path_factory) -> Path:
    """The deck of notebook 06 (not executed: prose, math, code)."""
    out = tmp_path_factory.mktemp("decks")
    assert main(["slides", str(ROOT / "notebooks" / "06_neural_style_transfer.ipynb"), "-o", str(out)]) == 0
    return out / "06_neural_style_transfer.slides.html"


def open_offline(page, blocked_requests, path: Path) -> tuple[list[str], list[str]]:
    """Open ``path`` with the network blocked; return (blocked URLs, every URL requested)."""
    blocked = blocked_requests(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return blocked, requested


def assert_math_rendered(page, selector: str) -> None:
    texts = page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")
    assert texts, f"nothing matches {selector}"
    raw = [m.group(0) for text in texts for m in RAW_MATH.finditer(text)]
    assert raw == [], f"raw TeX left in the page: {raw[:5]}"
    assert page.locator(f"{selector} math").count() > 0


def test_page_renders_offline_with_math_and_figure(site, page, blocked_requests, screenshot):
    blocked, requested = open_offline(page, blocked_requests, site / "01_tiny.html")
    assert blocked == [] and all(is_local_url(u) for u in requested), blocked or requested
    # markdown: math is MathML (3 inline + 1 in the list + 1 display); the code span keeps its $
    assert_math_rendered(page, ".jp-MarkdownCell")
    assert page.locator(".jp-MarkdownCell math").count() == 4
    assert page.locator(".jp-MarkdownCell code", has_text="$HOME").count() == 1
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) == 1 and widths[0] > 0, widths
    screenshot(page, "exports_page", full_page=True)


def test_index_links_objectives_and_deck(site, page, blocked_requests, screenshot):
    blocked, requested = open_offline(page, blocked_requests, site / "index.html")
    row = page.locator("tr[id=\"01_tiny\"]")
    assert row.locator("li").count() == 2  # the two numbered objectives
    assert row.locator("li math").count() == 1 and "plot a curve" in row.inner_text()
    assert "s (this export)" in row.inner_text() and "not measured" in row.inner_text()
    hrefs = row.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["01_tiny.html", "01_tiny.slides.html"]
    assert all((site / href).is_file() for href in hrefs)
    screenshot(page, "exports_index")
    row.locator("a", has_text="slides").click()
    page.wait_for_function("window.Reveal && window.Reveal.isReady()")
    assert page.evaluate("Reveal.getTotalSlides()") == 2
    widths = page.eval_on_selector_all("section.present img", "imgs => imgs.map(i => i.naturalWidth)")
    assert widths and all(w > 0 for w in widths), widths  # the figure, on the first slide
    screenshot(page, "exports_tiny_deck_slide1")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("Reveal.getIndices().h === 1")
    assert page.locator("section.present math[display=block]").count() == 1
    assert blocked == [] and all(is_local_url(u) for u in requested), blocked or requested


def test_real_deck_presents_offline(real_deck, page, blocked_requests, screenshot):
    blocked, requested = open_offline(page, blocked_requests, real_deck)
    page.wait_for_function("window.Reveal && window.Reveal.isReady()")
    assert page.evaluate("Reveal.getIndices().h") == 0
    assert page.evaluate("Reveal.getTotalSlides()") > 5
    assert_math_rendered(page, ".reveal .jp-MarkdownCell")
    assert page.locator("section.present math").count() > 3  # J(G) = αJ_content + βJ_style, ...
    screenshot(page, "exports_deck_slide1")
    page.evaluate("window.moved = false; Reveal.on('slidetransitionend', () => { window.moved = true; })")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("window.moved && Reveal.getIndices().h === 1")  # after the slide animation
    screenshot(page, "exports_deck_slide2")
    assert blocked == [] and all(is_local_url(u) for u in requested), blocked or requested
