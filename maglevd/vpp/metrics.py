"""Prometheus metrics of maglevd's VPP side: connection, syncs, API calls and errors.

Kept apart from the checker's metrics so that the VPP side can be built (and tested) without
the rest of the daemon; the daemon passes its registry in so one /metrics shows both.
"""

from __future__ import annotations

import collections
import math
from typing import Any, Iterable, Optional

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class VppMetrics:
    def __init__(self, registry: Optional[CollectorRegistry] = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.connected = Gauge("maglev_vpp_connected", "1 while maglevd holds a working VPP API connection", registry=r)
        self.connects = Counter("maglev_vpp_connects", "Successful connections to VPP's API", registry=r)
        self.disconnects = Counter("maglev_vpp_disconnects", "VPP API connections lost or closed", registry=r)
        self.syncs = Counter(
            "maglev_vpp_syncs",
            "LB syncs by scope (vip: per-VIP after a transition, full: whole config) and result",
            ["scope", "result"],
            registry=r,
        )
        self.sync_seconds = Histogram(
            "maglev_vpp_sync_duration_seconds",
            "Time from a sync's start (plan) to its last API reply",
            ["scope"],
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.api_calls = Counter("maglev_vpp_api_calls", "VPP API messages sent", ["message"], registry=r)
        self.api_errors = Counter(
            "maglev_vpp_api_errors",
            "VPP API messages that failed (error retval or lost connection)",
            ["message"],
            registry=r,
        )
        self.desync = Gauge(
            "maglev_vpp_desync",
            "1 when VPP may differ from what maglevd wants (last sync failed or not connected)",
            registry=r,
        )
        self.warmup = Gauge(
            "maglev_vpp_warmup_active", "1 while the restart warmup holds back pushes to VPP", registry=r
        )
        self.errors = Counter(
            "maglev_vpp_errors",
            "Failures of the VPP side by stage (connect, read, apply, sync, ping, supervisor, reconcile ...) and "
            "kind (connection: lost or refused connection; refused: VPP answered an error; internal: anything "
            "else, e.g. a bug or no file descriptors left)",
            ["stage", "kind"],
            registry=r,
        )
        self.last_ok_age = Gauge(
            "maglev_vpp_last_ok_age_seconds",
            "Seconds since the last successful VPP API round trip (since the start when none yet; NaN without VPP)",
            registry=r,
        )
        self.degraded = Gauge(
            "maglev_vpp_degraded",
            "1 while the VPP side is degraded: not connected, or no successful round trip for 3 ping intervals",
            registry=r,
        )

    def watch(self, connection: Any) -> None:
        """Read the age and the health from ``connection`` (a VppConnection) at each scrape."""

        def age() -> float:
            if not connection.enabled:
                return math.nan
            last = connection.last_ok_mono
            return max(0.0, connection.clock() - (connection.created_mono if last is None else last))

        self.last_ok_age.set_function(age)
        self.degraded.set_function(lambda: 0.0 if connection.health()["state"] == "ok" else 1.0)

    def calls(self, messages: Iterable[str]) -> None:
        # One inc per message name, not per message: a full restore sends 11,000.
        for message, count in collections.Counter(messages).items():
            self.api_calls.labels(message).inc(count)

    def error(self, message: str) -> None:
        self.api_errors.labels(message).inc()
