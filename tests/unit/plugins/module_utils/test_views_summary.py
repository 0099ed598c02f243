"""The one-line per-VIP summary under each diff block (views.vip_change_line, docs/state-module.md)."""

from __future__ import annotations

import ipaddress

from ansible_collections.vpp.maglev.plugins.module_utils.disruption import plan_disruption
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbConf, LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.plugins.module_utils.views import vip_change_line, with_vip_summaries

A = ipaddress.ip_address
KEY = VipKey.make("192.0.2.0/24", "any", 0)
WEB = VipKey.make("192.0.2.80/32", "tcp", 80)


def vip(key, weights, **attrs):
    return Vip(key, VipAttrs(**attrs), {A("10.0.0.%d" % (i + 1)): w for i, w in enumerate(weights)})


def state(*vips, conf=None):
    return LbState(conf or LbConf(), {v.key: v for v in vips})


def test_each_kind_of_change_reads_as_one_line():
    assert vip_change_line(KEY, None, vip(KEY, [100, 100])) == (
        "192.0.2.0/24 all-ports: new VIP with 2 ASes, no existing flow moves"
    )
    assert vip_change_line(KEY, vip(KEY, [100]), None, figures={"moved_share": 1.0}) == (
        "192.0.2.0/24 all-ports: VIP removed with its 1 AS, 100.0% of new-flow buckets drop"
    )
    before, after = vip(KEY, [100, 100, 100]), vip(KEY, [50, 100])
    assert vip_change_line(KEY, before, after, figures={"moved_share": 0.3321}) == (
        "192.0.2.0/24 all-ports: 2 ASes changed (1 removed, 1 reweighted), 33.2% of new-flow buckets move"
    )
    assert vip_change_line(KEY, before, vip(KEY, [100, 100, 100], encap="gre6"), ["encap"]) == (
        "192.0.2.0/24 all-ports: recreated (encap)"
    )
    assert vip_change_line(KEY, before, before, figures={"moved_share": 0.0}) == (
        "192.0.2.0/24 all-ports: flush only, 0.0% of new-flow buckets move"
    )


def test_every_vip_block_of_a_plan_gets_its_line_and_the_conf_block_none():
    current = state(vip(KEY, [100, 100]))
    desired = state(vip(KEY, [100, 0]), vip(WEB, [100]), conf=LbConf(flow_timeout=30))
    the_plan = plan(current, desired, "replaced")
    blocks = with_vip_summaries(the_plan.diff(), the_plan, plan_disruption(the_plan))
    assert [block["before_header"] for block in blocks] == [
        "lb conf",
        "vip 192.0.2.0/24 all-ports",
        "vip 192.0.2.80/32 tcp:80",
    ]
    assert "prepared" not in blocks[0]
    assert blocks[1]["prepared"].startswith("192.0.2.0/24 all-ports: 1 AS changed (1 reweighted), ")
    assert blocks[1]["prepared"].endswith("% of new-flow buckets move\n")
    assert blocks[2]["prepared"] == "192.0.2.80/32 tcp:80: new VIP with 1 AS, no existing flow moves\n"
