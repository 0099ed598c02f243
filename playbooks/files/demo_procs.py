"""Start and stop the demo's background processes (vppsim, HTTP backends, maglevd).

    demo_procs.py start DIR NAME (--socket PATH | --tcp HOST:PORT) -- COMMAND...
    demo_procs.py stop DIR NAME
    demo_procs.py stop-all DIR
    demo_procs.py free-port HOST[,HOST...]

start runs COMMAND in its own session with output in DIR/NAME.log and its pid in
DIR/NAME.pid, then waits (30 s at most) until it accepts connections on the Unix socket or
TCP address; if it exits first, its log is printed and the exit status is 1. stop sends
SIGTERM (SIGKILL after 10 s). Only processes this script started are touched: it reads
their pids from DIR.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import List


def ready(sock_path: str, tcp: str) -> bool:
    family = socket.AF_UNIX if sock_path else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            if sock_path:
                probe.connect(sock_path)
            else:
                host, port = tcp.rsplit(":", 1)
                probe.connect((host, int(port)))
        except OSError:
            return False
    return True


def start(directory: Path, name: str, sock_path: str, tcp: str, command: List[str]) -> int:
    with open(directory / (name + ".log"), "ab") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    (directory / (name + ".pid")).write_text(str(proc.pid))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(
                "%s exited with status %s:\n%s"
                % (name, proc.returncode, (directory / (name + ".log")).read_text()[-2000:])
            )
            return 1
        if ready(sock_path, tcp):
            print("%s: started (pid %d)" % (name, proc.pid))
            return 0
        time.sleep(0.1)
    print(
        "%s did not accept connections within 30 s; log:\n%s"
        % (name, (directory / (name + ".log")).read_text()[-2000:])
    )
    stop(directory, name)
    return 1


def stop(directory: Path, name: str) -> int:
    pidfile = directory / (name + ".pid")
    if not pidfile.exists():
        print("%s: not running" % name)
        return 0
    pid = int(pidfile.read_text())
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pidfile.unlink()
        return 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                break
        except ChildProcessError:  # not our child (started by an earlier command): poll it
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
        time.sleep(0.1)
    else:
        os.killpg(pid, signal.SIGKILL)
    pidfile.unlink()
    print("%s: stopped" % name)
    return 0


def free_port(hosts: List[str]) -> int:
    for _attempt in range(50):
        with socket.socket() as first:
            first.bind((hosts[0], 0))
            port = first.getsockname()[1]
            others = []
            try:
                for host in hosts[1:]:
                    other = socket.socket()
                    others.append(other)
                    other.bind((host, port))
            except OSError:
                continue
            finally:
                for other in others:
                    other.close()
        print(port)
        return 0
    print("no port is free on all of %s" % ", ".join(hosts), file=sys.stderr)
    return 1


def main(argv: List[str]) -> int:
    if len(argv) >= 3 and argv[1] == "start":
        directory, name, rest = Path(argv[2]), argv[3], argv[4:]
        split = rest.index("--")
        options, command = rest[:split], rest[split + 1 :]
        sock_path = options[options.index("--socket") + 1] if "--socket" in options else ""
        tcp = options[options.index("--tcp") + 1] if "--tcp" in options else ""
        return start(directory, name, sock_path, tcp, command)
    if len(argv) == 4 and argv[1] == "stop":
        return stop(Path(argv[2]), argv[3])
    if len(argv) == 3 and argv[1] == "stop-all":
        for pidfile in sorted(Path(argv[2]).glob("*.pid"), reverse=True):
            stop(Path(argv[2]), pidfile.stem)
        return 0
    if len(argv) == 3 and argv[1] == "free-port":
        return free_port(argv[2].split(","))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
