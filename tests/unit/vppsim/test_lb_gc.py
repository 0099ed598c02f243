"""Lingering and garbage-collection timing of the lb plugin model, on an injected clock.

docs/vpp-lb-reference.md#lingering-and-garbage-collection states the rules.
"""

from __future__ import annotations

from ansible_collections.vpp.maglev.vppsim.lb import LbPlugin
from ansible_collections.vpp.maglev.vppsim.lb_types import NO_SUCH_ENTRY, OK

PFX = {"address": {"af": 0, "un": bytes([192, 0, 2, 0]) + bytes(12)}, "len": 24}


def addr(last: int) -> dict:
    return {"af": 0, "un": bytes([10, 0, 0, last]) + bytes(12)}


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def make(**kw):
    clock = Clock()
    lb = LbPlugin(clock=clock, **kw)
    assert lb.add_del_vip(PFX, 6, 80, 0, 0, 0, 0, 1024, False) == OK
    return lb, clock


def as_op(lb, last, is_del=False, weight=100):
    return lb.add_del_as("lb_add_del_as_v2", PFX, 6, 80, addr(last), weight, is_del, False, True)


def slots(lb):
    vip = lb.vips[1]
    return [(server.address[-1], server.used) for _s, server in vip.ases.items()]


def test_removed_as_is_collected_by_the_next_as_add_after_60s_and_10s_unused():
    lb, clock = make()
    assert as_op(lb, 1) == OK and as_op(lb, 2) == OK
    assert as_op(lb, 1, is_del=True) == OK
    clock.t += 30
    assert as_op(lb, 3) == OK  # VIP pass throttled: < 60 s since VIP creation
    assert slots(lb) == [(1, False), (2, True), (3, True)]
    clock.t += 31
    assert as_op(lb, 4) == OK  # > 60 s since the last pass and > 10 s unused: collected
    # The pass runs at the end of the add, so .4 took a new slot before .1's slot was freed.
    assert slots(lb) == [(2, True), (3, True), (4, True)]
    assert as_op(lb, 5) == OK
    assert slots(lb) == [(5, True), (2, True), (3, True), (4, True)]  # freed slot 0 reused


def test_delete_runs_gc_first_so_a_stale_lingering_as_vanishes_but_returns_0():
    lb, clock = make()
    assert as_op(lb, 1) == OK and as_op(lb, 1, is_del=True) == OK
    clock.t += 61
    assert as_op(lb, 1, is_del=True) == OK
    assert slots(lb) == []
    assert as_op(lb, 1, is_del=True) == NO_SUCH_ENTRY


def test_periodic_pass_frees_deleted_vip_after_its_ases():
    lb, clock = make()
    assert as_op(lb, 1) == OK
    assert lb.add_del_vip(PFX, 6, 80, 0, 0, 0, 0, 1024, True) == OK
    clock.t += 59
    lb.tick()
    assert len(lb.vips) == 2  # placeholder + the lingering VIP
    clock.t += 2
    lb.tick()  # the 60 s pass: the AS goes (unused > 10 s); the VIP, now empty, goes too
    assert len(lb.vips) == 1


def test_legacy_has_no_periodic_pass_and_no_linger_frees_at_once():
    lb, clock = make(legacy=True)
    clock.t += 600
    lb.tick()
    assert lb.next_gc == 60
    quick, _clock = make(linger=False)
    assert as_op(quick, 1) == OK and as_op(quick, 1, is_del=True) == OK
    assert slots(quick) == []
    assert as_op(quick, 1, is_del=True) == NO_SUCH_ENTRY
