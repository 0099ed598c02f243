"""A real maglevd process for the API tests: started from a config text, drained logs, raw sockets.

d = Maglevd(tmp_path, CONFIG, env={"MAGLEV_API_MAX_CONNECTIONS": "4"})
d.client.version(); d.status()["api"]; d.maglevc("set", "backend", "a", "pause"); d.stop()
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.maglevd_client import MaglevdClient

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / ".build" / "collections")}
PKG = "ansible_collections.vpp.maglev.maglevd"

STATIC_CONFIG = """
maglev:
  vpp:
    lb: {ipv4-src-address: 192.0.2.254}
  healthchecks:
    st: {type: static}
  backends:
    a: {address: 10.0.0.1, healthcheck: st}
    b: {address: 10.0.0.2, healthcheck: st}
  frontends:
    web:
      address: 192.0.2.1
      protocol: tcp
      port: 80
      pools:
        - name: p
          backends: {a: {}, b: {}}
"""


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll predicate() until it returns something truthy (a generous deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Maglevd:
    def __init__(self, tmp_path: Path, config: str, *flags: str, env: Optional[Dict[str, str]] = None) -> None:
        self.config = tmp_path / "maglev.yaml"
        self.config.write_text(config)
        self.socket = str(tmp_path / "run" / "maglevd.sock")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", PKG, "--config", str(self.config), "--control-socket", self.socket]
            + ["--vpp-api-addr", "", *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**ENV, **(env or {})},
        )
        self.lines: List[dict] = []
        self._ready = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()  # a full pipe would block the daemon
        if not self._ready.wait(30):
            self.stop()
            raise AssertionError("maglevd did not start: %s" % self.lines)
        self.ready = next((r for r in self.lines if r.get("event") in ("ready", "startup-failed")), {})
        self.client = MaglevdClient(self.socket, timeout=10)

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                record = {"event": "raw", "text": line}
            self.lines.append(record)
            if record.get("event") in ("ready", "startup-failed"):
                self._ready.set()
        self._ready.set()  # exited

    def events(self, name: str) -> List[dict]:
        return [r for r in list(self.lines) if r.get("event") == name]

    def status(self) -> Dict[str, Any]:
        return self.client.status()

    def listener(self, name: str = "unix") -> Dict[str, Any]:
        return self.status()["api"]["listeners"][name]

    def maglevc(self, *words: str) -> subprocess.CompletedProcess:
        args = [sys.executable, "-m", f"{PKG}.maglevc", "--socket", self.socket, *words]
        return subprocess.run(args, capture_output=True, text=True, env=ENV, timeout=30, check=False)

    def connect(self, timeout: float = 10.0) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(self.socket)
        return sock

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def read_response(sock: socket.socket) -> Tuple[int, Any]:
    """One HTTP response from sock: (status, JSON body or text)."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read()
    try:
        return response.status, json.loads(body)
    except ValueError:
        return response.status, body.decode(errors="replace")


def request(sock_path: str, raw: bytes, timeout: float = 10.0) -> Tuple[int, Any]:
    """Send raw bytes on a new connection and read one response."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(sock_path)
        sock.sendall(raw)
        return read_response(sock)


def closed_by_peer(sock: socket.socket) -> bool:
    """Block (up to the socket's timeout) until the daemon closes; True when it did, after any data."""
    try:
        while True:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
