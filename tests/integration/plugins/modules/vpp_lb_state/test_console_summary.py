"""vpp_lb_state --check --diff prints one summary line per changed VIP on the console (the
default callback, no plugin of ours), with the share of new-flow buckets the change moves."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATE_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.sample_config import state_config as config
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import writes

pytestmark = pytest.mark.integration


def lb_state(cfg, **options):
    return {"vpp.maglev.vpp_lb_state": {"state": "replaced", "config": cfg, **options}}


def test_each_changed_vip_gets_a_summary_line_with_its_moved_share(tmp_path, vppsim):
    first = run_playbook(tmp_path, [lb_state(STATE_CONFIG)], vpp=vppsim, check=True, diff=True)
    assert first.ok, first.text()
    # A cold converge: every VIP is new and moves no existing flow.
    assert "192.0.2.10/32 tcp:80: new VIP with 4 ASes, no existing flow moves\n" in first.stdout
    assert "2001:db8::10/128 tcp:443: new VIP with 2 ASes, no existing flow moves\n" in first.stdout
    assert run_playbook(tmp_path, [lb_state(STATE_CONFIG)], vpp=vppsim).ok

    cfg = config(**{"frontends.web.pools.0.backends.web1": {"weight": 50}})
    vppsim.reset_stats()
    run = run_playbook(tmp_path, [lb_state(cfg)], vpp=vppsim, check=True, diff=True)
    assert run.ok, run.text()
    result = run.last
    assert writes(vppsim) == 0
    share = result["disruption"]["192.0.2.10/32 tcp:80"]["moved_share"]
    line = "192.0.2.10/32 tcp:80: 1 AS changed (1 reweighted), %.1f%% of new-flow buckets move" % (100 * share)
    assert 0 < share < 1
    assert result["diff"][0]["prepared"] == line + "\n"
    # On the console, right under the VIP's diff block; the result keys keep their shape.
    console = run.stdout
    assert console.index("+++ after: vip 192.0.2.10/32 tcp:80") < console.index(line)
    assert set(result["diff"][0]) == {"before_header", "after_header", "before", "after", "prepared"}

    # Without the estimate, the line says what changed and leaves the share out.
    quiet = run_playbook(tmp_path, [lb_state(cfg, estimate_disruption=False)], vpp=vppsim, check=True, diff=True)
    assert quiet.ok, quiet.text()
    assert quiet.last["diff"][0]["prepared"] == "192.0.2.10/32 tcp:80: 1 AS changed (1 reweighted)\n"
    assert "new-flow buckets" not in quiet.stdout
