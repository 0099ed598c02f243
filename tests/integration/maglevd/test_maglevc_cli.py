"""maglevc against a real maglevd: closed pipes, reload errors, name prefixes, `show frontends
NAME`, tab completion of hyphenated names, the one socket variable, and `show status` / `show vpp
info` in human units (a daemon on vppsim)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from ansible_collections.vpp.maglev.maglevd.maglevc.runner import EXIT_USAGE, Runner
from ansible_collections.vpp.maglev.maglevd.maglevc.shell import Shell
from ansible_collections.vpp.maglev.plugins.module_utils.maglevd_client import MaglevdClient
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import (
    ENV,
    PKG,
    MaglevdProcess,
    check_exit,
    wait_until,
)
from ansible_collections.vpp.maglev.tests.helpers.sample_config import MINIMAL_VPP_CONFIG

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    proc = MaglevdProcess(tmp_path_factory.mktemp("maglevc"))
    assert proc.wait_ready()["event"] == "ready", proc.seen
    yield proc
    code, records = proc.finish()
    check_exit(code, records)


@pytest.mark.parametrize(
    "words",
    [("show", "backends"), ("--json", "show", "frontends"), ("show", "frontend", "web-fe"), ("watch", "events")],
)
def test_a_closed_pipe_is_a_quiet_exit_0(daemon, words):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before maglevc writes a byte (as `| true` does)
    try:
        result = daemon.maglevc(*words, stdout=write_end)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (0, "")


def test_config_reload_prints_the_daemons_errors(daemon):
    good = daemon.config.read_text()
    daemon.config.write_text(good.replace("address: 127.0.0.3", "address: not-an-ip"))
    try:
        check = daemon.maglevc("config", "check")
        reload = daemon.maglevc("config", "reload")
        as_json = daemon.maglevc("--json", "config", "reload")
    finally:
        daemon.config.write_text(good)
    assert check.returncode == 1 and "db-main" in check.stdout
    assert reload.returncode == 1 and "HTTP 422" not in reload.stdout + reload.stderr
    assert reload.stdout.splitlines()[0] == "reload refused, running config kept:"
    assert reload.stdout.splitlines()[1:] == check.stdout.splitlines()  # the same lines as --check
    result = json.loads(as_json.stdout)
    assert result["ok"] is False and result["exit_code"] == 2 and result["errors"] == check.stdout.splitlines()
    assert MaglevdClient(daemon.socket).backend("db-main")["address"] == "127.0.0.3"  # kept


def test_names_take_a_unique_prefix_like_keywords(daemon):
    out = daemon.maglevc("--json", "show", "backend", "web-o")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["name"] == "web-one"
    assert json.loads(daemon.maglevc("--json", "sh", "fr", "web-f").stdout)["name"] == "web-fe"

    ambiguous = daemon.maglevc("show", "backend", "web")
    assert ambiguous.returncode == EXIT_USAGE and len(ambiguous.stderr.splitlines()) == 1
    assert "ambiguous" in ambiguous.stderr and "web-one" in ambiguous.stderr and "web-two" in ambiguous.stderr
    ambiguous = daemon.maglevc("show", "frontend", "web-")
    assert ambiguous.returncode == EXIT_USAGE and "web-fe" in ambiguous.stderr and "web-admin" in ambiguous.stderr

    out = daemon.maglevc("--json", "set", "frontend", "web-f", "pool", "prim", "backend", "web-t", "weight", "20")
    assert out.returncode == 0, out.stderr
    pool = next(p for p in json.loads(out.stdout)["pools"] if p["name"] == "primary")
    assert {m["backend"]: m["configured_weight"] for m in pool["backends"]}["web-two"] == 20

    assert daemon.maglevc("set", "backend", "db", "pause").returncode == 0
    assert MaglevdClient(daemon.socket).backend("db-main")["state"] == "paused"
    assert daemon.maglevc("set", "backend", "db", "resume").returncode == 0

    missing = daemon.maglevc("show", "backend", "nope")
    assert missing.returncode == 1 and "not found" in missing.stderr  # the daemon's own answer


def test_show_frontends_name_is_show_frontend_name(daemon):
    plural = daemon.maglevc("--json", "show", "frontends", "web-fe")
    singular = daemon.maglevc("--json", "show", "frontend", "web-fe")
    assert plural.returncode == 0, plural.stderr
    assert json.loads(plural.stdout)["name"] == json.loads(singular.stdout)["name"] == "web-fe"
    assert json.loads(daemon.maglevc("--json", "show", "backends", "web-two").stdout)["name"] == "web-two"
    assert len(json.loads(daemon.maglevc("--json", "show", "frontends").stdout)) == 2


def test_completion_of_hyphenated_names_from_the_daemon(daemon):
    shell = Shell(Runner(MaglevdClient(daemon.socket, timeout=10), False))
    assert shell.complete_line("show backend web-") == ["web-one ", "web-two "]
    assert shell.complete_line("show backend web-t") == ["web-two "]
    assert shell.complete_line("show frontends w") == ["web-fe ", "web-admin "]
    assert shell.complete_line("set frontend web-fe pool ") == ["primary ", "backup-pool "]
    assert shell.complete_line("set frontend web-fe pool backup-pool backend db") == ["db-main "]
    assert shell.complete_line("set backend db-main ") == ["pause ", "resume ", "enable ", "disable ", "drain "]
    assert shell.complete_line("sh") == ["show "]

    # Through cmd's hooks, as readline calls them: with the shell's delimiters (whitespace
    # only) the word starts at the name; with readline's default ones it starts after the "-".
    line = "show backend web-t"
    assert shell.completedefault("web-t", line, line.index("web"), len(line)) == ["web-two "]
    assert shell.completedefault("t", line, line.index("t", 14), len(line)) == ["two "]
    shell.preloop()
    readline = pytest.importorskip("readline")
    assert "-" not in readline.get_completer_delims() and " " in readline.get_completer_delims()


@pytest.mark.parametrize("variable, warns", [("MAGLEV_SOCKET", False), ("MAGLEV_CONTROL_SOCKET", True)])
def test_one_socket_variable_for_maglevc_too(daemon, variable, warns):
    out = daemon.maglevc("--json", "show", "version", env={variable: daemon.socket}, socket_flag=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["pid"] == daemon.proc.pid
    if warns:
        assert out.stderr.count("\n") == 1 and "MAGLEV_CONTROL_SOCKET is deprecated" in out.stderr
    else:
        assert out.stderr == ""


def test_tab_completes_a_hyphenated_name_in_the_interactive_shell(daemon):
    """The real shell in a pty: `db-m<TAB>` must become `db-main ` for `pause` to follow."""
    pytest.importorskip("readline")
    import pty
    import select
    import time

    fd, child_end = pty.openpty()
    shell = subprocess.Popen(
        [sys.executable, "-m", f"{PKG}.maglevc", "--socket", daemon.socket],
        stdin=child_end,
        stdout=child_end,
        stderr=child_end,
        env={**ENV, "TERM": "dumb"},
        start_new_session=True,
    )
    os.close(child_end)
    output = b""

    def read_until(marker: bytes, count: int = 1, timeout: float = 20) -> bytes:
        nonlocal output
        deadline = time.monotonic() + timeout
        while output.count(marker) < count and time.monotonic() < deadline:
            if select.select([fd], [], [], deadline - time.monotonic())[0]:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the shell is gone
                    break
                if not chunk:
                    break
                output += chunk
        return output

    try:
        read_until(b"maglevc> ")
        os.write(fd, b"set backend db-m\tpause\r")
        assert b"backend db-main: paused" in read_until(b"backend db-main: "), output
        os.write(fd, b"set backend db-main resume\r")
        read_until(b"backend db-main: ", count=2)
        os.write(fd, b"quit\r")
    finally:
        if shell.poll() is None:
            shell.kill()
        shell.wait(30)
        os.close(fd)
    assert MaglevdClient(daemon.socket).backend("db-main")["state"] != "paused"


# A Unix timestamp (10 digits, a fraction), a float with more decimals than a person reads, and
# Python's literals: none of them may reach an operator's screen.
EPOCH = re.compile(r"\b1\d{9}(\.\d+)?\b")
UNROUNDED = re.compile(r"\d\.\d{4,}")
PYTHON_WORDS = re.compile(r"\b(True|False|None)\b")


def test_show_status_and_vpp_info_read_as_a_person_writes(tmp_path, vppsim):
    daemon = MaglevdProcess(tmp_path, MINIMAL_VPP_CONFIG, "--vpp-api-addr", vppsim.socket)
    try:
        assert daemon.wait_ready()["event"] == "ready", daemon.seen
        wait_until(lambda: daemon.client.vpp_info()["reconciler"]["last_full_sync"], what="maglevd's first full sync")
        status, info = daemon.maglevc("show", "status"), daemon.maglevc("show", "vpp", "info")
        as_json = json.loads(daemon.maglevc("--json", "show", "vpp", "info").stdout)
    finally:
        daemon.stop()
    for out in (status, info):
        assert (out.returncode, out.stderr) == (0, ""), out.stderr
        for pattern in (EPOCH, UNROUNDED, PYTHON_WORDS):
            assert not pattern.search(out.stdout), (pattern.pattern, out.stdout)
        columns = {len(line) - len(line[line.index("  ") :].lstrip()) for line in out.stdout.splitlines()}
        assert len(columns) == 1, out.stdout  # one value column, as HAProxy's `show info`
    assert re.search(rf"^maglevd +1\.0\.0, pid {daemon.proc.pid}$", status.stdout, re.M), status.stdout
    assert re.search(r"^started +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(up [\d.]+m?s\)$", status.stdout, re.M), status.stdout
    assert re.search(rf"^vpp +connected to {re.escape(vppsim.socket)}, version 26\.10", status.stdout, re.M)
    assert re.search(r"^last ok +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \([\d.]+(us|ms|s) ago\)$", info.stdout, re.M)
    assert re.search(
        r"^last full sync +full ok \(connect\) \S+ \S+ \(.+ ago\) in [\d.]+(us|ms|s): 1 VIP added, 2 ASes added",
        info.stdout,
        re.M,
    ), info.stdout
    # --json keeps the API's own data for scripts: the timestamps and booleans as they are
    assert isinstance(as_json["last_ok"], float) and as_json["connected"] is True
