"""playbooks/drift.yml over a fleet of real vppsim processes: each host reports its own drift,
and one summary names every host's verdict (no drift, what differs, not checked) and is
published with set_stats; the single-host behaviour is tests/integration/plugins/modules/
vpp_lb_state/test_drift.py's (docs/drift.md)."""

from __future__ import annotations

import pytest
import yaml
from ansible_collections.vpp.maglev.tests.helpers.fleet import Fleet, task_result
from ansible_collections.vpp.maglev.tests.helpers.playbook import DRIFT_PLAYBOOK, run_with_inventory
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATE_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import behind_the_back, writes

pytestmark = pytest.mark.integration

SUMMARY = "Summarise the fleet's drift"
STATS = "Publish the fleet's drift for the workflow"


def drift(tmp_path, fleet, src, **extra):
    extra_vars = {"drift_hosts": "vpp_lbs", "maglev_config_src": str(src), **extra}
    return run_with_inventory(tmp_path, DRIFT_PLAYBOOK, fleet.inventory, extra_vars=extra_vars)


def test_fleet_drift_summary_names_the_drifted_host_and_the_one_not_checked(tmp_path):
    src = tmp_path / "maglev.yaml"
    src.write_text(yaml.safe_dump(STATE_CONFIG))
    with Fleet(tmp_path / "fleet", 3) as fleet:
        converged = fleet.converge(tmp_path / "converge", src)
        assert converged.ok, converged.text()
        with behind_the_back(fleet.sims["lb2"]) as vpp:
            vpp.api.lb_as_set_weight(pfx="192.0.2.10/32", protocol=6, port=80, as_address="10.0.0.2", weight=100)
        for sim in fleet.sims.values():
            sim.reset_stats()

        report = drift(tmp_path / "report", fleet, src)
        assert report.ok, report.text()
        assert task_result(report, SUMMARY)[1]["msg"] == [
            "fleet drift: 1 of 3 hosts differ from %s" % src,
            "lb1: no drift",
            "lb2: drift, 1 VIP differs (1 command to converge)",
            "lb3: no drift",
        ]
        data = task_result(report, STATS)[1]["ansible_stats"]["data"]["drift"]
        assert data == {"hosts": ["lb1", "lb2", "lb3"], "drifted": ["lb2"], "not_checked": []}
        assert all(writes(sim) == 0 for sim in fleet.sims.values())

        fleet.sims["lb3"].stop()  # a host whose check cannot run is named, not silently left out
        failed = drift(tmp_path / "fail", fleet, src, fail_on_drift=True)
        assert not failed.ok
        lines = task_result(failed, SUMMARY)[1]["msg"]
        assert lines[:3] == ["fleet drift: 1 of 3 hosts differ from %s" % src, "lb1: no drift", lines[2]]
        assert lines[2] == "lb2: drift, 1 VIP differs (1 command to converge)"
        assert lines[3].startswith("lb3: not checked: ") and len(lines) == 4, lines
        data = task_result(failed, STATS)[1]["ansible_stats"]["data"]["drift"]
        assert data["drifted"] == ["lb2"] and data["not_checked"] == ["lb3"]
        status, result = task_result(failed, "Fail on drift")
        assert status == "failed" and result["msg"].startswith("drift on lb2: 1 VIP differs")
