"""playbooks/fleet_check.yml against a fleet of real vppsim processes (one per inventory host,
one real maglevd per host where health matters): consistent after a converge from one
maglev.yaml; a backend down in one LB's maglevd fails the check naming that LB, the VIP and the
share of new flows that break; fleet_max_share above that share passes (docs/fleet.md)."""

from __future__ import annotations

import re

import pytest
import yaml
from ansible_collections.vpp.maglev.tests.helpers.fleet import Fleet, task_result
from ansible_collections.vpp.maglev.tests.helpers.playbook import ROOT, run_with_inventory
from ansible_collections.vpp.maglev.tests.helpers.sample_config import MINIMAL_VPP_CONFIG, STATE_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import behind_the_back

pytestmark = pytest.mark.integration

FLEET_CHECK = ROOT / "playbooks" / "fleet_check.yml"
FAIL_TASK = "Fail when the fleet is not consistent"
STATS_TASK = "Publish the report for the workflow"


def fleet_check(tmp_path, fleet, check=False, **extra_vars):
    return run_with_inventory(tmp_path, FLEET_CHECK, fleet.inventory, extra_vars=extra_vars, check=check)


def published(run):
    status, result = task_result(run, STATS_TASK)
    assert status == "ok", result
    return result["ansible_stats"]["data"]["fleet_check"]


def test_a_fleet_converged_from_one_file_is_consistent_and_a_changed_lb_is_named(tmp_path):
    src = tmp_path / "maglev.yaml"
    src.write_text(yaml.safe_dump(STATE_CONFIG))
    with Fleet(tmp_path / "fleet", 3) as fleet:
        converged = fleet.converge(tmp_path / "converge", src)
        assert converged.ok and len(converged.results) == 3, converged.text()

        typo = fleet_check(tmp_path / "typo", fleet, fleet_hosts="vpp_lsb")  # no host: fails, never passes
        status, result = task_result(typo, "Find the fleet's hosts")
        assert status == "failed" and result["msg"].startswith("fleet_hosts vpp_lsb matches no host"), result

        clean = fleet_check(tmp_path / "clean", fleet, maglev_config_src=str(src))
        assert clean.ok, clean.text()
        assert task_result(clean, FAIL_TASK)[0] == "skipped"
        stats = published(clean)
        assert stats["consistent"] is True and stats["failures"] == [] and stats["drift"] == []
        assert stats["report"]["hosts"] == ["lb1", "lb2", "lb3"] and stats["report"]["vips"] == []

        with behind_the_back(fleet.sims["lb3"]) as vpp:  # one LB missed a change, or got one by hand
            vpp.api.lb_as_set_weight(pfx="192.0.2.10/32", protocol=6, port=80, as_address="10.0.0.2", weight=100)

        failed = fleet_check(tmp_path / "changed", fleet, maglev_config_src=str(src))
        assert not failed.ok
        lines = task_result(failed, FAIL_TASK)[1]["msg"].splitlines()
        assert lines[0].startswith("fleet not consistent")
        # One line per differing host and VIP, then the host's drift from maglev.yaml.
        assert [line.split(":")[0] for line in lines[1:]] == ["lb3", "drift on lb3"], lines
        assert lines[1].startswith("lb3: 192.0.2.10/32 tcp:80: weight of 10.0.0.2 is 100, majority 50"), lines
        assert "lb1" not in "\n".join(lines) and "lb2" not in "\n".join(lines)
        stats = published(failed)
        assert stats["consistent"] is False
        (vip,) = stats["report"]["vips"]
        assert vip["majority"] == ["lb1", "lb2"] and [d["host"] for d in vip["differing"]] == ["lb3"]
        assert 0 < vip["share"] < 1

        fleet.sims["lb3"].stop()  # a host that cannot be gathered fails the check, named with why
        missing = fleet_check(tmp_path / "missing", fleet)
        lines = task_result(missing, FAIL_TASK)[1]["msg"].splitlines()
        assert len(lines) == 2 and lines[1].startswith("lb3: not checked: VPP API socket "), lines
        assert published(missing)["not_checked"] == ["lb3"]


def share_in(line: str) -> float:
    match = re.search(r"([0-9.]+)% of new flows", line)
    assert match, line
    return float(match.group(1)) / 100


def test_a_backend_down_in_one_lbs_maglevd_names_that_lb_and_the_share_that_breaks(tmp_path):
    with Fleet(tmp_path / "fleet", 3, maglevd_config=MINIMAL_VPP_CONFIG) as fleet:
        fleet.wait_synced()
        assert task_result(fleet_check(tmp_path / "clean", fleet, fleet_health="maglevd"), FAIL_TASK)[0] == "skipped"

        # lb2's maglevd alone takes backend a (10.0.0.1) out: only lb2's VPP gives it weight 0.
        fleet.daemons["lb2"].client.disable("a")
        fleet.sims["lb2"].wait_for("lb_as_set_weight", as_address="10.0.0.1", weight=0)

        failed = fleet_check(tmp_path / "down", fleet, fleet_health="maglevd")
        assert not failed.ok
        message = task_result(failed, FAIL_TASK)[1]["msg"]
        lines = message.splitlines()
        vip_lines = [line for line in lines if line.startswith("lb2: 192.0.2.1/32 tcp:80:")]
        assert len(vip_lines) == 1, message
        share = share_in(vip_lines[0])
        assert 0 < share < 1
        assert any(line.startswith("lb2:") and " a " in line + " " and "disabled" in line for line in lines), message
        assert not any(line.startswith(("lb1", "lb3")) for line in lines), message
        stats = published(failed)
        assert [entry["host"] for entry in stats["report"]["health"]] == ["lb2"]
        assert stats["report"]["health"][0]["backends"]["a"] == {"state": "disabled", "majority": "up"}
        assert stats["report"]["vips"][0]["share"] == pytest.approx(share, abs=0.001)

        # The same difference, accepted up to a share above it (without comparing health views).
        tolerant = fleet_check(tmp_path / "tolerant", fleet, fleet_max_share=min(1.0, share + 0.01))
        assert tolerant.ok, tolerant.text()
        assert task_result(tolerant, FAIL_TASK)[0] == "skipped"
        assert published(tolerant)["report"]["vips"][0]["differing"][0]["host"] == "lb2"
        # As an AWX Check job runs it (--check): still read, still fails.
        typo = fleet_check(tmp_path / "typo", fleet, fleet_max_share="5%")
        status, result = task_result(typo, "Check the fleet check's variables")
        assert status == "failed" and "(got 5%; 0.05 is 5%)" in result["msg"], result
        strict = fleet_check(tmp_path / "strict", fleet, fleet_max_share=max(0.0, share - 0.01), check=True)
        assert not strict.ok and task_result(strict, FAIL_TASK)[0] == "failed"
