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
- ``jupyter_lab_server(root, workdir, settings)``: a context manager running a token-less
  ``jupyter lab`` on 127.0.0.1 (free port, quick mode, this checkout on the path) that yields its URL.

Without Playwright or Chromium the tests are skipped with the reason; with ``CI`` set they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
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


REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "api/status", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"jupyter lab did not answer at {url} within {timeout} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def jupyter_lab_server(root: Path, workdir: Path, settings: dict[str, dict] | None = None,
                       timeout: float = 120) -> Iterator[str]:
    """Run ``jupyter lab`` on 127.0.0.1 (free port, no token) serving ``root``; yield its URL.

    ``settings`` maps user-settings files (``"jupyterlab-rise/plugin.jupyterlab-settings"``) to their
    JSON; runtime, config and settings dirs live under ``workdir``; kernels run in quick mode with
    this checkout first on ``PYTHONPATH``. The server and its kernels are stopped on exit.
    """
    for rel, value in (settings or {}).items():
        (workdir / "settings" / rel).parent.mkdir(parents=True, exist_ok=True)
        (workdir / "settings" / rel).write_text(json.dumps(value))
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "JUPYTER_CONFIG_DIR")}
    env.update(COURSEKIT_QUICK="1", PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
               JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), JUPYTER_CONFIG_DIR=str(workdir / "config"),
               IPYTHONDIR=str(workdir / "ipython"), JUPYTER_PLATFORM_DIRS="1")
    port, log = _free_port(), workdir / "server.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root",
           "--LabApp.extension_manager=readonly", "--LabApp.news_url=None", "--LabApp.expose_app_in_browser=True",
           f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={workdir / 'settings'}",
           f"--LabApp.workspaces_dir={workdir / 'workspaces'}"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, proc, log, timeout)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and its kernels: its own process group
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
