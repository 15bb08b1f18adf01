"""Live slides in JupyterLab (the ``[instructor]`` extra): RISE opens offline and runs a cell on a slide.

A token-less ``jupyter lab`` on 127.0.0.1 serves a short lecture notebook (title slide with math, a
setup cell the slideshow skips, a slide with a code cell: the course notebooks' shape, without
their torch imports); Chromium opens it with the network blocked, runs the setup cell, presses Alt+R
(RISE's "Render as slideshow"), checks the math is typeset (by JupyterLab's local MathJax), moves
on with ArrowRight and runs the slide's cell with Ctrl+Enter, as an instructor does in a lecture.
RISE's theme is set to ``white`` as the README recommends: its default theme, ``simple``, asks
fonts.googleapis.com for web fonts.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import nbformat
import pytest

from tests.browser.conftest import jupyter_lab_server

pytestmark = pytest.mark.browser

NOTEBOOK = "lecture.ipynb"
CELLS = [  # (cell type, source, slide type)
    ("markdown", "# A live lecture\n\nThe cost $J(G) = \\alpha J_{content} + \\beta J_{style}$.", "slide"),
    ("code", "offset = 5  # the setup cell: run in the notebook, skipped by the slideshow", "skip"),
    ("markdown", "## Run it now", "slide"),
    ("code", "print('sum of squares:', offset + sum(i * i for i in range(10)))", "-"),
]
SETTINGS = {  # user settings: RISE's offline theme; no news or update checks; every cell in the DOM
    "jupyterlab-rise/plugin.jupyterlab-settings": {"theme": "white"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
CURRENT = "section.present:not(.stack)"  # the slide shown, not the stack of sub-slides holding it
_KERNEL_IDLE = "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'"


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory) -> Iterator[str]:
    """A JupyterLab with jupyterlab-rise serving the lecture notebook."""
    if importlib.util.find_spec("jupyterlab_rise") is None:
        reason = 'jupyterlab-rise is not installed (pip install -e ".[instructor]")'
        pytest.fail(reason) if os.environ.get("CI") else pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("rise")
    (tmp / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook(cells=[
        getattr(nbformat.v4, f"new_{kind}_cell")(source, metadata={"slideshow": {"slide_type": slide}})
        for kind, source, slide in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp / "notebooks" / NOTEBOOK)
    with jupyter_lab_server(tmp / "notebooks", tmp, SETTINGS) as url:
        yield url


def test_rise_slideshow_opens_offline_and_runs_a_cell(lab_url, page, blocked_requests, screenshot):
    blocked = blocked_requests(page)
    page.goto(f"{lab_url}lab/tree/{NOTEBOOK}")
    page.wait_for_function(_KERNEL_IDLE, timeout=120_000)
    page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-editor").first.click()
    page.keyboard.press("Control+Enter")  # the setup cell, in the notebook: the slides share its kernel
    page.wait_for_selector(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt:has-text('[1]')", timeout=60_000)
    page.keyboard.press("Escape")  # command mode: RISE's shortcut applies to a focused notebook
    page.keyboard.press("Alt+r")
    rise = page.wait_for_selector("iframe[src*='/rise/']", timeout=30_000).content_frame()
    rise.wait_for_selector(".reveal.ready section.present", timeout=120_000)
    rise.wait_for_selector(f"{CURRENT} .jp-MarkdownCell mjx-container", timeout=60_000)
    assert rise.evaluate("location.hash") == "#/slide-0-0"
    assert "A LIVE LECTURE" in rise.inner_text(CURRENT).upper()
    assert "\\alpha" not in rise.inner_text(CURRENT)
    screenshot(page, "rise_slide1")

    rise.click(".reveal")
    page.keyboard.press("ArrowRight")
    rise.wait_for_function("location.hash === '#/slide-1-0'", timeout=30_000)
    assert rise.inner_text(CURRENT).upper().startswith("RUN IT NOW")
    rise.locator(f"{CURRENT} .jp-CodeCell .jp-InputArea-editor").first.click()
    page.keyboard.press("Control+Enter")  # run the slide's cell, live (Shift+Enter would add a cell)
    rise.wait_for_selector(f"{CURRENT} .jp-OutputArea-output:has-text('sum of squares')", timeout=120_000)
    assert rise.inner_text(f"{CURRENT} .jp-OutputArea-output").strip() == "sum of squares: 290"
    screenshot(page, "rise_live_cell")
    assert blocked == []
