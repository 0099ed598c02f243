"""vppapi/traffic_reader: the stats segment through vpp_papi's VPPStats, and every way it
can be unreadable (each becomes stats_error, never a hang or a traceback)."""

from __future__ import annotations

import socket
import threading

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi import traffic_reader
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.traffic_reader import (
    LOCK_ATTEMPTS,
    StatsCounters,
    StatsUnavailable,
)

NAMES = list(traffic_reader.COUNTER_KINDS)


class Segment:
    """The part of VPPStats StatsCounters uses; ``failures`` reads fail VPP's optimistic lock."""

    def __init__(self, failures=0, in_progress=False):
        self.failures = failures
        self.in_progress = in_progress
        self.reads = 0
        self.disconnected = False

    def get_counter(self, name, blocking=True):
        assert blocking is False
        self.reads += 1
        if self.failures:
            self.failures -= 1
            raise OSError("Optimistic lock failed, retry")
        return [[0, 2], [0, 3]]

    def disconnect(self):
        self.disconnected = True


def test_a_read_that_overlaps_an_update_is_read_again():
    segment = Segment(failures=LOCK_ATTEMPTS - 1)
    assert StatsCounters("/s", opener=lambda path: segment).read()["existing"] == [0, 5]


def test_a_segment_always_mid_update_is_reported_and_mapped_again_next_time():
    opened = []

    def opener(path):
        opened.append(Segment(failures=10**6))
        return opened[-1]

    counters = StatsCounters("/run/vpp/stats.sock", opener=opener)
    with pytest.raises(StatsUnavailable, match="changed during each of %d reads" % LOCK_ATTEMPTS):
        counters.read()
    assert opened[0].reads == LOCK_ATTEMPTS and opened[0].disconnected
    with pytest.raises(StatsUnavailable):
        counters.read()
    assert len(opened) == 2  # a failed read maps the segment again


def test_vpp_stuck_in_an_update_is_not_waited_for_without_end():
    segment = Segment(in_progress=True)
    with pytest.raises(StatsUnavailable, match="changed during each"):
        StatsCounters("/s", opener=lambda path: segment).read()
    assert segment.reads == 0  # never entered vpp_papi's spinning lock


def test_the_segment_stays_mapped_between_reads():
    opened = []
    counters = StatsCounters("/s", opener=lambda path: opened.append(Segment()) or opened[-1])
    counters.read()
    counters.read()
    assert len(opened) == 1
    counters.close()
    assert opened[0].disconnected


def test_no_socket_names_the_path(tmp_path):
    missing = str(tmp_path / "stats.sock")
    with pytest.raises(StatsUnavailable, match="stats segment %s: .*No such file" % missing):
        StatsCounters(missing).read()


def test_a_socket_that_hands_over_no_segment_is_reported(tmp_path):
    # Something listens but is not VPP's stats server: it accepts and closes, passing no
    # descriptor (vpp_papi then fails with an IndexError).
    path = str(tmp_path / "stats.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(path)
    server.listen(1)

    def accept_and_close():
        connection, _address = server.accept()
        connection.close()

    thread = threading.Thread(target=accept_and_close)
    thread.start()
    try:
        with pytest.raises(StatsUnavailable, match="stats segment %s" % path):
            StatsCounters(path).read()
    finally:
        thread.join(10)
        server.close()
