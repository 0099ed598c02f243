"""The API socket: registrations, the read loop, and dispatch to the message handlers.

One asyncio event loop serves every connection. Each connection is read and answered
strictly in order by its own task; handlers are synchronous, so the global lb state is
serialised across connections exactly as VPP's main thread serialises API handlers
(docs/vpp-lb-reference.md#socket-protocol). The handlers live in memclnt.py and lb_api.py,
the lb state in lb.py, the call log in calllog.py.
"""

from __future__ import annotations

import asyncio
import collections
import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional

from .calllog import CallLog
from .connection import Connection
from .faults import Faults
from .lb import LbPlugin
from .lb_api import LbMessages
from .lb_types import VppCrash
from .memclnt import Handler, MemclntMessages
from .personality import Personality
from .stats_server import StatsService

# Messages that change the lb state (stats()["writes"] sums them).
WRITES = {
    "lb_conf",
    "lb_add_del_vip",
    "lb_add_del_vip_v2",
    "lb_add_del_as",
    "lb_add_del_as_v2",
    "lb_as_set_weight",
    "lb_flush_vip",
    "lb_add_del_intf_nat4",
    "lb_add_del_intf_nat6",
}
# The largest request body accepted. Real requests are a few hundred bytes (a 10,000-AS dump
# is requested by one small message; replies are never received), so 1 MiB is far above any
# of them and far below what a bogus header (up to 4 GiB) would make us buffer.
MAX_FRAME = 1 << 20
# Not counted by the drop-after fault: the handshake and the ping that closes every dump.
UNCOUNTED = {"sockclnt_create", "control_ping"}


class Simulator:
    """Global state + the socket server. ``restart()`` drops everything, as a VPP restart."""

    def __init__(
        self,
        personality: Personality,
        *,
        linger: bool = True,
        interfaces: tuple = (0,),
        faults: Optional[Faults] = None,
        clock: Callable[[], float] = time.monotonic,
        stats: Optional[StatsService] = None,
    ) -> None:
        self.p = personality
        self.stats_service = stats  # the stats segment, or None (--stats-socket '')
        self.msg = personality.codec.messages
        self.linger = linger
        self.interfaces = tuple(interfaces)
        self.faults = faults or Faults()
        self.clock = clock
        self.pid = os.getpid()
        self.stats: Dict[str, int] = collections.Counter()
        self.rejected_frames = 0  # connections closed for a frame over MAX_FRAME
        self.log = CallLog()
        self.restarts = 0
        self.connections: Dict[int, Connection] = {}
        self._reset_state()
        self.memclnt = MemclntMessages(self)
        handlers: Dict[str, Handler] = {**self.memclnt.handlers(), **LbMessages(self).handlers()}
        self.handlers = {k: v for k, v in handlers.items() if k in personality.ids}

    # -- state ----------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.lb = LbPlugin(clock=self.clock, linger=self.linger, legacy=self.p.legacy, interfaces=self.interfaces)
        if self.stats_service is not None:
            self.stats_service.reset(self.lb)  # a restarted VPP has a new stats segment
        self.free_slots: List[int] = []
        self.next_slot = 1  # slot 0 is the listening socket

    def restart(self, reason: str = "restart") -> None:
        """Drop every connection and forget all state (VPP restarted)."""
        for conn in list(self.connections.values()):
            conn.close()
        self.connections.clear()
        self._reset_state()
        self.restarts += 1
        self.log.record("<%s>" % reason, {}, None, 0, answered=False)

    # -- connections ------------------------------------------------------------------------

    def _alloc_slot(self) -> int:
        if self.free_slots:
            return self.free_slots.pop()  # most recently freed first, as VPP's pool
        slot = self.next_slot
        self.next_slot += 1
        return slot

    def free(self, conn: Connection, how: str = "eof") -> None:
        """Drop a registration; the call log says how it ended (calllog.SESSION_ENDINGS)."""
        if self.connections.get(conn.handle) is conn:
            del self.connections[conn.handle]
            self.free_slots.append(conn.slot)
            self.log.session_ended(conn.handle, how)
        conn.close()

    async def handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(reader, writer, self._alloc_slot())
        self.connections[conn.handle] = conn
        buf = bytearray()
        try:
            while not conn.closed:
                chunk = await reader.read(1 << 16)
                if not chunk:
                    break
                buf += chunk
                pos = 0
                # Every complete request read so far, in order; then their replies in one write.
                while not conn.closed and len(buf) - pos >= 16:
                    length = int.from_bytes(buf[pos + 8 : pos + 12], "big")
                    if length > MAX_FRAME:
                        self._reject_frame(conn, length)
                        break
                    end = pos + 16 + length
                    if len(buf) < end:
                        break
                    payload = bytes(buf[pos + 16 : end])
                    pos = end
                    if self.faults.delay_ms and payload[:2] != b"\x00\x0f":  # not the handshake
                        conn.flush()  # each reply leaves as soon as it is made, then the delay
                        await asyncio.sleep(self.faults.delay_ms / 1000.0)
                        if conn.closed:
                            break
                    self.dispatch(conn, payload)
                del buf[:pos]
                conn.flush()
                if writer.transport is not None and writer.transport.get_write_buffer_size() > 1 << 20:
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            self.free(conn)

    def _reject_frame(self, conn: Connection, length: int) -> None:
        """Close a connection whose next frame declares more than MAX_FRAME bytes."""
        self.rejected_frames += 1
        print(
            "vppsim: closing client %#x: a frame declares %d bytes, more than the %d allowed"
            % (conn.handle, length, MAX_FRAME),
            file=sys.stderr,
            flush=True,
        )
        self.log.record("<frame-too-large>", {}, None, conn.handle, answered=False, declared=length, limit=MAX_FRAME)
        self.free(conn, "rejected")

    # -- dispatch ---------------------------------------------------------------------------

    def dispatch(self, conn: Connection, payload: bytes) -> None:
        if len(payload) < 2:
            return
        name = self.p.names.get(int.from_bytes(payload[:2], "big"))
        if name is None:
            return  # VPP logs "no handler" and answers nothing
        msgdef = self.msg[name]
        args = msgdef.decode(payload)
        if args is None:
            return  # shorter than its definition: dropped
        if name == "sockclnt_create":
            self.stats[name] += 1
            self.memclnt.sockclnt_create(conn, args)
            self.log.record(name, args, 0, conn.handle)
            return
        handler = self.handlers.get(name)
        if handler is None:
            return
        self.lb.tick()
        self.stats[name] += 1
        if name not in UNCOUNTED and self.faults.drop_after is not None:
            if conn.epoch != self.faults.drop_epoch:
                conn.epoch, conn.calls = self.faults.drop_epoch, 0
            if conn.calls >= self.faults.drop_after:
                self.log.record(name, args, None, args.get("client_index", 0), answered=False, fault="drop_after")
                self.free(conn, "fault")
                return
            conn.calls += 1
        client = args.get("client_index", 0)
        target = self.connections.get(client)
        if target is None:
            # Unknown client_index: VPP's handlers return without a word.
            self.log.record(name, args, None, client, answered=False)
            return
        forced = self.faults.check_fail(name)
        if forced is not None:
            self.reply(target, name + "_reply", args, retval=forced)
            self.log.record(name, args, forced, client, fault="fail")
            return
        try:
            retval, extra = handler(target, args) or (None, {})
        except VppCrash as crash:
            self.log.record(name, args, None, client, answered=False, fault="crash: %s" % crash)
            self.restart("crash")
            return
        self.log.record(name, args, retval, client, **extra)
        self.sync_stats()

    def sync_stats(self) -> None:
        """Publish the lb counters to the stats segment if they changed (a VIP added, traffic)."""
        if self.stats_service is not None:
            self.stats_service.sync(self.lb)

    def reply(self, conn: Connection, name: str, args: Dict[str, Any], **values: Any) -> None:
        values["_vl_msg_id"] = self.p.ids[name]
        values["context"] = args.get("context", 0)
        conn.send(self.msg[name].encode(values))

    # -- control helpers ----------------------------------------------------------------------

    def state(self) -> Dict[str, Any]:
        self.lb.tick()
        snap = self.lb.snapshot()
        snap.update(
            {
                "vpp_version": self.p.name,
                "lb_api_version": "1.1.0" if self.p.legacy else "1.2.0",
                "linger": self.linger,
                "restarts": self.restarts,
                "clients": sorted(self.connections),
                "faults": self.faults.to_json(),
            }
        )
        return snap

    def stats_json(self) -> Dict[str, Any]:
        counts = dict(self.stats)
        return {
            "counts": counts,
            "total": sum(counts.values()),
            "writes": sum(v for k, v in counts.items() if k in WRITES),
            "seq": self.log.seq,
            "rejected_frames": self.rejected_frames,
        }
