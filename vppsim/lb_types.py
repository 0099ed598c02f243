"""The lb plugin's values: retvals, VIP types, ip46 addresses, and the VIP and AS records.

Pure data and helpers shared by the plugin model (lb_tables.py, lb.py), its binary-API
handlers (lb_api.py) and its CLI text (cli.py). docs/vpp-lb-reference.md says where each
number comes from.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .pool import Pool

# retvals (VNET_API_ERROR_*): docs/vpp-lb-reference.md#error-codes
OK = 0
INVALID_SW_IF_INDEX = -2
NO_SUCH_ENTRY = -6
INVALID_MEMORY_SIZE = -70
INVALID_ARGUMENT = -73
VALUE_EXIST = -81
INVALID_ADDRESS_FAMILY = -97

# Internal VIP types (lb_vip_type_t), whose numbering released VPP leaks in dumps
# (docs/vpp-lb-reference.md#vips, #released-vpp).
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

# docs/vpp-lb-reference.md#lingering-and-garbage-collection
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
    _flow_table: List[int] = field(default_factory=list)  # AS pool index per bucket; with _counts

    @property
    def is_ip4(self) -> bool:
        return self.plen >= 96 and is_ip4_addr(self.prefix)

    def prefix_text(self) -> str:
        if self.is_ip4:
            return "%s/%d" % (fmt_ip46(self.prefix), self.plen - 96)
        return "%s/%d" % (ipaddress.IPv6Address(self.prefix), self.plen)
