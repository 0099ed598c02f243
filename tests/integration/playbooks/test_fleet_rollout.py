"""playbooks/rollout.yml over a fleet (docs/rollout.md): three real vppsim load balancers, each
programmed by its own real maglevd, three local HTTP backends. No load balancer may send a new
flow to a backend under deployment, and one load balancer's refusal stops the whole rollout
with every load balancer as it was before the batch."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from ansible_collections.vpp.maglev.tests.helpers.fleet import Fleet
from ansible_collections.vpp.maglev.tests.helpers.paths import PYTHON
from ansible_collections.vpp.maglev.tests.helpers.playbook import ROOT, run_with_inventory
from ansible_collections.vpp.maglev.tests.helpers.waiting import wait_until
from ansible_collections.vpp.maglev.tests.integration.playbooks.test_rollout import WEIGHTS, lb_config

pytestmark = pytest.mark.integration

FILES = Path(__file__).resolve().parent / "files"
ROLLOUT = ROOT / "playbooks" / "rollout.yml"
NAMES = ["b1", "b2", "b3"]
VIP = "192.0.2.10/32"


def maglev_yaml(backends) -> str:
    """test_rollout's frontend web (b1 100, b2 50, b3 100), starting at once; every LB reads it."""
    config = lb_config(backends)
    config["maglev"]["vpp"]["lb"].update({"startup-min-delay": "0s", "startup-max-delay": "0s"})
    return yaml.safe_dump(config, sort_keys=False)


def weights(fleet: Fleet, host: str) -> dict:
    return {
        b["address"]: b["weight"] for vip in fleet.state(host)["vips"] if vip["vip"] == VIP for b in vip["backends"]
    }


def inventory(fleet: Fleet) -> str:
    backends = "".join("%s ansible_connection=local ansible_python_interpreter=%s\n" % (n, PYTHON) for n in NAMES)
    return fleet.inventory + "\n[backends]\n" + backends


def rollout(tmp_path: Path, fleet: Fleet, address: dict, **extra):
    extra_vars = {
        "rollout_deploy_tasks": str(FILES / "fleet_deploy.yml"),
        "fleet_buckets": str(FILES / "fleet_buckets.py"),
        "deploy_log": str(tmp_path / "deploys.jsonl"),
        "backend_addresses": address,
        "sim_controls": ["%s=%s" % (host, sim.control_socket) for host, sim in fleet.sims.items()],
        "rollout_wait_timeout": 30,
        **extra,
    }
    return run_with_inventory(tmp_path / "rollout", ROLLOUT, inventory(fleet), extra_vars=extra_vars, timeout=300)


def deploys(tmp_path: Path) -> list:
    path = tmp_path / "deploys.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def operator_changes(fleet: Fleet, host: str, backend: str) -> list:
    """The states an operator action moved ``backend`` to on ``host``'s maglevd, oldest first."""
    history = fleet.daemons[host].client.backend(backend)["history"]
    return [entry["to"] for entry in reversed(history) if entry["reason"] == "operator"]


@contextmanager
def lagging(sim, daemon, timeout: float = 120.0):
    """This VPP refuses its maglevd's weight writes (so the batch keeps its buckets there) until
    another client — the rollout checking that VPP itself — has read it; then it accepts them
    again and maglevd's retry drains the batch (docs/reconciler.md). A rollout that deployed
    without checking every load balancer would deploy while this one still sends new flows.
    Yields a dict whose ``held`` says that the write was refused and the rollout read VPP."""
    seen = {"held": False, "error": None}
    done = threading.Event()
    seq = sim.stats()["seq"]
    sim.set_fault(fail=[{"message": "lb_as_set_weight", "nth": n, "retval": -6} for n in range(1, 1001)])

    def refused():
        return next((c for c in sim.calls(since=seq) if c.get("fault") == "fail"), None) or done.is_set()

    def read_by_another(daemon_client):
        calls = sim.calls(since=seq)
        return any(c.get("client_index") != daemon_client for c in calls) or done.is_set()

    def watch():
        try:
            first = wait_until(refused, timeout, what="maglevd's refused weight write")
            if not done.is_set():
                wait_until(lambda: read_by_another(first["client_index"]), timeout, what="the rollout to read VPP")
                seen["held"] = not done.is_set()
        except Exception as exc:  # reported to the test below
            seen["error"] = exc
        finally:
            sim.clear_faults()
            daemon.client.vpp_lb_sync()  # retry now rather than after the backoff

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join()


@pytest.fixture
def fleet(tmp_path, http_backends):
    with Fleet(tmp_path / "fleet", 3, maglevd_config=maglev_yaml(http_backends)) as lbs:
        address = {name: b[0] for name, b in zip(NAMES, http_backends)}
        serving = {address[n]: WEIGHTS[n] for n in NAMES}
        for host in lbs.hosts:
            wait_until(lambda host=host: weights(lbs, host) == serving, what="maglevd on %s to program VPP" % host)
        yield lbs, address, serving


@pytest.mark.parametrize("batch", [1, 2])
def test_fleet_rollout_never_leaves_a_bucket_on_a_backend_under_deployment(tmp_path, fleet, batch):
    lbs, address, serving = fleet
    with lagging(lbs.sims["lb3"], lbs.daemons["lb3"]) as lag:
        run = rollout(tmp_path, lbs, address, rollout_batch_size=batch)
    assert run.ok, run.text()
    assert lag == {"held": True, "error": None}  # lb3 kept the first batch's buckets until checked
    seen = deploys(tmp_path)
    assert sorted(entry["host"] for entry in seen) == NAMES
    for entry in seen:
        # Every load balancer, at the moment of the deploy: weight 0, no bucket, the VIP still served.
        assert sorted(entry["lbs"]) == lbs.hosts
        for lb, vips in entry["lbs"].items():
            assert vips[VIP][entry["address"]] == [0, 0], (entry["host"], lb)
            assert sum(buckets for _weight, buckets in vips[VIP].values()) > 0, (entry["host"], lb)
    for host in lbs.hosts:
        wait_until(lambda host=host: weights(lbs, host) == serving, what="all weights back on %s" % host)
        assert [operator_changes(lbs, host, n) for n in NAMES] == [["paused", "unknown"]] * 3


def test_a_refusal_on_one_lb_stops_the_fleet_rollout_and_names_it(tmp_path, fleet):
    lbs, address, serving = fleet
    # On lb2 only b1 serves (an operator paused b2 and b3 there): lb2 must refuse to take b1 out.
    for name in ("b2", "b3"):
        lbs.daemons["lb2"].client.pause(name)
    lb2_before = {**serving, address["b2"]: 0, address["b3"]: 0}
    wait_until(lambda: weights(lbs, "lb2") == lb2_before, what="lb2 to drain b2 and b3")

    run = rollout(tmp_path, lbs, address)
    assert not run.ok
    message = " ".join(r.get("msg", "") for r in run.failed())
    assert (
        "rollout stopped before deploying b1: lb2 refused to take the batch out: refusing: frontend web" in message
    ), run.text()
    assert "refusing: frontend web would be left with no backend" in message
    assert "Put back on lb1. No other load balancer was changed" in message
    assert deploys(tmp_path) == []  # no deploy ran
    # lb1 had taken b1 out and put it back; lb3 was never asked; lb2 is as the operator left it.
    assert operator_changes(lbs, "lb1", "b1") == ["paused", "unknown"]
    assert lbs.daemons["lb1"].client.backend("b1")["state"] == "up"
    assert operator_changes(lbs, "lb3", "b1") == []
    assert [lbs.daemons["lb2"].client.backend(n)["state"] for n in NAMES] == ["up", "paused", "paused"]
    wait_until(lambda: weights(lbs, "lb1") == serving, what="b1 back on lb1")
    assert weights(lbs, "lb2") == lb2_before
    assert weights(lbs, "lb3") == serving


def test_an_lb_that_does_not_drain_stops_the_fleet_rollout_with_every_lb_put_back(tmp_path, fleet):
    lbs, address, serving = fleet
    # lb3's VPP refuses every weight write of its maglevd: b1 keeps its buckets there.
    lbs.sims["lb3"].set_fault(fail=[{"message": "lb_as_set_weight", "nth": n, "retval": -6} for n in range(1, 1001)])
    run = rollout(tmp_path, lbs, address, rollout_wait_timeout=3)
    assert not run.ok
    message = " ".join(r.get("msg", "") for r in run.failed())
    assert (
        "rollout stopped before deploying b1: lb3 did not stop sending the batch new flows: "
        "VPP still gave the batch weight or new-flow buckets after 3 s. Put back on lb1, lb2, lb3." in message
    ), run.text()
    assert deploys(tmp_path) == []
    assert [operator_changes(lbs, host, "b1") for host in lbs.hosts] == [["paused", "unknown"]] * 3
    assert [lbs.daemons[host].client.backend("b1")["state"] for host in lbs.hosts] == ["up"] * 3
    lbs.sims["lb3"].clear_faults()
    lbs.daemons["lb3"].client.vpp_lb_sync()  # retry now rather than after the backoff
    for host in lbs.hosts:
        wait_until(lambda host=host: weights(lbs, host) == serving, what="b1 serving again on %s" % host)
