"""The stats socket: hands the stats segment's memfd to each client, as VPP does, and keeps the
segment in step with the simulator (docs/vppsim.md#the-stats-segment).

VPP's listener is a SOCK_SEQPACKET Unix socket; on each connection it sends one message
carrying the memfd (SCM_RIGHTS) and closes. vpp_papi's VPPStats then maps the memfd and
reads it; it never writes to the socket.
"""

from __future__ import annotations

import array
import asyncio
import socket
import sys
import time
from typing import Callable, Optional

from .lb_tables import LbTables
from .stats_segment import GAUGE, SCALAR, SIMPLE, StatsSegment

HEARTBEAT_SECONDS = 10.0  # statseg's default update-interval
# What VPP master registers at start, in its directory order (vlib/stats/init.c, threads.c,
# vnet/devices/devices.c); the lb counters follow when the first VIP is added.
SYS_ENTRIES = (
    ("/sys/heartbeat", SCALAR),
    ("/sys/last_stats_clear", SCALAR),
    ("/sys/boottime", SCALAR),
    ("/sys/vector_rate", GAUGE),
    ("/sys/vector_rate_per_worker", SIMPLE),
    ("/sys/loops_per_worker", SIMPLE),
    ("/sys/num_worker_threads", GAUGE),
    ("/sys/input_rate", GAUGE),
)


class StatsService:
    """One segment per VPP lifetime: a restart makes a new one, as a VPP restart does."""

    def __init__(self, path: str, wall_clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.wall_clock = wall_clock
        self.segment: Optional[StatsSegment] = None
        self.published = -1  # the traffic model's generation last written
        self.listener: Optional[socket.socket] = None
        self.heartbeat = 0
        self._ticker: Optional[asyncio.Task] = None

    # -- the segment ----------------------------------------------------------------------------

    def reset(self, lb: LbTables) -> None:
        """A fresh segment for a (re)started VPP; clients of the old one keep their mapping."""
        if self.segment is not None:
            self.segment.close()
        segment = StatsSegment()
        for name, kind in SYS_ENTRIES:
            segment.define(name, kind)
        self.heartbeat = 1
        threads = lb.traffic.threads
        segment.publish(
            {"/sys/heartbeat": self.heartbeat, "/sys/boottime": int(self.wall_clock())},
            {"/sys/vector_rate_per_worker": [[0] * (threads + 1)], "/sys/loops_per_worker": [[0] * (threads + 1)]},
        )
        self.segment = segment
        self.published = -1
        self.sync(lb)

    def sync(self, lb: LbTables) -> None:
        """Publish the lb counters if they changed since the last call."""
        if self.segment is None or lb.traffic.generation == self.published:
            return
        vectors = lb.traffic.counter_vectors()
        for name in vectors:
            self.segment.define(name, SIMPLE)
        self.segment.publish({}, vectors)
        self.published = lb.traffic.generation

    # -- the socket -----------------------------------------------------------------------------

    def listen(self) -> None:
        """Bind and listen (the caller claimed the path first); serve from the running loop."""
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            listener.bind(self.path)
            listener.listen(64)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self.listener = listener
        loop = asyncio.get_running_loop()
        loop.add_reader(listener.fileno(), self._accept)
        self._ticker = loop.create_task(self._beat())

    def _accept(self) -> None:
        if self.listener is None:
            return
        try:
            client, _address = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        with client:
            if self.segment is None:
                return
            try:
                client.sendmsg([], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [self.segment.fd]))])
            except OSError as err:  # the client went away first: nothing to hand over
                print("vppsim: stats client gone before the handover: %s" % err, file=sys.stderr, flush=True)

    async def _beat(self) -> None:
        """/sys/heartbeat + 1 every 10 s, so a client can tell a live VPP from a dead one."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if self.segment is not None:
                self.heartbeat += 1
                self.segment.set_in_place("/sys/heartbeat", self.heartbeat)

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        if self.listener is not None:
            asyncio.get_running_loop().remove_reader(self.listener.fileno())
            self.listener.close()
            self.listener = None
        if self.segment is not None:
            self.segment.close()
            self.segment = None
