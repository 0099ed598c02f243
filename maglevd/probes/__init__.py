"""Probe types, one file each; `make_probe` builds the right one for a healthcheck."""

from __future__ import annotations

from typing import Optional

from ...plugins.module_utils.config_model import HealthCheck
from .base import IPAddress, Probe, ProbeFailure
from .http import HttpProbe
from .icmp import IcmpProbe, IcmpSockets, IcmpUnavailable
from .result import ProbeResult
from .sockets import NetnsError, SocketFactory
from .static import StaticProbe
from .tcp import TcpProbe

__all__ = [
    "HttpProbe",
    "IcmpProbe",
    "IcmpSockets",
    "IcmpUnavailable",
    "NetnsError",
    "Probe",
    "ProbeFailure",
    "ProbeResult",
    "SocketFactory",
    "StaticProbe",
    "TcpProbe",
    "make_probe",
]


def make_probe(
    healthcheck: Optional[HealthCheck],
    address: IPAddress,
    factory: SocketFactory,
    icmp: IcmpSockets,
) -> Probe:
    """The probe for one (address, healthcheck); None healthcheck = static.

    Raises IcmpUnavailable for an icmp check when no ICMP socket can be opened.
    """
    if healthcheck is None or healthcheck.type == "static":
        return StaticProbe(address)
    source = healthcheck.probe_ipv6_src if address.version == 6 else healthcheck.probe_ipv4_src
    if healthcheck.type == "icmp":
        return IcmpProbe(address, healthcheck.timeout, icmp.get(address.version, source))
    if healthcheck.type == "tcp":
        return TcpProbe(address, healthcheck.port or 0, healthcheck.timeout, healthcheck.tcp, source, factory)
    if healthcheck.type in ("http", "https"):
        return HttpProbe(
            address,
            healthcheck.port or (443 if healthcheck.type == "https" else 80),
            healthcheck.timeout,
            healthcheck.http,
            tls=healthcheck.type == "https",
            source=source,
            factory=factory,
        )
    raise ValueError(f"unknown healthcheck type {healthcheck.type!r}")
