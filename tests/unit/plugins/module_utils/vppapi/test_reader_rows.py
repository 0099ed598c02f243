"""The reader over scripted rows: AS rows of several VIPs in any order land on their VIP, and
read_state's read builds no bucket counts (docs/performance.md)."""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace

from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi import reader, wire

CONF = SimpleNamespace(
    retval=0, ip4_src_address="0.0.0.0", ip6_src_address="::", sticky_buckets_per_core=1024, flow_timeout=40
)


def raw(text: str) -> bytes:
    return ipaddress.IPv4Address(text).packed + wire.IP4_PAD


def rows() -> dict:
    web, dns = raw("192.0.2.1"), raw("192.0.2.53")
    return {
        "lb_vip_details": [(0, 0, 0, web, 32, 6, 80, 0, 0, 0, 0, 1024), (0, 0, 0, dns, 32, 17, 53, 0, 0, 0, 0, 1024)],
        "lb_as_v2_details": [
            (0, 0, 0, web, 32, 6, 80, 0, raw("10.0.0.1"), 1, 0, 40, 512),
            (0, 0, 0, dns, 32, 17, 53, 0, raw("10.0.0.9"), 1, 0, 100, 1024),
            (0, 0, 0, web, 32, 6, 80, 0, raw("10.0.0.2"), 1, 0, 60, 512),  # web again, after dns
            (0, 0, 0, raw("192.0.2.99"), 32, 6, 80, 0, raw("10.0.0.3"), 1, 0, 60, 512),  # a deleted VIP's
        ],
    }


def lb_reader() -> reader.LbReader:
    data = rows()
    return reader.LbReader(lambda name, **kwargs: CONF, lambda name, details: data[details], False)


def test_each_as_row_lands_on_its_vip_whatever_the_order_with_or_without_buckets():
    state, buckets = lb_reader().read()
    web, dns = VipKey.make("192.0.2.1/32", "tcp", 80), VipKey.make("192.0.2.53/32", "udp", 53)
    a = ipaddress.ip_address
    assert set(state.vips) == {web, dns}
    assert state.vips[web].ases == {a("10.0.0.1"): 40, a("10.0.0.2"): 60}
    assert state.vips[dns].ases == {a("10.0.0.9"): 100}
    assert buckets == {web: {a("10.0.0.1"): 512, a("10.0.0.2"): 512}, dns: {a("10.0.0.9"): 1024}}
    # read_state's read: the same state, no counts built.
    assert lb_reader().read(with_buckets=False) == (state, {})
