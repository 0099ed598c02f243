"""maglevd's /metrics scrape and last-serving guard at 1,000 frontends x 16 backends, in process.

A Checker built from the dashboard benchmark's config (16,000 backends, static checks), every
backend with its probe counter and duration histogram (as after its first probe), the daemon's
Metrics on it. Nothing here is maglevd's own code but the code under test.

1. Render CPU of one scrape: today's path (the whole text on the caller: `Metrics.render`)
   beside the new one (`ScrapeRegistry.freeze` on the loop + the text in the worker thread).
2. The event loop's blocked time per scrape: the longest the loop was held by one scrape.
   Before: the inline render. After: `freeze` (all the loop pays). Target < 50 ms.
3. Event-loop lag while scraping in a loop: a 5 ms ticker's lateness (p50/p99/max) with no
   scrape (the baseline of the same run), with the inline render, with `Metrics.scrape`.
4. The guard: one `pause` verdict; before = every frontend against a full copy of the states
   (the rule as first written), after = guard.emptied_by_action with the checker's index.

Exits non-zero when a scrape blocks the loop for 50 ms or more (scripts/bench.sh reports it).

    .venv/bin/python bench/bench_metrics.py [--frontends 1000] [--backends 16] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Awaitable, Callable, List, Optional, Tuple

import yaml
from _common import best_of, percentile
from ansible_collections.vpp.maglev.maglevd import gctune, guard
from ansible_collections.vpp.maglev.maglevd.checker import Checker
from ansible_collections.vpp.maglev.maglevd.metrics import Metrics
from ansible_collections.vpp.maglev.maglevd.probes.result import ProbeResult
from ansible_collections.vpp.maglev.plugins.module_utils.operator_actions import ACTIONS
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_lb_state_input import parse_config
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from bench_dashboard import big_config
from prometheus_client import generate_latest

TICK = 0.005


def build(frontends: int, backends: int) -> Tuple[Checker, Metrics]:
    checker = Checker(parse_config(yaml.safe_load(big_config(frontends, backends))))
    metrics = Metrics(checker)
    passed = ProbeResult(True, "L4OK", "", 0.001)
    for name, health in checker.health.items():
        health.state = BackendState.UP
        metrics.on_probe([name], "tcp", passed)
    gctune.settle()  # as the daemon does once started
    return checker, metrics


def render_cpu(metrics: Metrics) -> Tuple[float, float, int]:
    """CPU seconds of the inline render, of freeze + threaded-path render, and the samples."""
    start = time.process_time()
    text = metrics.render()
    inline = time.process_time() - start
    start = time.process_time()
    generate_latest(metrics.registry.freeze())
    return inline, time.process_time() - start, text.count(b"\n")


async def lag_while(scrape: Optional[Callable[[], Awaitable[object]]], seconds: float) -> Tuple[List[float], int]:
    """The ticker's lateness samples over `seconds`, scraping back to back meanwhile."""
    loop = asyncio.get_running_loop()
    lags: List[float] = []
    scrapes = 0
    end = loop.time() + seconds

    async def ticker() -> None:
        while loop.time() < end:
            start = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append(time.perf_counter() - start - TICK)

    task = asyncio.ensure_future(ticker())
    while loop.time() < end and scrape is not None:
        await scrape()
        scrapes += 1
        await asyncio.sleep(0)  # between two requests, the loop runs what is ready
    await task
    return lags, scrapes


async def inline_scrape(metrics: Metrics) -> bytes:
    return metrics.render()  # today's route: the render on the loop


def show_lag(label: str, lags: List[float], scrapes: int) -> None:
    ms = [lag * 1000 for lag in lags]
    print(
        f"  {label:<34} p50 {percentile(ms, 0.5):8.1f} ms  p99 {percentile(ms, 0.99):8.1f} ms"
        f"  max {max(ms):8.1f} ms  ({scrapes} scrapes)"
    )


def guard_figures(checker: Checker) -> Tuple[float, float]:
    config, states, index = checker.config, checker.states_view, checker.frontends.frontends_of
    backend = next(iter(config.backends))

    def scan_all() -> List[str]:
        after = dict(states)
        after[backend] = ACTIONS["pause"].outcome(backend, states[backend])
        return sorted(
            fe.name
            for fe in config.frontends.values()
            if backend in fe.backend_names() and guard.serving(fe, states) and not guard.serving(fe, after)
        )

    verdict = guard.emptied_by_action(config, states, backend, "pause", index)
    if verdict != scan_all():
        raise SystemExit("the guard's verdicts differ")
    return best_of(scan_all), best_of(lambda: guard.emptied_by_action(config, states, backend, "pause", index))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frontends", type=int, default=1000)
    parser.add_argument("--backends", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0, help="per lag scenario")
    args = parser.parse_args()
    checker, metrics = build(args.frontends, args.backends)
    print(f"maglevd /metrics at {args.frontends} frontends x {args.backends} backends ({len(checker.health)} backends)")
    inline, threaded, samples = render_cpu(metrics)
    print(f"1. render CPU per scrape: inline (before) {inline:.2f} s, freeze + thread (after) {threaded:.2f} s")
    print(f"   ({samples} lines of text)")
    blocked_before = best_of(metrics.render, 2)
    blocked_after = best_of(metrics.registry.freeze, 5)
    print(
        f"2. loop blocked per scrape: before {blocked_before * 1000:.0f} ms, after {blocked_after * 1000:.1f} ms"
        f" (target < 50 ms; ratio {blocked_before / blocked_after:.0f}x)"
    )
    print(f"3. event-loop lag ({TICK * 1000:.0f} ms ticker), scraping back to back for {args.seconds:.0f} s each:")
    for label, scrape in (
        ("baseline: no scrape", None),
        ("before: render on the loop", lambda: inline_scrape(metrics)),
        ("after: Metrics.scrape", metrics.scrape),
    ):
        show_lag(label, *asyncio.run(lag_while(scrape, args.seconds)))
    before, after = guard_figures(checker)
    missed = blocked_after >= 0.05
    print(
        f"4. last-serving guard, one pause: scan of every frontend (before) {before * 1000:.1f} ms,"
        f" emptied_by_action with the index (after) {after * 1000:.3f} ms ({before / after:.0f}x)"
    )
    if missed:
        raise SystemExit("missed: a scrape blocked the event loop for 50 ms or more")


if __name__ == "__main__":
    main()
