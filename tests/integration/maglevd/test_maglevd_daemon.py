"""The real daemon as a subprocess, driven with maglevc and the stdlib client over its socket."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys

import pytest
import yaml
from ansible_collections.vpp.maglev.plugins.module_utils.maglevd_client import (
    MaglevdClient,
    MaglevdError,
    MaglevdUnavailable,
)
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import ENV, PKG, MaglevdProcess
from ansible_collections.vpp.maglev.tests.helpers.sample_config import probed_config

pytestmark = pytest.mark.integration


@pytest.fixture
def daemon(tmp_path, web):
    d = MaglevdProcess(tmp_path, probed_config(web.server_address[1]), "--metrics-addr", "127.0.0.1:0")
    d.wait_ready()
    assert d.ready.get("event") == "ready", d.ready
    yield d
    d.stop()


def test_round_trip_with_maglevc(daemon, web):
    daemon.wait_state("web1", "up")
    daemon.wait_state("spare", "down")
    mode = os.stat(daemon.socket).st_mode
    assert stat.S_IMODE(mode) == 0o660 and stat.S_IMODE(os.stat(os.path.dirname(daemon.socket)).st_mode) == 0o750

    out = daemon.maglevc("show", "backends")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].split()[:3] == ["BACKEND", "ADDRESS", "STATE"]
    assert any(line.split()[:3] == ["web1", "127.0.0.1", "up"] for line in out.stdout.splitlines())

    assert json.loads(daemon.maglevc("--json", "sh", "fr", "web").stdout)["name"] == "web"  # prefixes
    daemon.wait_state("web2", "up")
    frontend = daemon.client.frontend("web")
    weights = {m["backend"]: m["weight"] for p in frontend["pools"] for m in p["backends"]}
    assert weights == {"web1": 100, "web2": 50, "spare": 0} and frontend["state"] == "up"

    # pause stops probing; resume returns to unknown; pause on disabled is refused
    out = daemon.maglevc("set", "backend", "web1", "pause")
    assert out.returncode == 0 and "paused" in out.stdout
    assert daemon.client.backend("web1")["probing"] is False
    assert daemon.maglevc("set", "backend", "web1", "resume").returncode == 0
    recent = [(t["from"], t["to"]) for t in daemon.client.backend("web1")["history"][:2]]
    assert ("paused", "unknown") in recent  # (resume probes at once: it may already be up again)
    daemon.wait_state("web1", "up")
    assert daemon.maglevc("set", "backend", "web1", "disable").returncode == 0
    out = daemon.maglevc("set", "backend", "web1", "pause")
    assert out.returncode == 1 and "disabled" in out.stderr and "Traceback" not in out.stderr
    assert daemon.client.backend("web1")["state"] == "disabled"
    assert daemon.maglevc("set", "backend", "web1", "enable").returncode == 0

    out = daemon.maglevc("--json", "set", "frontend", "web", "pool", "primary", "backend", "web2", "weight", "20")
    assert out.returncode == 0, out.stderr
    member = next(m for p in json.loads(out.stdout)["pools"] for m in p["backends"] if m["backend"] == "web2")
    assert member["configured_weight"] == 20
    out = daemon.maglevc("set", "frontend", "web", "pool", "primary", "backend", "web2", "weight", "200")
    assert out.returncode == 1 and "from 0 to 100" in out.stderr  # the weight rule names its range (rules/pool.py)

    out = daemon.maglevc("show", "bogus")
    assert out.returncode == 64 and "unknown word 'bogus' after show" in out.stderr
    out = daemon.maglevc("show", "backend", "nope")
    assert out.returncode == 1 and "not found" in out.stderr
    assert "maglev_probe_total" in daemon.client.metrics()


def test_health_failure_and_failover(daemon, web):
    daemon.wait_state("web1", "up")
    daemon.wait_state("web2", "up")
    web.healthy = False
    daemon.wait_state("web1", "down")
    daemon.wait_state("web2", "down")
    frontend = daemon.client.frontend("web")
    assert frontend["state"] == "down" and daemon.client.backend("web1")["code"] == "L7STS"


def test_reload_keeps_config_on_error_and_applies_changes(daemon, web, tmp_path):
    daemon.wait_state("web1", "up")
    good = daemon.config.read_text()
    daemon.config.write_text("maglev: [unclosed")
    out = daemon.maglevc("config", "reload")
    assert out.returncode == 1 and "running config kept" in out.stdout
    assert daemon.client.backend("web1")["state"] == "up"
    assert daemon.maglevc("config", "check").returncode == 1

    smaller = yaml.safe_load(good)  # spare and the backup pool that holds it go
    del smaller["maglev"]["backends"]["spare"]
    web = smaller["maglev"]["frontends"]["web"]
    web["pools"] = [pool for pool in web["pools"] if pool["name"] != "backup"]
    daemon.config.write_text(yaml.safe_dump(smaller))
    stream = daemon.client.events(backend="spare")
    assert next(stream)["replay"]  # subscribed (the current state comes first)
    daemon.proc.send_signal(signal.SIGHUP)
    event = next(stream)
    assert (event["type"], event["to"]) == ("backend-transition", "removed")
    assert daemon.client.backend("spare")["state"] == "removed"
    assert daemon.client.backend("web1")["state"] == "up"  # unchanged backend kept its state


def test_tcp_listener_needs_the_token(tmp_path, web):
    config = probed_config(web.server_address[1])
    d = MaglevdProcess(tmp_path, config, "--control-addr", "127.0.0.1:0", env={"MAGLEV_CONTROL_TOKEN": "s3cret"})
    d.wait_ready()
    try:
        address = d.ready["control_addr"]
        with pytest.raises(MaglevdError) as info:
            MaglevdClient(server=address, token="wrong").backends()
        assert info.value.status == 401
        assert len(MaglevdClient(server=address, token="s3cret").backends()) == 3
    finally:
        d.stop()


def test_tcp_listener_without_token_refuses_to_start(tmp_path, web):
    d = MaglevdProcess(tmp_path, probed_config(web.server_address[1]), "--control-addr", "127.0.0.1:0")
    d.wait_ready()
    code = d.proc.wait(timeout=30)
    d.stop()
    assert d.ready["event"] == "startup-failed" and "token" in d.ready["error"] and code == 1


def test_clean_exit_removes_socket(daemon):
    code, _out, _err = daemon.stop()
    assert code == 0 and not os.path.exists(daemon.socket)
    out = daemon.maglevc("show", "backends")
    assert (
        out.returncode == 3
        and out.stderr.startswith("error: maglevd is not running")
        and len(out.stderr.splitlines()) == 1
    )
    with pytest.raises(MaglevdUnavailable):
        daemon.client.backends()


def test_second_daemon_on_the_same_socket_refuses(daemon, tmp_path, web):
    other = tmp_path / "other"
    other.mkdir()
    d2 = subprocess.run(
        [
            sys.executable,
            "-m",
            PKG,
            "--config",
            str(daemon.config),
            "--control-socket",
            daemon.socket,
            "--vpp-api-addr",
            "",
        ],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
        check=False,
    )
    assert d2.returncode == 1 and "in use" in d2.stdout
    assert socket.socket  # the first daemon still answers:
    assert daemon.client.version()["version"]
