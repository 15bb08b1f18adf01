"""How long each data loader takes to fail, and with what message, when its data cannot be had.

Conditions (each with an empty user cache and no COURSEKIT_DATA):

* ``no network``: this machine's own network, unchanged (on a machine without internet the
  probe fails on DNS);
* ``hanging-dns``: no network where name lookups and connects hang instead of failing
  (``socket.create_connection`` patched to block for 60 s), so the probe bound is measured;
* ``stalled``: a server on 127.0.0.1 that accepts and never answers (the probe succeeds, the
  download must time out: ``download.TIMEOUT_S`` per source, mirrors tried in turn);
* ``portal``: a server on 127.0.0.1 that answers every request with a captive portal's
  "200 OK" login page (text/html);
* ``404``: a server on 127.0.0.1 that answers "404 Not Found" (a file that moved, a dead mirror).

Peer: the issue's measurements of the previous code (no network <= 2 s; stalled: 30 s then a raw
``URLError``/``TimeoutError``, ``load_olivetti`` hung past 120 s). A row passes when the loader
raised ``DataNotFoundError`` naming COURSEKIT_DATA and the fetch command, and the cache holds no
file or temp folder afterwards (``style_image`` instead falls back to a generated texture).

usage: python benchmarks/data_failures.py [--conditions no-network hanging-dns stalled portal 404]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

from coursekit.data import DataNotFoundError, download, faces, images, lfw, omniglot, text

LOADERS = {
    "load_olivetti": faces.load_olivetti,
    "load_orl": faces.load_orl,
    "load_yale": faces.load_yale,
    "load_lfw_people": lfw.load_lfw_people,
    "load_lfw_pairs": lfw.load_lfw_pairs,
    "load_omniglot": omniglot.load_omniglot,
    "load_omniglot_runs": omniglot.load_omniglot_runs,
    "load_mr_polarity": text.load_mr_polarity,
    "style_image": lambda: images.style_image("starry_night", size=64),
}


def _server(mode: str, stop: threading.Event) -> int:
    """Start a one-mode server on 127.0.0.1 ("silent", "portal" or "404"); it ends when ``stop`` is set."""
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(0.05)

    def handle(conn):
        with conn:
            if mode == "silent":
                stop.wait(120)  # bounded even if the caller forgets to stop it
                return
            conn.settimeout(2)
            try:
                conn.recv(65536)
                page = b"<html><body>Please log in to use the Wi-Fi</body></html>" if mode == "portal" else b"gone"
                status = b"200 OK\r\nContent-Type: text/html" if mode == "portal" else b"404 Not Found"
                conn.sendall(b"HTTP/1.0 " + status + b"\r\nContent-Length: "
                             + str(len(page)).encode() + b"\r\n\r\n" + page)
            except OSError:
                pass

    def serve():
        deadline = time.monotonic() + 1800
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()
        sock.close()

    threading.Thread(target=serve, daemon=True).start()
    return sock.getsockname()[1]


def _rewrite(base: str):
    """Patch urlopen and is_online so that every URL goes to ``base`` (scheme://host:port)."""
    real_urlopen, real_is_online = urllib.request.urlopen, download.is_online

    def move(url: str) -> str:
        return base + urllib.parse.urlparse(url).path

    def urlopen(request, timeout=None):
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        return real_urlopen(move(url), timeout=timeout)

    download.urllib.request.urlopen = urlopen
    download.is_online = lambda url, timeout=download.PROBE_TIMEOUT_S: real_is_online(move(url), timeout)
    return lambda: (setattr(download.urllib.request, "urlopen", real_urlopen),
                    setattr(download, "is_online", real_is_online))


def measure(condition: str) -> list[tuple[str, float, str, str]]:
    rows, stop = [], threading.Event()
    undo = None
    if condition == "hanging-dns":
        real_connect = download.socket.create_connection

        def hang(address, timeout=None, *args, **kwargs):
            stop.wait(60)
            raise OSError("name lookup timed out")

        download.socket.create_connection = hang
        undo = lambda: setattr(download.socket, "create_connection", real_connect)  # noqa: E731
    elif condition in ("stalled", "portal", "404"):
        undo = _rewrite(f"http://127.0.0.1:{_server('silent' if condition == 'stalled' else condition, stop)}")
    try:
        for name, loader in LOADERS.items():
            with tempfile.TemporaryDirectory() as cache:
                os.environ["COURSEKIT_CACHE"] = cache
                out = StringIO()
                start = time.perf_counter()
                try:
                    with redirect_stdout(out):
                        loader()
                    outcome, message = "fallback" if "generated texture" in out.getvalue() else "LOADED?", out.getvalue()
                except DataNotFoundError as exc:
                    outcome, message = "DataNotFoundError", str(exc)
                except Exception as exc:  # noqa: BLE001 - a raw error is exactly what this measures
                    outcome, message = f"RAW {type(exc).__name__}", str(exc)
                seconds = time.perf_counter() - start
                left = [p for p in Path(cache).rglob("*") if p.is_file() or p.name.startswith(".")]
                clear = outcome == "fallback" or (
                    outcome == "DataNotFoundError" and "COURSEKIT_DATA" in message and "data fetch" in message)
                verdict = ("ok" if clear and not left else "FAIL") + (f" ({len(left)} files left)" if left else "")
                reason = message.splitlines()[0].split(": ", 2)[-1][:110] if message else ""
                rows.append((name, seconds, f"{outcome}, {verdict}", reason))
    finally:
        stop.set()
        if undo is not None:
            undo()
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conditions", nargs="+", default=["no-network", "hanging-dns", "stalled", "portal", "404"])
    args = parser.parse_args(argv)
    os.environ.pop("COURSEKIT_DATA", None)
    os.environ.pop("COURSEKIT_OFFLINE", None)
    print(f"download.TIMEOUT_S = {download.TIMEOUT_S} s, PROBE_TIMEOUT_S = {download.PROBE_TIMEOUT_S} s, "
          f"python {sys.version.split()[0]}")
    failed = 0
    for condition in args.conditions:
        print(f"\n{condition}:")
        for name, seconds, outcome, reason in measure(condition):
            failed += "FAIL" in outcome
            print(f"  {name:20s} {seconds:6.2f} s  {outcome:30s} {reason}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
