"""Fixtures for the playbook tests: local HTTP backends, maglevd; playbook_runner.py runs playbooks."""

from __future__ import annotations

import http.server
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import yaml
from ansible_collections.vpp.maglev.tests.fixtures.waiting import wait_until

# pytest's default import mode puts this directory on sys.path (no __init__.py here), which
# makes playbook_runner importable by this file and the tests.
HERE = Path(__file__).resolve().parent


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


ROOT = HERE.parents[2]


@pytest.fixture
def maglevd(tmp_path):
    """start(config_dict, vpp_socket) -> control socket path of a maglevd run from bin/maglevd."""
    processes = []

    def start(config: dict, vpp_socket: str) -> str:
        directory = tmp_path / "maglevd"
        directory.mkdir(exist_ok=True)
        config_file = directory / "maglev.yaml"
        config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        control = str(directory / "maglevd.sock")
        log = open(directory / "maglevd.log", "w")  # noqa: SIM115 - closed at teardown
        process = subprocess.Popen(
            [
                str(ROOT / "bin" / "maglevd"),
                "--config",
                str(config_file),
                "--control-socket",
                control,
                "--vpp-api-addr",
                vpp_socket,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append((process, log))

        def accepting():
            if process.poll() is not None:
                pytest.fail("maglevd exited: %s" % (directory / "maglevd.log").read_text())
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(control)
                    return True
                except OSError:
                    return False

        wait_until(accepting, what="maglevd's control socket")
        return control

    yield start
    for process, log in processes:
        process.terminate()
        process.wait(timeout=30)
        log.close()
