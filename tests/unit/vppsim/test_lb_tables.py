"""The lb plugin's tables: the prefix index follows the pool, lookups apply VPP's key rules."""

from __future__ import annotations

from ansible_collections.vpp.maglev.vppsim.lb import LbPlugin
from ansible_collections.vpp.maglev.vppsim.lb_types import OK, VALUE_EXIST

PFX = {"address": {"af": 0, "un": bytes([192, 0, 2, 9]) + bytes(12)}, "len": 24}  # host bits set


def add_vip(lb: LbPlugin, protocol: int, port: int, is_del: bool = False) -> int:
    return lb.add_del_vip(PFX, protocol, port, 0, 0, 0, 0, 1024, is_del)


def test_an_all_port_vip_is_found_by_any_protocol_with_port_0():
    lb = LbPlugin(clock=lambda: 0.0)
    assert add_vip(lb, 6, 0) == OK
    found = lb.find_vip(PFX, 17, 0)
    assert found is not None and found[1].protocol == 255 and found[1].prefix_text() == "192.0.2.0/24"
    assert add_vip(lb, 6, 80) == VALUE_EXIST  # per-port beside all-port


def test_a_deleted_vip_leaves_the_index_but_lingers_in_the_pool():
    lb = LbPlugin(clock=lambda: 0.0)
    assert add_vip(lb, 6, 80) == OK and add_vip(lb, 6, 443) == OK
    assert add_vip(lb, 6, 80, is_del=True) == OK
    assert lb.find_vip(PFX, 6, 80) is None and lb.find_vip(PFX, 6, 443) is not None
    assert [vip.used for _index, vip in lb.vips.items()][1:] == [False, True]
    assert add_vip(lb, 6, 443, is_del=True) == OK
    assert lb.vips_by_prefix == {}


def test_without_linger_a_deleted_vip_frees_its_slot_for_the_next():
    lb = LbPlugin(clock=lambda: 0.0, linger=False)
    assert add_vip(lb, 6, 80) == OK and add_vip(lb, 6, 80, is_del=True) == OK
    assert add_vip(lb, 6, 443) == OK
    assert [index for index, _vip in lb.vips.items()] == [0, 1]  # slot 1 reused
