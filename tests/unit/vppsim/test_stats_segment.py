"""The stats segment as vpp_papi's own VPPStats reads it: layout, the lb counters by VIP index,
growth, relayout, and the epoch / in_progress protocol that keeps a reader from a torn update
(docs/vppsim.md#the-stats-segment)."""

from __future__ import annotations

import asyncio
import mmap
import threading

import pytest
from ansible_collections.vpp.maglev.vppsim import traffic_command
from ansible_collections.vpp.maglev.vppsim.lb import LbPlugin
from ansible_collections.vpp.maglev.vppsim.lb_types import OK
from ansible_collections.vpp.maglev.vppsim.stats_segment import SCALAR, SIMPLE, StatsSegment
from ansible_collections.vpp.maglev.vppsim.stats_server import StatsService
from vpp_papi.vpp_stats import VPPStats

FIRST = "first session packet"


def reader_for(segment: StatsSegment) -> VPPStats:
    """VPPStats on this segment's memfd: what its connect() does once it has the descriptor."""
    stats = VPPStats("unused")
    stats.statseg = mmap.mmap(segment.fd, segment.size, mmap.MAP_SHARED, mmap.PROT_READ)
    stats.size = segment.size
    stats.refresh()
    stats.connected = True
    return stats


def pfx(last: int) -> dict:
    return {"address": {"af": 0, "un": bytes([192, 0, 2, last]) + bytes(12)}, "len": 32}


@pytest.fixture
def served(tmp_path):
    """A StatsService listening on a real SEQPACKET socket, its loop in a thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    service = StatsService(str(tmp_path / "stats.sock"), wall_clock=lambda: 1_700_000_000.5)
    lb = LbPlugin(clock=lambda: 500.0, linger=False)

    async def start():
        service.reset(lb)
        service.listen()

    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    yield service, lb

    async def stop():
        service.close()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.fixture
def client(served):
    """VPPStats connected through the service's socket, as any client connects."""
    stats = VPPStats(served[0].path)
    stats.connect()
    yield stats
    stats.disconnect()


def test_a_client_connects_and_reads_the_sys_entries_before_any_vip(client):
    assert client["/sys/boottime"] == 1_700_000_000 and client["/sys/heartbeat"] == 1
    assert client["/sys/num_worker_threads"] == 0 and client["/sys/vector_rate_per_worker"] == [[0, 0]]
    assert not client.ls(["^first session packet$"])  # created with the first VIP, not before


def test_lb_counters_by_vip_index_through_the_socket(served, client):
    service, lb = served
    for last in (1, 2):
        assert lb.add_del_vip(pfx(last), 6, 80, 0, 0, 0, 0, 1024, False) == OK
        server = {"af": 0, "un": bytes(16)}
        assert lb.add_del_as("lb_add_del_as_v2", pfx(last), 6, 80, server, 1, False, False, True) == OK
    service.sync(lb)
    request = {"vip": "192.0.2.2", "protocol": 6, "port": 80, "flows": 7, "seed": 1, "packets_per_flow": 3}
    traffic_command.run(lb, request)
    service.sync(lb)
    assert client[FIRST] == [[0, 0, 7]]  # [thread][VIP index], index 0 the placeholder
    assert client["packet from existing sessions"][:, 2].sum() == 14
    assert client["untracked packet"] == [[0, 0, 0]] and client["no server configured"] == [[0, 0, 0]]


def test_growing_vectors_move_and_a_stale_reader_still_reads_whole_data():
    segment = StatsSegment()
    segment.define("/sys/heartbeat", SCALAR, 1)
    segment.define(FIRST, SIMPLE)
    segment.publish({}, {FIRST: [[0, 5]]})
    stats = reader_for(segment)
    old = stats.directory[FIRST]  # the pointers a reader resolved before the growth
    segment.publish({}, {FIRST: [list(range(1000))]})
    assert stats.epoch != stats.last_epoch  # the reader will refresh its directory
    assert stats[FIRST][0][999] == 999 and len(stats[FIRST][0]) == 1000
    assert old.get_counter(stats) == [[0, 5]]  # the old vectors were left as they were


def test_a_full_segment_is_laid_out_afresh_and_stays_readable():
    segment = StatsSegment(size=64 << 10)
    segment.define(FIRST, SIMPLE)
    stats = reader_for(segment)
    for length in range(100, 3000, 300):  # each growth appends; the segment fills and restarts
        segment.publish({}, {FIRST: [[length] * length]})
        assert stats[FIRST] == [[length] * length]
    assert segment.next_free < 64 << 10


def test_a_read_overlapping_an_update_is_retried_not_torn():
    segment = StatsSegment()
    segment.define(FIRST, SIMPLE)
    segment.publish({}, {FIRST: [[1, 1]]})
    stats = reader_for(segment)
    stats.lock.acquire()  # a reader starts ...
    segment.publish({}, {FIRST: [[2, 2]]})  # ... an update runs meanwhile ...
    with pytest.raises(IOError, match="Optimistic lock failed"):
        stats.lock.release()  # ... and the reader is told to read again
    segment.map[24:32] = (1).to_bytes(8, "little")  # an update in progress
    stats.lock.epoch = stats.epoch
    with pytest.raises(IOError):
        stats.lock.release()
    segment.map[24:32] = bytes(8)
    assert stats[FIRST] == [[2, 2]]


def test_a_restart_hands_out_a_new_segment(served):
    service, lb = served
    first = VPPStats(service.path)
    first.connect()
    try:
        assert lb.add_del_vip(pfx(1), 6, 80, 0, 0, 0, 0, 1024, False) == OK
        service.sync(lb)
        fresh = LbPlugin(clock=lambda: 0.0)
        service.reset(fresh)  # what Simulator.restart does
        second = VPPStats(service.path)
        second.connect()
        try:
            assert first[FIRST] == [[0, 0]]  # the old mapping keeps what it had
            assert not second.ls(["^first session packet$"])  # a new VPP: no VIP yet
        finally:
            second.disconnect()
    finally:
        first.disconnect()
