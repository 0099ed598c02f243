"""The direct path builds each op's call as it sends it: the message names it checks up front
come from planner.message_names (one call built per op kind), and a call whose message was
not checked is refused rather than sent."""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbConf, LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import message_names, plan
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.wire import WireChannel

WEB = VipKey.make("192.0.2.1/32", "tcp", 80)


def web(ases):
    return LbState(LbConf(), {WEB: Vip(WEB, VipAttrs(), {ipaddress.ip_address(a): w for a, w in ases.items()})})


class CountingOp:
    """Not a planner Op: its call is built for each one."""

    def __init__(self, name):
        self.name = name
        self.built = 0

    def api_call(self):
        self.built += 1
        return self.name, {}


class FakeWire:
    def __init__(self):
        self.ids = {"lb_as_set_weight_reply": 1, "lb_add_del_as_v2_reply": 2, "lb_add_del_vip_v2_reply": 3}
        self.papi = self
        self.services = {name[: -len("_reply")]: {"reply": name} for name in self.ids}
        self.queued = []

    def get_context(self):
        return 7

    def queue(self, name, context, kwargs):
        self.queued.append((name, context, kwargs))


def test_message_names_match_every_ops_own_call():
    ops = plan(LbState(LbConf(), {}), web({"10.0.0.1": 100, "10.0.0.2": 50}), "overridden").ops
    assert message_names(ops) == [op.api_call()[0] for op in ops]
    assert set(message_names(ops)) == {"lb_add_del_vip_v2", "lb_add_del_as_v2"}


def test_objects_other_than_planner_ops_have_each_call_built():
    ops = [CountingOp("lb_as_set_weight"), CountingOp("lb_flush_vip")]
    assert message_names(ops) == ["lb_as_set_weight", "lb_flush_vip"]
    assert [op.built for op in ops] == [1, 1]


def test_the_channel_sends_each_ops_call_and_refuses_an_unchecked_message():
    ops = plan(web({"10.0.0.1": 100}), web({"10.0.0.1": 10}), "overridden").ops + [CountingOp("lb_flush_vip")]
    wire = FakeWire()
    channel = WireChannel(wire, ops, sorted(set(message_names(ops[:1]))), timeout=1.0)
    assert channel.send(0) == 8
    assert wire.queued[0][:2] == ("lb_as_set_weight", 8)
    assert wire.queued[0][2] == ops[0].api_call()[1]
    with pytest.raises(ValueError, match="lb_flush_vip was not among the messages checked"):
        channel.send(1)
    assert len(wire.queued) == 1 and channel.sent == 1
