# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Value types for VPP's load-balancer state, shared by the planner, vppclient and maglevd.

Everything here is normalised on construction (host bits masked, an all-port VIP is
protocol "any", attributes VPP ignores for an encap are zeroed) so that a desired state
built from config and a current state read from VPP compare equal when VPP would treat
them as equal. No I/O, no Ansible imports: the daemon uses this module too.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Optional, Union

# What a VIP may be (protocols, encaps, table lengths) is a rule of the VIP: defined once in
# rules/frontend.py and re-exported here for the value types' users (docs/design.md).
from .rules.frontend import (
    DEFAULT_TABLE_LENGTH,
    ENCAP_FAMILY,
    ENCAPS,
    MAX_TABLE_LENGTH,
    PROTOCOLS,
    SRV_TYPES,
    VIP_FAMILY_ENCAPS,
)
from .rules.values import is_power_of_two

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
PROTOCOL_NAMES = {number: name for name, number in PROTOCOLS.items()}
__all__ = [
    "ENCAPS",
    "ENCAP_FAMILY",
    "MAX_TABLE_LENGTH",
    "SRV_TYPES",
    "VIP_FAMILY_ENCAPS",
    "is_power_of_two",
]


def ip_sort_key(address: IPAddress) -> tuple:
    """Numeric order, IPv4 before IPv6 (vpp-maglev's deterministic AS order)."""
    return (address.version, int(address))


# One object per distinct address: dict comparisons of AS sets then succeed on identity
# instead of calling ipaddress's Python-level __eq__ 64,000 times per no-op plan.
_ADDRESSES: Dict[IPAddress, IPAddress] = {}


def intern_address(address: IPAddress) -> IPAddress:
    return _ADDRESSES.setdefault(address, address)


@dataclass(frozen=True, eq=False)
class VipKey:
    """How VPP identifies a VIP: (masked prefix, protocol, port); nothing else."""

    prefix: IPNetwork
    protocol: int
    port: int
    # Cached: the planner hashes and sorts tens of thousands of keys per run.
    _hash: int = field(default=0, init=False, repr=False, compare=False)
    _sort: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        net = self.prefix
        object.__setattr__(self, "_hash", hash((int(net.network_address), net.prefixlen, self.protocol, self.port)))
        object.__setattr__(
            self, "_sort", (net.version, int(net.network_address), net.prefixlen, self.port, self.protocol)
        )

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, VipKey) and self._sort == other._sort)

    @classmethod
    def make(cls, prefix: Union[str, IPNetwork], protocol: Union[int, str], port: int) -> VipKey:
        network = ipaddress.ip_network(prefix, strict=False)
        number = PROTOCOLS[protocol] if isinstance(protocol, str) else int(protocol)
        if port == 0:
            number = 255
        return cls(network, number, int(port))

    @property
    def family(self) -> int:
        return self.prefix.version

    @property
    def protocol_name(self) -> str:
        return PROTOCOL_NAMES.get(self.protocol, str(self.protocol))

    def sort_key(self) -> tuple:
        return self._sort

    def __str__(self) -> str:
        if self.port == 0:
            return "%s all-ports" % self.prefix
        return "%s %s:%d" % (self.prefix, self.protocol_name, self.port)


@dataclass(frozen=True)
class VipAttrs:
    """The attributes VPP fixes when a VIP is created; changing any means delete + add."""

    encap: str = "gre4"
    dscp: int = 0
    srv_type: str = "clusterip"
    target_port: int = 0
    new_flows_table_length: int = DEFAULT_TABLE_LENGTH
    src_ip_sticky: bool = False

    def normalised(self) -> VipAttrs:
        """Zero what VPP ignores for this encap, so equal VIPs compare equal."""
        nat = self.encap in ("nat4", "nat6")
        return VipAttrs(
            encap=self.encap,
            dscp=self.dscp & 0x3F if self.encap == "l3dsr" else 0,
            srv_type=self.srv_type if nat else "clusterip",
            target_port=self.target_port if nat else 0,
            new_flows_table_length=self.new_flows_table_length,
            src_ip_sticky=bool(self.src_ip_sticky),
        )

    def differences(self, other: VipAttrs) -> list:
        """Names of the attributes that differ (for 'recreated because ...' messages)."""
        return [name for name in self.__dataclass_fields__ if getattr(self, name) != getattr(other, name)]


@dataclass
class Vip:
    """One VIP and its application servers.

    ``ases`` maps each live AS address to its weight (0-100). ``flush`` is meaningful in a
    desired state only: the ASes whose move to weight 0 should also evict established flows.
    It never takes part in equality.
    """

    key: VipKey
    attrs: VipAttrs = field(default_factory=VipAttrs)
    ases: Dict[IPAddress, int] = field(default_factory=dict)
    flush: FrozenSet[IPAddress] = field(default=frozenset(), compare=False)

    def __post_init__(self) -> None:
        intern = _ADDRESSES.setdefault  # intern_address, without a call per AS
        self.ases = {intern(addr, addr): weight for addr, weight in self.ases.items()}
        self.flush = frozenset(intern(addr, addr) for addr in self.flush)

    @classmethod
    def of_interned(cls, key: VipKey, attrs: VipAttrs, ases: Dict[IPAddress, int], flush: FrozenSet[IPAddress]) -> Vip:
        """A Vip from addresses that are interned already (config_backends interns each
        backend's address once): no second hash per AS (desired.py; docs/performance.md)."""
        vip = object.__new__(cls)
        vip.key, vip.attrs, vip.ases, vip.flush = key, attrs, ases, flush
        return vip

    def copy(self) -> Vip:
        clone = object.__new__(Vip)  # skip __post_init__: the addresses are interned already
        clone.key, clone.attrs, clone.ases, clone.flush = self.key, self.attrs, dict(self.ases), self.flush
        return clone

    def serving(self) -> bool:
        """True when at least one AS gets new flows."""
        return any(weight > 0 for weight in self.ases.values())


@dataclass(frozen=True)
class LbConf:
    """VPP's global lb settings. ``None`` in a desired conf means 'leave as it is'."""

    ip4_src_address: Optional[ipaddress.IPv4Address] = None
    ip6_src_address: Optional[ipaddress.IPv6Address] = None
    sticky_buckets_per_core: Optional[int] = None
    flow_timeout: Optional[int] = None

    def merged_over(self, current: LbConf) -> LbConf:
        """This desired conf with the unset fields taken from ``current``."""
        return LbConf(
            *(
                mine if mine is not None else theirs
                for mine, theirs in zip(
                    (self.ip4_src_address, self.ip6_src_address, self.sticky_buckets_per_core, self.flow_timeout),
                    (
                        current.ip4_src_address,
                        current.ip6_src_address,
                        current.sticky_buckets_per_core,
                        current.flow_timeout,
                    ),
                )
            )
        )

    def is_empty(self) -> bool:
        return self == LbConf()


# What a VPP that has just started reports (docs/vppsim.md).
VPP_DEFAULT_CONF = LbConf(
    ip4_src_address=ipaddress.IPv4Address("255.255.255.255"),
    ip6_src_address=ipaddress.IPv6Address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    sticky_buckets_per_core=1024,
    flow_timeout=40,
)


@dataclass
class LbState:
    """The whole LB: global conf plus every VIP by key."""

    conf: LbConf = field(default_factory=LbConf)
    vips: Dict[VipKey, Vip] = field(default_factory=dict)

    def copy(self) -> LbState:
        return LbState(self.conf, {key: vip.copy() for key, vip in self.vips.items()})

    def sorted_keys(self) -> list:
        return sorted(self.vips, key=VipKey.sort_key)
