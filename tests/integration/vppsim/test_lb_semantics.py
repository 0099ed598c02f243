"""Every lb message, its success path and its error codes, through real vpp_papi.

docs/vpp-lb-reference.md states each rule tested here (VIPs, application servers, dumps, error codes).
"""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.maglev_table import bucket_counts

pytestmark = pytest.mark.integration

V4 = "192.0.2.0/24"


def vip(vpp, pfx=V4, protocol=6, port=80, v2=True, **kw):
    fn = vpp.api.lb_add_del_vip_v2 if v2 else vpp.api.lb_add_del_vip
    return fn(pfx=pfx, protocol=protocol, port=port, **kw).retval


def add_as(vpp, address, weight=100, pfx=V4, protocol=6, port=80, **kw):
    return vpp.api.lb_add_del_as_v2(
        pfx=pfx, protocol=protocol, port=port, as_address=address, weight=weight, **kw
    ).retval


def share(weights, length=1024):
    """Bucket counts the Maglev table gives these {address: weight} (same order)."""
    counts = bucket_counts({ipaddress.ip_address(a): w for a, w in weights.items()}, length)
    return list(counts.values())


def rows(vpp):
    return [(str(r.app_srv), r.flags, r.weight, r.num_buckets) for r in vpp.api.lb_as_v2_dump()]


def test_lb_conf_and_conf_get(vpp):
    before = vpp.api.lb_conf_get()
    assert (str(before.ip4_src_address), before.sticky_buckets_per_core, before.flow_timeout) == (
        "255.255.255.255",
        1024,
        40,
    )
    assert vpp.api.lb_conf(ip4_src_address="39.40.41.42", ip6_src_address="2004::1").retval == 0
    after = vpp.api.lb_conf_get()
    assert (str(after.ip4_src_address), str(after.ip6_src_address)) == ("39.40.41.42", "2004::1")
    assert (after.sticky_buckets_per_core, after.flow_timeout) == (1024, 40)
    assert vpp.api.lb_conf(ip4_src_address="1.2.3.4", sticky_buckets_per_core=3).retval == -70
    assert vpp.api.lb_conf(ip4_src_address="1.2.3.4", sticky_buckets_per_core=0, flow_timeout=7).retval == 0
    final = vpp.api.lb_conf_get()
    # ip6 is always overwritten (vpp_papi sends :: when omitted); 0 passes is_pow2.
    assert (str(final.ip6_src_address), final.sticky_buckets_per_core, final.flow_timeout) == ("::", 0, 7)


def test_vip_add_dump_delete_and_key_rules(vpp):
    assert vip(vpp, pfx="192.0.2.77/24") == 0  # host bits masked
    assert vip(vpp, pfx="192.0.2.0/24", encap=1) == -81  # same key, other attributes
    assert vip(vpp, pfx="192.0.2.0/25") == 0  # other length: another VIP
    details = vpp.api.lb_vip_dump()
    assert [(str(d.vip.pfx), d.vip.protocol, d.vip.port, d.flow_table_length) for d in details] == [
        ("192.0.2.0/24", 6, 80, 1024),
        ("192.0.2.0/25", 6, 80, 1024),
    ]
    assert vip(vpp, pfx="192.0.2.0/24", is_del=True, encap=3) == 0  # delete ignores encap
    assert vip(vpp, pfx="192.0.2.0/24", is_del=True) == -6
    assert vip(vpp, pfx="198.51.100.0/24", port=0, protocol=6) == 0  # port 0 => protocol 255
    d = next(x for x in vpp.api.lb_vip_dump() if str(x.vip.pfx) == "198.51.100.0/24")
    assert (d.vip.protocol, d.vip.port) == (255, 0)
    assert vip(vpp, pfx="198.51.100.0/24", port=0, protocol=17, is_del=True) == 0


def test_all_port_and_per_port_conflicts_and_type_mismatch(vpp):
    assert vip(vpp, pfx="10.1.0.0/16", port=0) == 0
    assert vip(vpp, pfx="10.1.0.0/16", port=443) == -81
    assert vip(vpp, pfx="10.2.0.0/16", port=443) == 0
    assert vip(vpp, pfx="10.2.0.0/16", port=0) == -81
    assert vip(vpp, pfx="10.2.0.0/16", port=80, encap=2, dscp=10) == -73  # l3dsr vs gre4 on one prefix
    assert vip(vpp, pfx="10.2.0.0/16", port=80, protocol=17) == 0


def test_table_length_and_family_errors_and_encap_coercion(vpp):
    assert vip(vpp, new_flows_table_length=1000) == -70
    assert vip(vpp, encap=4) == -97  # IPv4 + NAT6
    assert vip(vpp, encap=7) == -97  # IPv4 + unknown
    assert vip(vpp, pfx="2001:db8::/64", encap=2) == 0  # IPv6 + L3DSR silently GRE6
    assert vip(vpp, pfx="2001:db8:1::/64", encap=9) == 0
    encaps = {str(d.vip.pfx): int(d.encap) for d in vpp.api.lb_vip_dump()}
    assert encaps == {"2001:db8::/64": 1, "2001:db8:1::/64": 1}
    assert vip(vpp, pfx="192.0.2.0/24", new_flows_table_length=65536) == 0
    d = next(x for x in vpp.api.lb_vip_dump() if str(x.vip.pfx) == V4)
    assert d.flow_table_length == 0  # u16 truncation


def test_dump_quirks_l3dsr_nat_and_filter_ignored(vpp):
    assert vip(vpp, pfx="10.9.0.0/16", port=0, encap=2, dscp=74) == 0  # dscp & 0x3f = 10
    assert vip(vpp, pfx="10.8.0.0/16", port=3306, encap=3, target_port=3307, type=1) == 0
    by = {str(d.vip.pfx): d for d in vpp.api.lb_vip_dump(pfx="1.1.1.1/32", protocol=17, port=9)}
    l3 = by["10.9.0.0/16"]
    assert (int(l3.dscp), int(l3.srv_type), l3.target_port) == (10, 10 << 24, 0)
    nat = by["10.8.0.0/16"]
    assert (int(nat.dscp), int(nat.srv_type), nat.target_port, int(nat.encap)) == (0, 0, 60172, 3)


def test_as_add_errors_weights_and_set_weight(vpp):
    assert add_as(vpp, "10.0.0.1") == -6  # no VIP
    assert vip(vpp) == 0
    assert add_as(vpp, "2001:db8::1") == -97  # GRE4 needs IPv4 ASes
    assert add_as(vpp, "10.0.0.1", weight=50) == 0
    assert add_as(vpp, "10.0.0.1") == -81
    assert vpp.api.lb_add_del_as(pfx=V4, protocol=6, port=80, as_address="10.0.0.2").retval == 0  # v1: weight 100
    assert add_as(vpp, "10.0.0.3", weight=250) == 0  # no range check
    assert vpp.api.lb_as_set_weight(pfx=V4, protocol=6, port=80, as_address="10.0.0.3").retval == 0  # weight 0!
    assert vpp.api.lb_as_set_weight(pfx=V4, protocol=6, port=80, as_address="10.0.0.9", weight=1).retval == -6
    assert (
        vpp.api.lb_as_set_weight(pfx="192.0.9.0/24", protocol=6, port=80, as_address="10.0.0.1", weight=1).retval == -6
    )
    b1, b2 = share({"10.0.0.1": 50, "10.0.0.2": 100})
    assert rows(vpp) == [("10.0.0.1", 1, 50, b1), ("10.0.0.2", 1, 100, b2), ("10.0.0.3", 1, 0, 0)]
    assert b1 + b2 == 1024 and b1 < b2


def test_golden_bucket_table_through_the_api(vpp):
    assert vip(vpp, encap=0) == 0
    for i in range(1, 5):
        assert add_as(vpp, "10.0.0.%d" % i) == 0
    assert [r[3] for r in rows(vpp)] == [256, 256, 256, 256]
    steps = [("10.0.0.1", 50, [150, 292, 291, 291]), ("10.0.0.2", 0, [208, 0, 408, 408])]
    for address, weight, expected in steps:
        assert vpp.api.lb_as_set_weight(pfx=V4, protocol=6, port=80, as_address=address, weight=weight).retval == 0
        assert [r[3] for r in rows(vpp)] == expected
    assert add_as(vpp, "10.0.0.5", weight=0) == 0
    assert [r[3] for r in rows(vpp)] == [208, 0, 408, 408, 0]
    vpp.api.lb_as_set_weight(pfx=V4, protocol=6, port=80, as_address="10.0.0.5", weight=50)
    assert [r[3] for r in rows(vpp)] == [181, 0, 331, 331, 181]
    vpp.api.lb_as_set_weight(pfx=V4, protocol=6, port=80, as_address="10.0.0.1", weight=0)
    vpp.api.lb_as_set_weight(pfx=V4, protocol=6, port=80, as_address="10.0.0.3", weight=0)
    assert [r[3] for r in rows(vpp)] == [0, 0, 0, 674, 350]


def test_lingering_as_delete_again_revive_and_gc(sim, vpp):
    assert vip(vpp) == 0 and add_as(vpp, "10.0.0.1") == 0 and add_as(vpp, "10.0.0.2") == 0
    assert add_as(vpp, "10.0.0.1", is_del=True, is_flush=True) == 0
    assert rows(vpp) == [("10.0.0.1", 0, 100, 0), ("10.0.0.2", 1, 100, 1024)]
    assert add_as(vpp, "10.0.0.1", is_del=True) == 0  # deleting a lingering AS again: 0
    assert vpp.api.lb_as_set_weight(pfx=V4, protocol=6, port=80, as_address="10.0.0.1", weight=5).retval == -6
    assert add_as(vpp, "10.0.0.1", weight=30) == 0  # revived, not a new row
    b1, b2 = share({"10.0.0.1": 30, "10.0.0.2": 100})
    assert rows(vpp) == [("10.0.0.1", 1, 30, b1), ("10.0.0.2", 1, 100, b2)]
    assert add_as(vpp, "10.0.0.1", is_del=True) == 0
    sim.advance_clock(5)
    sim.gc(force=True)
    assert len(rows(vpp)) == 2  # removed < 10 s ago: kept
    sim.advance_clock(70)  # the periodic lb-gc-process pass collects it
    assert rows(vpp) == [("10.0.0.2", 1, 100, 1024)]
    flushes = sim.state()["flushes"]
    assert [(f["message"], f["as"]) for f in flushes] == [("lb_add_del_as_v2", "10.0.0.1")]


def test_deleted_vip_lingers_in_as_dump_and_slot_reuse_is_lifo(sim, vpp):
    for net in ("10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"):
        assert vip(vpp, pfx=net) == 0
        assert add_as(vpp, "10.0.0.1", pfx=net) == 0
    assert vip(vpp, pfx="10.1.0.0/16", is_del=True) == 0  # a VIP with ASes deletes fine
    assert [str(d.vip.pfx) for d in vpp.api.lb_vip_dump()] == ["10.2.0.0/16", "10.3.0.0/16"]
    dump = [(str(r.vip.pfx), r.flags) for r in vpp.api.lb_as_v2_dump()]
    assert dump == [("10.1.0.0/16", 0), ("10.2.0.0/16", 1), ("10.3.0.0/16", 1)]
    assert add_as(vpp, "10.0.0.2", pfx="10.1.0.0/16") == -6  # lingering VIP is invisible
    assert vip(vpp, pfx="10.2.0.0/16", is_del=True) == 0
    sim.advance_clock(11)
    sim.gc(force=True)  # collects both deleted VIPs and their ASes; slots 1 then 2 freed
    assert vip(vpp, pfx="10.4.0.0/16") == 0
    assert vip(vpp, pfx="10.5.0.0/16") == 0
    # The most recently freed slot (2) is reused first, so 10.4 sorts after 10.5.
    assert [str(d.vip.pfx) for d in vpp.api.lb_vip_dump()] == ["10.5.0.0/16", "10.4.0.0/16", "10.3.0.0/16"]


def test_as_dump_filter_never_matches_ipv4_and_ipv6_exactly(vpp):
    assert vip(vpp) == 0 and add_as(vpp, "10.0.0.1") == 0
    assert vip(vpp, pfx="2001:db8::/64", encap=1) == 0 and add_as(vpp, "2001:db8::a", pfx="2001:db8::/64") == 0
    assert vpp.api.lb_as_v2_dump(pfx=V4, protocol=6, port=80) == []
    assert len(vpp.api.lb_as_v2_dump(pfx="2001:db8::/64", protocol=6, port=80)) == 1
    assert vpp.api.lb_as_v2_dump(pfx="2001:db8::/64", protocol=17, port=80) == []
    assert len(vpp.api.lb_as_dump()) == 2
    v1 = vpp.api.lb_as_dump()[0]
    assert not hasattr(v1, "num_buckets") and v1.flags == 1


def test_flush_vip_always_zero_and_recorded(sim, vpp):
    assert vpp.api.lb_flush_vip(pfx="203.0.113.0/24", protocol=6, port=80).retval == 0
    assert vip(vpp) == 0
    assert vpp.api.lb_flush_vip(pfx=V4, protocol=6, port=80).retval == 0
    flushes = sim.state()["flushes"]
    assert [(f["vip"], f["found"]) for f in flushes] == [(None, False), (V4, True)]


def test_nat_interfaces(sim, vpp):
    assert vpp.api.lb_add_del_intf_nat4(is_add=True, sw_if_index=0).retval == 0
    assert vpp.api.lb_add_del_intf_nat4(is_add=True, sw_if_index=0).retval == 0
    assert vpp.api.lb_add_del_intf_nat6(is_add=True, sw_if_index=5).retval == -2
    assert vpp.api.lb_add_del_intf_nat6(is_add=True, sw_if_index=0xFFFFFFFF).retval == -2
    assert sim.state()["nat_interfaces"] == {"nat4": [0], "nat6": []}


def test_table_length_zero_crashes_vpp(sim, connect):
    vpp = connect(sim, read_timeout=1)
    assert vip(vpp, pfx="10.7.0.0/16") == 0
    with pytest.raises(OSError):
        vip(vpp, new_flows_table_length=0)
    state = sim.state()
    assert state["vips"] == [] and state["restarts"] >= 2


def test_cli_show_lb_vips_verbose(vpp):
    assert vip(vpp, src_ip_sticky=True) == 0
    assert add_as(vpp, "10.0.0.1", weight=50) == 0 and add_as(vpp, "10.0.0.2") == 0
    assert add_as(vpp, "10.0.0.2", is_del=True) == 0
    assert vip(vpp, pfx="10.8.0.0/16", port=3306, encap=3, target_port=3307, v2=False) == 0
    text = vpp.api.cli_inband(cmd="show lb vips verbose").reply
    assert text.startswith(" ip4-gre4 [1] 192.0.2.0/24 src_ip_sticky\n  new_size:1024\n  protocol:6 port:80\n")
    assert "  #as:2\n    10.0.0.1 weight:50 buckets:1024 flows:0 dpo:1 used\n" in text
    assert "    10.0.0.2 weight:100 buckets:0 flows:0 dpo:2  removed\n" in text
    assert " ip4-nat4 [2] 10.8.0.0/16\n" in text and "  type:clusterip port:59916 target_port:3307  counters:\n" in text
    assert vpp.api.cli_inband(cmd="show lb vips").reply.splitlines()[0].startswith("ip4-gre4 192.0.2.0/24")
    # VPP's CLI prints the error after what ran and answers retval -1.
    reply = vpp.api.cli_inband(cmd="show lb as")
    assert (reply.retval, reply.reply.splitlines()[-1]) == (-1, "unknown input `as'")


def test_ipv6_vip_with_gre4_takes_ipv4_ases(vpp):
    assert vip(vpp, pfx="2001:db8::/64", encap=0) == 0
    assert add_as(vpp, "10.0.0.1", pfx="2001:db8::/64") == 0
    assert add_as(vpp, "2001:db8::1", pfx="2001:db8::/64") == -97
    assert rows(vpp) == [("10.0.0.1", 1, 100, 1024)]
    assert str(ipaddress.ip_network(vpp.api.lb_vip_dump()[0].vip.pfx, strict=False)) == "2001:db8::/64"
