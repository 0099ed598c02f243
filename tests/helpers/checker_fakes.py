"""Deterministic doubles for checker tests: a clock that records sleeps, probes fed by the test."""

from __future__ import annotations

import asyncio
from ipaddress import ip_address, ip_network
from typing import Callable, Dict, List, Optional, Tuple

from ansible_collections.vpp.maglev.maglevd.probes import Probe, ProbeResult
from ansible_collections.vpp.maglev.plugins.module_utils.config_model import (
    Backend,
    Config,
    Frontend,
    HealthCheck,
    Pool,
    PoolMember,
)

PASS = ProbeResult(True, "L7OK", "HTTP 200")
FAIL = ProbeResult(False, "L4CON", "connection refused")


class FakeClock:
    """monotonic() advances only by the sleeps the workers ask for; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: List[Optional[float]] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now

    async def sleep(self, delay, wake=None) -> None:
        self.sleeps.append(delay)
        if delay is None:
            if wake is not None:
                await wake.wait()
            else:
                await asyncio.Event().wait()
            return
        self.now += delay
        await asyncio.sleep(0)


class QueueProbe(Probe):
    """Each run() takes the next result the test put in `results` (and waits for one)."""

    type = "http"

    def __init__(self, address) -> None:
        super().__init__(address, 1.0)
        self.results: asyncio.Queue = asyncio.Queue()
        self.calls = 0

    async def run(self) -> ProbeResult:
        self.calls += 1
        return await self.results.get()


class ScriptProbe(Probe):
    """Returns the scripted results, then blocks forever (so the worker stops, no busy loop)."""

    type = "http"

    def __init__(self, address, script: str) -> None:
        super().__init__(address, 1.0)
        self.script = list(script)
        self.calls = 0
        self.exhausted = asyncio.Event()

    async def run(self) -> ProbeResult:
        if not self.script:
            self.exhausted.set()
            await asyncio.Event().wait()
        self.calls += 1
        return PASS if self.script.pop(0) == "P" else FAIL


def queue_probes() -> Tuple[Dict[str, QueueProbe], Callable[[object, object], QueueProbe]]:
    """({address: its QueueProbe}, a Checker probe_factory that fills it)."""
    probes: Dict[str, QueueProbe] = {}

    def factory(check, address) -> QueueProbe:
        probes[str(address)] = QueueProbe(address)
        return probes[str(address)]

    return probes, factory


async def until(predicate, spins: int = 10000) -> None:
    """Yield to the loop until predicate() holds (event-driven: no wall-clock sleeps)."""
    for _spin in range(spins):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


def hc(name: str = "http", **kw) -> HealthCheck:
    kw.setdefault("type", "http")
    kw.setdefault("port", 80)
    kw.setdefault("interval", 2.0)
    kw.setdefault("fast_interval", 0.5)
    kw.setdefault("down_interval", 6.0)
    return HealthCheck(name=name, **kw)


def make_config(
    backends: Dict[str, str],
    frontends: Optional[Dict[str, List[List[str]]]] = None,
    checks: Optional[List[HealthCheck]] = None,
    backend_check: Optional[Dict[str, Optional[str]]] = None,
    disabled: tuple = (),
    history: int = 5,
) -> Config:
    from ansible_collections.vpp.maglev.plugins.module_utils.config_model import HealthCheckerSettings

    checks = checks if checks is not None else [hc()]
    backend_check = backend_check or {}
    default = checks[0].name if checks else None
    return Config(
        healthchecker=HealthCheckerSettings(transition_history=history),
        healthchecks={c.name: c for c in checks},
        backends={
            n: Backend(n, ip_address(a), backend_check.get(n, default), enabled=n not in disabled)
            for n, a in backends.items()
        },
        frontends={
            name: Frontend(
                name,
                ip_network(f"192.0.2.{i + 1}/32"),
                6,
                80,
                tuple(Pool(f"pool{j}", tuple(PoolMember(b) for b in pool)) for j, pool in enumerate(pools)),
            )
            for i, (name, pools) in enumerate((frontends or {}).items())
        },
    )
