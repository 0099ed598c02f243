"""Prometheus metrics of the checker (namespace `maglev`, as vpp-maglev), on a private registry.

Updated inline as probes run: maglev_probe_total{backend,type,result,code},
maglev_probe_duration_seconds{backend,type}, maglev_backend_transitions_total{backend,from,to},
maglev_event_loop_lag_seconds (gauge + histogram).
Read from live state at each scrape (live_metrics.py; no stale label sets): maglev_backend_state{backend,state},
maglev_backend_health, maglev_backend_enabled, maglev_frontend_pool_backend_weight,
maglev_frontend_pool_backend_configured_weight, maglev_frontend_state{frontend,state},
maglev_events_dropped_total, maglev_event_subscribers, maglev_probe_late_timeouts_retried_total
(the overload guard, schedule.py: with the lag metric, the sign of an overloaded checker).
Other components (the VPP side) register their own metrics on `Metrics.registry`; a collector
of loop-owned state should offer `snapshot()` so that a scrape renders it off the loop (scrape.py).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from prometheus_client import Counter, Gauge, Histogram, generate_latest

from .live_metrics import LiveCollector
from .log import LOGGER
from .scrape import Scraper, ScrapeRegistry
from .tasks import cancel_and_wait

if TYPE_CHECKING:
    from .checker import Checker
    from .probes import ProbeResult

PROBE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self, checker: Checker, registry: Optional[ScrapeRegistry] = None) -> None:
        self.registry = registry if registry is not None else ScrapeRegistry()
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
        r.register(LiveCollector(checker))
        self.scraper = Scraper(r)
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
        """The whole text, on the caller's thread (tests, tools); the daemon uses `scrape`."""
        return generate_latest(self.registry)

    async def scrape(self) -> bytes:
        """The text for GET /metrics: a snapshot on the loop, the render in a worker thread
        (scrape.py); raises ScrapeBusy past MAX_SCRAPES_SHARING waiting scrapes."""
        return await self.scraper.scrape()


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
