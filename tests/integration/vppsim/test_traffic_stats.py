"""vppsim's stats segment read by vpp_papi's unmodified VPPStats over the stats socket: the lb
counters by VIP pool index (index 0 the placeholder, reuse after delete), the same numbers as
`show lb vips verbose` and the `traffic` answer, the socket's default place and its off switch
(docs/vppsim.md#the-stats-segment)."""

from __future__ import annotations

import os
import re

import pytest
from ansible_collections.vpp.maglev.vppsim.harness import VppSim, VppSimError
from vpp_papi.vpp_stats import VPPStats

pytestmark = pytest.mark.integration

NAMES = ("packet from existing sessions", "first session packet", "untracked packet", "no server configured")


@pytest.fixture
def stats(sim):
    """A VPPStats client of the (freshly restarted) simulator's segment."""
    client = VPPStats(sim.stats_socket)
    client.connect()
    yield client
    client.disconnect()


def add_vip(vpp, address, port=80):
    reply = vpp.api.lb_add_del_vip_v2(pfx=address + "/32", protocol=6, port=port, new_flows_table_length=1024)
    assert reply.retval == 0


def add_as(vpp, vip, address, port=80):
    reply = vpp.api.lb_add_del_as_v2(pfx=vip + "/32", protocol=6, port=port, as_address=address, weight=100)
    assert reply.retval == 0


def shown_counters(vpp, index):
    """The counters block of VIP [index] in `show lb vips verbose`."""
    text = vpp.api.cli_inband(cmd="show lb vips verbose").reply
    block = text.split("[%d]" % index, 1)[1]
    return {name: int(re.search(re.escape(name) + r": (\d+)", block).group(1)) for name in NAMES}


def test_counters_by_vip_index_match_the_cli_and_the_answer(sim, vpp, stats):
    assert not stats.ls(["^first session packet$"])  # no VIP yet: lb.c has not created them
    add_vip(vpp, "192.0.2.1")
    add_vip(vpp, "192.0.2.2")
    add_as(vpp, "192.0.2.2", "10.0.0.1")
    answer = sim.traffic("192.0.2.2", "tcp", 80, 500, 7, packets_per_flow=4)
    assert answer["vip_index"] == 2
    for name in NAMES:
        assert stats[name][0][2] == answer["counters"][name] == shown_counters(vpp, 2)[name]
        assert stats[name][:, 1].sum() == 0
    assert stats["first session packet"] == [[0, 0, 500]] and stats["packet from existing sessions"][0][2] == 1500


def test_the_placeholder_vip_0_counts_a_port_without_a_vip(sim, vpp, stats):
    add_vip(vpp, "192.0.2.1", port=80)
    sim.traffic("192.0.2.1", "tcp", 443, 5, 1)
    assert stats["no server configured"] == [[5, 0]]


def test_a_deleted_vips_index_is_reused_with_zeroed_counters(sim, vpp, stats):
    add_vip(vpp, "192.0.2.1")
    add_as(vpp, "192.0.2.1", "10.0.0.1")
    sim.traffic("192.0.2.1", "tcp", 80, 10, 1)
    assert stats["first session packet"] == [[0, 10]]
    assert (
        vpp.api.lb_add_del_as_v2(
            pfx="192.0.2.1/32", protocol=6, port=80, as_address="10.0.0.1", is_del=True, is_flush=True
        ).retval
        == 0
    )
    assert vpp.api.lb_add_del_vip_v2(pfx="192.0.2.1/32", protocol=6, port=80, is_del=True).retval == 0
    sim.advance_clock(120)
    sim.gc(force=True)  # the AS (flushed: no flows) and then the VIP are freed
    add_vip(vpp, "198.51.100.1")
    assert "[1] 198.51.100.1/32" in vpp.api.cli_inband(cmd="show lb vips verbose").reply
    assert stats["first session packet"] == [[0, 0]]


def test_a_reader_keeps_working_while_the_vectors_grow(sim, vpp, stats):
    add_vip(vpp, "192.0.2.1")
    assert stats["first session packet"] == [[0, 0]]
    for n in range(2, 202):
        add_vip(vpp, "192.0.2.%d" % n)
    add_as(vpp, "192.0.2.201", "10.0.0.1")
    sim.traffic("192.0.2.201", "tcp", 80, 3, 1)
    counts = stats["first session packet"]
    assert len(counts[0]) == 202 and counts[0][201] == 3


def test_the_stats_socket_sits_beside_the_api_socket_and_can_be_turned_off(tmp_path, module_sim):
    assert os.path.dirname(module_sim.stats_socket) == os.path.dirname(module_sim.socket)
    for name in ("off", "taken"):
        (tmp_path / name).mkdir()
    off = VppSim(tmp_path / "off", extra_args=["--stats-socket", ""])
    with off:
        assert off.stats_socket == "" and sorted(os.listdir(tmp_path / "off")) == ["vpp-api.sock", "vpp-api.sock.ctl"]
    taken = VppSim(tmp_path / "taken", extra_args=["--stats-socket", module_sim.stats_socket])
    with pytest.raises(VppSimError, match="in use"):
        taken.start()
    taken.stop()
    client = VPPStats(module_sim.stats_socket)  # the first one still serves
    client.connect()
    try:
        assert client["/sys/heartbeat"] >= 1
    finally:
        client.disconnect()
