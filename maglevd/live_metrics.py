"""The checker's metrics read from live state at each scrape (no stale label sets).

`snapshot()` runs on the event loop and copies plain values only (a tuple per backend, the
config reference, a few counters); `collect()` of that snapshot builds the families, weights
included, wherever it runs: in the scrape's worker thread (scrape.py, docs/maglevd.md "Metrics").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, NamedTuple, Tuple

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..plugins.module_utils.config_model import Config
from ..plugins.module_utils.desired import frontend_weights
from ..plugins.module_utils.weights import BackendState, FrontendState, frontend_state

if TYPE_CHECKING:
    from .checker import Checker

BACKEND_STATES = tuple(BackendState)
FRONTEND_STATES = tuple(FrontendState)


class LiveSnapshot(NamedTuple):
    config: Config
    backends: List[Tuple[str, BackendState, int, bool]]  # name, state, counter, enabled
    frontend_states: Dict[str, FrontendState]  # the tracker's; empty before the first update
    dropped: int
    subscribers: int
    late_retried: int

    def collect(self) -> List[Metric]:
        return [*self._backend_families(), *self._frontend_families(), *self._checker_families()]

    def _backend_families(self) -> List[Metric]:
        state = GaugeMetricFamily(
            "maglev_backend_state", "1 for the backend's current state", labels=["backend", "state"]
        )
        health = GaugeMetricFamily("maglev_backend_health", "The backend's rise/fall counter", labels=["backend"])
        enabled = GaugeMetricFamily("maglev_backend_enabled", "1 when the backend is enabled", labels=["backend"])
        for name, current, counter, on in sorted(self.backends):
            for s in BACKEND_STATES:
                state.add_metric([name, s.value], 1.0 if current is s else 0.0)
            health.add_metric([name], counter)
            enabled.add_metric([name], 1.0 if on else 0.0)
        return [state, health, enabled]

    def _frontend_families(self) -> List[Metric]:
        labels = ["frontend", "pool", "backend"]
        weight = GaugeMetricFamily(
            "maglev_frontend_pool_backend_weight",
            "Effective weight of a pool member (what VPP should have)",
            labels=labels,
        )
        configured = GaugeMetricFamily(
            "maglev_frontend_pool_backend_configured_weight", "Configured weight of a pool member", labels=labels
        )
        fstate = GaugeMetricFamily(
            "maglev_frontend_state", "1 for the frontend's current state", labels=["frontend", "state"]
        )
        states = {name: current for name, current, _counter, _on in self.backends}
        for name, frontend in self.config.frontends.items():
            members = frontend_weights(self.config, frontend, states)  # once per frontend: the truth table
            for member in members:
                weight.add_metric([name, member.pool, member.backend], member.weight)
                configured.add_metric([name, member.pool, member.backend], member.configured_weight)
            current = self.frontend_states.get(name)
            if current is None:
                current = frontend_state([m.state for m in members], [m.weight for m in members])
            for s in FRONTEND_STATES:
                fstate.add_metric([name, s.value], 1.0 if current is s else 0.0)
        return [weight, configured, fstate]

    def _checker_families(self) -> List[Metric]:
        dropped = CounterMetricFamily(
            "maglev_events_dropped", "Events dropped because an event-stream subscriber was too slow"
        )
        dropped.add_metric([], self.dropped)
        subscribers = GaugeMetricFamily("maglev_event_subscribers", "Open event-stream subscriptions")
        subscribers.add_metric([], self.subscribers)
        late = CounterMetricFamily(
            "maglev_probe_late_timeouts_retried",
            "Probe timeouts retried instead of counted because the event loop ran them late (overload guard)",
        )
        late.add_metric([], self.late_retried)
        return [dropped, subscribers, late]


class LiveCollector:
    """Registered on the metrics registry; a scrape freezes it with `snapshot()`."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker

    def snapshot(self) -> LiveSnapshot:
        checker = self.checker
        return LiveSnapshot(
            checker.config,
            [(name, h.state, h.counter, h.enabled) for name, h in checker.health.items()],
            dict(checker.frontends.states),
            checker.bus.dropped_total,
            len(checker.bus.subscriptions),
            checker.late_retried,
        )

    def collect(self) -> List[Metric]:
        return self.snapshot().collect()
