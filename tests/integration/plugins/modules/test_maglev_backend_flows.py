"""vpp.maglev.maglev_backend wait_for_flows (drain until idle) through a real maglevd that reads
vppsim's flows, with flows pinned and then driven away in vppsim (tests/helpers/flow_traffic)."""

from __future__ import annotations

import threading

import pytest
import yaml
from ansible_collections.vpp.maglev.tests.helpers.flow_traffic import SMALL_STICKY_LB, drive_flows_away, pin_flows
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook
from ansible_collections.vpp.maglev.tests.helpers.sample_config import MINIMAL_VPP_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.waiting import wait_until

pytestmark = pytest.mark.integration

VIP, A, B = "192.0.2.1", "10.0.0.1", "10.0.0.2"


@pytest.fixture
def lab(tmp_path, vppsim):
    """maglevd (backends a = 10.0.0.1, b = 10.0.0.2 in frontend web, 192.0.2.1 tcp:80) on
    vppsim, reading its flows every 0.2 s; VPP programmed, flows pinned to a."""
    raw = yaml.safe_load(MINIMAL_VPP_CONFIG)
    raw["maglev"]["vpp"]["lb"].update(SMALL_STICKY_LB)
    flags = ["--vpp-api-addr", vppsim.socket, "--vpp-stats-addr", vppsim.stats_socket, "--vpp-stats-interval", "0.2"]
    (tmp_path / "maglevd").mkdir()
    daemon = MaglevdProcess(tmp_path / "maglevd", yaml.safe_dump(raw), *flags)
    daemon.wait_ready()
    wait_until(lambda: programmed(vppsim), what="maglevd to program VPP")
    assert pin_flows(vppsim, VIP, seed=1)[A] > 0
    yield daemon
    daemon.stop()


def programmed(sim) -> bool:
    state = sim.state()
    weights = {a["address"]: a["weight"] for vip in state["vips"] for a in vip["ases"]}
    return weights == {A: 100, B: 100} and state["conf"]["sticky_buckets_per_core"] == 16


def act(tmp_path, daemon, check=False, **args):
    args.setdefault("maglevd_socket", daemon.socket)
    run = run_playbook(tmp_path / "runs", [{"vpp.maglev.maglev_backend": args, "ignore_errors": True}], check=check)
    return run, run.results[0]


def reported_flows(daemon, name="a"):
    backend = daemon.client.backend(name)
    return backend["flows"], backend["flows_read_at"]


def test_drain_waits_until_the_last_flow_has_left(tmp_path, vppsim, lab):
    outcome = {}
    worker = threading.Thread(
        target=lambda: outcome.update(
            zip(("run", "result"), act(tmp_path, lab, name=["a"], state="paused", wait_for_flows=0, wait_timeout=120))
        )
    )
    worker.start()
    vppsim.wait_for("lb_as_set_weight", timeout=60, as_address=A, weight=0)
    # maglevd read VPP after the drain and still sees a's flows: the module must be waiting.
    after_drain = reported_flows(lab)[1]
    wait_until(lambda: reported_flows(lab)[1] > after_drain, what="maglevd's next read of the flows")
    assert reported_flows(lab)[0]["web"] > 0
    assert worker.is_alive(), outcome.get("result")

    assert drive_flows_away(vppsim, VIP)[A] == 0
    worker.join(180)
    run, result = outcome["run"], outcome["result"]
    assert run.ok, run.text()
    assert result["flows_idle"] is True
    assert result["flows"] == {"a": {"web": 0}}
    assert result["backends"] == {"a": "paused"}
    assert "flows_message" not in result


def test_flows_that_outlast_the_timeout_are_reported_never_idle(tmp_path, vppsim, lab):
    pinned = pin_flows(vppsim, VIP, seed=1)[A]
    run, result = act(tmp_path, lab, name=["a"], state="paused", wait_for_flows=0, wait_timeout=1)
    assert run.ok and not run.failed(), run.text()  # a timeout is a result, not a failure
    assert result["flows_idle"] is False
    assert result["flows"] == {"a": {"web": pinned}}
    assert result["flows_message"] == "flows above 0: a has %d flows in web" % pinned
    assert any("not idle after 1s" in warning for warning in result["warnings"])


def test_a_limit_above_the_live_flows_is_idle_at_the_next_read(tmp_path, vppsim, lab):
    pinned = pin_flows(vppsim, VIP, seed=1)[A]
    run, result = act(tmp_path, lab, name=["a", "b"], wait_for_flows=pinned + 100, wait_timeout=60)
    assert run.ok, run.text()
    assert result["flows_idle"] is True and result["flows"]["a"] == {"web": pinned}


def test_check_mode_reports_the_counts_without_acting_or_waiting(tmp_path, vppsim, lab):
    pinned = pin_flows(vppsim, VIP, seed=1)[A]
    vppsim.reset_stats()
    run, result = act(tmp_path, lab, check=True, name=["a"], state="paused", wait_for_flows=0, wait_timeout=3600)
    assert run.ok, run.text()
    assert result["changed"] and result["flows_idle"] is False and result["flows_waited"] == 0
    assert result["flows"] == {"a": {"web": pinned}}
    assert vppsim.stats()["writes"] == 0 and lab.client.backend("a")["state"] == "up"


@pytest.mark.parametrize(
    "value, message",
    [
        (-1, "wait_for_flows: -1 is out of range 0..4294967295 (flows)"),
        (2**32, "wait_for_flows: 4294967296 is out of range 0..4294967295 (flows)"),
        ("many", "wait_for_flows"),
    ],
)
def test_a_bad_limit_fails_naming_the_option_and_changes_nothing(tmp_path, vppsim, lab, value, message):
    run, result = act(tmp_path, lab, name=["a"], state="paused", wait_for_flows=value)
    assert run.failed() and message in result["msg"], result
    assert lab.client.backend("a")["state"] == "up"
