"""The `maglevd` fixture of the module tests: a real maglevd process (tests/helpers/maglevd_process)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Iterator

import pytest
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess
from ansible_collections.vpp.maglev.tests.helpers.sample_config import ONE_BACKEND_CONFIG


@pytest.fixture
def maglevd(tmp_path: Path) -> Iterator[MaglevdProcess]:
    """A real maglevd (no VPP side, static backend b1) whose only frontend is 192.0.2.1/32
    tcp:80, started up to its ready line; `.socket` is its control socket, `.proc` the process
    (a test may SIGSTOP it: the teardown continues it before stopping it)."""
    daemon = MaglevdProcess(tmp_path, ONE_BACKEND_CONFIG, "--metrics-addr", "")
    daemon.wait_ready()
    yield daemon
    daemon.proc.send_signal(signal.SIGCONT)
    daemon.stop()
