"""The lb node's counting, the sticky table and its lazy freeing, on the model (no sockets).

docs/vppsim.md#traffic states each rule: which counter moves when, `flows` as VPP's refcount,
flushes, the lazily created counters and the reuse of a VIP's pool index.
"""

from __future__ import annotations

import re

import pytest
from ansible_collections.vpp.maglev.vppsim import traffic_command
from ansible_collections.vpp.maglev.vppsim.lb import LbPlugin
from ansible_collections.vpp.maglev.vppsim.lb_types import OK
from ansible_collections.vpp.maglev.vppsim.traffic import COUNTER_NAMES

EXISTING, FIRST, UNTRACKED, NO_SERVER = COUNTER_NAMES
VIP = bytes([192, 0, 2, 1])
PFX = {"address": {"af": 0, "un": VIP + bytes(12)}, "len": 32}


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def addr(last: int) -> dict:
    return {"af": 0, "un": bytes([10, 0, 0, last]) + bytes(12)}


def make(weights=(100, 100), sticky_buckets=65536, timeout=40, port=80, sticky=False):
    clock = Clock()
    lb = LbPlugin(clock=clock)
    assert lb.conf(b"\xff" * 4, b"\xff" * 16, sticky_buckets, timeout) == OK
    assert lb.add_del_vip(PFX, 6, port, 0, 0, 0, 0, 1024, False, sticky) == OK
    for n, weight in enumerate(weights, 1):
        assert lb.add_del_as("lb_add_del_as_v2", PFX, 6, port, addr(n), weight, False, False, True) == OK
    return lb, clock


def send(lb, flows, seed, port=80, **options):
    request = {"cmd": "traffic", "vip": "192.0.2.1", "protocol": "tcp", "port": port, "flows": flows, "seed": seed}
    request.update(options)
    return traffic_command.run(lb, request)


def as_index(lb, last: int) -> int:
    return next(i for i, s in lb.ass.items() if s.address[-4:] == bytes([10, 0, 0, last]))


def test_counters_appear_with_the_first_vip_and_a_reused_index_starts_at_zero():
    lb = LbPlugin(clock=Clock(), linger=False)
    assert lb.traffic.counter_vectors() == {}  # lb.c validates them in lb_vip_add only
    assert lb.add_del_vip(PFX, 6, 80, 0, 0, 0, 0, 1024, False) == OK
    vectors = lb.traffic.counter_vectors()
    assert list(vectors) == list(COUNTER_NAMES) and vectors[FIRST] == [[0, 0]]  # index 0 + VIP 1
    assert lb.add_del_as("lb_add_del_as_v2", PFX, 6, 80, addr(1), 100, False, False, True) == OK
    assert send(lb, 10, 1)["counters"][FIRST] == 10
    assert lb.traffic.counter(FIRST, 1) == 10
    assert lb.add_del_vip(PFX, 6, 80, 0, 0, 0, 0, 1024, True) == OK  # freed at once: no linger
    assert lb.add_del_vip(PFX, 6, 80, 0, 0, 0, 0, 1024, False) == OK
    assert lb.vip_dump()[0][0] == 1  # the same pool index again ...
    assert lb.traffic.counter(FIRST, 1) == 0  # ... with its counters zeroed


def test_first_packet_then_hits_and_the_refcount_behind_flows():
    lb, _clock = make()
    first = send(lb, 1000, 1, packets_per_flow=5)
    assert first["counters"] == {EXISTING: 4000, FIRST: 1000, UNTRACKED: 0, NO_SERVER: 0}
    assert sum(row["sent_flows"] for row in first["ases"].values()) == 1000
    for last in (1, 2):
        row = first["ases"]["10.0.0.%d" % last]
        assert row["flows"] == lb.traffic.flows(as_index(lb, last)) == row["sent_flows"]
        assert row["packets"] == 5 * row["sent_flows"]
    again = send(lb, 1000, 1, packets_per_flow=2)  # the same seed: the same, established flows
    assert again["counters"] == {EXISTING: 2000, FIRST: 0, UNTRACKED: 0, NO_SERVER: 0}
    assert {a: r["sent_flows"] for a, r in again["ases"].items()} == {
        a: r["sent_flows"] for a, r in first["ases"].items()
    }
    assert lb.traffic.sticky_tables(lb.now()) == [(0, 40, 1000, 65535 + 4)]


def test_a_full_bucket_leaves_the_fifth_flow_untracked_but_forwarded():
    lb, _clock = make(sticky_buckets=1)  # one bucket of 4 entries for every flow
    answer = send(lb, 6, 1, packets_per_flow=3, detail=True)
    kinds = [row["first_packet"] for row in answer["detail"]]
    assert kinds == [FIRST] * 4 + [UNTRACKED] * 2
    assert answer["counters"] == {EXISTING: 8, FIRST: 4, UNTRACKED: 6, NO_SERVER: 0}
    assert all(row["as"].startswith("10.0.0.") for row in answer["detail"])  # untracked still reaches an AS
    assert sum(lb.traffic.flows(as_index(lb, n)) for n in (1, 2)) == 4


def test_every_weight_zero_counts_no_server_and_pins_the_drop_as():
    lb, _clock = make(weights=(0, 0), sticky_buckets=1)
    answer = send(lb, 1, 1, packets_per_flow=6)
    # An entry pointing at AS 0 is no hit: each packet takes another slot until none is left.
    assert answer["counters"] == {EXISTING: 0, FIRST: 0, UNTRACKED: 2, NO_SERVER: 4}
    assert answer["dropped"] == {"flows": 1, "packets": 6} and answer["ases"] == {}


def test_a_port_without_a_vip_counts_on_the_placeholder_vip_0():
    lb, _clock = make()
    answer = send(lb, 3, 1, port=8080)
    assert answer["vip_index"] == 0 and answer["counters"][NO_SERVER] == 3
    assert lb.traffic.counter(NO_SERVER, 0) == 3 and lb.traffic.counter(NO_SERVER, 1) == 0


def test_expired_entries_still_count_until_a_new_flow_takes_their_slot():
    lb, clock = make(sticky_buckets=1, timeout=10)
    send(lb, 4, 1)  # fills the only bucket
    held = {n: lb.traffic.flows(as_index(lb, n)) for n in (1, 2)}
    clock.t += 11  # past flow_timeout
    assert lb.traffic.sticky_tables(lb.now())[0][2] == 0  # no live entry ...
    assert {n: lb.traffic.flows(as_index(lb, n)) for n in (1, 2)} == held  # ... still counted
    replay = send(lb, 4, 1)  # the same flows, now new: they reuse the slots
    assert replay["counters"][FIRST] == 4
    assert sum(lb.traffic.flows(as_index(lb, n)) for n in (1, 2)) == 4


def test_a_flush_moves_the_entries_to_as_0_and_keeps_their_slots_busy():
    lb, clock = make(sticky_buckets=1, timeout=10)
    pinned = send(lb, 4, 1, detail=True)["detail"]
    on_first = sum(1 for row in pinned if row["as"] == "10.0.0.1")
    assert 0 < on_first < 4
    assert lb.as_set_weight(PFX, 6, 80, addr(1), 0, True) == OK  # a hard drain
    assert lb.traffic.flows(as_index(lb, 1)) == 0
    replay = send(lb, 4, 1, detail=True)["detail"]
    for before, after in zip(pinned, replay):
        if before["as"] == "10.0.0.1":  # its entry is gone and its slot not yet free: untracked
            assert (after["first_packet"], after["as"]) == (UNTRACKED, "10.0.0.2")
        else:
            assert (after["first_packet"], after["as"]) == (EXISTING, before["as"])
    clock.t += 11  # the flushed slots expire and can be taken again
    assert send(lb, 1, 99)["counters"][FIRST] == 1


def test_a_drained_as_keeps_its_flows_and_the_gc_keeps_it_while_they_last():
    lb, clock = make()
    before = send(lb, 500, 1, detail=True)["detail"]
    assert lb.add_del_as("lb_add_del_as_v2", PFX, 6, 80, addr(1), 0, True, False, True) == OK  # removed
    replay = send(lb, 500, 1, detail=True)["detail"]
    assert [r["as"] for r in replay] == [r["as"] for r in before]  # established flows stay
    assert all(r["as"] == "10.0.0.2" for r in send(lb, 500, 2, detail=True)["detail"])  # new ones do not
    clock.t += 120
    lb.garbage_collection(force=True)
    assert lb.vip_dump()[0][1].by_address.get(bytes(12) + bytes([10, 0, 0, 1])) is not None  # refcount > 0


def test_src_ip_sticky_hashes_the_source_only():
    lb, _clock = make(sticky=True)
    rows = send(lb, 2000, 3, clients=50, detail=True)["detail"]  # 40 connections per client
    by_client = {}
    for row in rows:
        by_client.setdefault(row["client"], set()).add(row["as"])
    assert len(by_client) == 50 and len({(r["client"], r["sport"]) for r in rows}) == 2000
    assert all(len(ases) == 1 for ases in by_client.values())
    assert len({a for ases in by_client.values() for a in ases}) == 2  # yet both ASes get clients


def test_resizing_the_sticky_table_forgets_every_entry():
    lb, _clock = make(sticky_buckets=1024)
    send(lb, 100, 1)
    assert lb.conf(b"\xff" * 4, b"\xff" * 16, 2048, 0xFFFFFFFF) == OK
    answer = send(lb, 100, 1)  # the table is rebuilt at the next packet
    assert answer["counters"][FIRST] == 100
    assert lb.traffic.sticky_tables(lb.now())[0][3] == 2047 + 4


def test_new_flows_only_skips_pinned_flows():
    lb, _clock = make()
    send(lb, 100, 1)
    answer = send(lb, 150, 1, new_flows_only=True)
    assert answer["skipped_flows"] == 100 and answer["counters"][FIRST] == 50
    assert answer["counters"][EXISTING] == 0


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("flows", 0, "traffic.flows must be an integer from 1 to 1000000"),
        ("flows", 1_000_001, "traffic.flows must be an integer from 1 to 1000000"),
        ("packets_per_flow", 1_000_001, "traffic.packets_per_flow must be an integer from 1 to 1000000"),
        ("packets_per_flow", True, "traffic.packets_per_flow must be an integer"),
        ("port", 65536, "traffic.port must be an integer from 0 to 65535"),
        ("protocol", "sctp", "traffic.protocol must be an integer from 0 to 255"),
        ("seed", -1, "traffic.seed must be an integer"),
        ("vip", "not-an-address", "traffic.vip must be the packets' destination address"),
        ("vip", "198.51.100.1", "traffic.vip 198.51.100.1 is in no VIP's prefix"),
        ("new_flows_only", "yes", "traffic.new_flows_only must be true or false"),
        ("clients", -1, "traffic.clients must be an integer from 0 to 1000000"),
        ("clients", 1, None),
        ("bogus", 1, "traffic: unknown field(s) ['bogus']"),
    ],
)
def test_bad_requests_name_the_field_and_change_nothing(field, value, words):
    lb, _clock = make()
    request = {"cmd": "traffic", "vip": "192.0.2.1", "protocol": "tcp", "port": 80, "flows": 10, "seed": 1}
    request[field] = value
    if words is None:  # 10 flows from 1 client fit; 32769 do not
        request["flows"] = 32769
        words = "traffic.flows 32769 is more than 1 clients x 32768 source ports"
    with pytest.raises(traffic_command.TrafficError, match=re.escape(words)):
        traffic_command.run(lb, request)
    assert lb.traffic.counter(FIRST, 1) == 0 and lb.traffic.sticky_tables(lb.now()) == []


def test_detail_is_bounded_below_the_flow_limit():
    lb, _clock = make()
    request = {"vip": "192.0.2.1", "protocol": 6, "port": 80, "seed": 1, "detail": True}
    with pytest.raises(
        traffic_command.TrafficError, match=re.escape("traffic.flows must be an integer from 1 to 65536")
    ):
        traffic_command.run(lb, {**request, "flows": 65537})
    assert len(traffic_command.run(lb, {**request, "flows": 65536})["detail"]) == 65536
