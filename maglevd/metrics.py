"""Prometheus metrics of the checker (namespace `maglev`, as vpp-maglev), on a private registry.

Updated inline as probes run: maglev_probe_total{backend,type,result,code},
maglev_probe_duration_seconds{backend,type}, maglev_backend_transitions_total{backend,from,to},
maglev_event_loop_lag_seconds (gauge + histogram).
Read from live state at each scrape (no stale label sets): maglev_backend_state{backend,state},
maglev_backend_health, maglev_backend_enabled, maglev_frontend_pool_backend_weight,
maglev_frontend_pool_backend_configured_weight, maglev_frontend_state{frontend,state},
maglev_events_dropped_total, maglev_event_subscribers, maglev_probe_late_timeouts_retried_total
(the overload guard, schedule.py: with the lag metric, the sign of an overloaded checker).
Other components (the VPP side) register their own metrics on `Metrics.registry`.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from ..plugins.module_utils.weights import BackendState, FrontendState
from .log import LOGGER
from .tasks import cancel_and_wait

if TYPE_CHECKING:
    from .checker import Checker
    from .probes import ProbeResult

PROBE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _LiveCollector:
    def __init__(self, checker: Checker) -> None:
        self.checker = checker

    def collect(self):
        checker = self.checker
        state = GaugeMetricFamily(
            "maglev_backend_state", "1 for the backend's current state", labels=["backend", "state"]
        )
        health = GaugeMetricFamily("maglev_backend_health", "The backend's rise/fall counter", labels=["backend"])
        enabled = GaugeMetricFamily("maglev_backend_enabled", "1 when the backend is enabled", labels=["backend"])
        for name, h in sorted(checker.health.items()):
            for s in BackendState:
                state.add_metric([name, s.value], 1.0 if h.state is s else 0.0)
            health.add_metric([name], h.counter)
            enabled.add_metric([name], 1.0 if h.enabled else 0.0)
        weight = GaugeMetricFamily(
            "maglev_frontend_pool_backend_weight",
            "Effective weight of a pool member (what VPP should have)",
            labels=["frontend", "pool", "backend"],
        )
        configured = GaugeMetricFamily(
            "maglev_frontend_pool_backend_configured_weight",
            "Configured weight of a pool member",
            labels=["frontend", "pool", "backend"],
        )
        weights = checker.weights()
        for frontend, rows in weights.items():
            for row in rows:
                labels = [frontend, row["pool"], row["backend"]]
                weight.add_metric(labels, row["weight"])
                configured.add_metric(labels, row["configured_weight"])
        fstate = GaugeMetricFamily(
            "maglev_frontend_state", "1 for the frontend's current state", labels=["frontend", "state"]
        )
        for frontend, current in checker.frontend_states().items():
            for s in FrontendState:
                fstate.add_metric([frontend, s.value], 1.0 if current is s else 0.0)
        dropped = CounterMetricFamily(
            "maglev_events_dropped", "Events dropped because an event-stream subscriber was too slow"
        )
        dropped.add_metric([], checker.bus.dropped_total)
        subscribers = GaugeMetricFamily("maglev_event_subscribers", "Open event-stream subscriptions")
        subscribers.add_metric([], len(checker.bus.subscriptions))
        late = CounterMetricFamily(
            "maglev_probe_late_timeouts_retried",
            "Probe timeouts retried instead of counted because the event loop ran them late (overload guard)",
        )
        late.add_metric([], checker.late_retried)
        return [state, health, enabled, weight, configured, fstate, dropped, subscribers, late]


class Metrics:
    def __init__(self, checker: Checker, registry: Optional[CollectorRegistry] = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.probes = Counter(
            "maglev_probe", "Probes run, by result and code", ["backend", "type", "result", "code"], registry=r
        )
        self.durations = Histogram(
            "maglev_probe_duration_seconds", "Probe duration", ["backend", "type"], buckets=PROBE_BUCKETS, registry=r
        )
        self.transitions = Counter(
            "maglev_backend_transitions", "Backend state transitions", ["backend", "from", "to"], registry=r
        )
        self.lag = Gauge("maglev_event_loop_lag_seconds", "Last measured event-loop scheduling lag", registry=r)
        self.lag_hist = Histogram(
            "maglev_event_loop_lag_histogram_seconds", "Event-loop scheduling lag", buckets=LAG_BUCKETS, registry=r
        )
        r.register(_LiveCollector(checker))
        self._children: Dict[Tuple[str, str, str, str], object] = {}
        self._durations: Dict[Tuple[str, str], object] = {}
        checker.probe_listeners.append(self.on_probe)
        checker.bus.add_listener(self.on_event)

    def on_probe(self, backends: List[str], type_: str, result: ProbeResult) -> None:
        # Label lookups are the costly part; cache the children (probes run thousands of times a second).
        for backend in backends:
            key = (backend, type_, result.result, result.code)
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = self.probes.labels(*key)
            child.inc()  # type: ignore[attr-defined]
            dkey = (backend, type_)
            hist = self._durations.get(dkey)
            if hist is None:
                hist = self._durations[dkey] = self.durations.labels(*dkey)
            hist.observe(result.duration)  # type: ignore[attr-defined]

    def on_event(self, event) -> None:
        if event.type == "backend-transition":
            self.transitions.labels(event.data["backend"], event.data["from"], event.data["to"]).inc()

    def observe_lag(self, lag: float) -> None:
        self.lag.set(lag)
        self.lag_hist.observe(lag)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class LagMonitor:
    """Measures how late the event loop wakes a timer: the checker's own overload signal."""

    def __init__(self, metrics: Optional[Metrics], interval: float = 0.25) -> None:
        self.metrics = metrics
        self.interval = interval
        self.last = 0.0
        self.max = 0.0
        self.task: Optional[asyncio.Task] = None

    async def _run(self) -> None:
        while True:
            start = time.monotonic()
            await asyncio.sleep(self.interval)
            lag = max(0.0, time.monotonic() - start - self.interval)
            self.last = lag
            self.max = max(self.max, lag)
            if self.metrics is not None:
                self.metrics.observe_lag(lag)

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run(), name="lag-monitor")

    async def stop(self) -> None:
        if self.task is not None:
            await cancel_and_wait([self.task], log=LOGGER)
            self.task = None
