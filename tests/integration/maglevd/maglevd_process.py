"""A real maglevd process for the process-behaviour tests: every output line parsed as JSON.

    proc = MaglevdProcess(tmp_path, config_text, "--control-socket", path)
    proc.wait_ready()                    # or proc.finish() for a start that must fail
    code, records = proc.finish()        # SIGTERM (if still running), every line as a dict

The config uses static backends (no healthcheck): they resolve `up` at once, so a start that
lets any probe run shows a transition straight away.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / ".build" / "collections")}
for name in ("MAGLEV_SOCKET", "MAGLEV_CONTROL_SOCKET"):
    ENV.pop(name, None)
PKG = "ansible_collections.vpp.maglev.maglevd"

STATIC_CONFIG = """
maglev:
  vpp:
    lb:
      ipv4-src-address: 192.0.2.254
  backends:
    web-one: {address: 127.0.0.1}
    web-two: {address: 127.0.0.2}
    db-main: {address: 127.0.0.3}
  frontends:
    web-fe:
      address: 192.0.2.1
      protocol: tcp
      port: 80
      pools:
        - name: primary
          backends: {web-one: {}, web-two: {}}
        - name: backup-pool
          backends: {db-main: {}}
    web-admin:
      address: 192.0.2.2
      protocol: tcp
      port: 8080
      pools:
        - name: primary
          backends: {web-one: {}}
"""


def parse_lines(text: str, stream: str) -> List[Dict[str, Any]]:
    records = []
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"maglevd wrote a line on {stream} that is not JSON: {line[:300]!r}")
        assert isinstance(records[-1], dict) and "event" in records[-1], line
    return records


LIVE: List[MaglevdProcess] = []


@pytest.fixture(autouse=True)
def reap() -> Iterator[None]:
    """Kill what a failed test left running (import this fixture into the test module).
    Only processes started during the test: a module-scoped daemon started before it."""
    started = len(LIVE)
    yield
    while len(LIVE) > started:
        proc = LIVE.pop().proc
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


class MaglevdProcess:
    def __init__(
        self,
        tmp_path: Path,
        config: Optional[str] = STATIC_CONFIG,
        *args: str,
        env: Optional[Dict[str, str]] = None,
        socket_flag: bool = True,
    ) -> None:
        self.config = tmp_path / "maglev.yaml"
        if config is not None:
            self.config.write_text(config)
        self.socket = str(tmp_path / "run" / "maglevd.sock")
        argv = ["--config", str(self.config), "--vpp-api-addr", ""]
        if socket_flag:
            argv += ["--control-socket", self.socket]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", PKG, *argv, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**ENV, **(env or {})},
        )
        self.seen: List[Dict[str, Any]] = []
        LIVE.append(self)

    def wait_ready(self) -> Dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # synchronise on the ready line
            self.seen.extend(parse_lines(line, "stdout"))
            if self.seen[-1]["event"] in ("ready", "stopped"):
                return self.seen[-1]
        raise AssertionError(f"maglevd ended before its ready line: {self.seen}")

    def wait_for(self, event: str, timeout: float = 15) -> Optional[Dict[str, Any]]:
        """Read stdout until a record of `event` (None when it did not come in time)."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not select.select([self.proc.stdout], [], [], deadline - time.monotonic())[0]:
                break
            line = self.proc.stdout.readline()
            if not line:
                break
            self.seen.extend(parse_lines(line, "stdout"))
            if self.seen[-1]["event"] == event:
                return self.seen[-1]
        return None

    def finish(self, sig: Optional[int] = signal.SIGTERM, timeout: float = 30) -> Tuple[int, List[Dict[str, Any]]]:
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=timeout)
        records = self.seen + parse_lines(out, "stdout") + parse_lines(err, "stderr")
        return self.proc.returncode, records


def check_exit(code: int, records: Sequence[Dict[str, Any]]) -> None:
    """The process's own story: it ends with `stopped` and the real exit code, and nothing
    moves after `stopping`."""
    assert records and records[-1]["event"] == "stopped", records[-3:]
    assert records[-1]["exit_code"] == code, (records[-1], code)
    events = [r["event"] for r in records]
    if "stopping" in events:
        after = events[events.index("stopping") + 1 :]
        moved = [e for e in after if e.endswith("-transition") or e in ("operator-action", "weight-change", "probe")]
        assert not moved, f"logged after stopping: {moved}"
