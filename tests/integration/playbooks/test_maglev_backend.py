"""vpp.maglev.maglev_backend against a real maglevd (bin/maglevd), vppsim and local HTTP backends."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook_file
from ansible_collections.vpp.maglev.tests.helpers.waiting import wait_until

pytestmark = pytest.mark.integration

PLAY = """\
- name: maglev_backend
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Act
      vpp.maglev.maglev_backend: "{{ args }}"
"""


def config(backends) -> dict:
    """web: pool primary b1 (100), b2 (50); pool backup b3. solo: b1 only."""
    names = ["b1", "b2", "b3"]
    return {
        "maglev": {
            "vpp": {"lb": {"ipv4-src-address": "192.0.2.254", "startup-min-delay": "0s", "startup-max-delay": "0s"}},
            "healthchecks": {
                "hc-%s" % n: {
                    "type": "http",
                    "port": port,
                    "interval": "1s",
                    "timeout": "500ms",
                    "params": {"path": "/"},
                }
                for n, (_address, port, _server) in zip(names, backends)
            },
            "backends": {
                n: {"address": a, "healthcheck": "hc-%s" % n} for n, (a, _port, _server) in zip(names, backends)
            },
            "frontends": {
                "web": {
                    "address": "192.0.2.80",
                    "protocol": "tcp",
                    "port": 80,
                    "pools": [
                        {"name": "primary", "backends": {"b1": {}, "b2": {"weight": 50}}},
                        {"name": "backup", "backends": {"b3": {}}},
                    ],
                },
                "solo": {
                    "address": "192.0.2.81",
                    "protocol": "tcp",
                    "port": 80,
                    "pools": [{"name": "only", "backends": {"b1": {}}}],
                },
            },
        }
    }


def vpp_weights(vppsim, prefix="192.0.2.80/32") -> dict:
    for vip in vppsim.state()["vips"]:
        if vip["prefix"] == prefix:
            return {a["address"]: a["weight"] for a in vip["ases"]}
    return {}


@pytest.fixture
def lab(tmp_path, vppsim, http_backends, maglevd):
    control = maglevd(config(http_backends), vppsim.socket)
    address = {n: b[0] for n, b in zip(["b1", "b2", "b3"], http_backends)}
    want = {address["b1"]: 100, address["b2"]: 50, address["b3"]: 0}
    wait_until(lambda: vpp_weights(vppsim) == want, what="maglevd to program VPP")
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY)

    def act(check=False, **args):
        args.setdefault("maglevd_socket", control)
        extra = {"args": args}
        run = run_playbook_file(tmp_path / "runs", playbook, extra, check=check)
        return run, (run.entries[-1]["result"] if run.entries else {})

    return act, address


def test_pause_check_mode_predicts_then_apply_and_resume(lab, vppsim):
    act, address = lab
    run, result = act(check=True, name="b2", state="paused")
    assert run.ok, run.text()
    assert result["changed"] is True
    assert result["actions"] == ["backend b2 pause"]
    assert result["after"]["frontends"]["web"] == {"primary/b1": 100, "primary/b2": 0, "backup/b3": 0}
    assert vpp_weights(vppsim)[address["b2"]] == 50  # check mode sent nothing

    run, result = act(name="b2", state="paused", wait=True)
    assert run.ok, run.text()
    assert result["backends"] == {"b2": "paused"}
    wait_until(lambda: vpp_weights(vppsim)[address["b2"]] == 0, what="b2 at weight 0 in VPP")

    run, result = act(name="b2", state="paused")  # idempotent
    assert run.ok and result["changed"] is False

    run, result = act(name="b2", state="resumed", wait=True, wait_timeout=30)
    assert run.ok, run.text()
    assert result["backends"] == {"b2": "up"}
    wait_until(lambda: vpp_weights(vppsim)[address["b2"]] == 50, what="b2 back at 50 in VPP")


def test_guard_refuses_to_darken_a_serving_frontend(lab, vppsim):
    act, address = lab
    run, result = act(name="b1", state="disabled")
    assert not run.ok
    assert "solo" in result["msg"] and "allow_empty" in result["msg"]
    assert vpp_weights(vppsim, "192.0.2.81/32") == {address["b1"]: 100}
    # Pausing the whole primary pool is fine: the backup pool takes over.
    run, result = act(name=["b1", "b2"], state="paused", allow_empty=False, check=True)
    assert not run.ok  # still solo
    run, result = act(name=["b2"], state="disabled", check=True)
    assert run.ok and result["after"]["frontends"]["web"]["primary/b2"] == 0


def test_weight_and_errors(lab, vppsim):
    act, address = lab
    run, result = act(name="b2", frontend="web", pool="primary", weight=20)
    assert run.ok, run.text()
    assert result["actions"] == ["frontend web pool primary backend b2 weight 20"]
    wait_until(lambda: vpp_weights(vppsim)[address["b2"]] == 20, what="weight 20 in VPP")

    run, result = act(name="nope", state="paused")
    assert not run.ok and "no backend named nope" in result["msg"] and "b1" in result["msg"]

    run, result = act(name="b1", state="paused", maglevd_socket="/nonexistent/maglevd.sock")
    assert not run.ok and "not running" in result["msg"]
