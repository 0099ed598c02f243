# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The validated maglev.yaml, as immutable value types.

config.py builds these from YAML (and reports every error with its path); maglevd, the
state module and the filters read them. Durations are float seconds. Defaults follow
vpp-maglev; docs/config-reference.md lists every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .lb_model import IPAddress, IPNetwork, LbConf, VipAttrs, VipKey


@dataclass(frozen=True)
class HttpParams:
    """params of an http/https healthcheck."""

    method: str = "GET"
    path: str = "/"
    host: Optional[str] = None  # Host header; default: the backend address
    # Accepted status codes as inclusive ranges; default 200-399.
    response_codes: Tuple[Tuple[int, int], ...] = ((200, 399),)
    body: Optional[str] = None  # regular expression searched in the first body_limit bytes
    body_limit: int = 16384
    server_name: Optional[str] = None  # TLS SNI; default: host, else none
    insecure: bool = False  # https: skip certificate verification
    ca_file: Optional[str] = None  # https: CA bundle to verify against


@dataclass(frozen=True)
class TcpParams:
    """params of a tcp healthcheck: connect, optionally send and expect."""

    send: Optional[str] = None
    expect: Optional[str] = None  # regular expression searched in what the server sends
    read_limit: int = 4096


@dataclass(frozen=True)
class HealthCheck:
    name: str
    type: str
    port: Optional[int] = None  # required for tcp/http/https
    interval: float = 2.0
    fast_interval: Optional[float] = None  # default: interval / 4, at least 0.1 s  (None here = derive)
    down_interval: Optional[float] = None  # default: interval * 3 (None here = derive)
    timeout: float = 1.0
    rise: int = 2
    fall: int = 3
    http: Optional[HttpParams] = None
    tcp: Optional[TcpParams] = None
    probe_ipv4_src: Optional[IPAddress] = None
    probe_ipv6_src: Optional[IPAddress] = None

    @property
    def effective_fast_interval(self) -> float:
        return self.fast_interval if self.fast_interval is not None else max(0.1, self.interval / 4)

    @property
    def effective_down_interval(self) -> float:
        return self.down_interval if self.down_interval is not None else self.interval * 3


@dataclass(frozen=True)
class Backend:
    name: str
    address: IPAddress
    healthcheck: Optional[str] = None  # None: no probing, treated as a static (always up) check
    enabled: bool = True


@dataclass(frozen=True)
class PoolMember:
    backend: str
    weight: int = 100


@dataclass(frozen=True)
class Pool:
    name: str
    members: Tuple[PoolMember, ...] = ()


@dataclass(frozen=True)
class Frontend:
    name: str
    address: IPNetwork  # the VIP prefix (a bare address becomes a host prefix)
    protocol: int = 255  # 6 tcp, 17 udp, 255 any
    port: int = 0  # 0: all ports
    pools: Tuple[Pool, ...] = ()
    description: str = ""
    attrs: VipAttrs = field(default_factory=VipAttrs)  # encap, dscp, target port, table length, sticky
    flush_on_down: bool = True

    @property
    def vip_key(self) -> VipKey:
        return VipKey.make(self.address, self.protocol, self.port)

    def backend_names(self) -> Tuple[str, ...]:
        return tuple(member.backend for pool in self.pools for member in pool.members)


@dataclass(frozen=True)
class VppLbSettings:
    ipv4_src_address: Optional[IPAddress] = None
    ipv6_src_address: Optional[IPAddress] = None
    sticky_buckets_per_core: int = 65536
    flow_timeout: float = 40.0
    sync_interval: float = 30.0
    startup_min_delay: float = 5.0
    startup_max_delay: float = 30.0

    def lb_conf(self) -> LbConf:
        return LbConf(
            ip4_src_address=self.ipv4_src_address,
            ip6_src_address=self.ipv6_src_address,
            sticky_buckets_per_core=self.sticky_buckets_per_core,
            flow_timeout=int(self.flow_timeout),
        )


@dataclass(frozen=True)
class HealthCheckerSettings:
    transition_history: int = 5
    netns: Optional[str] = None


@dataclass(frozen=True)
class Config:
    healthchecker: HealthCheckerSettings = field(default_factory=HealthCheckerSettings)
    vpp_lb: VppLbSettings = field(default_factory=VppLbSettings)
    healthchecks: Dict[str, HealthCheck] = field(default_factory=dict)
    backends: Dict[str, Backend] = field(default_factory=dict)
    frontends: Dict[str, Frontend] = field(default_factory=dict)  # in YAML order

    def frontends_by_backend(self) -> Dict[str, Tuple[str, ...]]:
        """backend name -> the frontends that use it, in config order (each frontend once)."""
        index: Dict[str, List[str]] = {}
        for name, frontend in self.frontends.items():
            for backend in dict.fromkeys(frontend.backend_names()):
                index.setdefault(backend, []).append(name)
        return {backend: tuple(names) for backend, names in index.items()}
