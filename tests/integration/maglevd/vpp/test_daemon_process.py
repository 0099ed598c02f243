"""The real maglevd process against vppsim: SIGTERM leaves VPP's weights, a restart with VPP
intact pushes no weight 0 for backends that are merely unknown (docs/reconciler.md#restart-warmup)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

from ansible_collections.vpp.maglev.vppsim.harness import COLLECTIONS_ROOT

CONFIG = """
maglev:
  vpp:
    lb: {ipv4-src-address: 192.0.2.1, startup-min-delay: 300ms, startup-max-delay: 30s, sync-interval: 1h}
  healthchecks:
    always: {type: static}
    tcp: {type: tcp, port: %(port)d, interval: 200ms, timeout: 150ms, rise: 1, fall: 1}
  backends:
    a1: {address: 10.0.0.1, healthcheck: always}
    a2: {address: 10.0.0.2, healthcheck: always}
    t1: {address: 127.0.0.1, healthcheck: tcp}
  frontends:
    web:
      address: 192.0.2.10
      protocol: tcp
      port: 80
      pools: [{name: main, backends: {a1: {}, a2: {}}}]
    svc:
      address: 192.0.2.11
      protocol: tcp
      port: 443
      pools: [{name: main, backends: {a1: {}, t1: {}}}]
"""


def start_daemon(tmp_path, vppsim, name: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS_ROOT), MAGLEV_VPP_PING_INTERVAL="1")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ansible_collections.vpp.maglev.maglevd",
            "--config",
            str(tmp_path / "maglev.yaml"),
            "--control-socket",
            str(tmp_path / (name + ".sock")),
            "--vpp-api-addr",
            vppsim.socket,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(20)


def weights(state: dict) -> dict:
    return {(v["prefix"], a["address"]): a["weight"] for v in state["vips"] for a in v["ases"] if a["used"]}


def test_sigterm_keeps_weights_and_restart_pushes_no_weight_zero(vppsim, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]  # bound, not listening: connection refused -> t1 down
    (tmp_path / "maglev.yaml").write_text(CONFIG % {"port": port})
    first = start_daemon(tmp_path, vppsim, "first")
    try:
        # after the hands-off window: both VIPs created, t1 down at 0, the rest at 100
        vppsim.wait_for("lb_add_del_as_v2", 30, as_address="10.0.0.2")
        vppsim.wait_for("lb_add_del_as_v2", 30, as_address="127.0.0.1")
        vppsim.wait_for("lb_add_del_as_v2", 30, pfx="192.0.2.11/32", as_address="10.0.0.1")
    finally:
        code = stop(first)
    before = weights(vppsim.state())
    mark = vppsim.stats()["seq"]
    assert code == 0
    listener.listen()  # t1 comes back while maglevd is down
    second = start_daemon(tmp_path, vppsim, "second")
    try:
        raised = vppsim.wait_for("lb_as_set_weight", 30, since=mark, as_address="127.0.0.1", weight=100)
    finally:
        assert stop(second) == 0
        listener.close()
    after = weights(vppsim.state())
    calls = vppsim.calls(since=mark)
    assert before == {
        ("192.0.2.10/32", "10.0.0.1"): 100,
        ("192.0.2.10/32", "10.0.0.2"): 100,
        ("192.0.2.11/32", "10.0.0.1"): 100,
        ("192.0.2.11/32", "127.0.0.1"): 0,
    }
    assert raised["retval"] == 0
    zero = [c for c in calls if c["message"] == "lb_as_set_weight" and c["args"]["weight"] == 0]
    structural = [c for c in calls if c["message"] in ("lb_add_del_as_v2", "lb_add_del_vip_v2")]
    assert zero == [] and structural == []
    assert after == {**before, ("192.0.2.11/32", "127.0.0.1"): 100}
