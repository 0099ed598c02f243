"""The lb plugin's tables: the VIP and AS pools, their indexes, VPP uptime and garbage collection.

Pure: no sockets, no asyncio. What the API handlers (lb.py) act on and the dumps, the CLI
and the control interface read. Time is VPP uptime in whole seconds from an injectable
clock; lingering and collection follow docs/vpp-lb-reference.md#lingering-and-garbage-collection.
"""

from __future__ import annotations

import bisect
import ipaddress
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.maglev_table import build_table_ip46

from .lb_types import (
    DEFAULT_IP4_SRC,
    DEFAULT_IP6_SRC,
    ENCAP_NAMES,
    IP4_L3DSR,
    IP4_NAT4,
    IP6_GRE6,
    IP6_NAT6,
    LB_CONCURRENCY_TIMEOUT,
    LB_GARBAGE_RUN,
    TYPE_ENCAP,
    TYPE_NAMES,
    AppServer,
    Vip,
    decode_address,
    fmt_ip46,
    mask_ip46,
    swap16,
)
from .pool import Pool
from .traffic import COUNTER_NAMES, TrafficModel


class LbTables:
    """Every VIP and AS the plugin holds, shared by all connections (VPP's lb_main)."""

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
        self.traffic = TrafficModel()

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

    def free_as(self, vip: Vip, slot: int) -> None:
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
            # An AS that sticky entries still point at is kept, however long ago it went.
            if (
                not server.used
                and now > server.last_used + LB_CONCURRENCY_TIMEOUT
                and self.traffic.flows(server.global_index) == 0
            ):
                self.free_as(vip, slot)

    def garbage_collection(self, force: bool = False) -> None:
        """lb_garbage_collection: every VIP's pass, then free unused VIPs without ASes."""
        for index, vip in list(self.vips.items()):
            if index == 0:
                continue
            self.vip_gc(vip, force)
            if not vip.used and len(vip.ases) == 0:
                self.vips.put(index)

    # -- lookups --------------------------------------------------------------------------

    def vip_prefix(self, pfx: Dict[str, Any]) -> Tuple[bytes, int]:
        """API prefix -> (normalised ip46 prefix, internal plen)."""
        address = pfx.get("address", {})
        addr = decode_address(address)
        plen = pfx.get("len", 0)
        if address.get("af", 0) == 0 and not self.legacy:
            plen += 96  # released VPP forgets this: every IPv4 VIP becomes ::/len (#released-vpp)
        return mask_ip46(addr, plen), plen

    def find_on_prefix(self, prefix: bytes, plen: int, pred: Callable[[Vip], bool]) -> Optional[Tuple[int, Vip]]:
        """The first used VIP (in pool order) on this prefix that ``pred`` accepts."""
        for index in self.vips_by_prefix.get((prefix, plen), ()):
            vip = self.vips.slots[index]
            if pred(vip):
                return index, vip
        return None

    def find_vip(self, pfx: Dict[str, Any], protocol: int, port: int) -> Optional[Tuple[int, Vip]]:
        prefix, plen = self.vip_prefix(pfx)
        if port == 0:
            protocol = 255
        return self.find_on_prefix(prefix, plen, lambda v: v.protocol == protocol and v.port == port)

    def index_vip(self, vip: Vip) -> int:
        """Store a new VIP in the pool and in the prefix index; returns its pool index."""
        index = self.vips.get(vip)
        bisect.insort(self.vips_by_prefix.setdefault((vip.prefix, vip.plen), []), index)
        self.traffic.vip_added(index)  # lb_vip_add validates and zeroes the index's counters
        return index

    def unindex_vip(self, index: int, vip: Vip) -> None:
        """Take a deleted VIP out of the lookups (it stays in the pool while it lingers)."""
        same = self.vips_by_prefix[(vip.prefix, vip.plen)]
        same.remove(index)
        if not same:
            del self.vips_by_prefix[(vip.prefix, vip.plen)]

    def lb_node_vip(self, address: bytes, protocol: int, port: int) -> Optional[Tuple[int, Vip]]:
        """The VIP a packet to `address` (ip46) reaches: None when no VIP prefix holds the
        address (the FIB does not send it to the lb node); the placeholder VIP 0 when the
        prefix has per-port VIPs but none for this protocol and port (node.c's per-port
        lookup misses). Only TCP and UDP have ports; any other protocol looks up port 0."""
        best: Optional[Tuple[bytes, int]] = None
        for prefix, plen in self.vips_by_prefix:
            if mask_ip46(address, plen) == prefix and (best is None or plen > best[1]):
                best = (prefix, plen)
        if best is None:
            return None
        if protocol not in (6, 17):
            port = 0
        found = self.find_on_prefix(best[0], best[1], lambda v: v.port == 0)
        if found is None:
            found = self.find_on_prefix(best[0], best[1], lambda v: v.protocol == protocol and v.port == port)
        return found if found is not None else (0, self.vips.slots[0])

    def find_as(self, vip: Vip, addr: bytes) -> Optional[Tuple[int, AppServer]]:
        slot = vip.by_address.get(addr)
        return None if slot is None else (slot, vip.ases[slot])

    # -- the new-flow table -----------------------------------------------------------------

    def bucket_counts(self, vip: Vip) -> Dict[int, int]:
        """AS slot -> buckets, computed lazily (VPP rebuilds eagerly; nothing can tell)."""
        if vip._counts is None:
            slots = [(slot, server) for slot, server in vip.ases.items() if server.used]
            counts: Dict[int, int] = {}
            flow_table = [0] * vip.table_length
            if vip.used and slots:
                table = build_table_ip46(
                    [(server.address, server.weight) for _slot, server in slots], vip.table_length, not self.legacy
                )
                for bucket, owner in enumerate(table):
                    if owner >= 0:
                        slot, server = slots[owner]
                        counts[slot] = counts.get(slot, 0) + 1
                        flow_table[bucket] = server.global_index
            vip._counts = counts
            vip._flow_table = flow_table
        return vip._counts

    def new_flow_table(self, vip: Vip) -> List[int]:
        """The AS pool index of each bucket (0: the drop AS), as the lb node reads it."""
        self.bucket_counts(vip)
        return vip._flow_table

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
                    "counters": {name: self.traffic.counter(name, index) for name in COUNTER_NAMES},
                    "ases": [
                        {
                            "address": fmt_ip46(server.address),
                            "slot": slot,
                            "weight": server.weight,
                            "used": server.used,
                            "flags": 1 if server.used else 0,
                            "num_buckets": counts.get(slot, 0),
                            "in_use_since": server.last_used,
                            "flows": self.traffic.flows(server.global_index),
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
            "sticky_tables": [
                {"thread": thread, "timeout": timeout, "live": live, "size": size}
                for thread, timeout, live, size in self.traffic.sticky_tables(self.now())
            ],
            "interfaces": sorted(self.interfaces),
            "flushes": list(self.flushes),
        }
