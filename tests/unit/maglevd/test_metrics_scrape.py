"""/metrics off the event loop (docs/maglevd.md "Metrics"): the same series as the inline
render, a snapshot taken on the loop, the rest in a worker thread, one render in flight."""

from __future__ import annotations

import asyncio
import pathlib
import threading

import pytest
from ansible_collections.vpp.maglev.maglevd.checker import Checker
from ansible_collections.vpp.maglev.maglevd.metrics import Metrics
from ansible_collections.vpp.maglev.maglevd.probes.result import ProbeResult
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.tests.helpers.checker_fakes import make_config

GOLDEN = pathlib.Path(__file__).with_name("metrics_golden.txt")
STATES = {
    "a": BackendState.DOWN,
    "b": BackendState.PAUSED,
    "s": BackendState.UP,
    "c": BackendState.UP,
    "d": BackendState.DISABLED,
    "e": BackendState.UNKNOWN,
}


def small_metrics() -> Metrics:
    """web: main pool all out, its backup serves; api: one up, one disabled; bare: nothing known."""
    addresses = {name: f"10.0.0.{i + 1}" for i, name in enumerate(STATES)}
    config = make_config(
        addresses, frontends={"web": [["a", "b"], ["s"]], "api": [["c", "d"]], "bare": [["e"]]}, disabled=("d",)
    )
    checker = Checker(config)
    for index, (name, state) in enumerate(STATES.items()):
        checker.health[name].state = state
        checker.health[name].counter = index
    metrics = Metrics(checker)
    metrics.on_probe(["a", "b"], "http", ProbeResult(False, "L4CON", "", 0.002))
    metrics.on_probe(["s"], "http", ProbeResult(True, "L7OK", "", 0.004))
    metrics.observe_lag(0.003)
    return metrics


def series(text: bytes) -> list:
    """Every sample line but the creation timestamps (wall clock, differ from run to run)."""
    return sorted(
        line for line in text.decode().splitlines() if line and "_created" not in line.split("{")[0].split(" ")[0]
    )


def test_scrape_has_the_same_series_and_values_as_the_inline_render():
    expected = GOLDEN.read_text().splitlines()
    assert series(small_metrics().render()) == expected
    assert series(asyncio.run(small_metrics().scrape())) == expected


class Blocker:
    """A collector whose render (in the scrape's worker thread) waits until the test releases it."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.entered = asyncio.Event()  # set from the worker thread, through the loop
        self.release = threading.Event()
        self.renders = 0

    def snapshot(self) -> Blocker:
        return self

    def collect(self) -> list:
        self.renders += 1
        self.loop.call_soon_threadsafe(self.entered.set)
        if not self.release.wait(60):
            raise AssertionError("never released")
        return []


async def eventually(predicate, what: str) -> None:
    """Poll the loop-owned condition (I/O keeps flowing meanwhile); fail after 30 s."""
    deadline = asyncio.get_running_loop().time() + 30
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(what)
        await asyncio.sleep(0.005)


def test_a_failover_during_a_scrape_is_not_delayed_until_the_scrape_ends():
    from ansible_collections.vpp.maglev.maglevd.events import EventBus
    from ansible_collections.vpp.maglev.tests.helpers.checker_fakes import FAIL, PASS, FakeClock, queue_probes, until

    async def go():
        config = make_config({"a": "10.0.0.1", "b": "10.0.0.2"}, frontends={"web": [["a"], ["b"]]})
        probes, factory = queue_probes()
        checker = Checker(config, EventBus(), clock=FakeClock(), probe_factory=factory)
        metrics = Metrics(checker)
        blocker = Blocker()
        metrics.registry.register(blocker)
        await checker.start()
        await until(lambda: len(probes) == 2 and all(p.calls == 1 for p in probes.values()))
        for probe in probes.values():
            probe.results.put_nowait(PASS)
        await until(lambda: all(s is BackendState.UP for s in checker.states().values()))
        scrape = asyncio.create_task(metrics.scrape())
        await blocker.entered.wait()  # the render is running, and stays blocked
        probes["10.0.0.1"].results.put_nowait(FAIL)
        await until(lambda: checker.states()["a"] is BackendState.DOWN)
        weights = {row["backend"]: row["weight"] for row in checker.weights()["web"]}
        assert weights == {"a": 0, "b": 100}  # failed over while the scrape is still rendering
        assert not scrape.done()
        blocker.release.set()
        during, after = (await scrape).decode(), (await metrics.scrape()).decode()
        await checker.stop()
        return during, after, blocker.renders

    during, after, renders = asyncio.run(go())
    # The scrape shows the state of the moment it began, consistently; the next one the failover.
    assert 'maglev_backend_state{backend="a",state="up"} 1.0' in during
    assert 'maglev_frontend_pool_backend_weight{backend="b",frontend="web",pool="pool1"} 0.0' in during
    assert 'maglev_backend_state{backend="a",state="down"} 1.0' in after
    assert 'maglev_frontend_pool_backend_weight{backend="b",frontend="web",pool="pool1"} 100.0' in after
    assert renders == 2


def test_concurrent_scrapes_share_one_render_up_to_the_bound_then_get_503():
    from aiohttp.test_utils import TestClient, TestServer
    from ansible_collections.vpp.maglev.maglevd.daemon import Daemon, DaemonOptions
    from ansible_collections.vpp.maglev.maglevd.scrape import MAX_SCRAPES_SHARING

    async def go():
        config = make_config({"a": "10.0.0.1"}, frontends={"solo": [["a"]]}, checks=[])
        daemon = Daemon(config, DaemonOptions(control_socket="", vpp_api_addr=""))
        await daemon.start()
        blocker = Blocker()
        daemon.register_collector(blocker)
        headers = {"Authorization": "Bearer t"}
        try:
            async with TestClient(TestServer(daemon.api.build_app("t"))) as client:
                waiting = [
                    asyncio.create_task(client.get("/metrics", headers=headers)) for _n in range(MAX_SCRAPES_SHARING)
                ]
                await blocker.entered.wait()
                scraper = daemon.metrics.scraper
                await eventually(lambda: scraper.sharing == MAX_SCRAPES_SHARING, "the scrapes to share the render")
                refused = await client.get("/metrics", headers=headers)
                busy = (refused.status, refused.headers.get("Retry-After"), await refused.json())
                blocker.release.set()
                answers = [await task for task in waiting]
                bodies = {await answer.read() for answer in answers}
                return busy, [a.status for a in answers], bodies, blocker.renders
        finally:
            await daemon.stop()

    busy, statuses, bodies, renders = asyncio.run(go())
    assert busy[0] == 503 and busy[1] == "1" and busy[2]["error"]["code"] == "scrape-busy"
    assert statuses == [200] * MAX_SCRAPES_SHARING
    assert len(bodies) == 1 and b"maglev_backend_state" in next(iter(bodies))  # one text, shared
    assert renders == 1


@pytest.mark.parametrize("sharing", [1, 3])
def test_the_bound_counts_every_scrape_waiting_on_the_render(sharing):
    from ansible_collections.vpp.maglev.maglevd.scrape import ScrapeBusy, Scraper

    async def go():
        metrics = small_metrics()
        blocker = Blocker()
        metrics.registry.register(blocker)
        scraper = Scraper(metrics.registry, max_sharing=sharing)
        first = [asyncio.create_task(scraper.scrape()) for _n in range(sharing)]
        await blocker.entered.wait()
        await eventually(lambda: scraper.sharing == sharing, "the scrapes to wait")
        with pytest.raises(ScrapeBusy):
            await scraper.scrape()
        first[0].cancel()  # a scraper that hangs up does not cancel the shared render
        with pytest.raises(asyncio.CancelledError):
            await first[0]
        assert scraper.inflight is not None and not scraper.inflight.done()
        blocker.release.set()
        done = await asyncio.gather(*first[1:])
        await eventually(lambda: scraper.inflight is None, "the render to end")
        again = await scraper.scrape()  # the next render starts afresh
        return done, again, blocker.renders

    done, again, renders = asyncio.run(go())
    assert len(set(done)) <= 1 and renders == 2 and b"maglev_backend_state" in again
