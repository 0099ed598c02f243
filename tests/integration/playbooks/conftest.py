"""Fixtures for the playbook tests: local HTTP backends; playbook_runner.py runs playbooks."""

from __future__ import annotations

import http.server
import sys
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


# The vppsim fixture (a fresh simulator per test) comes from tests/fixtures/vppsim.py.


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # the healthcheck path and anything else: 200
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_backends():
    """Three HTTP servers on 127.0.0.2-4 (port 0): [(address, port, server)]."""
    servers = []
    for last in (2, 3, 4):
        server = http.server.ThreadingHTTPServer(("127.0.0.%d" % last, 0), _Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield [(s.server_address[0], s.server_address[1], s) for s in servers]
    for server in servers:
        server.shutdown()
        server.server_close()
