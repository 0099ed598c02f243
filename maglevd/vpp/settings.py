"""The VPP side's settings: one object, built once from the flags and passed down.

The connection supervisor reads the connection and reconnect knobs, the reconciler the sync
knobs; nothing restates them as keyword arguments on the way (docs/reconciler.md).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import List, Mapping, Optional

from ...plugins.module_utils.vppapi.traffic_reader import DEFAULT_STATS_SOCKET
from ..flags import Flag

# Test and bench knob (the config file has no place for it): seconds between control_pings.
PING_ENV = "MAGLEV_VPP_PING_INTERVAL"
# --vpp-stats-interval's bounds: a read of 1,000 VIPs costs tens of ms of VPP thread time, so
# not more often than 10 times a second; not so rarely that an alarm means nothing (an hour).
STATS_INTERVAL_MIN, STATS_INTERVAL_MAX = 0.1, 3600.0


def stats_interval(text: str) -> float:
    """``--vpp-stats-interval``'s value: seconds within the bounds, else an error saying so."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not STATS_INTERVAL_MIN <= value <= STATS_INTERVAL_MAX:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            "expected seconds from %g to %g, got %r" % (STATS_INTERVAL_MIN, STATS_INTERVAL_MAX, str(text)[:40])
        )
    return value


def stats_flags() -> List[Flag]:
    """maglevd's flags of the traffic reads (its one flag table: __main__.maglevd_flags)."""
    return [
        Flag(
            "--vpp-stats-addr",
            "VPP's stats segment socket, for the packet counters; '' = flows only (docs/traffic.md)",
            "MAGLEV_VPP_STATS_ADDR",
            DEFAULT_STATS_SOCKET,
            "PATH",
        ),
        Flag(
            "--vpp-stats-interval",
            "seconds between two reads of VPP's counters and flows, %g to %g"
            % (STATS_INTERVAL_MIN, STATS_INTERVAL_MAX),
            "MAGLEV_VPP_STATS_INTERVAL",
            "5",
            "SECONDS",
            type=stats_interval,
        ),
    ]


@dataclass(frozen=True)
class VppSettings:
    """``api_socket`` empty disables VPP: maglevd then only probes."""

    api_socket: str = ""
    api_dir: Optional[str] = None
    timeout: float = 5.0  # one VPP API call
    ping_interval: float = 10.0  # control_ping while connected; 3 missed ones mean degraded
    watch_interval: float = 0.05  # how often the API socket's reader thread is looked at
    retry_min: float = 0.25  # reconnect backoff: doubling from retry_min up to retry_max
    retry_max: float = 5.0
    socket_poll_interval: float = 0.01  # while waiting to reconnect: has VPP's socket reappeared?
    client_name: str = "maglevd"
    coalesce_window: float = 0.0  # per-VIP syncs: wait this long for the rest of a burst (0: one loop turn)
    sync_retry_min: float = 0.5  # full-sync retry backoff after VPP refused an op
    sync_retry_max: float = 10.0
    stats_socket: str = DEFAULT_STATS_SOCKET  # "": no counters, flows only (docs/traffic.md)
    stats_interval: float = 5.0  # seconds between traffic reads

    @property
    def enabled(self) -> bool:
        return bool(self.api_socket)

    @classmethod
    def from_flags(
        cls,
        api_socket: str,
        environ: Optional[Mapping[str, str]] = None,
        *,
        stats_socket: str = DEFAULT_STATS_SOCKET,
        stats_interval: float = 5.0,
    ) -> VppSettings:
        """The daemon's settings: ``--vpp-api-addr``, ``--vpp-stats-addr``,
        ``--vpp-stats-interval`` and the ping interval from the environment."""
        env = os.environ if environ is None else environ
        return cls(
            api_socket=api_socket,
            ping_interval=float(env.get(PING_ENV, "10")),
            stats_socket=stats_socket,
            stats_interval=stats_interval,
        )
