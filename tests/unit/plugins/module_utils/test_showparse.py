"""showparse: VPP's lb CLI text -> records / LbState.

The text is VPP master's, byte for byte (trailing spaces included): first as issue 12 quotes
it from a VPP master build, then one block per VIP type, encap, flag and AS state as lb.c's
format_lb_vip_detailed prints it (docs/vppsim.md#cli_inband-text).
"""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.showparse import (
    parse_lb_state,
    parse_show_lb,
    parse_show_lb_summary,
    parse_show_lb_vips,
)

# `show lb` as quoted in issue 12 (a VPP master build; no packet has passed yet).
ISSUE_SHOW_LB = "lb_main ip4-src-address: 10.255.0.1 \n ip6-src-address: 2001:db8::ff \n #vips: 4\n #ass: 5\n"
COUNTERS = """\
  counters:
    packet from existing sessions: 0
    first session packet: 0
    untracked packet: 0
    no server configured: 0
"""
# The lines issue 12 quotes from `show lb vips verbose`, in a block of their VIP.
ISSUE_VIPS = (
    " ip4-gre4 [1] 192.0.2.1/32\n  new_size:1024\n" + COUNTERS + "  #as:2\n"
    "    10.0.0.1 weight:100 buckets:1024 flows:0 dpo:9 used\n"
    "    10.0.0.2 weight:50 buckets:0 flows:0 dpo:10  removed\n\n"
)
# Every type, encap, flag and AS state, as format_lb_vip_detailed prints them.
MASTER_VIPS = (
    " ip4-gre4 [1] 192.0.2.1/32 src_ip_sticky\n  new_size:1024\n  protocol:6 port:80\n"
    "  counters:\n    packet from existing sessions: 1200\n    first session packet: 34\n"
    "    untracked packet: 5\n    no server configured: 0\n  #as:3\n"
    "    10.0.0.1 weight:100 buckets:683 flows:17 dpo:9 used\n"
    "    10.0.0.2 weight:50 buckets:341 flows:12 dpo:10 used\n"
    "    10.0.0.3 weight:100 buckets:0 flows:2 dpo:11  removed\n\n"
    " ip4-gre6 [2] 192.0.2.2/32\n  new_size:1024\n" + COUNTERS + "  #as:1\n"
    "    2001:db8::1 weight:100 buckets:1024 flows:0 dpo:12 used\n\n"
    " ip6-gre4 [3] 2001:db8:1::/64\n  new_size:2048\n" + COUNTERS + "  #as:1\n"
    "    10.0.1.1 weight:0 buckets:0 flows:4 dpo:13 used\n\n"
    " ip6-gre6 [4] 2001:db8:2::1/128\n  new_size:1024\n  protocol:17 port:53\n" + COUNTERS + "  #as:0\n\n"
    " ip4-l3dsr [5] 198.51.100.0/24\n  new_size:1024\n  protocol:6 port:443\n  dscp:10\n" + COUNTERS + "  #as:0\n\n"
    " ip4-nat4 [6] 192.0.2.3/32\n  new_size:65536\n  protocol:6 port:3306\n"
    "  type:clusterip port:59916 target_port:3307" + COUNTERS + "  #as:1\n"
    "    10.0.3.1 weight:40 buckets:65536 flows:0 dpo:14 used\n\n"
    " ip6-nat6 [7] 2001:db8:3::1/128\n  new_size:1024\n  protocol:17 port:8080\n"
    "  type:nodeport port:36895 target_port:80" + COUNTERS + "  #as:0\n\n"
    " ip4-gre4 [8] 203.0.113.0/24 removed\n  new_size:1024\n  protocol:6 port:25\n" + COUNTERS + "  #as:1\n"
    "    10.0.4.1 weight:100 buckets:0 flows:3 dpo:15  removed\n\n"
)


def test_the_text_issue_12_quotes():
    (record,) = parse_show_lb_vips(ISSUE_VIPS)
    assert (record["index"], record["type"], record["prefix"]) == (1, "ip4-gre4", "192.0.2.1/32")
    assert record["ases"] == [
        {"address": "10.0.0.1", "buckets": 1024, "flows": 0, "weight": 100, "used": True},
        {"address": "10.0.0.2", "buckets": 0, "flows": 0, "weight": 50, "used": False},
    ]
    assert parse_show_lb_summary(ISSUE_SHOW_LB) == {"vips": 4, "ases": 5, "cores": []}
    conf = parse_show_lb(ISSUE_SHOW_LB)
    assert (str(conf.ip4_src_address), str(conf.ip6_src_address)) == ("10.255.0.1", "2001:db8::ff")
    assert conf.flow_timeout is None


def test_every_type_encap_flag_and_state():
    records = parse_show_lb_vips(MASTER_VIPS)
    assert [(r["index"], r["type"], r["encap"], r["prefix"]) for r in records] == [
        (1, "ip4-gre4", "gre4", "192.0.2.1/32"),
        (2, "ip4-gre6", "gre6", "192.0.2.2/32"),
        (3, "ip6-gre4", "gre4", "2001:db8:1::/64"),
        (4, "ip6-gre6", "gre6", "2001:db8:2::1/128"),
        (5, "ip4-l3dsr", "l3dsr", "198.51.100.0/24"),
        (6, "ip4-nat4", "nat4", "192.0.2.3/32"),
        (7, "ip6-nat6", "nat6", "2001:db8:3::1/128"),
        (8, "ip4-gre4", "gre4", "203.0.113.0/24"),
    ]
    web, _gre6, v6, dns, dsr, nat4, nat6, gone = records
    assert (web["protocol"], web["port"], web["src_ip_sticky"], web["removed"]) == (6, 80, True, False)
    assert web["counters"] == {
        "packet from existing sessions": 1200,
        "first session packet": 34,
        "untracked packet": 5,
        "no server configured": 0,
    }
    assert [(row["address"], row["weight"], row["buckets"], row["flows"], row["used"]) for row in web["ases"]] == [
        ("10.0.0.1", 100, 683, 17, True),
        ("10.0.0.2", 50, 341, 12, True),
        ("10.0.0.3", 100, 0, 2, False),
    ]
    assert (v6["new_flows_table_length"], v6["protocol"], v6["port"], v6["ases"][0]["weight"]) == (2048, 255, 0, 0)
    assert (dns["protocol"], dns["port"], dns["ases"]) == (17, 53, [])
    assert (dsr["dscp"], dsr["port"]) == (10, 443)
    # The NAT line runs into "  counters:" (no newline of its own); its port reads swapped.
    assert (nat4["srv_type"], nat4["port"], nat4["target_port"], nat4["new_flows_table_length"]) == (
        "clusterip",
        3306,
        3307,
        65536,
    )
    assert nat4["counters"]["first session packet"] == 0
    assert (nat6["srv_type"], nat6["port"], nat6["target_port"]) == ("nodeport", 8080, 80)
    assert gone["removed"] and gone["ases"][0]["flows"] == 3


def test_state_skips_removed_vips_and_ases_and_keys_match_the_dumps():
    state = parse_lb_state(MASTER_VIPS, ISSUE_SHOW_LB)
    assert len(state.vips) == 7 and VipKey.make("203.0.113.0/24", "tcp", 25) not in state.vips
    web = state.vips[VipKey.make("192.0.2.1/32", "tcp", 80)]
    assert web.ases == {ipaddress.ip_address("10.0.0.1"): 100, ipaddress.ip_address("10.0.0.2"): 50}
    assert web.attrs.src_ip_sticky
    assert state.vips[VipKey.make("2001:db8:1::/64", "any", 0)].ases == {ipaddress.ip_address("10.0.1.1"): 0}
    assert str(state.conf.ip4_src_address) == "10.255.0.1"


def test_released_vpp_as_line_without_weight_reads_full_weight():
    # VPP 26.06 (and every release before it) prints "ADDR B buckets   F flows  dpo:D STATE".
    text = (
        " ip4-gre4 [1] 192.0.2.1/32\n  new_size:1024\n" + COUNTERS + "  #as:2\n"
        "    10.0.0.1 1024 buckets   5 flows  dpo:1 used\n    10.0.0.2 0 buckets   1 flows  dpo:2  removed\n\n"
    )
    (record,) = parse_show_lb_vips(text)
    assert record["ases"] == [
        {"address": "10.0.0.1", "buckets": 1024, "flows": 5, "weight": None, "used": True},
        {"address": "10.0.0.2", "buckets": 0, "flows": 1, "weight": None, "used": False},
    ]
    assert next(iter(parse_lb_state(text).vips.values())).ases == {ipaddress.ip_address("10.0.0.1"): 100}


def test_a_line_no_vpp_release_printed_is_not_an_as():
    # vppsim's own AS line before issue 12: no VPP release prints it.
    text = " ip4-gre4 [1] 192.0.2.1/32\n  new_size:1024\n  #as:1\n    10.0.0.1 1024 buckets   0 flows dpo:1 weight:50 used\n"
    assert parse_show_lb_vips(text)[0]["ases"] == []


def test_show_lb_with_sticky_tables():
    text = ISSUE_SHOW_LB + "core 0\n  timeout: 40s\n  usage: 3 / 1027\ncore 1\n  timeout: 40s\n  usage: 0 / 1027\n"
    assert parse_show_lb_summary(text)["cores"] == [
        {"core": 0, "timeout": 40, "used": 3, "size": 1027},
        {"core": 1, "timeout": 40, "used": 0, "size": 1027},
    ]
    assert parse_show_lb(text).flow_timeout == 40


def test_bad_prefix():
    with pytest.raises(ValueError, match="bad VIP prefix"):
        parse_show_lb_vips(" ip4-gre4 [1] 300.1.1.1/32\n")
