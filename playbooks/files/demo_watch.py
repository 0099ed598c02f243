"""Time a failover (or fail-back) with maglevd's own clocks, for the demo.

    demo_watch.py SOCKET --to down|up --backends web1,web2 [--timeout 30] --run 'COMMAND' [--run ...]

Subscribes to maglevd's event stream (GET /v1/events?log=1, docs/api.md) on the control
SOCKET, then runs each COMMAND (e.g. stopping the primary pool's backends), then waits until
every named backend has a backend-transition to the --to state and VPP has been synced after
the last of them (the reconciler's vpp-sync record, docs/reconciler.md). It prints one JSON
object: each backend's transition time and probe code, the sync's end time and calls, and
"ms": from the last transition (the probe that decided it) to the end of that sync, when VPP
had acknowledged the new weights. Exit status 1 (with a message) on timeout.

Which sync: the first one that started after the last transition. A sync snapshots the
backend states when it starts (docs/reconciler.md: one sync at a time, the rest coalesce into
the next), so one that started earlier cannot carry the new weights even if it ends later.
The log line's time has millisecond precision; /v1/vpp/info's last_sync has the exact one
unless a later sync (a no-op one, e.g. for the frontend's own transition) replaced it
already; "exact" in the output says which was used.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import shlex
import socket
import subprocess
import sys
import time
from typing import Any, Dict, Iterator, List, Optional


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def get_json(path: str, url: str) -> Any:
    conn = UnixConnection(path, 5.0)
    try:
        conn.request("GET", url)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def open_stream(path: str, timeout: float) -> Iterator[Dict[str, Any]]:
    """Subscribe now (maglevd subscribes before it sends the headers), return the event iterator."""
    conn = UnixConnection(path, timeout)
    conn.request("GET", "/v1/events?log=1&level=info&noreplay=1")
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit("GET /v1/events: HTTP %d %s" % (response.status, response.read()[:200]))

    def events() -> Iterator[Dict[str, Any]]:
        try:
            for line in response:
                if line.strip():
                    yield json.loads(line)
        finally:
            conn.close()

    return events()


def log_time(text: str) -> float:
    """maglevd's log time (2026-11-26T18:07:41.023Z, UTC) as unix seconds."""
    when = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return when.replace(tzinfo=datetime.timezone.utc).timestamp()


def exact_sync(path: str, event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """/v1/vpp/info's last_sync when it is the sync ``event`` logged (its exact times)."""
    last = (get_json(path, "/v1/vpp/info").get("reconciler") or {}).get("last_sync") or {}
    same = last.get("seconds") == event.get("seconds") and abs(last.get("time", 0) - log_time(event["time"])) < 0.002
    return last if same else None


def sync_times(path: str, event: Dict[str, Any]) -> tuple:
    """(start, end, exact) of the logged sync in unix seconds; exact when /v1/vpp/info still
    has it, else from the log line (which truncates to the millisecond)."""
    exact = exact_sync(path, event)
    end = exact["time"] if exact else log_time(event["time"]) + 0.0005
    return end - event["seconds"], end, exact is not None


def watch(path: str, target: str, backends: List[str], commands: List[str], timeout: float) -> Dict[str, Any]:
    events = open_stream(path, timeout)
    for command in commands:
        subprocess.run(shlex.split(command), check=True, stdout=subprocess.DEVNULL)
    moved: Dict[str, Dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    for event in events:
        if time.monotonic() > deadline:
            break
        if event.get("type") == "backend-transition" and event.get("backend") in backends:
            if event.get("to") == target:
                moved[event["backend"]] = {"time": event["time"], "code": event.get("code")}
            continue
        if len(moved) < len(backends) or event.get("type") != "log" or event.get("log_event") != "vpp-sync":
            continue
        if event.get("result") != "ok" or not event.get("api_calls"):
            continue
        last = max(entry["time"] for entry in moved.values())
        start, end, exact = sync_times(path, event)
        if start >= last:
            return {
                "backends": moved,
                "last_transition": last,
                "sync": {"end": end, "calls": event["api_calls"], "scope": event.get("scope"), "exact": exact},
                "ms": round((end - last) * 1000),
            }
    missing = sorted(set(backends) - set(moved))
    raise SystemExit("no VPP sync after %s went %s within %d s" % (", ".join(missing or backends), target, timeout))


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("socket")
    parser.add_argument("--to", required=True, choices=["down", "up"])
    parser.add_argument("--backends", required=True)
    parser.add_argument("--run", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    try:
        result = watch(args.socket, args.to, args.backends.split(","), args.run, args.timeout)
    except TimeoutError:  # socket.timeout is TimeoutError
        print("no event from maglevd within %d s" % args.timeout, file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
