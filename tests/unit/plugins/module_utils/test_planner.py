"""Golden plans for each resource state, and the planner's safety rules."""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbConf, LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import PlanError, apply_ops, plan

A = ipaddress.ip_address
WEB = VipKey.make("192.0.2.1/32", "tcp", 80)
DNS = VipKey.make("192.0.2.53/32", "udp", 53)
V6 = VipKey.make("2001:db8::1", "tcp", 443)
DEFAULT_ATTRS = VipAttrs()  # frozen: safe to share as a default
EMPTY_CONF = LbConf()


def vip(key, ases, attrs=DEFAULT_ATTRS, flush=()):
    return Vip(key, attrs, {A(addr): weight for addr, weight in ases.items()}, frozenset(A(a) for a in flush))


def state(*vips, conf=EMPTY_CONF):
    return LbState(conf, {v.key: v for v in vips})


CURRENT = state(
    vip(WEB, {"10.0.0.1": 100, "10.0.0.2": 100}),
    vip(DNS, {"10.0.1.1": 100}),
    conf=LbConf(ipaddress.IPv4Address("10.255.0.1"), ipaddress.IPv6Address("2001:db8::ff"), 1024, 40),
)


def test_merged_adds_and_reweights_but_never_deletes():
    desired = state(vip(WEB, {"10.0.0.2": 50, "10.0.0.10": 100}))
    result = plan(CURRENT, desired, "merged")
    assert result.commands() == [
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.10 weight 100",
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.2 weight 50",
    ]
    assert result.after.vips[WEB].ases == {A("10.0.0.1"): 100, A("10.0.0.2"): 50, A("10.0.0.10"): 100}
    assert DNS in result.after.vips


def test_replaced_makes_listed_vips_exact_and_leaves_others():
    desired = state(vip(WEB, {"10.0.0.2": 100, "10.0.0.3": 100}))
    result = plan(CURRENT, desired, "replaced")
    assert result.commands() == [
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.3 weight 100",
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.1 del",
    ]
    assert result.after.vips[DNS] == CURRENT.vips[DNS]


def test_overridden_removes_unlisted_vips_last_unless_protected():
    desired = state(vip(V6, {"2001:db8::10": 100}, VipAttrs(encap="gre6")))
    result = plan(CURRENT, desired, "overridden")
    assert result.commands() == [
        "lb vip 2001:db8::1/128 protocol tcp port 443 encap gre6 new_len 1024",
        "lb as 2001:db8::1/128 protocol tcp port 443 2001:db8::10 weight 100",
        "lb vip 192.0.2.1/32 protocol tcp port 80 del",
        "lb vip 192.0.2.53/32 protocol udp port 53 del",
    ]
    protected = plan(CURRENT, desired, "overridden", protected=[DNS])
    assert DNS in protected.after.vips and WEB not in protected.after.vips


def test_deleted_listed_or_everything():
    assert plan(CURRENT, state(vip(DNS, {})), "deleted").commands() == ["lb vip 192.0.2.53/32 protocol udp port 53 del"]
    everything = plan(CURRENT, state(), "deleted", flush_removed=True)
    assert everything.commands() == [
        "lb flush vip 192.0.2.1/32 protocol tcp port 80",
        "lb vip 192.0.2.1/32 protocol tcp port 80 del",
        "lb flush vip 192.0.2.53/32 protocol udp port 53",
        "lb vip 192.0.2.53/32 protocol udp port 53 del",
    ]
    assert everything.after.vips == {}


def test_no_op_plans_nothing():
    result = plan(CURRENT, CURRENT, "overridden")
    assert not result and result.ops == [] and result.after is CURRENT


def test_conf_sends_both_addresses_keeping_the_one_not_given():
    desired = LbState(LbConf(ip6_src_address=ipaddress.IPv6Address("2001:db8::2")))
    result = plan(CURRENT, desired, "merged")
    assert result.api_calls() == [
        {
            "msg": "lb_conf",
            "args": {
                "ip4_src_address": "10.255.0.1",
                "ip6_src_address": "2001:db8::2",
                "sticky_buckets_per_core": 1024,
                "flow_timeout": 40,
            },
        }
    ]


def test_recreate_only_for_create_time_attributes():
    desired = state(vip(WEB, {"10.0.0.1": 100, "10.0.0.2": 100}, VipAttrs(src_ip_sticky=True)))
    result = plan(CURRENT, desired, "replaced")
    assert result.recreated == {WEB: ["src_ip_sticky"]}
    assert result.commands() == [
        "lb flush vip 192.0.2.1/32 protocol tcp port 80",
        "lb vip 192.0.2.1/32 protocol tcp port 80 del",
        "lb vip 192.0.2.1/32 protocol tcp port 80 encap gre4 new_len 1024 src_ip_sticky",
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.1 weight 100",
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.2 weight 100",
    ]
    assert result.summary()["vips_recreated"] == 1
    assert "recreated: src_ip_sticky" in result.diff()[0]["before_header"]


def test_family_switch_recreates_with_new_encap():
    """All backends v4 -> v6 recreates the VIP with gre6, no stuck sync (docs/modules.md: recreated)."""
    desired = state(vip(WEB, {"2001:db8::1": 100}, VipAttrs(encap="gre6")))
    result = plan(CURRENT, desired, "replaced")
    assert result.recreated == {WEB: ["encap"]}
    assert result.after.vips[WEB].ases == {A("2001:db8::1"): 100}
    assert not plan(result.after, desired, "replaced")


def test_flush_only_on_a_transition_to_zero_that_asks_for_it():
    drained = plan(CURRENT, state(vip(WEB, {"10.0.0.1": 0, "10.0.0.2": 100})), "merged")
    assert drained.commands() == ["lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.1 weight 0"]
    disabled = plan(CURRENT, state(vip(WEB, {"10.0.0.1": 0, "10.0.0.2": 100}, flush=["10.0.0.1"])), "merged")
    assert disabled.commands() == ["lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.1 weight 0 flush"]
    # Already at 0 and asked to flush by the state alone: nothing (idempotent) ...
    at_zero = state(vip(WEB, {"10.0.0.1": 0, "10.0.0.2": 100}))
    again = state(vip(WEB, {"10.0.0.1": 0, "10.0.0.2": 100}, flush=["10.0.0.1"]))
    assert not plan(at_zero, again, "merged")
    # ... but a transition (standby -> disabled) forces it (docs/state-machine.md, the truth table).
    forced = plan(at_zero, again, "merged", force_flush=[(WEB, A("10.0.0.1"))])
    assert forced.commands() == ["lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.1 weight 0 flush"]


def test_weight_order_raises_before_lowers_and_numeric_ip_order():
    current = state(vip(WEB, {"10.0.0.10": 100, "10.0.0.9": 0, "10.0.0.2": 50}))
    desired = state(vip(WEB, {"10.0.0.10": 0, "10.0.0.9": 100, "10.0.0.2": 100, "10.0.0.1": 10}))
    assert plan(current, desired, "replaced").commands() == [
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.1 weight 10",
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.2 weight 100",
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.9 weight 100",
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.10 weight 0",
    ]


def test_guard_refuses_to_leave_a_serving_vip_empty():
    desired = state(vip(WEB, {"10.0.0.1": 0, "10.0.0.2": 0}))
    with pytest.raises(PlanError, match=r"vip 192.0.2.1/32 tcp:80 would be left with no backend of weight > 0"):
        plan(CURRENT, desired, "merged")
    assert plan(CURRENT, desired, "merged", allow_empty=True).after.vips[WEB].ases == desired.vips[WEB].ases
    # An empty new VIP (backends added later) is fine.
    assert plan(LbState(), state(vip(WEB, {})), "merged").commands()[0].startswith("lb vip 192.0.2.1/32")


def test_all_port_and_per_port_on_one_prefix():
    all_ports = VipKey.make("192.0.2.1/32", "any", 0)
    with pytest.raises(PlanError, match="all-port and a per-port VIP"):
        plan(CURRENT, state(vip(all_ports, {"10.0.0.1": 100})), "merged")
    # overridden deletes the colliding VIP first, then adds the new one.
    result = plan(CURRENT, state(vip(all_ports, {"10.0.0.1": 100})), "overridden")
    assert result.commands()[0] == "lb vip 192.0.2.1/32 protocol tcp port 80 del"
    assert result.commands()[1] == "lb vip 192.0.2.1/32 encap gre4 new_len 1024"
    assert all_ports in apply_ops(CURRENT, result.ops).vips


def test_api_calls_always_carry_protocol_and_table_length():
    result = plan(LbState(), state(vip(VipKey.make("198.51.100.0/24", "any", 0), {"10.0.0.1": 100})), "merged")
    add_vip, add_as = result.api_calls()
    assert add_vip == {
        "msg": "lb_add_del_vip_v2",
        "args": {
            "pfx": "198.51.100.0/24",
            "protocol": 255,
            "port": 0,
            "encap": 0,
            "dscp": 0,
            "type": 0,
            "target_port": 0,
            "node_port": 0,
            "new_flows_table_length": 1024,
            "src_ip_sticky": False,
            "is_del": False,
        },
    }
    assert add_as["msg"] == "lb_add_del_as_v2" and add_as["args"]["weight"] == 100 and add_as["args"]["protocol"] == 255


def test_unknown_state_is_refused():
    with pytest.raises(PlanError, match="state must be one of merged, replaced, overridden, deleted"):
        plan(CURRENT, CURRENT, "gathered")


def test_diff_has_one_block_per_changed_vip_with_header():
    desired = state(vip(WEB, {"10.0.0.1": 100, "10.0.0.2": 0}), vip(DNS, {"10.0.1.1": 100, "10.0.1.2": 100}))
    blocks = plan(CURRENT, desired, "merged").diff()
    assert [block["before_header"] for block in blocks] == ["vip 192.0.2.1/32 tcp:80", "vip 192.0.2.53/32 udp:53"]
    assert "  10.0.0.2: weight 100" in blocks[0]["before"] and "  10.0.0.2: weight 0" in blocks[0]["after"]
