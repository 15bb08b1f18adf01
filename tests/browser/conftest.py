"""Headless Chromium for the browser tests, offline by construction.

Fixtures (the API other browser tests rely on; extend it, don't change it):

- ``chromium_path`` (session): the system Chromium (``/usr/bin/chromium`` or ``COURSEKIT_CHROMIUM``).
- ``browser`` (session): a Playwright ``Browser`` launched from that executable, never a downloaded one.
- ``page``: a fresh ``Page`` in its own context, closed after the test.
- ``blocked_requests``: ``blocked_requests(page)`` routes every request that is not ``file:``,
  ``data:``, ``blob:`` or to a loopback host to ``abort`` and returns the (live) list of the
  URLs it blocked; a test asserts the list is empty.
- ``artifacts_dir`` (session): where screenshots go, ``$COURSEKIT_ARTIFACTS`` or a temp dir.
- ``screenshot``: ``screenshot(page, name)`` writes ``<artifacts_dir>/<name>.png`` and returns its path.

Without Playwright or Chromium the tests are skipped with the reason; with ``CI`` set they fail.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# everything that could reach the network or phone home is off; the tests also block requests
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
LOCAL_SCHEMES = frozenset({"file", "data", "blob", "about"})


def _unavailable(reason: str) -> None:
    """Skip (on a learner's machine) or fail (in CI, where the browser test must run)."""
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(reason)


def is_local_url(url: str) -> bool:
    """True for ``file:``/``data:``/``blob:``/``about:`` URLs and for http(s)/ws(s) to a loopback host."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return (parts.hostname or "") in LOOPBACK_HOSTS


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the system Chromium executable; skipped (failed in CI) when it is absent."""
    candidate = os.environ.get("COURSEKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(candidate).is_file():
        _unavailable(f"no Chromium at {candidate} (apt-get install chromium, or set COURSEKIT_CHROMIUM)")
    return candidate


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator:
    """A headless Playwright browser running the system Chromium (no browser download)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable('playwright is not installed (pip install -e ".[browser]")')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh page (own context, 1280x800, service workers off), closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800},
                                  service_workers="block")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def blocked_requests() -> Callable:
    """``blocked_requests(page) -> list[str]``: abort every non-local request and record its URL.

    Routing is installed on the page's context, so pages it opens are covered too.
    """

    def install(page) -> list[str]:
        blocked: list[str] = []

        def handle(route):
            url = route.request.url
            if is_local_url(url):
                route.continue_()
            else:
                blocked.append(url)
                route.abort("internetdisconnected")

        page.context.route("**/*", handle)
        return blocked

    return install


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory) -> Path:
    """Directory for screenshots: ``$COURSEKIT_ARTIFACTS`` (created) or a session temp dir."""
    configured = os.environ.get("COURSEKIT_ARTIFACTS")
    path = Path(configured) if configured else tmp_path_factory.mktemp("browser-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def screenshot(artifacts_dir: Path) -> Callable:
    """``screenshot(page, name, full_page=False) -> Path``: save a PNG under the artefact dir."""

    def take(page, name: str, full_page: bool = False) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        path = artifacts_dir / f"{safe}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
