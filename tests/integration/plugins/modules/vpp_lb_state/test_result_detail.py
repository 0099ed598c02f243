"""vpp_lb_state's result_detail: changes (the default) reports before/after for the touched VIPs
only, and nothing else of the result differs from result_detail: full."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATE_CONFIG as BASE_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.sample_config import state_config as config
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import sim_state, writes

pytestmark = pytest.mark.integration


def task(cfg, **options):
    return {"vpp.maglev.vpp_lb_state": dict({"state": "replaced", "config": cfg}, **options)}


def only(state, *vips):
    return {"conf": state["conf"], "vips": [vip for vip in state["vips"] if vip["vip"] in vips]}


def test_changes_reports_only_the_touched_vips(tmp_path, vppsim):
    assert run_playbook(tmp_path, [task(BASE_CONFIG)], vpp=vppsim).ok
    converged = sim_state(vppsim)
    assert len(converged["vips"]) == 3
    cfg = config(**{"frontends.web.pools.0.backends.web2": {"weight": 20}})
    vppsim.reset_stats()

    full = run_playbook(tmp_path, [task(cfg, result_detail="full")], vpp=vppsim, check=True, diff=True).last
    checked = run_playbook(tmp_path, [task(cfg)], vpp=vppsim, check=True, diff=True).last
    assert writes(vppsim) == 0 and full["changed"] and checked["changed"]
    assert full["before"] == converged and len(full["after"]["vips"]) == 3
    assert checked["before"] == only(converged, "192.0.2.10/32")
    assert checked["after"] == only(full["after"], "192.0.2.10/32")
    for key in ("diff", "commands", "api_calls", "summary", "disruption", "recreated", "recreate_reasons"):
        assert checked[key] == full[key], key

    vppsim.reset_stats()
    applied = run_playbook(tmp_path, [task(cfg)], vpp=vppsim, diff=True).last
    assert applied["api_calls"] == full["api_calls"] and writes(vppsim) == len(full["api_calls"])
    assert applied["after"] == only(sim_state(vppsim), "192.0.2.10/32") == checked["after"]

    again = run_playbook(tmp_path, [task(cfg)], vpp=vppsim, check=True).last
    assert not again["changed"]
    assert again["before"] == again["after"] == {"conf": converged["conf"], "vips": []}
    whole = run_playbook(tmp_path, [task(cfg, result_detail="full")], vpp=vppsim, check=True).last
    assert whole["before"] == whole["after"] == sim_state(vppsim)


def test_rendered_after_follows_result_detail(tmp_path):
    full = run_playbook(tmp_path, [task(BASE_CONFIG, state="rendered", result_detail="full")]).last
    changes = run_playbook(tmp_path, [task(BASE_CONFIG, state="rendered")]).last
    assert changes["after"] == full["after"] and len(full["after"]["vips"]) == 3  # every VIP is new
    assert changes["rendered"] == full["rendered"]
