"""The VPP side's health verdict (pure): ``ok`` or ``degraded``, and why.

The VPP side is degraded when maglevd cannot vouch that VPP follows it: it is not connected,
or no VPP round trip has succeeded for more than ``DEGRADED_AFTER_PINGS`` ping intervals (a
wedged connection, or a VPP thread stuck in a call). A disabled VPP side (no API socket) is
never degraded: maglevd was asked only to probe.
"""

from __future__ import annotations

from typing import Optional, Tuple

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
