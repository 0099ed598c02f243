"""No maglevd started by a test here outlives it (tests/conftest.py makes the collection
importable); `web` is the HTTP server that probed_config's backends are probed on."""

from __future__ import annotations

import http.server
import threading
from typing import Iterator

import pytest
from maglevd_process import LIVE


@pytest.fixture(autouse=True)
def reap() -> Iterator[None]:
    """Kill what a failed test left running: only the processes started during the test (a
    module-scoped daemon, started before it, is its fixture's to stop)."""
    started = len(LIVE)
    yield
    while len(LIVE) > started:
        LIVE.pop().kill()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200 if self.server.healthy else 503)  # type: ignore[attr-defined]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[http.server.ThreadingHTTPServer]:
    """Answers 200 on every path while `.healthy` (503 once a test sets it False); it listens
    on all addresses, so the config's HTTP-checked backends (127.0.0.x) are probed on its port."""
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), Handler)
    server.healthy = True  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
