"""vppclient against vppsim in-process (real vpp_papi, no Ansible): reading through VPP's dump
quirks, both definition sources, the errors."""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import vpp_errors, vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbConf, LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan

pytestmark = pytest.mark.integration

A = ipaddress.ip_address
WEB = VipKey.make("192.0.2.1/32", "tcp", 80)
NAT = VipKey.make("192.0.2.2/32", "udp", 53)
DSR = VipKey.make("198.51.100.0/24", "any", 0)
SIX = VipKey.make("2001:db8::/64", "tcp", 443)


def desired() -> LbState:
    return LbState(
        LbConf(flow_timeout=20),
        {
            WEB: Vip(WEB, VipAttrs(), {A("10.0.0.1"): 100, A("10.0.0.2"): 0}),
            NAT: Vip(NAT, VipAttrs(encap="nat4", target_port=3307, src_ip_sticky=True), {A("10.0.1.1"): 40}),
            DSR: Vip(DSR, VipAttrs(encap="l3dsr", dscp=10, new_flows_table_length=65536), {A("10.0.2.1"): 100}),
            SIX: Vip(SIX, VipAttrs(encap="gre6"), {A("2001:db8:1::1"): 100}),
        },
    )


@pytest.mark.parametrize("api_dir", ["api_dir", None], ids=["api_dir", "bootstrapapi"])
def test_read_back_equals_what_was_applied(vppsim, api_dir):
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir if api_dir else None, timeout=5) as vpp:
        the_plan = plan(vpp.read_state(), desired())
        result = vpp.apply(the_plan)
        assert result.calls == len(the_plan.ops)
        # quirks undone: NAT target_port byte-swapped and srv_type shifted in the dump, dscp
        # aliasing, 65536 truncated to 0 in the u16 dump field, src_ip_sticky not dumped at all
        assert vpp.read_state() == the_plan.after
        assert not plan(vpp.read_state(), desired())


def test_lingering_ases_and_vips_are_ignored(vppsim):
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir) as vpp:
        vpp.apply(plan(vpp.read_state(), desired()))
        # delete and re-add WEB with another AS: the old ASes linger in lb_as_v2_dump (flags 0)
        gone = LbState(LbConf(), {WEB: Vip(WEB)})
        vpp.apply(plan(vpp.read_state(), gone, "deleted"))
        again = LbState(LbConf(), {WEB: Vip(WEB, VipAttrs(), {A("10.0.0.9"): 100})})
        vpp.apply(plan(vpp.read_state(), again, "merged"))
        lingering = [a for v in vppsim.state()["vips"] for a in v["ases"] if not a["used"]]
        assert {a["address"] for a in lingering} >= {"10.0.0.1", "10.0.0.2"}
        state = vpp.read_state()
        assert state.vips[WEB].ases == {A("10.0.0.9"): 100}


def test_one_unfiltered_dump_per_read(vppsim):
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir) as vpp:
        vpp.apply(plan(vpp.read_state(), desired()))
        vppsim.reset_stats()
        before = vpp.calls
        vpp.read_state()
        counts = vppsim.stats()["counts"]
        assert counts.get("lb_as_v2_dump") == 1 and counts.get("lb_vip_dump") == 1
        assert counts.get("lb_as_dump", 0) == 0 and vppsim.stats()["writes"] == 0
        assert vpp.calls - before == 4  # lb_conf_get, lb_vip_dump, cli_inband, lb_as_v2_dump
        (dump,) = vppsim.calls("lb_as_v2_dump")
        assert dump["args"]["pfx"] == "0.0.0.0/0"  # all-zero prefix = no filter


def test_read_info(vppsim):
    with vppclient.connect(vppsim.socket, timeout=5) as vpp:  # bootstrapapi: version from get_api_json
        vpp.apply(plan(vpp.read_state(), desired()))
        info = vpp.read_info()
    assert info["lb_api_version"] == "1.2.0"
    assert info["vpp"]["version"].startswith("26.10")
    assert sum(info["buckets"][WEB].values()) == 1024 and info["buckets"][WEB][A("10.0.0.2")] == 0


def test_errors(vppsim, tmp_path):
    with pytest.raises(vpp_errors.VppConnectionError, match="does not exist"):
        vppclient.connect(str(tmp_path / "none.sock"), api_dir=vppsim.api_dir)
    with pytest.raises(vpp_errors.VppConnectionError, match="is not a directory"):
        vppclient.connect(vppsim.socket, api_dir=str(tmp_path / "nodir"))
    with pytest.raises(vpp_errors.VppFeatureError, match=r"no lb\.api\.json under api_dir"):
        vppclient.connect(vppsim.socket, api_dir=str(tmp_path))
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir) as vpp:
        vppsim.set_fault(drop_after=1)
        vpp.read_conf()
        with pytest.raises(vpp_errors.VppConnectionError, match=r"lost the connection to VPP .* during lb_conf_get"):
            vpp.read_state()
    vppsim.set_fault(drop_after=None)


def test_pipelined_apply_never_lets_a_removal_overtake_a_failed_add(vppsim):
    """replaced {.1} -> {.2, .3}: the plan adds .2 and .3, then deletes .1. When VPP refuses
    the add of .2, the delete of .1 must never be sent, or the VIP would stop serving."""
    before = LbState(vips={WEB: Vip(WEB, VipAttrs(), {A("10.0.0.1"): 100})})
    after = LbState(vips={WEB: Vip(WEB, VipAttrs(), {A("10.0.0.2"): 100, A("10.0.0.3"): 100})})
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        vpp.apply(plan(LbState(), before))
        vppsim.set_fault(fail={"message": "lb_add_del_as_v2", "nth": 1, "retval": -97})
        the_plan = plan(vpp.read_state(), after, "replaced")
        assert [op.kind for op in the_plan.ops] == ["as_add", "as_add", "as_del"]
        with pytest.raises(vpp_errors.VppApplyError) as caught:
            vpp.apply(the_plan)
        error = caught.value
        assert error.failed is the_plan.ops[0] and error.retval == -97
        assert error.applied == [the_plan.ops[1]] and error.not_applied == [the_plan.ops[2]]
        assert vpp.read_state().vips[WEB].ases == {A("10.0.0.1"): 100, A("10.0.0.3"): 100}


def test_pipelined_apply_matches_one_at_a_time(vppsim):
    """The same plan applied pipelined and sequentially leaves VPP in the same state."""
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        the_plan = plan(vpp.read_state(), desired())
        vpp.apply(the_plan, window=64)
        pipelined = vpp.read_state()
        vpp.apply(plan(pipelined, LbState(), "deleted"), window=1)
        vpp.apply(plan(vpp.read_state(), desired()), window=1)
        assert vpp.read_state().vips == pipelined.vips
