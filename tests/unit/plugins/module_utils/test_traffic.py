"""traffic: one read of VPP's counters and flows -> TrafficSnapshot, and the rates from two."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.traffic import (
    KINDS,
    TrafficSnapshot,
    VipTraffic,
    counter_totals,
    increase,
    rates,
    snapshot_from,
)
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.traffic_reader import StatsCounters, read_traffic

# VPP master's `show lb vips verbose` (format_lb_vip_detailed): the pool index in brackets,
# `weight:N buckets:N flows:N dpo:N` per AS, two spaces before `removed`, one before `used`.
MASTER_VIPS = """\
 ip4-gre4 [1] 192.0.2.1/32
  new_size:1024
  protocol:6 port:80
  counters:
    packet from existing sessions: 900
    first session packet: 70
    untracked packet: 0
    no server configured: 0
  #as:3
    10.0.0.1 weight:100 buckets:683 flows:41 dpo:9 used
    10.0.0.2 weight:50 buckets:341 flows:0 dpo:10 used
    10.0.0.3 weight:0 buckets:0 flows:12 dpo:11  removed

 ip6-gre6 [3] 2001:db8::1/128
  new_size:1024
  counters:
    packet from existing sessions: 0
    first session packet: 0
    untracked packet: 0
    no server configured: 0
  #as:2
    2001:db8:0:0::a weight:100 buckets:1024 flows:5 dpo:12 used
    2001:db8::b weight:0 buckets:0 flows:0 dpo:14 used

 ip4-gre4 [2] 192.0.2.9/32 removed
  new_size:1024
  protocol:17 port:53
  counters:
    packet from existing sessions: 0
    first session packet: 0
    untracked packet: 0
    no server configured: 0
  #as:1
    10.0.0.1 weight:100 buckets:1024 flows:4 dpo:13 used
"""

WEB = VipKey.make("192.0.2.1/32", "tcp", 80)
V6 = VipKey.make("2001:db8::1/128", 255, 0)


class Segment:
    """What StatsCounters needs of vpp_papi's VPPStats: get_counter, in_progress, disconnect."""

    def __init__(self, counters, failures=0):
        self.counters = counters  # name -> per-thread vectors
        self.failures = failures  # reads that fail VPP's optimistic lock first
        self.in_progress = 0
        self.disconnected = False

    def get_counter(self, name, blocking=True):
        assert blocking is False  # vpp_papi's blocking read retries for ever
        if self.failures:
            self.failures -= 1
            raise OSError("Optimistic lock failed, retry")
        return self.counters[name]

    def disconnect(self):
        self.disconnected = True


def counters(**by_kind):
    names = {
        "existing": "packet from existing sessions",
        "first": "first session packet",
        "untracked": "untracked packet",
        "no_server": "no server configured",
    }
    return {names[kind]: vectors for kind, vectors in by_kind.items()}


def test_master_text_and_the_stats_segment_make_one_snapshot():
    # Two worker threads: each VIP's counter is the sum of both, found by the CLI's [index].
    segment = Segment(
        counters(
            existing=[[0, 500, 0, 7], [0, 400, 9, 1]],
            first=[[0, 40, 0, 0], [0, 30, 0, 2]],
            untracked=[[0, 0, 0, 0], [0, 0, 0, 0]],
            no_server=[[0, 3, 0, 0], [0, 0, 0, 0]],
        )
    )
    snapshot = read_traffic(lambda command: MASTER_VIPS, StatsCounters("/s", opener=lambda path: segment))

    assert snapshot.stats_error is None
    assert set(snapshot.vips) == {WEB, V6}  # the removed VIP [2] belongs to no frontend
    web = snapshot.vips[WEB]
    assert web.index == 1
    assert web.packets == {"existing": 900, "first": 70, "untracked": 0, "no_server": 3}
    # A removed AS of a live VIP keeps its pinned flows: they are still connections to it.
    assert web.flows == {"10.0.0.1": 41, "10.0.0.2": 0, "10.0.0.3": 12}
    v6 = snapshot.vips[V6]
    assert (v6.index, v6.packets["existing"], v6.packets["first"]) == (3, 8, 2)
    assert v6.flows == {"2001:db8::a": 5, "2001:db8::b": 0}  # compressed, as lb_model prints them


def test_counters_vpp_has_not_registered_read_as_zero():
    # VPP registers the lb counters with its first VIP (no_server missing: KeyError); an
    # index past a counter's vector is 0 too.
    segment = Segment(counters(existing=[[0]], first=[[0, 1]], untracked=[[0, 0]]))
    snapshot = read_traffic(lambda command: MASTER_VIPS, StatsCounters("/s", opener=lambda path: segment))
    assert snapshot.vips[WEB].packets == {"existing": 0, "first": 1, "untracked": 0, "no_server": 0}
    assert snapshot.vips[V6].packets == dict.fromkeys(KINDS, 0)


def test_without_stats_the_flows_are_still_read():
    snapshot = read_traffic(lambda command: MASTER_VIPS, StatsCounters(""))
    assert snapshot.stats_error == "stats segment not configured (socket path '')"
    assert snapshot.vips[WEB].packets == {}
    assert snapshot.vips[WEB].flows["10.0.0.1"] == 41


def test_counter_totals_sums_threads_of_any_length():
    assert counter_totals([[1, 2], [10, 20, 30], []]) == [11, 22, 30]
    assert counter_totals([]) == []


def test_snapshot_from_without_counters_names_the_reason():
    records = [{"removed": False, "prefix": "192.0.2.1/32", "protocol": 6, "port": 80, "index": 4, "ases": []}]
    assert snapshot_from(records, None, "no socket").stats_error == "no socket"
    assert snapshot_from(records, {}, None).vips[WEB].packets == dict.fromkeys(KINDS, 0)


def snap(index=1, **packets):
    full = dict.fromkeys(KINDS, 0)
    full.update(packets)
    return TrafficSnapshot({WEB: VipTraffic(WEB, index, full, {"10.0.0.1": 3})})


def test_rates_are_packets_per_second_of_each_kind():
    got = rates(snap(existing=100, first=10), snap(existing=600, first=30, no_server=50), 5.0)
    assert got == {WEB: {"existing": 100.0, "first": 4.0, "untracked": 0.0, "no_server": 10.0}}


@pytest.mark.parametrize(
    "before",
    [snap(existing=1000, first=10), snap(index=7, existing=10, first=10)],
    ids=["counter went down (VPP restarted)", "VIP re-created at another index"],
)
def test_a_reset_counts_the_current_value_as_the_increase(before):
    assert increase(before, snap(index=1, existing=40, first=12))[WEB]["existing"] == 40


def test_no_rate_without_two_reads_or_time():
    assert rates(snap(), snap(existing=5), 0) == {}
    assert rates(TrafficSnapshot({}), snap(existing=5), 5) == {}  # a new VIP: nothing to compare
    no_stats = TrafficSnapshot({WEB: VipTraffic(WEB, 1, {}, {})}, "off")
    assert rates(no_stats, snap(existing=5), 5) == {}


def test_backend_flows_per_vip():
    snapshot = read_traffic(lambda command: MASTER_VIPS, StatsCounters(""))
    assert {key: vip.flows["10.0.0.1"] for key, vip in snapshot.vips.items() if "10.0.0.1" in vip.flows} == {WEB: 41}
    assert not any("10.9.9.9" in vip.flows for vip in snapshot.vips.values())
