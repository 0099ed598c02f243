"""Flows, not buckets, through real processes: vpp_papi changes vppsim's lb state, the control
socket's `traffic` command sends seeded flows, and `show lb vips verbose` (cli_inband) shows
the live flows per AS (docs/vppsim.md#traffic).

The three properties an operator relies on: a weight change moves only the new flows that the
bucket delta predicts and none of the established ones; a flush evicts the pinned flows of that
AS; a drained AS keeps its established flows (their packets still reach it) and gets no new ones.
"""

from __future__ import annotations

import ipaddress
import re

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.maglev_table import build_table

pytestmark = pytest.mark.integration

VIP = "192.0.2.10"
LENGTH = 1024
ASES = ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")
FLOWS = 3000
FIRST, EXISTING = "first session packet", "packet from existing sessions"


@pytest.fixture
def lb(vpp):
    """A VIP with four ASes of weight 100, a sticky table far larger than the flows sent."""
    assert vpp.api.lb_conf(ip4_src_address="10.255.0.1", sticky_buckets_per_core=65536, flow_timeout=40).retval == 0
    assert (
        vpp.api.lb_add_del_vip_v2(
            pfx=VIP + "/32", protocol=6, port=80, encap=0, new_flows_table_length=LENGTH, is_del=False
        ).retval
        == 0
    )
    for address in ASES:
        add_as(vpp, address, 100)
    return vpp


def add_as(vpp, address, weight):
    reply = vpp.api.lb_add_del_as_v2(pfx=VIP + "/32", protocol=6, port=80, as_address=address, weight=weight)
    assert reply.retval == 0


def set_weight(vpp, address, weight, flush=False):
    reply = vpp.api.lb_as_set_weight(
        pfx=VIP + "/32", protocol=6, port=80, as_address=address, weight=weight, is_flush=flush
    )
    assert reply.retval == 0


def send(sim, seed, flows=FLOWS, **options):
    return sim.traffic(VIP, "tcp", 80, flows, seed, detail=True, **options)


def table(weights):
    """The new-flow table VPP builds: bucket -> AS address text (None: drop)."""
    built = build_table({ipaddress.ip_address(a): w for a, w in weights.items()}, LENGTH)
    return [None if owner is None else str(owner) for owner in built]


def shown_flows(vpp):
    """address -> (buckets, flows) from the AS lines of `show lb vips verbose`."""
    text = vpp.api.cli_inband(cmd="show lb vips verbose").reply
    rows = re.findall(r"^\s+(\S+) weight:\d+ buckets:(\d+) flows:(\d+) ", text, re.M)
    return {address: (int(buckets), int(flows)) for address, buckets, flows in rows}


def test_established_flows_land_where_the_table_says_and_show_lb_counts_them(sim, lb):
    answer = send(sim, seed=1, packets_per_flow=4)
    owners = table(dict.fromkeys(ASES, 100))
    assert all(row["as"] == owners[row["bucket"]] and row["first_packet"] == FIRST for row in answer["detail"])
    assert answer["counters"][FIRST] == FLOWS and answer["counters"][EXISTING] == 3 * FLOWS
    shown = shown_flows(lb)
    assert {a: shown[a][1] for a in ASES} == {a: answer["ases"][a]["flows"] for a in ASES}
    assert sum(flows for _buckets, flows in shown.values()) == FLOWS


def test_a_weight_change_moves_only_new_flows_of_the_changed_buckets(sim, lb):
    established = send(sim, seed=1)["detail"]
    before, after = dict.fromkeys(ASES, 100), {**dict.fromkeys(ASES, 100), "10.0.0.1": 40}
    old, new = table(before), table(after)
    changed = {bucket for bucket in range(LENGTH) if old[bucket] != new[bucket]}
    assert changed and any(row["bucket"] in changed for row in established)  # the test can fail
    set_weight(lb, "10.0.0.1", 40)
    replay = send(sim, seed=1)
    assert replay["counters"][FIRST] == 0 and replay["counters"][EXISTING] == FLOWS
    assert [row["as"] for row in replay["detail"]] == [row["as"] for row in established]  # none moved
    fresh = send(sim, seed=2)["detail"]
    assert all(row["as"] == new[row["bucket"]] for row in fresh)
    moved = [row for row in fresh if old[row["bucket"]] != row["as"]]
    assert moved and all(row["bucket"] in changed for row in moved)
    assert len(moved) == sum(1 for row in fresh if row["bucket"] in changed)


def test_a_flush_evicts_the_pinned_flows_of_that_as_only(sim, lb):
    established = send(sim, seed=1)["detail"]
    on_first = [i for i, row in enumerate(established) if row["as"] == "10.0.0.1"]
    assert on_first
    set_weight(lb, "10.0.0.1", 0, flush=True)
    assert shown_flows(lb)["10.0.0.1"] == (0, 0)
    replay = send(sim, seed=1)
    new = table({**dict.fromkeys(ASES, 100), "10.0.0.1": 0})
    for i, (before, after) in enumerate(zip(established, replay["detail"])):
        if i in on_first:  # evicted: a new flow now, on the table's new owner of its bucket
            assert after["first_packet"] == FIRST and after["as"] == new[after["bucket"]] != "10.0.0.1"
        else:
            assert (after["first_packet"], after["as"]) == (EXISTING, before["as"])
    assert replay["counters"][FIRST] == len(on_first)


def test_a_drained_as_keeps_its_established_flows_and_gets_no_new_ones(sim, lb):
    established = send(sim, seed=1)["detail"]
    pinned = sum(1 for row in established if row["as"] == "10.0.0.1")
    set_weight(lb, "10.0.0.1", 0)  # drain: weight 0, no flush
    assert shown_flows(lb)["10.0.0.1"] == (0, pinned)
    replay = send(sim, seed=1, packets_per_flow=3)
    assert replay["ases"]["10.0.0.1"] == {"sent_flows": pinned, "packets": 3 * pinned, "flows": pinned}
    assert replay["counters"] == {EXISTING: 3 * FLOWS, FIRST: 0, "untracked packet": 0, "no server configured": 0}
    fresh = send(sim, seed=2)
    assert "10.0.0.1" not in fresh["ases"] and fresh["counters"][FIRST] == FLOWS
    assert shown_flows(lb)["10.0.0.1"] == (0, pinned)
    (vip,) = sim.state()["vips"]
    assert {a["address"]: a["flows"] for a in vip["ases"]}["10.0.0.1"] == pinned
    assert vip["counters"][FIRST] == 2 * FLOWS and vip["counters"][EXISTING] == 3 * FLOWS


def test_flows_outlive_their_timeout_until_their_slots_are_reused(sim, lb):
    assert lb.api.lb_conf(ip4_src_address="10.255.0.1", sticky_buckets_per_core=1024, flow_timeout=40).retval == 0
    send(sim, seed=1, flows=1000)
    sim.advance_clock(41)
    usage = re.search(r"usage: (\d+) / (\d+)", lb.api.cli_inband(cmd="show lb").reply)
    assert usage and usage.groups() == ("0", str(1023 + 4))  # nothing live ...
    assert sum(flows for _b, flows in shown_flows(lb).values()) > 0  # ... yet still counted
    again = send(sim, seed=1, flows=1000)  # the same flows are new flows now
    assert again["counters"][EXISTING] == 0 and again["counters"][FIRST] > 0
