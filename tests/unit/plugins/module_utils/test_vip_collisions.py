"""VPP's all-port / per-port rule found by prefix lookup: the index agrees with the rule for
every pair, and a cold build of 1,000 VIPs compares no prefix with every other one."""

from __future__ import annotations

import ipaddress
import itertools

from ansible_collections.vpp.maglev.plugins.module_utils import vip_collisions
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.plugins.module_utils.vip_collisions import CollisionIndex, collides

KEYS = [
    VipKey.make(prefix, protocol, port)
    for prefix in ("192.0.2.1/32", "192.0.2.0/24", "2001:db8::1/128", "::c000:201/128")
    for protocol, port in (("tcp", 80), ("tcp", 443), ("udp", 53), ("any", 0))
]


def test_the_index_finds_exactly_the_vips_the_rule_names_in_the_order_added():
    index = CollisionIndex(KEYS)
    for new in KEYS:
        assert index.colliding(new) == [old for old in KEYS if collides(old, new)]
    index.remove(KEYS[3])  # 192.0.2.1/32 all-ports
    assert index.colliding(KEYS[0]) == []
    assert index.colliding(KEYS[3]) == KEYS[0:3]


def test_an_ipv4_prefix_never_collides_with_the_ipv6_one_of_the_same_number_and_length():
    v4, v6 = VipKey.make("0.0.0.0/0", "any", 0), VipKey.make("::/0", "tcp", 80)
    assert v4.sort_key()[1:3] == v6.sort_key()[1:3] and not collides(v4, v6)  # same number and length
    assert CollisionIndex([v4]).colliding(v6) == []


def test_a_cold_build_of_1000_vips_compares_no_prefix_with_every_other(monkeypatch):
    keys = [VipKey.make(ipaddress.IPv4Network((0xC6120000 + n, 32)), "tcp", 80) for n in range(1000)]
    desired = LbState(vips={key: Vip(key, VipAttrs(), {}) for key in keys})
    compared = itertools.count()
    equal = ipaddress.IPv4Network.__eq__

    def counting(self, other):
        next(compared)
        return equal(self, other)

    monkeypatch.setattr(ipaddress.IPv4Network, "__eq__", counting)
    monkeypatch.setattr(ipaddress.IPv4Network, "__hash__", ipaddress._BaseNetwork.__hash__)
    result = plan(LbState(), desired, "overridden")
    assert len(result.ops) == 1000 and set(result.after.vips) == set(keys)
    assert next(compared) < len(keys)  # was 499,500: each new VIP against every VIP before it
    assert vip_collisions.collides(keys[0], VipKey.make(keys[0].prefix, "any", 0))
