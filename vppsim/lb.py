"""The lb plugin's API semantics, as VPP master's lb/api.c and lb.c behave.

Pure: no sockets, no asyncio. Handlers take the decoded request values (addresses as raw
bytes, integers as sent) and return a retval, exactly like lb/api.c does before replying
(docs/vpp-lb-reference.md#vips, #application-servers, #error-codes). ``legacy=True``
reproduces released VPP (<= 26.06, lb.api 1.1.0) where it is observable
(docs/vpp-lb-reference.md#released-vpp). The tables they act on are lb_tables.py.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from .lb_tables import LbTables
from .lb_types import (
    ENCAP_TYPE,
    INVALID_ADDRESS_FAMILY,
    INVALID_ARGUMENT,
    INVALID_MEMORY_SIZE,
    INVALID_SW_IF_INDEX,
    IP4_AS_TYPES,
    IP4_GRE4,
    IP4_L3DSR,
    IP4_NAT4,
    IP4_TYPES,
    IP6_GRE4,
    IP6_GRE6,
    IP6_NAT6,
    NO_SUCH_ENTRY,
    OK,
    VALUE_EXIST,
    AppServer,
    Vip,
    VppCrash,
    decode_address,
    fmt_ip46,
    is_ip4_addr,
    is_pow2,
    swap16,
)


class LbPlugin(LbTables):
    """The lb messages' effects on the tables: lb_conf, VIPs, ASes, weights, flushes, NAT."""

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
        prefix, plen = self.vip_prefix(pfx)
        if is_del:
            found = self.find_on_prefix(prefix, plen, lambda v: v.protocol == protocol and v.port == port)
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
        if self.find_on_prefix(prefix, plen, lambda v: v.protocol == protocol and v.port == port):
            return VALUE_EXIST
        if port != 0:
            if self.find_on_prefix(prefix, plen, lambda v: v.port == 0):
                return VALUE_EXIST
            other = self.find_on_prefix(prefix, plen, lambda v: v.protocol != protocol or v.port != port)
            if other is not None and other[1].type != vtype:
                return INVALID_ARGUMENT
        elif self.find_on_prefix(prefix, plen, lambda v: v.protocol != protocol or v.port != port):
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
        self.index_vip(vip)
        return OK

    def _delete_vip(self, index: int, vip: Vip) -> None:
        now = self.now()
        self.vip_gc(vip)
        for _slot, server in vip.ases.items():
            server.used = False
            server.last_used = now
        vip.used = False
        vip._counts = None
        self.unindex_vip(index, vip)
        if not self.linger:
            for slot, _server in list(vip.ases.items()):
                self.free_as(vip, slot)
            self.vips.put(index)

    # -- application servers --------------------------------------------------------------

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
        index, vip = found
        addr = decode_address(address)
        if is_del:
            existing = self.find_as(vip, addr)
            if existing is None:
                return NO_SUCH_ENTRY
            self.vip_gc(vip)  # runs before the removal is marked
            slot, server = existing
            if vip.ases[slot] is server:
                server.used = False
                server.last_used = self.now()
                if is_flush:
                    self._record_flush(message, vip, addr)
                    self.traffic.flush(index, server.global_index)
                if not self.linger:
                    self.free_as(vip, slot)
            vip._counts = None
            return OK
        existing = self.find_as(vip, addr)
        if existing is not None:
            server = existing[1]
            if server.used:
                return VALUE_EXIST
            server.used = True
            server.weight = weight
            if is_flush and v2:
                self._record_flush(message, vip, addr)
                self.traffic.flush(index, server.global_index)  # the old incarnation's entries
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
        index, vip = found
        addr = decode_address(address)
        existing = self.find_as(vip, addr)
        if existing is None or not existing[1].used:
            return NO_SUCH_ENTRY
        existing[1].weight = weight
        vip._counts = None
        if is_flush:
            self._record_flush("lb_as_set_weight", vip, addr)
            self.traffic.flush(index, existing[1].global_index)  # a hard drain
        return OK

    def flush_vip(self, pfx: Dict[str, Any], protocol: int, port: int) -> int:
        found = self.find_vip(pfx, protocol, port)
        self._record_flush("lb_flush_vip", found[1] if found else None, None, found is not None)
        if found is not None:
            self.traffic.flush(found[0])
        return OK  # the lookup's result is overwritten by the flush's

    def intf_nat(self, family: str, is_add: bool, sw_if_index: int) -> int:
        if sw_if_index not in self.interfaces:
            return INVALID_SW_IF_INDEX
        if is_add:
            self.nat_interfaces[family].add(sw_if_index)
        else:
            self.nat_interfaces[family].discard(sw_if_index)
        return OK
