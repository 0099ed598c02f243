"""Fixtures for the playbook tests: local HTTP backends, maglevd (tests/helpers/playbook.py runs playbooks)."""

from __future__ import annotations

import socket
import subprocess

import pytest
import yaml
from ansible_collections.vpp.maglev.tests.helpers.http_backends import start_backend, stop_backend
from ansible_collections.vpp.maglev.tests.helpers.paths import ROOT
from ansible_collections.vpp.maglev.tests.helpers.waiting import wait_until

# The vppsim fixture (a fresh simulator per test) comes from tests/fixtures/vppsim.py.


@pytest.fixture
def http_backends():
    """Three HTTP servers on 127.0.0.2-4 (port 0): [(address, port, server)]."""
    servers = [start_backend("127.0.0.%d" % last) for last in (2, 3, 4)]
    yield [(s.server_address[0], s.server_address[1], s) for s in servers]
    for server in servers:
        stop_backend(server)


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
