"""maglevd leaves behind nothing it created for its control socket: the socket, and the
directories it had to make for it (the default is /run/maglevd/maglevd.sock; here a path
under tmp_path that does not exist yet). A directory that was there before stays, with
whatever else is in it (docs/api.md)."""

from __future__ import annotations

import socket

import pytest
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess, check_exit
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATIC_CONFIG

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def run(tmp_path, socket_path, *args):
    daemon = MaglevdProcess(tmp_path, STATIC_CONFIG, "--control-socket", str(socket_path), *args, socket_flag=False)
    return daemon, daemon.wait_ready()


def test_it_removes_the_directories_it_made_and_only_those(tmp_path):
    run_dir = tmp_path / "run"
    daemon, ready = run(tmp_path, run_dir / "maglevd" / "maglevd.sock")
    assert ready["event"] == "ready", daemon.seen
    assert (run_dir / "maglevd" / "maglevd.sock").is_socket()
    assert oct((run_dir / "maglevd").stat().st_mode & 0o777) == "0o750"
    code, records = daemon.finish()
    check_exit(code, records)
    assert code == 0 and not run_dir.exists()

    # A directory that was there before stays, with what else lives in it.
    run_dir.mkdir(mode=0o755)
    (run_dir / "other.pid").write_text("1\n")
    daemon, ready = run(tmp_path, run_dir / "maglevd.sock")
    assert ready["event"] == "ready", daemon.seen
    code, records = daemon.finish()
    check_exit(code, records)
    assert sorted(p.name for p in run_dir.iterdir()) == ["other.pid"]


def test_a_start_that_fails_after_the_socket_cleans_up_too(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        daemon, ready = run(tmp_path, tmp_path / "run" / "maglevd.sock", "--metrics-addr", f"127.0.0.1:{port}")
        assert ready["event"] == "startup-failed", daemon.seen
        code, records = daemon.finish()
    finally:
        taken.close()
    assert code != 0 and records[-1]["event"] == "stopped"
    assert not (tmp_path / "run").exists()
