"""Make tests/integration importable for ansible_helpers and simview, and the maglevd
process helper (tests/integration/maglevd/maglevd_process) for the `maglevd` fixture."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
for path in (HERE, HERE.parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
if str(HERE.parent / "maglevd") not in sys.path:
    sys.path.append(str(HERE.parent / "maglevd"))  # appended: this folder's names come first

from maglevd_process import MaglevdProcess  # noqa: E402 (needs the path above)

MAGLEVD_CONFIG = """
maglev:
  vpp:
    lb: {ipv4-src-address: 192.0.2.254}
  backends:
    b1: {address: 10.0.0.1}
  frontends:
    web:
      address: 192.0.2.1
      protocol: tcp
      port: 80
      pools: [{name: main, backends: {b1: {}}}]
"""


@pytest.fixture
def maglevd(tmp_path: Path) -> Iterator[MaglevdProcess]:
    """A real maglevd (no VPP side, static backend b1) whose only frontend is 192.0.2.1/32
    tcp:80, started up to its ready line; `.socket` is its control socket, `.proc` the process
    (a test may SIGSTOP it: the teardown continues it before stopping it)."""
    daemon = MaglevdProcess(tmp_path, MAGLEVD_CONFIG, "--metrics-addr", "")
    daemon.wait_ready()
    yield daemon
    daemon.proc.send_signal(signal.SIGCONT)
    daemon.stop()
