"""playbooks/rollout.yml drains until idle: with flows pinned to the backend under deployment
(vppsim's traffic), the deploy waits until they have left - or the timeout, which the rollout
reports (rollout_on_busy: deploy) or stops at, putting the batch back (stop)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from ansible_collections.vpp.maglev.tests.helpers.flow_traffic import SMALL_STICKY_LB, drive_flows_away, pin_flows
from ansible_collections.vpp.maglev.tests.helpers.playbook import ROOT, run_playbook_file
from ansible_collections.vpp.maglev.tests.helpers.waiting import wait_until
from ansible_collections.vpp.maglev.tests.integration.playbooks.test_rollout import WEIGHTS, inventory
from ansible_collections.vpp.maglev.tests.integration.playbooks.test_rollout import lb_config as rollout_lb_config

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
ROLLOUT = ROOT / "playbooks" / "rollout.yml"
VIP = "192.0.2.10"
CONVERGE = [
    {
        "name": "Converge the test load balancer",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "name": "Converge",
                "vpp.maglev.vpp_lb_state": {
                    "config": "{{ maglev_config }}",
                    "state": "merged",
                    "api_socket": "{{ vpp_api_socket }}",
                    "api_dir": "{{ vpp_api_dir }}",
                },
            }
        ],
    }
]
DEPLOY_READ = "Read the flows at the deploy"
REPORT = "Report the flows still pinned to the batch at its deploy"


def lb_config(backends) -> dict:
    """test_rollout's load balancer (frontend web, 192.0.2.10 tcp:80: b1, b2, b3) with a tiny
    sticky table whose flows the tests can drive away (tests/helpers/flow_traffic.py)."""
    config = rollout_lb_config(backends)
    config["maglev"]["vpp"]["lb"].update(SMALL_STICKY_LB)
    return config


def converged(tmp_path, vppsim, backends) -> dict:
    common = {"maglev_config": lb_config(backends), "vpp_api_socket": vppsim.socket, "vpp_api_dir": vppsim.api_dir}
    run = run_playbook_file(tmp_path / "converge", CONVERGE, common)
    assert run.ok, run.text()
    return common


def rollout(tmp_path, common, **extra):
    variables = {
        **common,
        "rollout_via": "vpp",
        "rollout_hosts": "b1",
        "rollout_deploy_tasks": str(HERE / "files" / "deploy_flows.yml"),
        "rollout_wait_timeout": 30,
        **extra,
    }
    return run_playbook_file(tmp_path / "rollout", ROLLOUT, variables, inventory=inventory(tmp_path))


def entry(run, task):
    found = [e for e in run.entries if e["task"].startswith(task)]
    return found[-1] if found else None


def flows_at_deploy(run, address) -> int:
    result = entry(run, DEPLOY_READ)["result"]
    vip = next(v for v in result["lb"]["vips"] if v["vip"] == VIP + "/32")
    rows = vip["backends"] + vip["removed_backends"]
    return sum(row["flows"] for row in rows if row["address"] == address)


def weights(vppsim) -> dict:
    return {a["address"]: a["weight"] for vip in vppsim.state()["vips"] for a in vip["ases"]}


def configured(backends) -> dict:
    return {address: WEIGHTS[name] for name, (address, _port, _server) in zip(WEIGHTS, backends)}


def test_the_deploy_waits_until_the_batchs_flows_have_left(tmp_path, vppsim, http_backends):
    common = converged(tmp_path, vppsim, http_backends)
    b1 = http_backends[0][0]
    assert pin_flows(vppsim, VIP, seed=1)[b1] > 0
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(run=rollout(tmp_path, common, rollout_flows_timeout=120)))
    worker.start()
    drain = vppsim.wait_for("lb_as_set_weight", timeout=120, as_address=b1, weight=0)
    # Each module run is one API session: the check that VPP drained b1, then two looks at its
    # flows. A rollout that did not wait would have read VPP for its deploy by now.
    wait_until(lambda: len(vppsim.calls("sockclnt_create", since=drain["seq"])) >= 3, timeout=120, what="the wait")
    assert worker.is_alive()

    assert drive_flows_away(vppsim, VIP)[b1] == 0
    worker.join(240)
    run = outcome["run"]
    assert run.ok, run.text()
    assert flows_at_deploy(run, b1) == 0
    assert entry(run, REPORT)["status"] == "skipped"
    assert weights(vppsim) == configured(http_backends)


def test_flows_that_outlast_the_wait_are_reported_and_the_deploy_goes_on(tmp_path, vppsim, http_backends):
    common = converged(tmp_path, vppsim, http_backends)
    b1 = http_backends[0][0]
    pinned = pin_flows(vppsim, VIP, seed=1)[b1]
    run = rollout(tmp_path, common, rollout_flows_timeout=2)
    assert run.ok, run.text()
    assert flows_at_deploy(run, b1) == pinned
    report = entry(run, REPORT)
    assert report["status"] == "ok"
    assert report["result"][
        "msg"
    ] == "deploying b1 with flows still pinned after 2 s: lb: flows above 0: %s has %d flows" % (
        b1,
        pinned,
    )


def test_rollout_on_busy_stop_puts_the_batch_back_and_deploys_nothing(tmp_path, vppsim, http_backends):
    common = converged(tmp_path, vppsim, http_backends)
    b1 = http_backends[0][0]
    pinned = pin_flows(vppsim, VIP, seed=1)[b1]
    run = rollout(tmp_path, common, rollout_flows_timeout=2, rollout_on_busy="stop")
    assert not run.ok
    assert entry(run, DEPLOY_READ) is None
    assert (
        "rollout stopped before deploying b1: lb still had flows pinned to the batch after 2 s: "
        "flows above 0: %s has %d flows. Put back on lb." % (b1, pinned)
    ) in run.text()
    assert weights(vppsim) == configured(http_backends)


def test_the_rollout_refuses_a_bad_flows_variable(tmp_path, vppsim, http_backends):
    common = converged(tmp_path, vppsim, http_backends)
    run = rollout(tmp_path, common, rollout_on_busy="wait")
    assert not run.ok and "rollout_on_busy deploy or stop" in run.text()
    assert weights(vppsim) == configured(http_backends)


def test_through_maglevd_flows_that_outlast_the_wait_are_reported(
    tmp_path, vppsim, http_backends, maglevd, monkeypatch
):
    monkeypatch.setenv("MAGLEV_VPP_STATS_ADDR", vppsim.stats_socket)
    monkeypatch.setenv("MAGLEV_VPP_STATS_INTERVAL", "0.2")
    config = lb_config(http_backends)
    config["maglev"]["vpp"]["lb"].update({"startup-min-delay": "0s", "startup-max-delay": "0s"})
    control = maglevd(config, vppsim.socket)
    want = configured(http_backends)
    wait_until(lambda: weights(vppsim) == want, what="maglevd to program VPP")
    b1 = http_backends[0][0]
    pinned = pin_flows(vppsim, VIP, seed=1)[b1]
    common = {"maglev_config": config, "vpp_api_socket": vppsim.socket, "vpp_api_dir": vppsim.api_dir}
    run = rollout(tmp_path, common, rollout_via="maglevd", maglevd_socket=control, rollout_flows_timeout=2)
    assert run.ok, run.text()
    assert flows_at_deploy(run, b1) == pinned
    assert entry(run, REPORT)["result"]["msg"] == (
        "deploying b1 with flows still pinned after 2 s: lb: flows above 0: b1 has %d flows in web" % pinned
    )
    wait_until(lambda: weights(vppsim) == want, what="b1 back with its weight")
