"""wants: module arguments -> desired LbState, and the checks that need VPP's current state."""

from __future__ import annotations

import ipaddress
import re

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbConf, LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.plugins.module_utils.wants import (
    ModuleInputError,
    backend_request,
    backend_want,
    frontend_request,
    frontend_want,
)

A = ipaddress.ip_address
WEB = VipKey.make("192.0.2.1/32", "tcp", 80)


def fe(**params):
    base = {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80, "state": "present", "purge": False}
    base.update(params)
    return frontend_request(base)


def be(**params):
    base = {"vip": "192.0.2.1/32", "protocol": None, "port": None, "address": "10.0.0.1", "state": "present"}
    base.update(params)
    return backend_request(base)


def current(*vips):
    return LbState(LbConf(), {vip.key: vip for vip in vips})


def web(**ases):
    return Vip(WEB, VipAttrs(encap="l3dsr", dscp=10), {A(k.replace("_", ".")): w for k, w in ases.items()})


def test_bare_address_is_a_host_prefix_and_port_zero_is_any():
    request = fe(vip="2001:db8::1", protocol=None, port=0)
    assert request.key == VipKey.make("2001:db8::1/128", "any", 0)


def test_unset_attributes_keep_the_existing_vip():
    have = current(web(**{"10_0_0_1": 100}))
    desired, state = frontend_want(fe(backends=[{"address": "10.0.0.2", "weight": 5}]), have)
    assert state == "merged"
    assert desired.vips[WEB].attrs == VipAttrs(encap="l3dsr", dscp=10)
    assert not plan(have, desired, state).recreated


def test_new_vip_gets_vpp_defaults_and_purge_means_replaced():
    desired, state = frontend_want(fe(backends=[], purge=True), LbState())
    assert state == "replaced"
    assert desired.vips[WEB].attrs == VipAttrs()


def test_absent_plans_a_delete():
    have = current(web(**{"10_0_0_1": 100}))
    desired, state = frontend_want(fe(state="absent"), have)
    assert state == "deleted" and [op.kind for op in plan(have, desired, state).ops] == ["vip_del"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"vip": "10.0.0.1/8"}, "has host bits set; did you mean 10.0.0.0/8?"),
        ({"vip": "nonsense"}, "is not an IPv4/IPv6 address or prefix"),
        ({"port": 70000}, "port: 70000 is out of range"),
        ({"port": 0, "protocol": "udp"}, "protocol: udp needs a port"),
        ({"encap": "nat6"}, "encap: nat6 cannot be used with the IPv4 vip"),
        (
            {"new_flows_table_length": 0},
            "new_flows_table_length: 0 is out of range; expected an integer from 1 to 65536",
        ),
        ({"backends": [{"address": "10.0.0.1", "weight": -1}]}, "backends[0].weight: -1 is out of range"),
    ],
)
def test_frontend_request_errors(params, message):
    with pytest.raises(ModuleInputError, match="^.*" + re.escape(message)):
        fe(**params)


def test_dscp_conflicts_with_the_existing_encap_and_family_checks_use_the_encap():
    have = current(Vip(WEB, VipAttrs(encap="gre6"), {A("2001:db8::1"): 100}))
    with pytest.raises(ModuleInputError, match=r"dscp: only applies to encap l3dsr \(this VIP's encap is gre6\)"):
        frontend_want(fe(dscp=3), have)
    with pytest.raises(ModuleInputError, match=r"10\.0\.0\.1 is IPv4 but encap gre6 needs IPv6 backends"):
        frontend_want(fe(backends=[{"address": "10.0.0.1", "weight": 1}]), have)
    # an IPv4 VIP with gre6 takes IPv6 backends: fine
    desired, state = frontend_want(fe(backends=[{"address": "2001:db8::2", "weight": 1}]), have)
    assert A("2001:db8::2") in desired.vips[WEB].ases and state == "merged"


def test_backend_states_give_the_weight_and_flush():
    have = current(web(**{"10_0_0_1": 100, "10_0_0_2": 60}))
    cases = {
        ("present", None): 60,
        ("present", 7): 7,
        ("enabled", None): 100,
        ("drained", None): 0,
        ("disabled", None): 0,
    }
    for (state, weight), expected in cases.items():
        want = backend_want(be(address="10.0.0.2", state=state, weight=weight), have)
        assert want.weight == expected and want.state == "merged"
        ops = plan(have, want.desired, want.state).ops
        assert [op.flush for op in ops] == ([True] if state == "disabled" else [False] * len(ops))


def test_backend_absent_replaces_the_vip_without_the_as():
    have = current(web(**{"10_0_0_1": 100, "10_0_0_2": 60}))
    want = backend_want(be(address="10.0.0.2", state="absent", flush=True), have)
    ops = plan(have, want.desired, want.state, flush_removed=want.flush_removed).ops
    assert [(op.kind, str(op.address), op.flush) for op in ops] == [("as_del", "10.0.0.2", True)]
    assert backend_want(be(vip="198.51.100.1", state="absent"), have) is None


def test_guard_covers_an_empty_vip_and_allow_empty_lifts_it():
    have = current(web(**{"10_0_0_1": 100}))
    for state in ("drained", "disabled", "absent"):
        with pytest.raises(ModuleInputError, match="last backend with weight > 0"):
            backend_want(be(state=state), have)
        assert backend_want(be(state=state, allow_empty=True), have) is not None
    # already not serving: nothing to guard
    idle = current(web(**{"10_0_0_1": 0}))
    assert backend_want(be(state="absent"), idle) is not None


@pytest.mark.parametrize(
    "params, message",
    [
        ({"weight": 101}, "weight: 101 is out of range; expected an integer from 0 to 100"),
        ({"state": "absent", "weight": 1}, "weight: cannot be used with state absent"),
        ({"state": "enabled", "flush": True}, "flush: only applies to state absent or disabled, not enabled"),
        ({"address": "::g"}, "address: '::g' is not an IPv4 or IPv6 address"),
        ({"protocol": "tcp"}, "protocol: tcp needs a port"),
    ],
)
def test_backend_request_errors(params, message):
    with pytest.raises(ModuleInputError, match=re.escape(message)):
        be(**params)
