"""One /metrics scrape: a snapshot on the event loop, the exposition text in a worker thread.

At 16,000 backends the text is ~435,000 samples (seconds of CPU): rendered on the loop it
would hold probes and failover back for as long (docs/maglevd.md "Metrics"). The loop pays only
`freeze`: the library's own metrics are locked and safe to read from a thread; a collector of
live state offers `snapshot()` (plain values, taken on the loop) whose `collect()` runs in the
thread; any other collector is read on the loop, as before. The render runs with the cyclic
collector paused (gctune.py): its ~900,000 samples and label maps are acyclic, and the full
collections they set off walked the whole heap with the GIL held, 150-280 ms each, which the
loop felt as lag (docs/performance.md). One render is in flight at a time and concurrent
scrapes share its result, up to MAX_SCRAPES_SHARING (docs/security.md).
"""

from __future__ import annotations

import asyncio
from typing import Any, Iterable, Iterator, List, Optional

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric

from .gctune import without_collector

MAX_SCRAPES_SHARING = 8  # scrapes waiting on one render; more are refused (503)


class ScrapeBusy(Exception):
    """Too many scrapes are already waiting on the render in flight."""


class Frozen:
    """What the worker thread renders: collectors that touch no loop-owned state."""

    def __init__(self, parts: Iterable[Any]) -> None:
        self.parts = list(parts)

    def collect(self) -> Iterator[Metric]:
        for part in self.parts:
            yield from part.collect()


class _Collected:
    """Families already collected (on the loop) from a collector without a snapshot."""

    def __init__(self, families: List[Metric]) -> None:
        self.families = families

    def collect(self) -> List[Metric]:
        return self.families


class ScrapeRegistry(CollectorRegistry):
    """A registry that keeps its collectors in order, so that a scrape can freeze them."""

    def __init__(self) -> None:
        super().__init__()
        self.ordered: List[Any] = []

    def register(self, collector: Any) -> None:
        super().register(collector)
        self.ordered.append(collector)

    def unregister(self, collector: Any) -> None:
        super().unregister(collector)
        self.ordered.remove(collector)

    def freeze(self) -> Frozen:
        """On the loop: a consistent view of every collector, cheap to take."""
        parts: List[Any] = []
        for collector in list(self.ordered):
            if isinstance(collector, MetricWrapperBase):
                parts.append(collector)  # the library's metric: its values are behind its own lock
            elif hasattr(collector, "snapshot"):
                parts.append(collector.snapshot())
            else:
                parts.append(_Collected(list(collector.collect())))
        return Frozen(parts)


class Scraper:
    """Single flight: one render at a time; a scrape arriving meanwhile gets the same text."""

    def __init__(self, registry: ScrapeRegistry, max_sharing: int = MAX_SCRAPES_SHARING) -> None:
        self.registry = registry
        self.max_sharing = max_sharing
        self.inflight: Optional[asyncio.Future] = None
        self.sharing = 0

    async def scrape(self) -> bytes:
        if self.inflight is None:
            frozen = self.registry.freeze()
            self.inflight = asyncio.ensure_future(asyncio.to_thread(without_collector(generate_latest), frozen))
            self.inflight.add_done_callback(self._done)
        elif self.sharing >= self.max_sharing:
            raise ScrapeBusy(f"{self.sharing} scrapes already wait on the render in flight")
        self.sharing += 1
        try:
            # Shielded: a scraper that hangs up does not cancel the render the others wait for.
            return await asyncio.shield(self.inflight)
        finally:
            self.sharing -= 1

    def _done(self, future: asyncio.Future) -> None:
        if self.inflight is future:
            self.inflight = None
        if not future.cancelled():
            future.exception()  # retrieved: the waiters got it; no "never retrieved" warning
