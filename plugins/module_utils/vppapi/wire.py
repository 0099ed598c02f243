# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The direct wire path for bulk work: VPP's API socket framed by hand and the hot lb
messages packed/unpacked with ``struct`` (docs/modules.md, "For developers: vppclient").

vpp_papi hands each message from a reader thread to the caller through a multiprocessing
queue and builds a namedtuple type per message on the way, ~100 µs a message, which made a
64,000-AS dump take 8-12 s. Each layout here is pinned by the CRC of the definition it was
written for; the connection uses it only when it loaded exactly that definition.

Public: ``Wire`` (the framed socket: requests, replies, dumps), ``WireChannel`` (the apply
loop's channel over a Wire), ``LAYOUTS`` and ``PACKERS`` (the pinned formats), and the
address helpers the reader shares.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import intern_address
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.applier import ChannelLost


class Layout(NamedTuple):
    """A message's wire format: the CRC it is pinned to, its struct, its field names in order."""

    crc: str
    struct: struct.Struct
    fields: Tuple[str, ...]


# vpp_papi's socket transport frames every message with a (0, length, 0) header. The layouts
# below are big-endian as VPP sends them; each is used only when the connection's definition
# of that message has the CRC given here. A row of a dump is the tuple of ``fields``.
FRAME = struct.Struct(">QII")
REPLY = struct.Struct(">HIi")  # _vl_msg_id, context, retval: the head of every plain *_reply
REPLY_FIELDS = ["_vl_msg_id", "context", "retval"]
LAYOUTS = {
    "lb_vip_details": Layout(
        "0x1329ec9b",
        struct.Struct(">HIB16sBBHIBIHH"),
        ("_vl_msg_id", "context", "af", "un", "plen", "protocol", "port")
        + ("encap", "dscp", "srv_type", "target_port", "flow_table_length"),
    ),
    "lb_as_v2_details": Layout(
        "0x90064aae",
        struct.Struct(">HIB16sBBHB16sBIBI"),
        ("_vl_msg_id", "context", "af", "un", "plen", "protocol", "port")
        + ("as_af", "as_un", "flags", "in_use_since", "weight", "num_buckets"),
    ),
}
IP4_PAD = bytes(12)
# Requests the direct path packs itself: (CRC, layout after the _vl_msg_id/client_index/context
# head, the arguments in wire order). Ops from the planner always give every argument; any
# other call (an argument missing, a non-string address) is packed by vpp_papi.
PACKERS = {
    "lb_add_del_as_v2": (
        "0x2f1d3b0e",
        struct.Struct(">HIIB16sBBHB16sBBB"),
        ("pfx", "protocol", "port", "as_address", "weight", "is_del", "is_flush"),
    ),
    "lb_as_set_weight": (
        "0x2d89bdbd",
        struct.Struct(">HIIB16sBBHB16sBB"),
        ("pfx", "protocol", "port", "as_address", "weight", "is_flush"),
    ),
    "lb_add_del_vip_v2": (
        "0x7c520e0f",
        struct.Struct(">HIIB16sBBHIBIHHIBB"),
        ("pfx", "protocol", "port", "encap", "dscp", "type", "target_port", "node_port")
        + ("new_flows_table_length", "src_ip_sticky", "is_del"),
    ),
    "lb_flush_vip": ("0x1063f819", struct.Struct(">HIIB16sBBH"), ("pfx", "protocol", "port")),
}


def raw_prefix(pfx: Any) -> Tuple[int, bytes, int]:
    """(af, 16-byte un, len) of a prefix vpp_papi decoded (an ip_interface: address as sent)."""
    if hasattr(pfx, "ip"):
        return (*raw_address(pfx.ip), pfx.network.prefixlen)
    return (*raw_address(pfx.network_address), pfx.prefixlen)


def raw_address(address: Any) -> Tuple[int, bytes]:
    """(af, 16-byte un) of an address vpp_papi decoded, as VPP sends it (IPv4 zero-padded)."""
    if address.version == 4:
        return 0, address.packed + IP4_PAD
    return 1, address.packed


def _pack_address(text: str) -> Tuple[int, bytes]:
    """vpp_papi's format_vl_api_address_t on the wire: IPv6 if inet_pton takes it, else IPv4."""
    try:
        return 1, socket.inet_pton(socket.AF_INET6, text)
    except OSError:
        return 0, socket.inet_pton(socket.AF_INET, text) + IP4_PAD


def decode_address(af: int, un: bytes) -> Any:
    """The interned ipaddress object of a raw vl_api_address_t."""
    return intern_address(ipaddress.IPv6Address(un) if af else ipaddress.IPv4Address(un[:4]))


class Wire:
    """The API socket, framed by hand while vpp_papi's reader thread is paused (see
    ApiConnection.direct in connection.py): one recv for many messages, one sendall per batch
    of requests. Socket errors (OSError, TimeoutError on the transport's read timeout) reach
    the caller."""

    def __init__(self, papi: Any, ids: Dict[str, int], packable: Iterable[str] = ()) -> None:
        self.papi = papi
        self.ids = ids  # message name -> id in this connection's table
        self.packable = {name: PACKERS[name] for name in packable}
        self.wire_args: Dict[Any, tuple] = {}  # address/prefix text -> its wire fields
        self.sock = papi.transport.socket
        self.client_index = papi.transport.socket_index
        self.buf = bytearray()
        self.pos = 0
        self.out: List[bytes] = []
        self.doing = "a bulk operation"  # what a lost connection interrupted

    def queue(self, name: str, context: int, kwargs: dict) -> None:
        """Pack one request for the next flush(): with struct when PACKERS knows it, else
        with vpp_papi's serializer (which also raises its usual errors for bad values)."""
        payload = self.pack_request(name, context, kwargs) if name in self.packable else None
        if payload is None:
            args = dict(kwargs)
            args["_vl_msg_id"] = self.ids[name]
            args["client_index"] = self.client_index
            args["context"] = context
            payload = self.papi.messages[name].pack(args)
        self.out.append(FRAME.pack(0, len(payload), 0))
        self.out.append(payload)

    def pack_request(self, name: str, context: int, kwargs: dict) -> Optional[bytes]:
        """The request packed with PACKERS[name], or None when these arguments are not what
        the packer expects (then vpp_papi packs it)."""
        try:
            return self._pack(self.packable[name], name, context, kwargs)
        except (KeyError, TypeError, ValueError, AttributeError, OSError, struct.error):
            return None

    def _pack(self, packer: tuple, name: str, context: int, kwargs: dict) -> Optional[bytes]:
        fields = packer[2]
        if len(kwargs) != len(fields):
            return None
        values: list = [self.ids[name], self.client_index, context]
        cache = self.wire_args
        for key in fields:
            value = kwargs[key]
            if key == "pfx" or key == "as_address":
                wire = cache.get(value)
                if wire is None:
                    if key == "pfx":
                        text, length = value.split("/")
                        wire = cache[value] = (*_pack_address(text), int(length))
                    else:
                        wire = cache[value] = _pack_address(value)
                values.extend(wire)
            else:
                values.append(int(value))
        return packer[1].pack(*values)

    def flush(self) -> None:
        if self.out:
            data = b"".join(self.out)
            self.out = []
            self.sock.sendall(data)

    def next(self) -> int:
        """The offset in ``self.buf`` of the next message (valid until the next call)."""
        buf = self.buf
        while True:
            pos = self.pos
            if len(buf) - pos >= 16:
                end = pos + 16 + int.from_bytes(buf[pos + 8 : pos + 12], "big")
                if len(buf) >= end:
                    self.pos = end
                    return pos + 16
            if pos:
                del buf[:pos]
                self.pos = 0
            chunk = self.sock.recv(1 << 18)
            if not chunk:
                raise ConnectionResetError("VPP closed the API socket")
            buf += chunk

    def message(self, start: int) -> bytes:
        """The whole message starting at ``start`` (after next())."""
        return bytes(self.buf[start : self.pos])

    def idle(self) -> bool:
        """Nothing unread: the stream is at a message boundary for vpp_papi's reader."""
        return self.pos == len(self.buf)

    def call(self, name: str, **kwargs: Any) -> Any:
        """One request and its reply, decoded by vpp_papi (for the few non-bulk calls)."""
        self.doing = name
        context = self.papi.get_context()
        self.queue(name, context, kwargs)
        self.flush()
        while True:
            reply = self.papi.decode_incoming_msg(self.message(self.next()))
            if getattr(reply, "context", None) == context:
                return reply

    def dump(self, name: str, details: str, **kwargs: Any) -> List[tuple]:
        """The rows of a dump as tuples of ``LAYOUTS[details].fields``. Like vpp_papi, a control_ping
        with the same context follows the request; its reply ends the stream."""
        layout = LAYOUTS[details].struct
        self.doing = name
        context = self.papi.get_context()
        self.queue(name, context, kwargs)
        self.queue("control_ping", context, {})
        self.flush()
        details_id, end_id = self.ids[details], self.ids["control_ping_reply"]
        unpack = layout.unpack_from
        buf = self.buf
        rows = []
        while True:
            start = self.next()
            msg_id = (buf[start] << 8) | buf[start + 1]
            if msg_id == details_id:
                rows.append(unpack(buf, start))
            elif msg_id == end_id and REPLY.unpack_from(buf, start)[1] == context:
                return rows


class WireChannel:
    """The apply loop's channel on the direct path (applier.Channel): requests go out in
    batches, one sendall when half the window is free; replies are decoded with ``REPLY``
    (every request here has a plain reply: see ApiConnection.wire_ids). Each op's call is
    built as it is sent, while VPP works on the requests in flight: built all beforehand,
    the 11,001 calls of a full restore kept VPP waiting ~30 ms (docs/performance.md)."""

    batched = True

    def __init__(self, wire: Wire, ops: Sequence[Any], names: Iterable[str], timeout: float) -> None:
        self.wire = wire
        self.ops = ops
        self.timeout = timeout
        self.sent = 0
        services = wire.papi.services
        self.names = frozenset(names)  # the messages direct() checked: any other is refused
        self.reply_ids = {wire.ids[services[name]["reply"]] for name in self.names}
        self.context = wire.papi.get_context()

    def send(self, index: int) -> int:
        context = self.context = (self.context + 1) & 0xFFFFFFFF or 1
        name, kwargs = self.ops[index].api_call()
        if name not in self.names:
            raise ValueError("%s was not among the messages checked for the direct path" % name)
        self.wire.queue(name, context, kwargs)
        self.sent += 1
        return context

    def flush(self) -> None:
        try:
            self.wire.flush()
        except OSError as exc:
            raise ChannelLost(str(exc) or type(exc).__name__) from exc

    def receive(self) -> Optional[Tuple[int, int]]:
        wire = self.wire
        try:
            start = wire.next()
        except TimeoutError as exc:
            raise ChannelLost("no reply within %ss" % self.timeout) from exc
        except OSError as exc:
            raise ChannelLost(str(exc) or type(exc).__name__) from exc
        msg_id, context, retval = REPLY.unpack_from(wire.buf, start)
        return (context, retval) if msg_id in self.reply_ids else None
