"""vppclient's direct path (socket framed by hand, struct-packed hot messages) against vppsim:
it must read, pack and apply exactly what vpp_papi's own path does, keep the pipelined apply's
barrier and in-doubt reporting, and hand the connection back to vpp_papi intact."""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import vpp_errors, vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbConf, LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi import reader, wire

pytestmark = pytest.mark.integration

A = ipaddress.ip_address
GRE4 = VipKey.make("192.0.2.1/32", "tcp", 80)
GRE6 = VipKey.make("192.0.2.3/32", "udp", 5353)
NAT4 = VipKey.make("192.0.2.2/32", "udp", 53)
DSR = VipKey.make("198.51.100.0/24", "any", 0)
SIX = VipKey.make("2001:db8::/64", "tcp", 443)
NAT6 = VipKey.make("2001:db8:5::1/128", "tcp", 8080)
GONE = VipKey.make("203.0.113.9/32", "tcp", 25)
READ_NAMES = ("lb_conf_get", "lb_vip_dump", "lb_as_v2_dump", "control_ping", "cli_inband", *wire.LAYOUTS)


def every_kind() -> LbState:
    """IPv4 and IPv6 VIPs and ASes, every encap, NAT ports, sticky, a 65536-entry table."""
    return LbState(
        LbConf(ip4_src_address=A("192.0.2.254"), ip6_src_address=A("2001:db8::fe"), flow_timeout=20),
        {
            GRE4: Vip(GRE4, VipAttrs(), {A("10.0.0.%d" % i): i % 3 * 50 for i in range(1, 21)}),
            GRE6: Vip(GRE6, VipAttrs(encap="gre6"), {A("2001:db8:2::%d" % i): 100 for i in range(1, 5)}),
            NAT4: Vip(NAT4, VipAttrs(encap="nat4", target_port=3307, src_ip_sticky=True), {A("10.0.1.1"): 40}),
            DSR: Vip(DSR, VipAttrs(encap="l3dsr", dscp=46, new_flows_table_length=65536), {A("10.0.2.1"): 100}),
            SIX: Vip(SIX, VipAttrs(encap="gre4"), {A("10.0.3.%d" % i): 7 for i in range(1, 4)}),
            NAT6: Vip(NAT6, VipAttrs(encap="nat6", target_port=80), {A("2001:db8:6::1"): 100}),
            GONE: Vip(GONE, VipAttrs(), {A("10.0.9.1"): 100}),
        },
    )


def with_lingering(vpp: vppclient.VppClient) -> None:
    """every_kind(), then a deleted VIP and removed ASes that linger in the dumps."""
    vpp.apply(plan(vpp.read_state(), every_kind()))
    vpp.apply(plan(vpp.read_state(), LbState(vips={GONE: Vip(GONE)}), "deleted"))
    fewer = every_kind()
    del fewer.vips[GONE]
    for address in list(fewer.vips[GRE4].ases)[:5]:
        del fewer.vips[GRE4].ases[address]
    vpp.apply(plan(vpp.read_state(), fewer, "replaced"))


def test_raw_decode_equals_vpp_papi_decode(vppsim):
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        with_lingering(vpp)
        lingering = [a for v in vppsim.state()["vips"] for a in v["ases"] if not a["used"]]
        assert len(lingering) >= 6  # GONE's AS and five of GRE4's
        for name, details in (("lb_vip_dump", "lb_vip_details"), ("lb_as_v2_dump", "lb_as_v2_details")):
            with vpp.connection.direct(READ_NAMES) as direct:
                assert direct is not None
                raw = direct.dump(name, details)
            papi = reader.papi_rows(vpp.call, name, details)
            assert len(raw) == len(papi) > 0
            # the message id and context differ (vpp_papi's rows have none); every field agrees
            assert [row[2:] for row in raw] == [row[2:] for row in papi]

        direct_state, direct_buckets = vpp.read_state_with_buckets()
        vpp.direct = False
        papi_state, papi_buckets = vpp.read_state_with_buckets()
    assert direct_state == papi_state
    assert direct_buckets == papi_buckets
    assert GONE not in direct_state.vips and len(direct_state.vips[GRE4].ases) == 15
    expected = every_kind()
    for key in (NAT4, NAT6, DSR, SIX):  # sticky and the 65536 table come from the CLI text
        assert direct_state.vips[key] == expected.vips[key]


def test_struct_packing_equals_vpp_papi_packing(vppsim):
    state = every_kind()
    ops = plan(LbState(), state).ops
    ops += plan(state, LbState(vips={GRE4: Vip(GRE4)}), "deleted", flush_removed=True).ops
    changed = every_kind()
    changed.vips[GRE4].ases[A("10.0.0.1")] = 0
    changed.vips[SIX].ases[A("10.0.3.1")] = 99
    ops += plan(state, changed, "replaced", force_flush=[(GRE4, A("10.0.0.1"))]).ops
    calls = [op.api_call() for op in ops]
    names = sorted({name for name, _args in calls} - {"lb_conf"})
    assert set(names) == set(wire.PACKERS)  # every packer is exercised
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        ids = vpp.connection.wire_ids(names, plain_replies=names)
        direct = wire.Wire(vpp.papi, ids, vpp.connection.packable)
        assert set(direct.packable) == set(names)
        compared = 0
        for context, (name, args) in enumerate(calls, start=1):
            if name == "lb_conf":
                continue
            ours = direct.pack_request(name, context, args)
            theirs = vpp.papi.messages[name].pack(
                dict(args, _vl_msg_id=ids[name], client_index=direct.client_index, context=context)
            )
            assert ours == theirs, (name, args)
            compared += 1
    assert compared > 40


def test_direct_apply_keeps_the_barrier(vppsim):
    """replaced {20 ASes} -> {20 others}: 20 adds, then 20 deletes. When VPP refuses the
    first add, no delete may be sent (the VIP would stop serving); the other adds land."""
    old = {A("10.0.0.%d" % i): 100 for i in range(1, 21)}
    new = {A("10.0.1.%d" % i): 100 for i in range(1, 21)}
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        vpp.apply(plan(LbState(), LbState(vips={GRE4: Vip(GRE4, VipAttrs(), old)})))
        the_plan = plan(vpp.read_state(), LbState(vips={GRE4: Vip(GRE4, VipAttrs(), new)}), "replaced")
        assert len(the_plan.ops) == 40 >= vppclient.DIRECT_MIN_OPS
        assert [op.kind for op in the_plan.ops] == ["as_add"] * 20 + ["as_del"] * 20
        vppsim.reset_stats()
        vppsim.set_fault(fail={"message": "lb_add_del_as_v2", "nth": 1, "retval": -97})
        with pytest.raises(vpp_errors.VppApplyError) as caught:
            vpp.apply(the_plan)
        error = caught.value
        assert error.failed is the_plan.ops[0] and error.retval == -97 and not error.dropped
        assert error.applied == the_plan.ops[1:20] and error.not_applied == the_plan.ops[20:]
        assert vppsim.stats()["writes"] == 20  # not one delete went out
        assert not vpp.broken and vpp.papi.transport.message_thread.is_alive()
        assert vpp.read_state().vips[GRE4].ases == {**old, **dict(list(new.items())[1:])}


def test_direct_apply_reports_the_op_in_doubt(vppsim):
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        the_plan = plan(vpp.read_state(), every_kind())
        assert len(the_plan.ops) >= vppclient.DIRECT_MIN_OPS
        vppsim.set_fault(drop_after=10)
        with pytest.raises(vpp_errors.VppApplyError) as caught:
            vpp.apply(the_plan)
        error = caught.value
        assert error.dropped and error.retval is None and error.to_dict()["connection_lost"]
        assert error.failed is the_plan.ops[10] and error.applied == the_plan.ops[:10]
        assert error.not_applied == the_plan.ops[11:]
        # broken, and the dead reader thread is what maglevd's liveness check looks at
        assert vpp.broken and not vpp.papi.transport.message_thread.is_alive()
    vppsim.set_fault(drop_after=None)


def test_vpp_papi_gets_the_connection_back(vppsim):
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        vpp.apply(plan(vpp.read_state(), every_kind()))
        state = vpp.read_state()
        thread = vpp.papi.transport.message_thread
        assert thread.is_alive()
        assert vpp.call("control_ping").retval == 0  # vpp_papi's own path works again
        assert vpp.read_conf().conf == state.conf
        # and its reader thread still notices VPP going away (maglevd relies on it)
        vppsim.restart()
        thread.join(5)
        assert not thread.is_alive()


def test_other_definitions_take_vpp_papis_path(vppsim, monkeypatch):
    """A layout pinned to another CRC is never used: the read goes through vpp_papi."""
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        with_lingering(vpp)
        expected = vpp.read_state()
    layout = wire.LAYOUTS["lb_as_v2_details"]
    monkeypatch.setitem(wire.LAYOUTS, "lb_as_v2_details", layout._replace(crc="0x00000000"))
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        assert vpp.connection.wire_ids(READ_NAMES) is None
        assert vpp.read_state() == expected
