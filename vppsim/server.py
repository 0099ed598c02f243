"""The API socket: framing, registrations, memclnt/vpe/vlib handlers and the lb dispatch.

One asyncio event loop serves every connection. Each connection is read and answered
strictly in order by its own task; handlers are synchronous, so the global lb state is
serialised across connections exactly as VPP's main thread serialises API handlers.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import os
import struct
import sys
import time
from typing import Any, Callable, Deque, Dict, List, Optional

from . import cli
from .faults import Faults
from .lb import (
    IP4_L3DSR,
    IP4_NAT4,
    IP6_NAT6,
    TYPE_ENCAP,
    LbPlugin,
    Vip,
    VppCrash,
    is_ip4_addr,
)
from .personality import Personality, frame

HANDLE_BIT = 0x80000000
CALL_LOG_SIZE = 20000
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
_HEADER = struct.Struct(">QII")
# The largest request body accepted. Real requests are a few hundred bytes (a 10,000-AS dump
# is requested by one small message; replies are never received), so 1 MiB is far above any
# of them and far below what a bogus header (up to 4 GiB) would make us buffer.
MAX_FRAME = 1 << 20
# Not counted by the drop-after fault: the handshake and the ping that closes every dump.
UNCOUNTED = {"sockclnt_create", "control_ping"}


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, slot: int) -> None:
        self.reader = reader
        self.writer = writer
        self.slot = slot
        self.handle = HANDLE_BIT | slot
        self.calls = 0
        self.epoch = 0
        self.closed = False
        # Replies wait here until the requests read so far are handled: one write (one
        # syscall) per batch instead of one per reply, which a pipelining client notices.
        self.pending: List[bytes] = []

    def send(self, payload: bytes) -> None:
        if not self.closed:
            self.pending.append(frame(payload))

    def send_many(self, payloads: List[bytes]) -> None:
        if not self.closed and payloads:
            header = _HEADER
            self.pending.append(b"".join(header.pack(0, len(p), 0) + p for p in payloads))

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if pending and not self.closed:
            self.writer.write(b"".join(pending))

    def close(self) -> None:
        if not self.closed:
            self.flush()  # what was answered before the close still goes out, as in VPP
            self.closed = True
            self.writer.close()


def _ip(af: int, un: bytes) -> str:
    return str(ipaddress.IPv4Address(un[:4]) if af == 0 else ipaddress.IPv6Address(un[:16]))


def jsonable(value: Any, key: str = "") -> Any:
    """Decoded message values as JSON: addresses and prefixes as text, other bytes as hex."""
    if isinstance(value, dict):
        if set(value) == {"af", "un"}:
            return _ip(value["af"], value["un"])
        if set(value) == {"address", "len"} and isinstance(value["address"], dict):
            return "%s/%d" % (_ip(value["address"]["af"], value["address"]["un"]), value["len"])
        return {k: jsonable(v, k) for k, v in value.items()}
    if isinstance(value, bytes):
        if len(value) == 4 and "ip4" in key:
            return str(ipaddress.IPv4Address(value))
        if len(value) == 16 and "ip6" in key:
            return str(ipaddress.IPv6Address(value))
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


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
    ) -> None:
        self.p = personality
        self.linger = linger
        self.interfaces = tuple(interfaces)
        self.faults = faults or Faults()
        self.clock = clock
        self.pid = os.getpid()
        self.stats: Dict[str, int] = collections.Counter()
        self.rejected_frames = 0  # connections closed for a frame over MAX_FRAME
        self.calls: Deque[Dict[str, Any]] = collections.deque(maxlen=CALL_LOG_SIZE)
        self.seq = 0
        self.restarts = 0
        self.waiters: List[tuple] = []
        self.connections: Dict[int, Connection] = {}
        self._reset_state()
        m = personality.codec.messages
        self.msg = m
        self.handlers: Dict[str, Callable[[Connection, Dict[str, Any]], Any]] = {
            "sockclnt_delete": self._sockclnt_delete,
            "control_ping": self._control_ping,
            "get_first_msg_id": self._get_first_msg_id,
            "api_versions": self._api_versions,
            "memclnt_keepalive": self._simple_ok,
            "get_api_json": self._get_api_json,
            "show_version": self._show_version,
            "cli_inband": self._cli_inband,
            "lb_conf": self._lb_conf,
            "lb_conf_get": self._lb_conf_get,
            "lb_add_del_vip": self._lb_add_del_vip,
            "lb_add_del_vip_v2": self._lb_add_del_vip,
            "lb_add_del_as": self._lb_add_del_as,
            "lb_add_del_as_v2": self._lb_add_del_as,
            "lb_as_set_weight": self._lb_as_set_weight,
            "lb_flush_vip": self._lb_flush_vip,
            "lb_vip_dump": self._lb_vip_dump,
            "lb_as_dump": self._lb_as_dump,
            "lb_as_v2_dump": self._lb_as_dump,
            "lb_add_del_intf_nat4": self._lb_intf_nat,
            "lb_add_del_intf_nat6": self._lb_intf_nat,
        }
        self.handlers = {k: v for k, v in self.handlers.items() if k in personality.ids}
        self._table_payload = self._build_table_payload()

    # -- state ----------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.lb = LbPlugin(clock=self.clock, linger=self.linger, legacy=self.p.legacy, interfaces=self.interfaces)
        self.free_slots: List[int] = []
        self.next_slot = 1  # slot 0 is the listening socket

    def restart(self, reason: str = "restart") -> None:
        """Drop every connection and forget all state (VPP restarted)."""
        for conn in list(self.connections.values()):
            conn.close()
        self.connections.clear()
        self._reset_state()
        self.restarts += 1
        self._record("<%s>" % reason, {}, None, 0, answered=False)

    # -- connections ------------------------------------------------------------------------

    def _alloc_slot(self) -> int:
        if self.free_slots:
            return self.free_slots.pop()  # most recently freed first, as VPP's pool
        slot = self.next_slot
        self.next_slot += 1
        return slot

    def _free(self, conn: Connection) -> None:
        if self.connections.get(conn.handle) is conn:
            del self.connections[conn.handle]
            self.free_slots.append(conn.slot)
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
            self._free(conn)

    def _reject_frame(self, conn: Connection, length: int) -> None:
        """Close a connection whose next frame declares more than MAX_FRAME bytes."""
        self.rejected_frames += 1
        print(
            "vppsim: closing client %#x: a frame declares %d bytes, more than the %d allowed"
            % (conn.handle, length, MAX_FRAME),
            file=sys.stderr,
            flush=True,
        )
        self._record("<frame-too-large>", {}, None, conn.handle, answered=False, declared=length, limit=MAX_FRAME)
        self._free(conn)

    # -- dispatch ---------------------------------------------------------------------------

    def _record(self, name: str, args: Dict[str, Any], retval: Optional[int], client: int, **extra: Any) -> None:
        self.seq += 1
        entry = {"seq": self.seq, "time": time.monotonic(), "message": name, "client_index": client}
        entry["args"] = {k: jsonable(v, k) for k, v in args.items() if k not in ("_vl_msg_id", "client_index")}
        entry["retval"] = retval
        entry.update(extra)
        self.calls.append(entry)
        if self.waiters:
            for waiter in list(self.waiters):
                matcher, future = waiter
                if not future.done() and matcher(entry):
                    future.set_result(entry)

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
            self._sockclnt_create(conn, args)
            self._record(name, args, 0, conn.handle)
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
                self._record(name, args, None, args.get("client_index", 0), answered=False, fault="drop_after")
                self._free(conn)
                return
            conn.calls += 1
        client = args.get("client_index", 0)
        target = self.connections.get(client)
        if target is None:
            # Unknown client_index: VPP's handlers return without a word.
            self._record(name, args, None, client, answered=False)
            return
        forced = self.faults.check_fail(name)
        if forced is not None:
            self._reply(target, name + "_reply", args, retval=forced)
            self._record(name, args, forced, client, fault="fail")
            return
        try:
            retval, extra = handler(target, args) or (None, {})
        except VppCrash as crash:
            self._record(name, args, None, client, answered=False, fault="crash: %s" % crash)
            self.restart("crash")
            return
        self._record(name, args, retval, client, **extra)

    def _reply(self, conn: Connection, name: str, args: Dict[str, Any], **values: Any) -> None:
        values["_vl_msg_id"] = self.p.ids[name]
        values["context"] = args.get("context", 0)
        conn.send(self.msg[name].encode(values))

    # -- memclnt ------------------------------------------------------------------------------

    def _build_table_payload(self) -> bytes:
        return self.msg["sockclnt_create_reply"].encode(
            {"count": len(self.p.table_entries), "message_table": self.p.table_entries}
        )

    def _sockclnt_create(self, conn: Connection, args: Dict[str, Any]) -> None:
        head = struct.pack(">HIIiI", self.p.ids["sockclnt_create_reply"], 0, args["context"], 0, conn.handle)
        conn.send(head + self._table_payload[len(head) :])

    def _sockclnt_delete(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        victim = self.connections.get(args["index"])
        if victim is None:
            self._reply(conn, "sockclnt_delete_reply", args, response=-1)
            return -1, {}
        self._reply(conn, "sockclnt_delete_reply", args, response=1)
        self._free(victim)
        return 1, {}

    def _control_ping(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        self._reply(conn, "control_ping_reply", args, retval=0, client_index=args["client_index"], vpe_pid=self.pid)
        return 0, {}

    def _simple_ok(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        self._reply(conn, "memclnt_keepalive_reply", args, retval=0)
        return 0, {}

    def _get_first_msg_id(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        base = self.p.module_bases.get(args["name"])
        if base is None:
            self._reply(conn, "get_first_msg_id_reply", args, retval=-7, first_msg_id=0xFFFF)
            return -7, {}
        self._reply(conn, "get_first_msg_id_reply", args, retval=0, first_msg_id=base)
        return 0, {}

    def _api_versions(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        entries = [(ma, mi, pa, name.encode()) for ma, mi, pa, name in self.p.module_versions]
        self._reply(conn, "api_versions_reply", args, retval=0, count=len(entries), api_versions=entries)
        return 0, {}

    def _get_api_json(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        msg = self.msg["get_api_json_reply"].encode(
            {"_vl_msg_id": self.p.ids["get_api_json_reply"], "context": args["context"], "json": self.p.api_json}
        )
        conn.send(msg + b"\x00")  # VPP's vector string carries a NUL beyond the counted length
        return 0, {}

    def _show_version(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        self._reply(
            conn,
            "show_version_reply",
            args,
            retval=0,
            program="vpe",
            version=self.p.version,
            build_date="vppsim",
            build_directory="/vppsim",
        )
        return 0, {}

    def _cli_inband(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        text = cli.run(self.lb, args.get("cmd", ""), self.p.version)
        self._reply(conn, "cli_inband_reply", args, retval=0, reply=text)
        return 0, {}

    # -- lb ---------------------------------------------------------------------------------

    def _lb_conf(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        rv = self.lb.conf(
            args["ip4_src_address"], args["ip6_src_address"], args["sticky_buckets_per_core"], args["flow_timeout"]
        )
        self._reply(conn, "lb_conf_reply", args, retval=rv)
        return rv, {}

    def _lb_conf_get(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        lb = self.lb
        self._reply(
            conn,
            "lb_conf_get_reply",
            args,
            retval=0,
            ip4_src_address=lb.ip4_src,
            ip6_src_address=lb.ip6_src,
            sticky_buckets_per_core=lb.sticky_buckets,
            flow_timeout=lb.flow_timeout,
        )
        return 0, {}

    def _lb_add_del_vip(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        rv = self.lb.add_del_vip(
            args["pfx"],
            args["protocol"],
            args["port"],
            args["encap"],
            args["dscp"],
            args["type"],
            args["target_port"],
            args["new_flows_table_length"],
            bool(args["is_del"]),
            bool(args.get("src_ip_sticky", 0)),
        )
        name = "lb_add_del_vip_v2_reply" if "src_ip_sticky" in args else "lb_add_del_vip_reply"
        self._reply(conn, name, args, retval=rv)
        return rv, {}

    def _lb_add_del_as(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        v2 = "weight" in args
        message = "lb_add_del_as_v2" if v2 else "lb_add_del_as"
        rv = self.lb.add_del_as(
            message,
            args["pfx"],
            args["protocol"],
            args["port"],
            args["as_address"],
            args["weight"] if v2 else 100,
            bool(args["is_del"]),
            bool(args["is_flush"]),
            v2,
        )
        self._reply(conn, message + "_reply", args, retval=rv)
        return rv, {}

    def _lb_as_set_weight(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        rv = self.lb.as_set_weight(
            args["pfx"], args["protocol"], args["port"], args["as_address"], args["weight"], bool(args["is_flush"])
        )
        self._reply(conn, "lb_as_set_weight_reply", args, retval=rv)
        return rv, {}

    def _lb_flush_vip(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        rv = self.lb.flush_vip(args["pfx"], args["protocol"], args["port"])
        self._reply(conn, "lb_flush_vip_reply", args, retval=rv)
        return rv, {}

    def _lb_intf_nat(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        family = "nat4" if args.get("_vl_msg_id") == self.p.ids["lb_add_del_intf_nat4"] else "nat6"
        rv = self.lb.intf_nat(family, bool(args["is_add"]), args["sw_if_index"])
        self._reply(conn, "lb_add_del_intf_%s_reply" % family, args, retval=rv)
        return rv, {}

    def _vip_fields(self, vip: Vip, for_vip_dump: bool) -> tuple:
        """The encoded lb_vip_t of a VIP: (af, un, len, protocol, port), quirks included."""
        if self.p.legacy:
            ip4 = is_ip4_addr(vip.prefix)
            plen = vip.plen  # raw internal plen
            protocol = 0 if for_vip_dump else vip.protocol
        else:
            ip4 = vip.is_ip4
            plen = vip.plen - 96 if ip4 else vip.plen
            protocol = vip.protocol
        un = vip.prefix[12:] + b"\x00" * 12 if ip4 else vip.prefix
        return (0 if ip4 else 1, un, plen & 0xFF, protocol, vip.port)

    def _lb_vip_dump(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        st = self.msg["lb_vip_details"].struct
        msg_id, context = self.p.ids["lb_vip_details"], args["context"]
        out = []
        for _index, vip in self.lb.vip_dump():
            if self.p.legacy:
                encap, length = vip.type, 0  # leaks the internal type; length reads 0
            else:
                encap, length = TYPE_ENCAP[vip.type], vip.table_length & 0xFFFF
            byte = vip.encap_byte
            # Stored in network order and htons()ed again on output: the client reads it swapped.
            target = vip.target_port_raw if vip.type in (IP4_NAT4, IP6_NAT6) else 0
            dscp = byte if vip.type in (IP4_L3DSR, IP4_NAT4, IP6_NAT6) else 0
            out.append(st.pack(msg_id, context, *self._vip_fields(vip, True), encap, dscp, dscp << 24, target, length))
        conn.send_many(out)
        return None, {"details": len(out)}

    def _lb_as_dump(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        name = "lb_as_v2_details" if args.get("_vl_msg_id") == self.p.ids.get("lb_as_v2_dump") else "lb_as_details"
        st = self.msg[name].struct
        msg_id, context = self.p.ids[name], args["context"]
        v2 = name == "lb_as_v2_details"
        out = []
        current: Optional[Vip] = None
        vip_fields: tuple = ()
        counts: Dict[int, int] = {}
        for vip, slot, server in self.lb.as_dump(args["pfx"], args["protocol"], args["port"]):
            if vip is not current:
                current, vip_fields, counts = vip, self._vip_fields(vip, False), self.lb.bucket_counts(vip)
            addr = server.address
            app = (0, addr[12:] + b"\x00" * 12) if is_ip4_addr(addr) else (1, addr)
            flags = 1 if server.used else 0
            if v2:
                row = st.pack(
                    msg_id, context, *vip_fields, *app, flags, server.last_used, server.weight, counts.get(slot, 0)
                )
            else:
                row = st.pack(msg_id, context, *vip_fields, *app, flags, server.last_used)
            out.append(row)
        conn.send_many(out)
        return None, {"details": len(out)}

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
            "seq": self.seq,
            "rejected_frames": self.rejected_frames,
        }
