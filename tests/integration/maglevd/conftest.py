"""No maglevd started by a test here outlives it (tests/conftest.py makes the collection
importable); `web` is the HTTP server that probed_config's backends are probed on."""

from __future__ import annotations

import http.server
from typing import Iterator

import pytest
from ansible_collections.vpp.maglev.tests.helpers.http_backends import start_backend, stop_backend
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import LIVE


@pytest.fixture(autouse=True)
def reap() -> Iterator[None]:
    """Kill what a failed test left running: only the processes started during the test (a
    module-scoped daemon, started before it, is its fixture's to stop)."""
    started = len(LIVE)
    yield
    while len(LIVE) > started:
        LIVE.pop().kill()


@pytest.fixture
def web() -> Iterator[http.server.ThreadingHTTPServer]:
    """Answers 200 on every path while `.healthy` (503 once a test sets it False); it listens
    on all addresses, so the config's HTTP-checked backends (127.0.0.x) are probed on its port."""
    server = start_backend("0.0.0.0")
    yield server
    stop_backend(server)
