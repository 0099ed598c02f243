"""The lb node's flow hash and the simulated clients whose flows it hashes.

VPP (x86-64, SSE4.2) hashes a packet with ``lb_hash_hash``: five u64 words folded through the
CRC32C instruction from 0, no inversion. Read as bytes, the message is the IPv4 address pair
(or the IPv6 source then destination) followed by the two L4 ports as they sit in the header,
zero-padded to 40 bytes; an ``src_ip_sticky`` VIP leaves the ports out
(docs/vppsim.md#the-flow-hash). A raw CRC is linear in its message, so the hash of a flow is
the XOR of per-position table entries: a fixed VIP costs a few lookups per flow.

Flows are picked from a seed: flow ``i`` of seed ``s`` is a source address and port drawn by a
bijection of ``i``, so one command's flows are distinct and the same seed replays the same
flows (docs/vppsim.md#picking-flows).
"""

from __future__ import annotations

import ipaddress
from typing import Dict, Iterator, List, Tuple

_POLY = 0x82F63B78  # CRC32C (Castagnoli), reflected
MESSAGE_BYTES = 40  # five u64 words
# Simulated clients: RFC 2544's benchmarking range for IPv4, the documentation prefix for IPv6.
CLIENT_NET4 = int(ipaddress.IPv4Address("198.18.0.0"))  # /15: 17 bits of source address
CLIENT_NET6 = int(ipaddress.IPv6Address("2001:db8:c11e::"))  # /96 + 17 bits
PORT_BASE = 32768  # 15 bits of source port: 2^32 distinct (address, port) pairs per seed
_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF


def _byte_table() -> List[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _bit in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _byte_table()


def crc32c_raw(data: bytes, crc: int = 0) -> int:
    """CRC32C without the initial and final inversion, as the SSE4.2 instruction computes it."""
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def lb_hash(message: bytes) -> int:
    """lb_hash_hash over the 40-byte message (the reference the fast path is tested against)."""
    return crc32c_raw(message.ljust(MESSAGE_BYTES, b"\x00"))


def flow_message(src: bytes, dst: bytes, sport: int, dport: int, with_ports: bool) -> bytes:
    """The bytes VPP hashes for one packet: addresses, then destination and source port as
    the header holds them (network order), then zeros."""
    ports = dport.to_bytes(2, "big") + sport.to_bytes(2, "big") if with_ports else b""
    return (src + dst + ports).ljust(MESSAGE_BYTES, b"\x00")


_position_cache: Dict[int, List[int]] = {}  # position -> byte table; -position -> pair table


def _position_table(position: int) -> List[int]:
    """hash contribution of each byte value at `position` of a 40-byte message (others 0)."""
    table = _position_cache.get(position)
    if table is None:
        trailing = b"\x00" * (MESSAGE_BYTES - position - 1)
        table = [crc32c_raw(trailing, _TABLE[byte]) for byte in range(256)]
        _position_cache[position] = table
    return table


def _pair_table(position: int) -> List[int]:
    """The same for the 16-bit big-endian value at `position`, `position` + 1."""
    table = _position_cache.get(-position)
    if table is None:
        high, low = _position_table(position), _position_table(position + 1)
        table = _position_cache[-position] = [h ^ low_value for h in high for low_value in low]
    return table


def _mix(value: int, key: int) -> int:
    """A keyed bijection of 32-bit values: a Weyl step (odd multiplier) then an xorshift."""
    value = (((value ^ key) & _M32) * 0x9E3779B1 + (key >> 32)) & _M32
    return value ^ (value >> 16)


def _seed_key(seed: int) -> int:
    """splitmix64 of the seed: two 32-bit keys for _mix."""
    z = (seed + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


class FlowSource:
    """The flows of one seed towards one VIP address and port, with VPP's hash of each."""

    def __init__(self, vip_address: bytes, dport: int, with_ports: bool, seed: int, clients: int = 0) -> None:
        self.is_ip4 = len(vip_address) == 4
        self.clients = clients  # 0: every flow its own client; M: flow i comes from client i % M
        self.vip_address = vip_address
        self.dport = dport
        self.with_ports = with_ports
        self.key = _seed_key(seed)
        # The client address varies in its last 3 bytes (17 bits used), the port in 2 bytes.
        src_end = 4 if self.is_ip4 else 16
        self.fixed = lb_hash(flow_message(self._src(0), vip_address, 0, dport if with_ports else 0, with_ports))
        self.src_high = _position_table(src_end - 3)
        self.src_low = _pair_table(src_end - 2)
        sport_at = 2 * src_end + 2
        self.sport = _pair_table(sport_at) if with_ports else None

    def _src(self, client: int) -> bytes:
        if self.is_ip4:
            return (CLIENT_NET4 + client).to_bytes(4, "big")
        return (CLIENT_NET6 + client).to_bytes(16, "big")

    def _base_high(self) -> int:
        return (CLIENT_NET4 if self.is_ip4 else CLIENT_NET6) >> 16 & 0xFF

    def flow(self, index: int) -> Tuple[bytes, int]:
        """Flow `index`: (client address bytes, source port)."""
        if self.clients:
            value = _mix(index % self.clients, self.key)
            return self._src(value >> 15), PORT_BASE + ((value + index // self.clients) & 0x7FFF)
        value = _mix(index, self.key)
        return self._src(value >> 15), PORT_BASE + (value & 0x7FFF)

    def hashes(self, first: int, count: int) -> Iterator[int]:
        """VPP's hash of flows first .. first+count-1, in order."""
        if self.clients:
            for index in range(first, first + count):
                yield self.hash_of(*self.flow(index))
            return
        fixed, high, low, sport, key = self.fixed, self.src_high, self.src_low, self.sport, self.key
        base_high = self._base_high()
        low_key, high_key = key & _M32, key >> 32
        for index in range(first, first + count):
            value = (((index ^ low_key) & _M32) * 0x9E3779B1 + high_key) & _M32  # _mix, inlined
            value ^= value >> 16
            client = value >> 15
            # The client's bytes XOR-differ from the fixed message's (client 0) only here.
            result = fixed ^ high[base_high ^ (base_high + (client >> 16))] ^ low[client & 0xFFFF]
            if sport is not None:
                result ^= sport[PORT_BASE + (value & 0x7FFF)]
            yield result

    def hash_of(self, src: bytes, sport: int) -> int:
        """VPP's hash of one flow from `src`:`sport` to this VIP."""
        client = int.from_bytes(src, "big") - (CLIENT_NET4 if self.is_ip4 else CLIENT_NET6)
        base_high = self._base_high()
        result = self.fixed ^ self.src_high[base_high ^ (base_high + (client >> 16))] ^ self.src_low[client & 0xFFFF]
        return result ^ self.sport[sport] if self.sport is not None else result
