"""The VPP side's settings: one object, built once from the flags and passed down.

The connection supervisor reads the connection and reconnect knobs, the reconciler the sync
knobs; nothing restates them as keyword arguments on the way (docs/reconciler.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional

# Test and bench knob (the config file has no place for it): seconds between control_pings.
PING_ENV = "MAGLEV_VPP_PING_INTERVAL"


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
    client_name: str = "maglevd"
    coalesce_window: float = 0.001  # per-VIP syncs: wait this long for the rest of a burst
    sync_retry_min: float = 0.5  # full-sync retry backoff after VPP refused an op
    sync_retry_max: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool(self.api_socket)

    @classmethod
    def from_flags(cls, api_socket: str, environ: Optional[Mapping[str, str]] = None) -> VppSettings:
        """The daemon's settings: ``--vpp-api-addr`` and the ping interval from the environment."""
        env = os.environ if environ is None else environ
        return cls(api_socket=api_socket, ping_interval=float(env.get(PING_ENV, "10")))
