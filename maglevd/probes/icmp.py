"""icmp: echo request / reply, IPv4 and IPv6.

One ICMP socket per (family, source address) is shared by every icmp probe and demultiplexes
replies by (address, sequence). It is an unprivileged datagram ICMP socket when the kernel
allows it (sysctl net.ipv4.ping_group_range), else a raw socket (CAP_NET_RAW). When neither
can be opened, `IcmpUnavailable` is raised once, when the checker starts, so the operator sees
one clear error rather than every icmp backend going down.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from ipaddress import ip_address
from typing import Dict, Optional, Tuple

from .base import IPAddress, Probe, ProbeFailure
from .result import ProbeResult, fail, passed
from .sockets import SocketFactory

_ECHO_REQUEST = {4: 8, 6: 128}
_ECHO_REPLY = {4: 0, 6: 129}
_UNREACHABLE = {4: (3, 11), 6: (1, 3)}  # destination unreachable, time exceeded
_PAYLOAD = b"maglevd-probe\x00\x00\x00"


class IcmpUnavailable(Exception):
    """Neither a datagram nor a raw ICMP socket can be opened."""


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


class IcmpSocket:
    def __init__(self, version: int, source: Optional[IPAddress], factory: SocketFactory) -> None:
        family = socket.AF_INET6 if version == 6 else socket.AF_INET
        proto = socket.IPPROTO_ICMPV6 if version == 6 else socket.IPPROTO_ICMP
        self.version = version
        try:
            self.sock = factory.socket(family, socket.SOCK_DGRAM, proto)
            self.raw = False
        except OSError:
            try:
                self.sock = factory.socket(family, socket.SOCK_RAW, proto)
                self.raw = True
            except OSError as exc:
                raise IcmpUnavailable(
                    f"icmp healthchecks cannot run: no unprivileged ICMP socket (sysctl net.ipv4.ping_group_range "
                    f"must include the daemon's group) and no raw socket ({exc.strerror}; needs CAP_NET_RAW)"
                )
        if source is not None:
            try:
                self.sock.bind((str(source), 0))
            except OSError as exc:
                self.sock.close()
                raise IcmpUnavailable(f"icmp: cannot bind to probe source {source}: {exc.strerror}")
        self.ident = (os.getpid() ^ id(self)) & 0xFFFF
        self.seq = 0
        self.pending: Dict[Tuple[str, int], asyncio.Future] = {}
        self.loop: Optional[asyncio.AbstractEventLoop] = None

    def _ensure_reader(self) -> None:
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
            self.loop.add_reader(self.sock.fileno(), self._on_readable)

    def send(self, address: IPAddress) -> Tuple[Tuple[str, int], asyncio.Future]:
        self._ensure_reader()
        assert self.loop is not None
        for _attempt in range(0x10000):  # find a free sequence number for this address
            self.seq = (self.seq + 1) & 0xFFFF
            key = (str(address), self.seq)
            if key not in self.pending:
                break
        header = struct.pack("!BBHHH", _ECHO_REQUEST[self.version], 0, 0, self.ident, self.seq)
        checksum = _checksum(header + _PAYLOAD) if self.version == 4 else 0  # the kernel sums ICMPv6
        packet = struct.pack("!BBHHH", _ECHO_REQUEST[self.version], 0, checksum, self.ident, self.seq) + _PAYLOAD
        future = self.loop.create_future()
        try:
            self.sock.sendto(packet, (str(address), 0))
        except OSError as exc:
            raise ProbeFailure("L3UNR", f"send: {exc.strerror or exc}")
        self.pending[key] = future
        return key, future

    def forget(self, key: Tuple[str, int]) -> None:
        self.pending.pop(key, None)

    def _resolve(self, key: Tuple[str, int], result: ProbeResult) -> None:
        future = self.pending.pop(key, None)
        if future is not None and not future.done():
            future.set_result(result)

    def _on_readable(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # e.g. a queued ICMP error on a datagram socket; the probe will time out
            self._handle(data, peer[0].split("%", 1)[0])

    def _handle(self, data: bytes, peer: str) -> None:
        if self.raw and self.version == 4:
            data = data[(data[0] & 0x0F) * 4 :]  # raw IPv4 sockets deliver the IP header too
        if len(data) < 8:
            return
        kind, code = data[0], data[1]
        if kind == _ECHO_REPLY[self.version]:
            ident, seq = struct.unpack_from("!HH", data, 4)
            if self.raw and ident != self.ident:
                return  # someone else's ping
            self._resolve((peer, seq), passed("L3OK", "echo reply"))
        elif kind in _UNREACHABLE[self.version]:
            inner = data[8:]
            if self.version == 4:
                if len(inner) < 20:
                    return
                ihl = (inner[0] & 0x0F) * 4
                target = str(ip_address(inner[16:20]))
                echo = inner[ihl : ihl + 8]
            else:
                if len(inner) < 48:
                    return
                target = str(ip_address(inner[24:40]))
                echo = inner[40:48]
            if len(echo) < 8 or echo[0] != _ECHO_REQUEST[self.version]:
                return
            ident, seq = struct.unpack_from("!HH", echo, 4)
            if self.raw and ident != self.ident:
                return
            self._resolve((target, seq), fail("L3UNR", f"ICMP type {kind} code {code} from {peer}"))

    def close(self) -> None:
        if self.loop is not None:
            self.loop.remove_reader(self.sock.fileno())
            self.loop = None
        self.sock.close()
        for future in self.pending.values():
            if not future.done():
                future.cancel()
        self.pending.clear()


class IcmpSockets:
    """The shared sockets, opened on first use per (family, source)."""

    def __init__(self, factory: Optional[SocketFactory] = None) -> None:
        self.factory = factory or SocketFactory()
        self.sockets: Dict[Tuple[int, Optional[str]], IcmpSocket] = {}

    def get(self, version: int, source: Optional[IPAddress]) -> IcmpSocket:
        key = (version, str(source) if source is not None else None)
        sock = self.sockets.get(key)
        if sock is None:
            sock = self.sockets[key] = IcmpSocket(version, source, self.factory)
        return sock

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close()
        self.sockets.clear()


class IcmpProbe(Probe):
    type = "icmp"
    initial_timeout_code = "L3TOUT"

    def __init__(self, address: IPAddress, timeout: float, sock: IcmpSocket) -> None:
        super().__init__(address, timeout)
        self.sock = sock

    async def check(self) -> ProbeResult:
        key, future = self.sock.send(self.address)
        try:
            return await future
        finally:
            self.sock.forget(key)
