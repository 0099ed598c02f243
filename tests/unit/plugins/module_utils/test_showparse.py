"""showparse: VPP's lb CLI text -> records / LbState."""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.showparse import (
    parse_lb_state,
    parse_show_lb,
    parse_show_lb_vips,
)

# As VPP master's format_lb_vip_detailed prints it (NAT line port byte-swapped: 53 -> 13568).
VIPS = """\
 ip4-gre4 [1] 192.0.2.1/32 src_ip_sticky
  new_size:1024
  protocol:6 port:80
  counters:
    packet from existing sessions: 0
    first session packet: 0
    untracked packet: 0
    no server configured: 0
  #as:3
    10.0.0.1 683 buckets   0 flows dpo:1 weight:100 used
    10.0.0.2 341 buckets   12 flows dpo:2 weight:50 used
    10.0.0.3 0 buckets   0 flows dpo:3 weight:100  removed

 ip4-nat4 [2] 192.0.2.2/32
  new_size:65536
  protocol:17 port:53
  type:clusterip port:13568 target_port:3307
  counters:
    packet from existing sessions: 0
  #as:1
    10.0.1.1 65536 buckets   0 flows dpo:4 weight:40 used

 ip4-l3dsr [3] 198.51.100.0/24
  new_size:1024
  dscp:10
  counters:
  #as:0

 ip6-gre6 [4] 2001:db8::/64 removed
  new_size:1024
  #as:0
"""


def test_records():
    records = parse_show_lb_vips(VIPS)
    assert [r["index"] for r in records] == [1, 2, 3, 4]
    web, nat, dsr, gone = records
    assert (web["prefix"], web["protocol"], web["port"], web["src_ip_sticky"]) == ("192.0.2.1/32", 6, 80, True)
    assert web["ases"][1] == {"address": "10.0.0.2", "buckets": 341, "flows": 12, "weight": 50, "used": True}
    assert web["ases"][2]["used"] is False
    assert (nat["encap"], nat["port"], nat["target_port"], nat["new_flows_table_length"]) == ("nat4", 53, 3307, 65536)
    assert (dsr["encap"], dsr["dscp"], dsr["protocol"], dsr["port"]) == ("l3dsr", 10, 255, 0)
    assert gone["removed"] is True


def test_state_skips_removed_and_keys_match_the_dumps():
    state = parse_lb_state(VIPS, " lb_main ip4-src-address: 192.0.2.254 \n ip6-src-address: 2001:db8::fe \n #vips: 4\n")
    assert sorted(map(str, state.vips)) == ["192.0.2.1/32 tcp:80", "192.0.2.2/32 udp:53", "198.51.100.0/24 all-ports"]
    web = state.vips[VipKey.make("192.0.2.1/32", "tcp", 80)]
    assert web.ases == {ipaddress.ip_address("10.0.0.1"): 100, ipaddress.ip_address("10.0.0.2"): 50}
    assert web.attrs.src_ip_sticky
    assert str(state.conf.ip4_src_address) == "192.0.2.254" and state.conf.flow_timeout is None


def test_old_format_without_weights_reads_weight_100():
    text = " ip4-gre4 [1] 192.0.2.1/32\n  new_size:1024\n  #as:1\n    10.0.0.1 1024 buckets   0 flows  dpo:1 used\n"
    vip = next(iter(parse_lb_state(text).vips.values()))
    assert vip.ases == {ipaddress.ip_address("10.0.0.1"): 100}


def test_show_lb_timeout_and_bad_prefix():
    conf = parse_show_lb("lb_main ip4-src-address: 1.2.3.4 \n core 0\n  timeout: 40s  usage: 0 / 1024\n")
    assert conf.flow_timeout == 40
    with pytest.raises(ValueError, match="bad VIP prefix"):
        parse_show_lb_vips(" ip4-gre4 [1] 300.1.1.1/32\n")
