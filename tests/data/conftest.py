"""A local HTTP server on 127.0.0.1 for download tests: it serves files, stalls, lies or refuses.

Nothing here reaches the internet. The server stops itself (every loop is bounded) and is
stopped at the end of each test.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse

import pytest

from coursekit.data import download

_LIFETIME_S = 60.0  # the longest a server (or a held connection) lives, even if a test forgets it


class LocalServer:
    """A tiny HTTP server. ``mode``: "files", "silent", "portal", "404", "cut", "nolength", "chunked", "chunkcut".

    - files: ``files[path]`` with Content-Length (404 for unknown paths);
    - silent: accepts, reads nothing, sends nothing, holds the connection until stopped;
    - portal: a captive portal's "200 OK" login page (text/html) for every path;
    - 404: "404 Not Found" for every path;
    - cut: announces the file's length, sends half of it and closes;
    - nolength: sends the file without Content-Length, then closes;
    - chunked / chunkcut: sends it in two chunks (HTTP/1.1), whole or cut in the first chunk.
    """

    def __init__(self, mode: str = "files", files: dict[str, bytes] | None = None):
        self.mode, self.files, self.requests = mode, dict(files or {}), []
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._born = time.monotonic()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _alive(self) -> bool:
        return not self._stop.is_set() and time.monotonic() - self._born < _LIFETIME_S

    def _serve(self) -> None:
        while self._alive():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()
        self._sock.close()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            if self.mode == "silent":
                while self._alive():
                    self._stop.wait(0.05)
                return
            conn.settimeout(2.0)
            request = b""
            try:
                while b"\r\n\r\n" not in request and len(request) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
            except OSError:
                return
            path = urllib.parse.urlparse(request.split(b" ")[1].decode()).path
            self.requests.append(path)
            body = self.files.get(path)
            if self.mode == "portal":
                page = b"<html><body>Please log in to use the Wi-Fi</body></html>"
                head = f"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(page)}\r\n\r\n"
                conn.sendall(head.encode() + page)
            elif self.mode == "404" or body is None:
                conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found")
            elif self.mode in ("chunked", "chunkcut"):
                half = len(body) // 2
                chunks = b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in (body[:half], body[half:]))
                conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                             + (chunks + b"0\r\n\r\n" if self.mode == "chunked" else chunks[: half + 8]))
            elif self.mode == "nolength":
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n" + body)
            else:
                head = f"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n\r\n"
                conn.sendall(head.encode() + (body[: len(body) // 2] if self.mode == "cut" else body))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def local_server():
    """``local_server(mode, files)`` starts a ``LocalServer``; all are stopped after the test."""
    servers: list[LocalServer] = []

    def start(mode: str = "files", files: dict[str, bytes] | None = None) -> LocalServer:
        servers.append(LocalServer(mode, files))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def redirect_downloads(monkeypatch, tmp_path):
    """``redirect_downloads(server)``: every download goes to ``server`` (same path), the
    network probe says online, the cache is empty, COURSEKIT_DATA unset, timeouts short."""
    real_urlopen = download.urllib.request.urlopen
    monkeypatch.delenv("COURSEKIT_DATA", raising=False)
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(download, "TIMEOUT_S", 0.3)
    monkeypatch.setattr(download, "is_online", lambda url, timeout=None: True)

    def redirect(server: LocalServer) -> None:
        def urlopen(request, timeout=None):
            path = urllib.parse.urlparse(request.full_url).path
            return real_urlopen(server.url + path, timeout=timeout)

        monkeypatch.setattr(download.urllib.request, "urlopen", urlopen)

    return redirect
