"""The VPP side's health verdict (pure): ``ok`` or ``degraded``, and why; and the connection
report that ``show vpp info`` prints (``connection_info``).

The VPP side is degraded when maglevd cannot vouch that VPP follows it: it is not connected,
or no VPP round trip has succeeded for more than ``DEGRADED_AFTER_PINGS`` ping intervals (a
wedged connection, or a VPP thread stuck in a call). A disabled VPP side (no API socket) is
never degraded: maglevd was asked only to probe.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

# Three missed pings: one late reply is noise, three in a row mean nothing reaches VPP.
DEGRADED_AFTER_PINGS = 3


def vpp_health(
    *, enabled: bool, connected: bool, last_ok_age: Optional[float], ping_interval: float
) -> Tuple[str, Optional[str]]:
    """(state, reason): ``("ok", None)`` or ``("degraded", one line saying why)``."""
    if not enabled:
        return "ok", None
    limit = DEGRADED_AFTER_PINGS * ping_interval
    if not connected:
        return "degraded", "not connected to VPP"
    if last_ok_age is None or last_ok_age > limit:
        age = "never" if last_ok_age is None else "%.1fs ago" % last_ok_age
        return "degraded", "last successful VPP round trip %s (limit %gs: %d ping intervals)" % (
            age,
            limit,
            DEGRADED_AFTER_PINGS,
        )
    return "ok", None


def connection_info(connection: Any) -> Dict[str, Any]:
    """``show vpp info`` for ``connection`` (a supervisor.VppConnection): what we are connected
    to, since when, and whether it still answers."""
    age = connection.last_ok_age()
    health = connection.health()
    connected = connection.connected
    return {
        "enabled": connection.enabled,
        "api_socket": connection.api_socket,
        "connected": connected,
        "connected_since": connection.connected_since,
        "uptime": round(connection.clock() - connection.connected_mono, 3) if connection.connected_mono else None,
        "connects": connection.connects,
        "version": connection.version.get("version") if connected else None,
        "build_date": connection.version.get("build_date") if connected else None,
        "build_directory": connection.version.get("build_directory") if connected else None,
        "last_error": connection.last_error or None,
        "last_ok": connection.last_ok_wall,
        "last_ok_age": None if age is None else round(age, 3),
        "state": health["state"],
        "degraded_reason": health["reason"],
        "errors": dict(sorted(connection.errors.items())),
        "ping_interval": connection.settings.ping_interval,
        "vpp_pid": connection.vpp_pid if connected else None,
        "maglevd_pid": os.getpid(),
    }
