"""A real maglevd process for the integration tests: every output line parsed as JSON.

    proc = MaglevdProcess(tmp_path, config_text, "--metrics-addr", "127.0.0.1:0", env={...})
    proc.wait_ready()                    # the ready (or startup-failed / stopped) record
    proc.client.version(); proc.status()["api"]; proc.maglevc("set", "backend", "a", "pause")
    code, records = proc.finish()        # SIGTERM (if still running), every line as a dict
    code, out, err = proc.stop()         # the same, raw and unchecked (fixture teardown)

Threads drain stdout and stderr from the start (a full pipe would block the daemon); a line
that is not a JSON object with an `event` fails wait_ready, wait_for and finish. The autouse
`reap` fixture in tests/integration/maglevd/conftest.py kills what a failed test left running
(LIVE). The configs come from sample_config (STATIC_CONFIG by default). Raw-socket helpers
(request, read_response, closed_by_peer) talk to the API as a hostile or broken client would.
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
from typing import IO, Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.maglevd_client import MaglevdClient
from ansible_collections.vpp.maglev.tests.helpers.paths import COLLECTIONS
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATIC_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.waiting import wait_until as shared_wait_until

ENV = {**os.environ, "PYTHONPATH": str(COLLECTIONS)}
for _name in ("MAGLEV_SOCKET", "MAGLEV_CONTROL_SOCKET"):
    ENV.pop(_name, None)
PKG = "ansible_collections.vpp.maglev.maglevd"
READY_EVENTS = ("ready", "startup-failed", "stopped")


def parse_lines(text: str, stream: str) -> List[Dict[str, Any]]:
    records = []
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"maglevd wrote a line on {stream} that is not JSON: {line[:300]!r}")
        assert isinstance(records[-1], dict) and "event" in records[-1], line
    return records


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    return shared_wait_until(predicate, timeout, what)


class MaglevdProcess:
    def __init__(
        self,
        tmp_path: Path,
        config: Optional[str] = STATIC_CONFIG,
        *args: str,
        env: Optional[Dict[str, str]] = None,
        socket_flag: bool = True,
    ) -> None:
        """config None: use tmp_path/maglev.yaml as it is (or is not)."""
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
        self.client = MaglevdClient(self.socket, timeout=10)
        self.ready: Dict[str, Any] = {}
        self.seen: List[Dict[str, Any]] = []  # stdout records, in order
        self._stdout: List[str] = []  # raw lines, for stop()
        self._stderr: List[str] = []
        self._problems: List[str] = []  # stdout lines that are not JSON records
        self._stdout_ended = False
        self._changed = threading.Condition()
        self._drains = [
            threading.Thread(target=self._drain_stdout, daemon=True),
            threading.Thread(target=self._drain_stderr, daemon=True),
        ]
        for thread in self._drains:
            thread.start()
        LIVE.append(self)

    def _drain_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._stdout.append(line)
            try:
                records, problem = parse_lines(line, "stdout"), None
            except AssertionError as exc:
                records, problem = [], str(exc) or repr(line[:300])
            with self._changed:
                self.seen.extend(records)
                if problem:
                    self._problems.append(problem)
                self._changed.notify_all()
        with self._changed:
            self._stdout_ended = True
            self._changed.notify_all()

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        self._stderr.extend(self.proc.stderr)

    def _wait_record(self, match: Callable[[Dict[str, Any]], bool], timeout: float) -> Optional[Dict[str, Any]]:
        """The first stdout record matching, waiting for it (None when stdout ended or time ran out)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if self._problems:
                    raise AssertionError(self._problems[0])
                found = next((r for r in self.seen if match(r)), None)
                left = deadline - time.monotonic()
                if found is not None or self._stdout_ended or left <= 0:
                    return found
                self._changed.wait(left)

    def wait_ready(self, timeout: float = 30) -> Dict[str, Any]:
        """Synchronise on the ready line (or startup-failed / stopped for a start that fails)."""
        record = self._wait_record(lambda r: r["event"] in READY_EVENTS, timeout)
        if record is None:
            raise AssertionError(f"maglevd ended or timed out before its ready line: {self.seen}")
        self.ready = record
        return record

    def wait_for(self, event: str, timeout: float = 15) -> Optional[Dict[str, Any]]:
        """The first record of `event` on stdout (None when it did not come in time)."""
        return self._wait_record(lambda r: r["event"] == event, timeout)

    def wait_state(self, backend: str, state: str) -> Dict[str, Any]:
        """The first backend-transition of `backend` to `state` on its event stream (blocks)."""
        for event in self.client.events(backend=backend):
            if event["type"] == "backend-transition" and event["to"] == state:
                return event
        raise AssertionError("stream ended")

    def events(self, name: str) -> List[Dict[str, Any]]:
        with self._changed:
            return [r for r in self.seen if r["event"] == name]

    def status(self) -> Dict[str, Any]:
        return self.client.status()

    def listener(self, name: str = "unix") -> Dict[str, Any]:
        return self.status()["api"]["listeners"][name]

    def maglevc(
        self, *words: str, env: Optional[Dict[str, str]] = None, stdout: Any = subprocess.PIPE, socket_flag: bool = True
    ) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", f"{PKG}.maglevc"] + (["--socket", self.socket] if socket_flag else [])
        return subprocess.run(
            argv + list(words),
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env={**ENV, **(env or {})},
            timeout=30,
            check=False,
        )

    def connect(self, timeout: float = 10.0) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(self.socket)
        return sock

    def stop(self, sig: Optional[int] = signal.SIGTERM, timeout: float = 30) -> Tuple[int, str, str]:
        """Signal (if still running), wait for the exit and the end of its output:
        (exit code, stdout, stderr) as written, unchecked."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        for thread in self._drains:
            thread.join(timeout)
        for pipe in (self.proc.stdout, self.proc.stderr):
            _close(pipe)
        return code, "".join(self._stdout), "".join(self._stderr)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def finish(self, sig: Optional[int] = signal.SIGTERM, timeout: float = 30) -> Tuple[int, List[Dict[str, Any]]]:
        """stop(), then every line it wrote as a record (stdout's, then stderr's): all must be JSON."""
        code, _out, err = self.stop(sig, timeout)
        if self._problems:
            raise AssertionError(self._problems[0])
        return code, self.seen + parse_lines(err, "stderr")


LIVE: List[MaglevdProcess] = []  # every process started, for conftest.reap


def _close(pipe: Optional[IO[str]]) -> None:
    if pipe is not None:
        pipe.close()


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
