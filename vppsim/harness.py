"""Run a vppsim subprocess for tests and benchmarks, and talk to its control socket.

with VppSim(tmp_path) as sim:
    client = VPPApiClient(apidir=str(API_DIR), server_address=sim.socket)
    ...
    sim.wait_for("lb_as_set_weight", as_address="10.0.0.1", weight=0)
    assert sim.stats()["writes"] == 0
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Union

from .personality import API_DIR

__all__ = ["API_DIR", "VppSim", "VppSimError"]

# This file is .../ansible_collections/vpp/maglev/vppsim/harness.py: the collections root is
# four levels up. Do not resolve symlinks: the checkout is reached through .build/collections.
COLLECTIONS_ROOT = Path(os.path.abspath(__file__)).parents[4]


class VppSimError(RuntimeError):
    """The simulator did not start, died, or its control interface said no."""


class VppSim:
    def __init__(
        self,
        tmp_dir: Union[str, Path],
        *,
        vpp_version: str = "26.10",
        linger: bool = True,
        extra_args: Iterable[str] = (),
        start_timeout: float = 20.0,
    ) -> None:
        self.dir = Path(tmp_dir)
        self.socket = str(self.dir / "vpp-api.sock")
        self.control_socket = self.socket + ".ctl"
        self.stats_socket = str(self.dir / "stats.sock")  # beside the API socket, as vppsim's default
        self.api_dir = str(API_DIR)
        self.vpp_version = vpp_version
        self.args = ["--socket", self.socket, "--vpp-version", vpp_version]
        if not linger:
            self.args.append("--no-linger")
        self.args.extend(extra_args)
        if "--stats-socket" in self.args[:-1]:
            self.stats_socket = self.args[self.args.index("--stats-socket") + 1]  # '' when off
        self.start_timeout = start_timeout
        self.process: Optional[subprocess.Popen] = None
        # vppsim's stderr (e.g. a rejected frame) is read all along: an undrained pipe would
        # block the simulator once 64 KB of it piled up. The last lines are kept for errors.
        self.stderr_lines: deque = deque(maxlen=200)
        self._stderr_reader: Optional[threading.Thread] = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> VppSim:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(COLLECTIONS_ROOT), env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ansible_collections.vpp.maglev.vppsim", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.stderr_lines.clear()
        self._stderr_reader = threading.Thread(
            target=self._drain_stderr, args=(self.process.stderr,), name="vppsim-stderr", daemon=True
        )
        self._stderr_reader.start()
        deadline = time.monotonic() + self.start_timeout
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.process.stdout], [], [], remaining)[0]:
                self.stop()
                raise VppSimError("vppsim did not become ready within %.0fs" % self.start_timeout)
            chunk = os.read(self.process.stdout.fileno(), 1)
            if not chunk:
                self.stop()
                err = "\n".join(self.stderr_lines)
                raise VppSimError("vppsim exited before it was ready: %s" % err.strip())
            line += chunk
        if not line.startswith(b"vppsim: ready on "):
            self.stop()
            raise VppSimError("unexpected first line from vppsim: %r" % line)
        return self

    def stop(self) -> Optional[int]:
        """SIGTERM, wait, return the exit code (None if it was not running)."""
        proc, self.process = self.process, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        reader, self._stderr_reader = self._stderr_reader, None
        if reader is not None:
            reader.join(10)  # the pipe is at EOF once the process is gone
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
        return proc.returncode

    def _drain_stderr(self, stream: Any) -> None:
        for line in iter(stream.readline, b""):
            self.stderr_lines.append(line.decode(errors="replace").rstrip("\n"))

    def __enter__(self) -> VppSim:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- control ------------------------------------------------------------------------------

    def control(self, cmd: Dict[str, Any], timeout: float = 30.0) -> Dict[str, Any]:
        """Send one control request; raise VppSimError unless the answer is ok."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(self.control_socket)
            sock.sendall(json.dumps(cmd).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(1 << 20)
                if not chunk:
                    raise VppSimError("control socket closed without an answer to %r" % (cmd,))
                data += chunk
        answer = json.loads(data)
        if not answer.get("ok"):
            raise VppSimError("vppsim control %r failed: %s" % (cmd.get("cmd"), answer.get("error")))
        return answer

    def state(self) -> Dict[str, Any]:
        return self.control({"cmd": "state"})["state"]

    def stats(self) -> Dict[str, Any]:
        """{"counts": {message: n}, "total": n, "writes": n, "seq": last call seq}."""
        return self.control({"cmd": "stats"})

    def reset_stats(self) -> Dict[str, Any]:
        return self.control({"cmd": "reset_stats"})

    def calls(self, message: Optional[str] = None, since: int = 0, limit: int = 1000) -> list:
        cmd: Dict[str, Any] = {"cmd": "calls", "since": since, "limit": limit}
        if message:
            cmd["message"] = message
        return self.control(cmd)["calls"]

    def wait_for(self, message: Optional[str], timeout: float = 10.0, since: int = 0, **match: Any) -> Dict[str, Any]:
        """Block until a call of ``message`` whose args include ``match`` arrived (seq > since)."""
        cmd = {"cmd": "wait", "message": message, "match": match, "timeout": timeout, "since": since}
        return self.control(cmd, timeout=timeout + 10)["call"]

    def restart(self) -> Dict[str, Any]:
        return self.control({"cmd": "restart"})

    def set_fault(
        self,
        *,
        delay_ms: Optional[float] = None,
        drop_after: Union[int, str, None] = "keep",
        fail: Optional[Any] = None,
    ) -> Dict[str, Any]:
        """Change faults; ``drop_after=None`` clears it, ``fail={"message", "nth", "retval"}``."""
        cmd: Dict[str, Any] = {"cmd": "set_fault"}
        if delay_ms is not None:
            cmd["delay_ms"] = delay_ms
        if drop_after != "keep":
            cmd["drop_after"] = drop_after
        if fail is not None:
            cmd["fail"] = fail
        return self.control(cmd)["faults"]

    def clear_faults(self) -> Dict[str, Any]:
        return self.control({"cmd": "clear_faults"})["faults"]

    def advance_clock(self, seconds: float) -> int:
        return self.control({"cmd": "advance_clock", "seconds": seconds})["uptime"]

    def gc(self, force: bool = False) -> None:
        self.control({"cmd": "gc", "force": force})

    def traffic(self, vip: str, protocol: Any, port: int, flows: int, seed: int, **options: Any) -> Dict[str, Any]:
        """Send simulated flows (options: packets_per_flow, new_flows_only, detail); the answer
        of the `traffic` command (docs/vppsim.md#traffic)."""
        cmd = {"cmd": "traffic", "vip": vip, "protocol": protocol, "port": port, "flows": flows, "seed": seed}
        cmd.update(options)
        answer = self.control(cmd)
        answer.pop("ok", None)
        return answer
