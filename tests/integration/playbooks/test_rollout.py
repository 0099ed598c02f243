"""playbooks/rollout.yml against vppsim: no new flow reaches a backend under deployment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import ROOT, run_playbook_file
from ansible_collections.vpp.maglev.tests.helpers.waiting import wait_until

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
ROLLOUT = ROOT / "playbooks" / "rollout.yml"
WEIGHTS = {"b1": 100, "b2": 50, "b3": 100}

CONVERGE = """\
- name: Converge the test load balancer
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Converge
      vpp.maglev.vpp_lb_state:
        config: "{{ maglev_config }}"
        state: merged
        api_socket: "{{ vpp_api_socket }}"
        api_dir: "{{ vpp_api_dir }}"
"""


def lb_config(backends, solo: bool = False) -> dict:
    """Frontend web: one pool b1 (100), b2 (50), b3 (100); optionally frontend solo with b1 only."""
    names = ["b1", "b2", "b3"]
    config = {
        "maglev": {
            "vpp": {"lb": {"ipv4-src-address": "192.0.2.254"}},
            "healthchecks": {
                "hc-%s" % name: {"type": "tcp", "port": port, "interval": "2s", "timeout": "1s"}
                for name, (_address, port, _server) in zip(names, backends)
            },
            "backends": {
                name: {"address": address, "healthcheck": "hc-%s" % name}
                for name, (address, _port, _server) in zip(names, backends)
            },
            "frontends": {
                "web": {
                    "address": "192.0.2.10",
                    "protocol": "tcp",
                    "port": 80,
                    "pools": [{"name": "main", "backends": {name: {"weight": WEIGHTS[name]} for name in names}}],
                }
            },
        }
    }
    if solo:
        config["maglev"]["frontends"]["solo"] = {
            "address": "192.0.2.11",
            "protocol": "tcp",
            "port": 80,
            "pools": [{"name": "only", "backends": {"b1": {}}}],
        }
    return config


def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.ini"
    path.write_text(
        "[vpp_lbs]\nlb ansible_connection=local\n\n[backends]\nb1 ansible_connection=local\n"
        "b2 ansible_connection=local\nb3 ansible_connection=local\n"
    )
    return path


def setup(tmp_path, vppsim, backends, solo=False):
    config = lb_config(backends, solo)
    common = {"maglev_config": config, "vpp_api_socket": vppsim.socket, "vpp_api_dir": vppsim.api_dir}
    converge = tmp_path / "converge.yml"
    converge.write_text(CONVERGE)
    run = run_playbook_file(tmp_path / "converge", converge, common)
    assert run.ok, run.text()
    return common


def weights(vppsim) -> dict:
    return {vip["prefix"]: {a["address"]: a["weight"] for a in vip["ases"]} for vip in vppsim.state()["vips"]}


def rollout_vars(tmp_path, vppsim, common, **extra) -> dict:
    return {
        **common,
        "rollout_via": "vpp",
        "rollout_deploy_tasks": str(HERE / "files" / "deploy.yml"),
        "sim_buckets": str(HERE / "files" / "sim_buckets.py"),
        "sim_control": vppsim.control_socket,
        "deploy_log": str(tmp_path / "deploys.jsonl"),
        "rollout_wait_timeout": 30,
        **extra,
    }


def deploys(tmp_path) -> list:
    path = tmp_path / "deploys.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("action", ["drain", "disable"])
def test_rollout_without_daemon_keeps_deployed_backends_out_of_the_table(tmp_path, vppsim, http_backends, action):
    common = setup(tmp_path, vppsim, http_backends)
    address = {name: b[0] for name, b in zip(["b1", "b2", "b3"], http_backends)}
    before = weights(vppsim)
    assert before == {"192.0.2.10/32": {address[n]: WEIGHTS[n] for n in WEIGHTS}}

    run = run_playbook_file(
        tmp_path / "rollout",
        ROLLOUT,
        rollout_vars(tmp_path, vppsim, common, rollout_action=action),
        inventory=inventory(tmp_path),
    )
    assert run.ok, run.text()
    # Every host was deployed, one at a time, and at that moment VPP gave it no bucket.
    seen = deploys(tmp_path)
    assert [entry["host"] for entry in seen] == ["b1", "b2", "b3"]
    for entry in seen:
        buckets = entry["vips"]["192.0.2.10/32"]
        assert buckets[address[entry["host"]]] == 0
        assert sum(buckets.values()) > 0
    # Everything is back with its configured weight.
    assert weights(vppsim) == before
    if action == "disable":
        flushed = {
            call["args"].get("as_address") for call in vppsim.calls("lb_as_set_weight") if call["args"].get("is_flush")
        }
        assert {address["b1"], address["b2"], address["b3"]} <= {str(a) for a in flushed}


def test_rollout_stops_at_the_first_failed_batch_with_the_lb_serving(tmp_path, vppsim, http_backends):
    common = setup(tmp_path, vppsim, http_backends)
    address = {name: b[0] for name, b in zip(["b1", "b2", "b3"], http_backends)}
    run = run_playbook_file(
        tmp_path / "rollout",
        ROLLOUT,
        rollout_vars(tmp_path, vppsim, common, deploy_fail_hosts=["b2"]),
        inventory=inventory(tmp_path),
    )
    assert not run.ok
    assert [entry["host"] for entry in deploys(tmp_path)] == ["b1", "b2"]  # b3 never touched
    now = weights(vppsim)["192.0.2.10/32"]
    assert now == {address["b1"]: 100, address["b2"]: 0, address["b3"]: 100}


def test_rollout_refuses_to_take_the_last_serving_backend_of_a_vip(tmp_path, vppsim, http_backends):
    common = setup(tmp_path, vppsim, http_backends, solo=True)
    before = weights(vppsim)
    run = run_playbook_file(
        tmp_path / "rollout",
        ROLLOUT,
        rollout_vars(tmp_path, vppsim, common, rollout_hosts="b1"),
        inventory=inventory(tmp_path),
    )
    assert not run.ok
    assert "192.0.2.11" in run.text()
    assert deploys(tmp_path) == []  # the deploy never ran
    assert weights(vppsim) == before


def test_rollout_through_maglevd_keeps_deployed_backends_out_of_the_table(tmp_path, vppsim, http_backends, maglevd):
    config = lb_config(http_backends)
    config["maglev"]["vpp"]["lb"].update({"startup-min-delay": "0s", "startup-max-delay": "0s"})
    control = maglevd(config, vppsim.socket)
    address = {name: b[0] for name, b in zip(["b1", "b2", "b3"], http_backends)}
    before = {"192.0.2.10/32": {address[n]: WEIGHTS[n] for n in WEIGHTS}}
    wait_until(lambda: weights(vppsim) == before, what="maglevd to program VPP")
    common = {"maglev_config": config, "vpp_api_socket": vppsim.socket, "vpp_api_dir": vppsim.api_dir}

    run = run_playbook_file(
        tmp_path / "rollout",
        ROLLOUT,
        {**rollout_vars(tmp_path, vppsim, common), "rollout_via": "maglevd", "maglevd_socket": control},
        inventory=inventory(tmp_path),
    )
    assert run.ok, run.text()
    seen = deploys(tmp_path)
    assert [entry["host"] for entry in seen] == ["b1", "b2", "b3"]
    for entry in seen:
        buckets = entry["vips"]["192.0.2.10/32"]
        assert buckets[address[entry["host"]]] == 0
        assert sum(buckets.values()) > 0
    # Resumed, probed up again, and maglevd gave every backend its weight back.
    wait_until(lambda: weights(vppsim) == before, what="all weights back")
