"""vppsim's `show lb`, `show lb vips` and `show lb vips verbose` text against VPP master's.

The expected text is written from lb.c's format_lb_main, format_lb_vip and
format_lb_vip_detailed (docs/vppsim.md#cli_inband-text); the tables are built through the lb
plugin model's own handlers, the counters and flows come from a traffic model stand-in.
"""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.showparse import parse_show_lb_summary, parse_show_lb_vips
from ansible_collections.vpp.maglev.vppsim import cli, traffic_command
from ansible_collections.vpp.maglev.vppsim.lb import LbPlugin
from ansible_collections.vpp.maglev.vppsim.lb_text import format_ip6
from ansible_collections.vpp.maglev.vppsim.lb_types import OK

NODEPORT = 1 << 24  # lb_srv_type_t as the handler receives the u32 enum


def pfx(text: str) -> dict:
    network = ipaddress.ip_network(text)
    return {"address": address(str(network.network_address)), "len": network.prefixlen}


def address(text: str) -> dict:
    packed = ipaddress.ip_address(text).packed
    return {"af": 0 if len(packed) == 4 else 1, "un": packed + bytes(16 - len(packed))}


def vip(lb, prefix, protocol=255, port=0, encap=0, dscp=0, srv=0, target=0, sticky=False):
    assert lb.add_del_vip(pfx(prefix), protocol, port, encap, dscp, srv, target, 1024, False, sticky) == OK


def as_(lb, prefix, server, protocol=255, port=0, weight=100, is_del=False):
    message = "lb_add_del_as_v2"
    assert lb.add_del_as(message, pfx(prefix), protocol, port, address(server), weight, is_del, False, True) == OK


def every_kind(legacy: bool = False) -> LbPlugin:
    """One VIP of every type, encap and flag, ASes used and removed, one removed VIP."""
    lb = LbPlugin(clock=lambda: 1000.0, legacy=legacy)  # time moves by lb.advance only
    ip4, ip6 = ipaddress.IPv4Address("10.255.0.1").packed, ipaddress.IPv6Address("2001:db8::ff").packed
    assert lb.conf(ip4, ip6, 0xFFFFFFFF, 0xFFFFFFFF) == OK
    vip(lb, "192.0.2.1/32", 6, 80, sticky=True)
    as_(lb, "192.0.2.1/32", "10.0.0.1", 6, 80)
    as_(lb, "192.0.2.1/32", "10.0.0.2", 6, 80, weight=50)
    as_(lb, "192.0.2.1/32", "10.0.0.2", 6, 80, is_del=True)
    if legacy:
        return lb
    vip(lb, "192.0.2.2/32", encap=1)
    as_(lb, "192.0.2.2/32", "2001:db8::1")
    vip(lb, "2001:db8:1::/64", encap=0)
    as_(lb, "2001:db8:1::/64", "10.0.1.1", weight=0)
    vip(lb, "2001:db8:2::1/128", 17, 53, encap=1)
    vip(lb, "198.51.100.0/24", 6, 443, encap=2, dscp=10)
    vip(lb, "198.51.100.128/25", encap=2, dscp=46)
    vip(lb, "192.0.2.3/32", 6, 3306, encap=3, target=3307)
    as_(lb, "192.0.2.3/32", "10.0.3.1", 6, 3306)
    vip(lb, "2001:db8:3::1/128", 17, 8080, encap=4, srv=NODEPORT, target=80)
    vip(lb, "203.0.113.0/24", 6, 25)
    as_(lb, "203.0.113.0/24", "10.0.4.1", 6, 25)
    assert lb.add_del_vip(pfx("203.0.113.0/24"), 6, 25, 0, 0, 0, 0, 1024, True) == OK
    return lb


def show(lb, command: str) -> str:
    text, retval = cli.run(lb, command, "26.10")
    assert retval == 0, text
    return text


COUNTERS_ZERO = """\
  counters:
    packet from existing sessions: 0
    first session packet: 0
    untracked packet: 0
    no server configured: 0
"""


def test_show_lb_counts_the_placeholder_vip_and_the_as_pool():
    # 9 VIPs + the placeholder; 6 ASes in the pool (the removed ones linger).
    assert show(every_kind(), "show lb") == (
        "lb_main ip4-src-address: 10.255.0.1 \n ip6-src-address: 2001:db8::ff \n #vips: 10\n #ass: 6\n"
    )


def test_show_lb_vips_one_line_per_vip():
    assert show(every_kind(), "show lb vips") == (
        "ip4-gre4 192.0.2.1/32 new_size:1024 #as:2  protocol:6 port:80 \n"
        "ip4-gre6 192.0.2.2/32 new_size:1024 #as:1\n"
        "ip6-gre4 2001:db8:1::/64 new_size:1024 #as:1\n"
        "ip6-gre6 2001:db8:2::1/128 new_size:1024 #as:0  protocol:17 port:53 \n"
        "ip4-l3dsr 198.51.100.0/24 new_size:1024 #as:0  protocol:6 port:443   dscp:10\n"
        "ip4-l3dsr 198.51.100.128/25 new_size:1024 #as:0  dscp:46\n"
        "ip4-nat4 192.0.2.3/32 new_size:1024 #as:1  protocol:6 port:3306  type:clusterip port:59916 target_port:3307\n"
        "ip6-nat6 2001:db8:3::1/128 new_size:1024 #as:0  protocol:17 port:8080  type:nodeport port:36895 "
        "target_port:80\n"
        "ip4-gre4 203.0.113.0/24 new_size:1024 #as:1 removed  protocol:6 port:25 \n"
    )


def test_show_lb_vips_verbose_every_type_flag_and_state():
    assert show(every_kind(), "show lb vips verbose") == (
        " ip4-gre4 [1] 192.0.2.1/32 src_ip_sticky\n  new_size:1024\n  protocol:6 port:80\n"
        + COUNTERS_ZERO
        + "  #as:2\n"
        "    10.0.0.1 weight:100 buckets:1024 flows:0 dpo:1 used\n"
        "    10.0.0.2 weight:50 buckets:0 flows:0 dpo:2  removed\n\n"
        " ip4-gre6 [2] 192.0.2.2/32\n  new_size:1024\n"
        + COUNTERS_ZERO
        + "  #as:1\n    2001:db8::1 weight:100 buckets:1024 flows:0 dpo:3 used\n\n"
        " ip6-gre4 [3] 2001:db8:1::/64\n  new_size:1024\n"
        + COUNTERS_ZERO
        + "  #as:1\n    10.0.1.1 weight:0 buckets:0 flows:0 dpo:4 used\n\n"
        " ip6-gre6 [4] 2001:db8:2::1/128\n  new_size:1024\n  protocol:17 port:53\n" + COUNTERS_ZERO + "  #as:0\n\n"
        " ip4-l3dsr [5] 198.51.100.0/24\n  new_size:1024\n  protocol:6 port:443\n  dscp:10\n"
        + COUNTERS_ZERO
        + "  #as:0\n\n"
        " ip4-l3dsr [6] 198.51.100.128/25\n  new_size:1024\n  dscp:46\n" + COUNTERS_ZERO + "  #as:0\n\n"
        # The NAT line has no newline of its own: "  counters:" continues it.
        " ip4-nat4 [7] 192.0.2.3/32\n  new_size:1024\n  protocol:6 port:3306\n"
        "  type:clusterip port:59916 target_port:3307" + COUNTERS_ZERO + "  #as:1\n"
        "    10.0.3.1 weight:100 buckets:1024 flows:0 dpo:5 used\n\n"
        " ip6-nat6 [8] 2001:db8:3::1/128\n  new_size:1024\n  protocol:17 port:8080\n"
        "  type:nodeport port:36895 target_port:80" + COUNTERS_ZERO + "  #as:0\n\n"
        " ip4-gre4 [9] 203.0.113.0/24 removed\n  new_size:1024\n  protocol:6 port:25\n"
        + COUNTERS_ZERO
        + "  #as:1\n    10.0.4.1 weight:100 buckets:0 flows:0 dpo:6  removed\n\n"
    )


class Traffic:
    """A traffic model stand-in with distinct numbers per counter, VIP and AS."""

    def __init__(self) -> None:
        self.asked_now = []

    def counter(self, name: str, vip_index: int) -> int:
        return 1000 * vip_index + len(name)

    def flows(self, as_index: int) -> int:
        return 7 * as_index

    def sticky_tables(self, now: int):
        self.asked_now.append(now)
        return [(0, 40, 3, 1027), (2, 40, 0, 1027)]


def test_counters_flows_and_sticky_tables_come_from_the_traffic_model():
    lb = every_kind()
    lb.traffic = Traffic()
    lb.advance(5)
    assert show(lb, "show lb") == (
        "lb_main ip4-src-address: 10.255.0.1 \n ip6-src-address: 2001:db8::ff \n #vips: 10\n #ass: 6\n"
        "core 0\n  timeout: 40s\n  usage: 3 / 1027\ncore 2\n  timeout: 40s\n  usage: 0 / 1027\n"
    )
    assert lb.traffic.asked_now[-1] == lb.now() == 5
    block = show(lb, "show lb vips verbose").split("\n\n", maxsplit=1)[0]
    assert block == (
        " ip4-gre4 [1] 192.0.2.1/32 src_ip_sticky\n  new_size:1024\n  protocol:6 port:80\n  counters:\n"
        "    packet from existing sessions: 1029\n    first session packet: 1020\n"
        "    untracked packet: 1016\n    no server configured: 1020\n  #as:2\n"
        "    10.0.0.1 weight:100 buckets:1024 flows:7 dpo:1 used\n"
        "    10.0.0.2 weight:50 buckets:0 flows:14 dpo:2  removed"
    )


def test_released_vpp_prints_the_as_line_without_weight():
    text = show(every_kind(legacy=True), "show lb vips verbose")
    assert text.endswith(
        "  #as:2\n    10.0.0.1 1024 buckets   0 flows  dpo:1 used\n    10.0.0.2 0 buckets   0 flows  dpo:2  removed\n\n"
    )


@pytest.mark.parametrize(
    ("groups", "text"),
    [
        ("2001:db8:0:0:0:0:0:ff", "2001:db8::ff"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),  # a single zero group stays
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),  # the longest run
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("0:0:0:0:0:ffff:c000:201", "::ffff:c000:201"),  # no dotted IPv4 tail
        # VPP's search sums a run it skipped with a later one at the end: it prints a:0:0:b::0
        # for a:0:0:b:0:c:0:0 (docs/vppsim.md).
        ("a:0:0:b:0:c:0:0", "a:0:0:b::0"),
    ],
)
def test_ip6_addresses_print_as_format_ip6_address(groups, text):
    packed = b"".join(int(group, 16).to_bytes(2, "big") for group in groups.split(":"))
    assert format_ip6(packed) == text


def test_the_collection_parser_reads_back_every_vip_and_as():
    lb = every_kind()
    lb.traffic = Traffic()
    records = parse_show_lb_vips(show(lb, "show lb vips verbose"))
    snapshot = lb.snapshot()["vips"]
    assert [(r["index"], r["prefix"], r["removed"]) for r in records] == [
        (v["index"], str(ipaddress.ip_network(v["prefix"])), not v["used"]) for v in snapshot
    ]
    for record, model in zip(records, snapshot):
        assert [(row["address"], row["weight"], row["buckets"], row["used"]) for row in record["ases"]] == [
            (row["address"], row["weight"], row["num_buckets"], row["used"]) for row in model["ases"]
        ]
        assert record["counters"]["first session packet"] == 1000 * record["index"] + len("first session packet")
    assert parse_show_lb_summary(show(lb, "show lb")) == {
        "vips": 10,
        "ases": 6,
        "cores": [
            {"core": 0, "timeout": 40, "used": 3, "size": 1027},
            {"core": 2, "timeout": 40, "used": 0, "size": 1027},
        ],
    }


def test_simulated_traffic_shows_in_counters_flows_and_the_sticky_table():
    lb = every_kind()
    request = {"cmd": "traffic", "vip": "192.0.2.1", "protocol": "tcp", "port": 80, "flows": 10, "packets_per_flow": 3}
    traffic_command.run(lb, dict(request, seed=1))
    # lb_hash_size is the bucket mask plus the 4 entries of one bucket: 1023 + 4.
    assert show(lb, "show lb").endswith(" #ass: 6\ncore 0\n  timeout: 40s\n  usage: 10 / 1027\n")
    assert (
        show(lb, "show lb vips verbose")
        .split("\n\n", maxsplit=1)[0]
        .endswith(
            "  counters:\n    packet from existing sessions: 20\n    first session packet: 10\n"
            "    untracked packet: 0\n    no server configured: 0\n  #as:2\n"
            "    10.0.0.1 weight:100 buckets:1024 flows:10 dpo:1 used\n"
            "    10.0.0.2 weight:50 buckets:0 flows:0 dpo:2  removed"
        )
    )
