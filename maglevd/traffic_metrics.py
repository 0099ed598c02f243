"""Prometheus metrics of VPP's traffic, read from TrafficState at each scrape (docs/maglevd.md):

    maglev_vip_packets_total{frontend,vip,kind}   VPP's counter of the frontend's VIP, per kind
    maglev_backend_flows{frontend,backend}        sticky entries pointing at the backend's AS
    maglev_frontend_blackhole{frontend}           1 while the black-hole alarm is raised
    maglev_traffic_read_ok                        1 when the last read had the counters
    maglev_traffic_reads_total / _failures_total  reads done / reads that failed as a whole
    maglev_traffic_last_read_timestamp_seconds    wall time of the last successful read

A series whose value is unknown (a failed read, stats unreadable) is left out rather than
repeated: a flat line would look like a live idle VIP. A scrape takes `snapshot()` on the event
loop (plain copies) and builds the families from it in its worker thread (scrape.py).
"""

from __future__ import annotations

from typing import Callable, Dict, FrozenSet, Iterator, NamedTuple, Optional

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..plugins.module_utils.config_model import Config
from .traffic_state import FrontendTraffic, TrafficState


class TrafficCollector:
    """A custom collector: ``registry.register(TrafficCollector(state, config))``."""

    def __init__(self, state: TrafficState, config: Callable[[], Config]) -> None:
        self.state = state
        self.config = config

    def describe(self) -> list:
        return []  # unchecked: the label sets follow the running config

    def snapshot(self) -> TrafficSnapshotView:
        state = self.state
        return TrafficSnapshotView(
            self.config(),
            dict(state.frontends),  # replaced, not mutated, by each read: the views are its own
            frozenset(state.alarms),
            state.stats_ok,
            state.reads,
            state.failures,
            state.read_at,
        )

    def collect(self) -> Iterator[Metric]:
        return self.snapshot().collect()


class TrafficSnapshotView(NamedTuple):
    """What a scrape needs of TrafficState, copied on the loop."""

    config: Config
    frontends: Dict[str, FrontendTraffic]
    alarms: FrozenSet[str]
    stats_ok: bool
    reads: int
    failures: int
    read_at: Optional[float]

    def collect(self) -> Iterator[Metric]:
        state, config = self, self.config
        packets = CounterMetricFamily(
            "maglev_vip_packets",
            "Packets VPP counted for the frontend's VIP, by kind",
            labels=["frontend", "vip", "kind"],
        )
        flows = GaugeMetricFamily(
            "maglev_backend_flows", "Sticky-table entries of the frontend's VIP pointing at the backend's AS",
            labels=["frontend", "backend"],
        )  # fmt: skip
        blackhole = GaugeMetricFamily(
            "maglev_frontend_blackhole", "1 while the frontend drops packets (no server or untracked)",
            labels=["frontend"],
        )  # fmt: skip
        for name, frontend in config.frontends.items():
            blackhole.add_metric([name], 1.0 if name in state.alarms else 0.0)
            view = state.frontends.get(name)
            if view is None:
                continue
            if view.error is None:
                for kind, value in sorted(view.packets.items()):
                    packets.add_metric([name, view.vip, kind], value)
            if view.flows is not None:
                for backend in dict.fromkeys(frontend.backend_names()):
                    address = config.backends[backend].address
                    flows.add_metric([name, backend], view.flows.get(str(address), 0))
        yield packets
        yield flows
        yield blackhole
        yield from self._read_health()

    def _read_health(self) -> Iterator[Metric]:
        state = self
        ok = GaugeMetricFamily("maglev_traffic_read_ok", "1 when the last traffic read had VPP's counters")
        ok.add_metric([], 1.0 if state.stats_ok else 0.0)
        reads = CounterMetricFamily("maglev_traffic_reads", "Traffic reads that returned (counters or not)")
        reads.add_metric([], state.reads)
        failures = CounterMetricFamily("maglev_traffic_read_failures", "Traffic reads that failed as a whole")
        failures.add_metric([], state.failures)
        yield from (ok, reads, failures)
        if state.read_at is not None:
            last = GaugeMetricFamily(
                "maglev_traffic_last_read_timestamp_seconds", "Unix time of the last traffic read that returned"
            )
            last.add_metric([], state.read_at)
            yield last
