"""The lb plugin's state and handler semantics, as VPP master's C code behaves (reference §1).

Pure: no sockets, no asyncio. Handlers take the decoded request values (addresses as raw
bytes, integers as sent) and return a retval, exactly like lb/api.c does before replying.
Time is VPP uptime in whole seconds from an injectable clock. ``legacy=True`` reproduces the
released-VPP (<= 26.06, lb.api 1.1.0) behaviour of §1.10 where it is observable.
"""

from __future__ import annotations

import bisect
import ipaddress
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.maglev_table import build_table_ip46

from .pool import Pool

# retvals (VNET_API_ERROR_*)
OK = 0
INVALID_SW_IF_INDEX = -2
NO_SUCH_ENTRY = -6
INVALID_MEMORY_SIZE = -70
INVALID_ARGUMENT = -73
VALUE_EXIST = -81
INVALID_ADDRESS_FAMILY = -97

# Internal VIP types (lb_vip_type_t), whose numbering released VPP leaks in dumps.
IP6_GRE6, IP6_GRE4, IP4_GRE6, IP4_GRE4, IP4_L3DSR, IP4_NAT4, IP6_NAT6 = range(7)
TYPE_NAMES = ("ip6-gre6", "ip6-gre4", "ip4-gre6", "ip4-gre4", "ip4-l3dsr", "ip4-nat4", "ip6-nat6")
# API encap (vl_api_lb_encap_type_t) reported by a master dump for each internal type.
TYPE_ENCAP = {IP6_GRE6: 1, IP6_GRE4: 0, IP4_GRE6: 1, IP4_GRE4: 0, IP4_L3DSR: 2, IP4_NAT4: 3, IP6_NAT6: 4}
ENCAP_NAMES = ("gre4", "gre6", "l3dsr", "nat4", "nat6")
# (vip is IPv4, api encap) -> internal type; anything else becomes type 0 (ip6-gre6).
ENCAP_TYPE = {
    (True, 0): IP4_GRE4,
    (True, 1): IP4_GRE6,
    (True, 2): IP4_L3DSR,
    (True, 3): IP4_NAT4,
    (False, 0): IP6_GRE4,
    (False, 1): IP6_GRE6,
    (False, 4): IP6_NAT6,
}
IP4_TYPES = (IP4_GRE6, IP4_GRE4, IP4_L3DSR, IP4_NAT4)
# Types whose application servers must be IPv4 (the encap's family, not the VIP's).
IP4_AS_TYPES = (IP6_GRE4, IP4_GRE4, IP4_L3DSR, IP4_NAT4)

LB_CONCURRENCY_TIMEOUT = 10
LB_GARBAGE_RUN = 60
DEFAULT_IP4_SRC = b"\xff" * 4
DEFAULT_IP6_SRC = b"\xff" * 16


class VppCrash(Exception):
    """VPP would die here (e.g. a new-flow table of length 0): the server restarts empty."""


def is_pow2(value: int) -> bool:
    """VPP's is_pow2: true for 0 too (which is the bug that kills VPP)."""
    return (value & (value - 1)) == 0


def mask_ip46(addr: bytes, plen: int) -> bytes:
    """ip46_prefix_normalize; lengths above 128 (bad IPv4 lengths) keep every bit."""
    plen = max(0, min(plen, 128))
    value = int.from_bytes(addr, "big")
    mask = ((1 << 128) - 1) ^ ((1 << (128 - plen)) - 1)
    return (value & mask).to_bytes(16, "big")


def is_ip4_addr(addr: bytes) -> bool:
    return addr[:12] == b"\x00" * 12


def fmt_ip46(addr: bytes) -> str:
    if is_ip4_addr(addr):
        return str(ipaddress.IPv4Address(addr[12:]))
    return str(ipaddress.IPv6Address(addr))


def swap16(value: int) -> int:
    return ((value & 0xFF) << 8) | ((value >> 8) & 0xFF)


def decode_address(address: Dict[str, Any]) -> bytes:
    """vl_api_address_t -> ip46 (ip_address_decode with IP46_TYPE_ANY)."""
    un = address.get("un", b"\x00" * 16)
    if address.get("af", 0) == 0:
        return b"\x00" * 12 + un[:4]
    return un[:16]


@dataclass
class AppServer:
    address: bytes
    weight: int
    used: bool = True
    last_used: int = 0
    global_index: int = 0


@dataclass
class Vip:
    prefix: bytes
    plen: int
    protocol: int
    port: int
    type: int
    encap_byte: int  # dscp for L3DSR, srv_type for NAT: one byte in VPP's encap_args union
    target_port_raw: int  # stored in network order, as lb/api.c does
    table_length: int
    sticky: bool
    last_gc: int
    used: bool = True
    ases: Pool[AppServer] = field(default_factory=Pool)
    by_address: Dict[bytes, int] = field(default_factory=dict)  # address -> slot (lookups in O(1))
    _counts: Optional[Dict[int, int]] = None

    @property
    def is_ip4(self) -> bool:
        return self.plen >= 96 and is_ip4_addr(self.prefix)

    def prefix_text(self) -> str:
        if self.is_ip4:
            return "%s/%d" % (fmt_ip46(self.prefix), self.plen - 96)
        return "%s/%d" % (ipaddress.IPv6Address(self.prefix), self.plen)


class LbPlugin:
    """All of the lb plugin's state, for every connection."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        linger: bool = True,
        legacy: bool = False,
        interfaces: Iterable[int] = (0,),
    ) -> None:
        self.clock = clock
        self.start = clock()
        self.offset = 0.0
        self.linger = linger
        self.legacy = legacy
        self.interfaces = set(interfaces)
        self.ip4_src = DEFAULT_IP4_SRC
        self.ip6_src = DEFAULT_IP6_SRC
        self.sticky_buckets = 1024
        self.flow_timeout = 40
        self.vips: Pool[Vip] = Pool()
        self.vips.get(Vip(b"\x00" * 16, 0, 255, 0, IP6_GRE6, 0, 0, 1, False, 0))  # placeholder VIP 0
        # (prefix, plen) -> indexes of the used VIPs on it, ascending: the lookups VPP does by
        # walking the VIP pool, in O(1) (a walk costs 1,000 steps per call at 1,000 VIPs).
        self.vips_by_prefix: Dict[Tuple[bytes, int], List[int]] = {}
        self.ass: Pool[AppServer] = Pool()
        self.ass.get(AppServer(b"\x00" * 16, 0, False))  # placeholder AS 0 (drop)
        self.nat_interfaces: Dict[str, set] = {"nat4": set(), "nat6": set()}
        self.flushes: List[Dict[str, Any]] = []
        self.next_gc = LB_GARBAGE_RUN

    # -- time and garbage collection ------------------------------------------------------

    def now(self) -> int:
        """VPP uptime in whole seconds (u32)."""
        return int(self.clock() - self.start + self.offset) & 0xFFFFFFFF

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward (tests of lingering and GC)."""
        self.offset += seconds
        self.tick()

    def tick(self) -> None:
        """lb-gc-process: a global pass every 60 s of uptime (master only)."""
        if self.legacy:
            return
        now = self.now()
        if now >= self.next_gc:
            self.garbage_collection()
            self.next_gc = now - now % LB_GARBAGE_RUN + LB_GARBAGE_RUN

    def _free_as(self, vip: Vip, slot: int) -> None:
        server = vip.ases[slot]
        vip.ases.put(slot)
        if server is not None:
            vip.by_address.pop(server.address, None)
        if server is not None:
            self.ass.put(server.global_index)

    def vip_gc(self, vip: Vip, force: bool = False) -> None:
        """lb_vip_garbage_collection: at most once per 60 s per VIP (unless forced)."""
        now = self.now()
        if not force and not now > vip.last_gc + LB_GARBAGE_RUN:
            return
        vip.last_gc = now
        for slot, server in list(vip.ases.items()):
            if not server.used and now > server.last_used + LB_CONCURRENCY_TIMEOUT:
                self._free_as(vip, slot)

    def garbage_collection(self, force: bool = False) -> None:
        """lb_garbage_collection: every VIP's pass, then free unused VIPs without ASes."""
        for index, vip in list(self.vips.items()):
            if index == 0:
                continue
            self.vip_gc(vip, force)
            if not vip.used and len(vip.ases) == 0:
                self.vips.put(index)

    # -- lookups --------------------------------------------------------------------------

    def _prefix(self, pfx: Dict[str, Any]) -> Tuple[bytes, int]:
        """API prefix -> (normalised ip46 prefix, internal plen)."""
        address = pfx.get("address", {})
        addr = decode_address(address)
        plen = pfx.get("len", 0)
        if address.get("af", 0) == 0 and not self.legacy:
            plen += 96  # released VPP forgets this (§1.10): every IPv4 VIP becomes ::/len
        return mask_ip46(addr, plen), plen

    def _find(self, prefix: bytes, plen: int, pred: Callable[[Vip], bool]) -> Optional[Tuple[int, Vip]]:
        """The first used VIP (in pool order) on this prefix that ``pred`` accepts."""
        for index in self.vips_by_prefix.get((prefix, plen), ()):
            vip = self.vips.slots[index]
            if pred(vip):
                return index, vip
        return None

    def find_vip(self, pfx: Dict[str, Any], protocol: int, port: int) -> Optional[Tuple[int, Vip]]:
        prefix, plen = self._prefix(pfx)
        if port == 0:
            protocol = 255
        return self._find(prefix, plen, lambda v: v.protocol == protocol and v.port == port)

    # -- lb_conf --------------------------------------------------------------------------

    def conf(self, ip4: bytes, ip6: bytes, sticky: int, timeout: int) -> int:
        if sticky != 0xFFFFFFFF:
            if not is_pow2(sticky):
                return INVALID_MEMORY_SIZE
            self.sticky_buckets = sticky
        if timeout != 0xFFFFFFFF:
            self.flow_timeout = timeout
        self.ip4_src = bytes(ip4)
        self.ip6_src = bytes(ip6)
        return OK

    # -- VIPs -----------------------------------------------------------------------------

    def add_del_vip(
        self,
        pfx: Dict[str, Any],
        protocol: int,
        port: int,
        encap: int,
        dscp: int,
        srv_type: int,
        target_port: int,
        length: int,
        is_del: bool,
        sticky: bool = False,
    ) -> int:
        if port == 0:
            protocol = 255
        prefix, plen = self._prefix(pfx)
        if is_del:
            found = self._find(prefix, plen, lambda v: v.protocol == protocol and v.port == port)
            if found is None:
                return NO_SUCH_ENTRY
            self._delete_vip(*found)
            return OK
        is_ip4 = plen >= 96 and is_ip4_addr(prefix)
        if self.legacy:
            # The encap is compared without ntohl: only GRE4 (0) is recognised.
            vtype = (IP4_GRE4 if is_ip4 else IP6_GRE4) if encap == 0 else IP6_GRE6
        else:
            # IPv6 + L3DSR/NAT4/unknown silently become ip6-gre6; IPv4 + NAT6/unknown fail below.
            vtype = ENCAP_TYPE.get((is_ip4, encap), IP6_GRE6)
        if self._find(prefix, plen, lambda v: v.protocol == protocol and v.port == port):
            return VALUE_EXIST
        if port != 0:
            if self._find(prefix, plen, lambda v: v.port == 0):
                return VALUE_EXIST
            other = self._find(prefix, plen, lambda v: v.protocol != protocol or v.port != port)
            if other is not None and other[1].type != vtype:
                return INVALID_ARGUMENT
        elif self._find(prefix, plen, lambda v: v.protocol != protocol or v.port != port):
            return VALUE_EXIST
        if not is_pow2(length):
            return INVALID_MEMORY_SIZE
        if (vtype in IP4_TYPES) != is_ip4:
            return INVALID_ADDRESS_FAMILY
        if length == 0:
            raise VppCrash("new_flows_table_length 0: VPP allocates a 2^32-entry table and dies")
        encap_byte = 0
        target_raw = 0
        if vtype == IP4_L3DSR:
            encap_byte = dscp & 0x3F
        elif vtype in (IP4_NAT4, IP6_NAT6):
            encap_byte = (srv_type >> 24) & 0xFF  # u32 BE enum copied into a u8 on x86
            target_raw = swap16(target_port)  # kept in network order
        vip = Vip(prefix, plen, protocol, port, vtype, encap_byte, target_raw, length, bool(sticky), self.now())
        bisect.insort(self.vips_by_prefix.setdefault((prefix, plen), []), self.vips.get(vip))
        return OK

    def _delete_vip(self, index: int, vip: Vip) -> None:
        now = self.now()
        self.vip_gc(vip)
        for _slot, server in vip.ases.items():
            server.used = False
            server.last_used = now
        vip.used = False
        vip._counts = None
        same = self.vips_by_prefix[(vip.prefix, vip.plen)]
        same.remove(index)
        if not same:
            del self.vips_by_prefix[(vip.prefix, vip.plen)]
        if not self.linger:
            for slot, _server in list(vip.ases.items()):
                self._free_as(vip, slot)
            self.vips.put(index)

    # -- application servers --------------------------------------------------------------

    def _find_as(self, vip: Vip, addr: bytes) -> Optional[Tuple[int, AppServer]]:
        slot = vip.by_address.get(addr)
        return None if slot is None else (slot, vip.ases[slot])

    def _record_flush(self, message: str, vip: Optional[Vip], addr: Optional[bytes], found: bool = True) -> None:
        self.flushes.append(
            {
                "message": message,
                "vip": vip.prefix_text() if vip else None,
                "protocol": vip.protocol if vip else None,
                "port": vip.port if vip else None,
                "as": fmt_ip46(addr) if addr is not None else None,
                "found": found,
                "uptime": self.now(),
            }
        )

    def add_del_as(
        self,
        message: str,
        pfx: Dict[str, Any],
        protocol: int,
        port: int,
        address: Dict[str, Any],
        weight: int,
        is_del: bool,
        is_flush: bool,
        v2: bool,
    ) -> int:
        found = self.find_vip(pfx, protocol, port)
        if found is None:
            return NO_SUCH_ENTRY
        _index, vip = found
        addr = decode_address(address)
        if is_del:
            existing = self._find_as(vip, addr)
            if existing is None:
                return NO_SUCH_ENTRY
            self.vip_gc(vip)  # runs before the removal is marked
            slot, server = existing
            if vip.ases[slot] is server:
                server.used = False
                server.last_used = self.now()
                if is_flush:
                    self._record_flush(message, vip, addr)
                if not self.linger:
                    self._free_as(vip, slot)
            vip._counts = None
            return OK
        existing = self._find_as(vip, addr)
        if existing is not None:
            server = existing[1]
            if server.used:
                return VALUE_EXIST
            server.used = True
            server.weight = weight
            if is_flush and v2:
                self._record_flush(message, vip, addr)
        else:
            if (vip.type in IP4_AS_TYPES) != is_ip4_addr(addr):
                return INVALID_ADDRESS_FAMILY
            server = AppServer(addr, weight)
            server.global_index = self.ass.get(server)
            vip.by_address[addr] = vip.ases.get(server)
        vip._counts = None
        self.vip_gc(vip)
        return OK

    def as_set_weight(
        self, pfx: Dict[str, Any], protocol: int, port: int, address: Dict[str, Any], weight: int, is_flush: bool
    ) -> int:
        found = self.find_vip(pfx, protocol, port)
        if found is None:
            return NO_SUCH_ENTRY
        vip = found[1]
        addr = decode_address(address)
        existing = self._find_as(vip, addr)
        if existing is None or not existing[1].used:
            return NO_SUCH_ENTRY
        existing[1].weight = weight
        vip._counts = None
        if is_flush:
            self._record_flush("lb_as_set_weight", vip, addr)
        return OK

    def flush_vip(self, pfx: Dict[str, Any], protocol: int, port: int) -> int:
        found = self.find_vip(pfx, protocol, port)
        self._record_flush("lb_flush_vip", found[1] if found else None, None, found is not None)
        return OK  # the lookup's result is overwritten by the flush's

    def intf_nat(self, family: str, is_add: bool, sw_if_index: int) -> int:
        if sw_if_index not in self.interfaces:
            return INVALID_SW_IF_INDEX
        if is_add:
            self.nat_interfaces[family].add(sw_if_index)
        else:
            self.nat_interfaces[family].discard(sw_if_index)
        return OK

    # -- the new-flow table -----------------------------------------------------------------

    def bucket_counts(self, vip: Vip) -> Dict[int, int]:
        """AS slot -> buckets, computed lazily (VPP rebuilds eagerly; nothing can tell)."""
        if vip._counts is None:
            slots = [(slot, server) for slot, server in vip.ases.items() if server.used]
            counts: Dict[int, int] = {}
            if vip.used and slots:
                table = build_table_ip46(
                    [(server.address, server.weight) for _slot, server in slots], vip.table_length, not self.legacy
                )
                for owner in table:
                    if owner >= 0:
                        slot = slots[owner][0]
                        counts[slot] = counts.get(slot, 0) + 1
            vip._counts = counts
        return vip._counts

    # -- dumps ------------------------------------------------------------------------------

    def vip_dump(self) -> List[Tuple[int, Vip]]:
        """lb_vip_dump ignores its filter; released VPP also lists lingering VIPs."""
        return [(i, v) for i, v in self.vips.items() if i and (v.used or self.legacy)]

    def as_dump(self, pfx: Dict[str, Any], protocol: int, port: int) -> List[Tuple[Vip, int, AppServer]]:
        raw = pfx.get("address", {}).get("un", b"\x00" * 16)
        rows = []
        for index, vip in self.vips.items():
            if not index:
                continue
            if any(raw):
                wanted_port = swap16(port) if self.legacy else port
                if raw != vip.prefix or protocol != vip.protocol or wanted_port != vip.port:
                    continue
            for slot, server in vip.ases.items():
                rows.append((vip, slot, server))
        return rows

    # -- introspection ------------------------------------------------------------------------

    def snapshot(self) -> Dict[str, Any]:
        """The whole state as JSON-friendly data (the control interface's ``state``)."""
        vips = []
        for index, vip in self.vips.items():
            if not index:
                continue
            counts = self.bucket_counts(vip)
            vips.append(
                {
                    "index": index,
                    "prefix": vip.prefix_text(),
                    "protocol": vip.protocol,
                    "port": vip.port,
                    "type": TYPE_NAMES[vip.type],
                    "encap": ENCAP_NAMES[TYPE_ENCAP[vip.type]],
                    "dscp": vip.encap_byte if vip.type == IP4_L3DSR else 0,
                    "srv_type": vip.encap_byte if vip.type in (IP4_NAT4, IP6_NAT6) else 0,
                    "target_port": swap16(vip.target_port_raw),
                    "new_flows_table_length": vip.table_length,
                    "src_ip_sticky": vip.sticky,
                    "used": vip.used,
                    "ases": [
                        {
                            "address": fmt_ip46(server.address),
                            "slot": slot,
                            "weight": server.weight,
                            "used": server.used,
                            "flags": 1 if server.used else 0,
                            "num_buckets": counts.get(slot, 0),
                            "in_use_since": server.last_used,
                        }
                        for slot, server in vip.ases.items()
                    ],
                }
            )
        return {
            "uptime": self.now(),
            "conf": {
                "ip4_src_address": str(ipaddress.IPv4Address(self.ip4_src)),
                "ip6_src_address": str(ipaddress.IPv6Address(self.ip6_src)),
                "sticky_buckets_per_core": self.sticky_buckets,
                "flow_timeout": self.flow_timeout,
            },
            "vips": vips,
            "nat_interfaces": {k: sorted(v) for k, v in self.nat_interfaces.items()},
            "interfaces": sorted(self.interfaces),
            "flushes": list(self.flushes),
        }
