"""On every (re)connect, what VPP holds: one ``vpp-lb-state`` log line (docs/maglevd.md).

    facts = await log_lb_state(connection, stats_socket)

It says what maglevd found before its first sync touches anything: the VIP, AS and bucket
counts (buckets that hold an AS, over every VIP's new-flow table), the sticky table's size and
the flow timeout (both lb_conf), and VPP's boot time (``/sys/boottime`` of the stats segment;
None when the segment cannot be read). The read runs on the VPP thread like every call.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from ...plugins.module_utils.vppapi.traffic_reader import StatsUnavailable, open_segment
from ...plugins.module_utils.vppclient import VppClient
from .logs import emit

log = logging.getLogger("maglevd.vpp")

BOOT_TIME = "/sys/boottime"


def lb_facts(client: VppClient, stats_socket: str) -> Dict[str, Any]:
    """(Blocking, on the VPP thread.) The counts the log line reports."""
    state, buckets = client.read_state_with_buckets()
    return {
        "vips": len(state.vips),
        "ases": sum(len(vip.ases) for vip in state.vips.values()),
        "buckets": sum(sum(per_as.values()) for per_as in buckets.values()),
        "sticky_buckets_per_core": state.conf.sticky_buckets_per_core,
        "flow_timeout": state.conf.flow_timeout,
        "boot_time": boot_time(stats_socket),
    }


def boot_time(stats_socket: str) -> Optional[float]:
    """VPP's boot time (unix seconds) from its stats segment, or None when it cannot be read."""
    if not stats_socket:
        return None
    try:
        segment = open_segment(stats_socket)
    except StatsUnavailable:
        return None
    try:
        value = segment[BOOT_TIME]
        return float(value) if value else None
    except Exception:  # an older segment without the entry: the line goes without it
        return None
    finally:
        segment.disconnect()


async def log_lb_state(connection: Any, stats_socket: str) -> Optional[Dict[str, Any]]:
    """Read the facts through ``connection`` (supervisor.VppConnection) and log them; None when
    the read failed (the failure is already counted, the reconciler's sync will say more)."""
    try:
        facts = await connection.call(lambda client: lb_facts(client, stats_socket), stage="read")
    except Exception as exc:
        emit(log, "vpp-lb-state-unread", logging.WARNING, error=str(exc))
        return None
    emit(log, "vpp-lb-state", socket=connection.api_socket, **facts)
    return facts
