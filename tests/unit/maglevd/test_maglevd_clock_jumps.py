"""Wall-clock jumps (reliability scenario #14): intervals, timeouts and warmup run on monotonic time.

The checker takes its monotonic time from an injected clock and its wall time from time.time()
(display and event timestamps only). Here time.time() jumps by hours and days on every call;
the schedule, the state sequence and the warmup must come out exactly as without the jumps,
while the jumped wall times do show up where they belong (so the jumps really reached the code).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random
import time

from ansible_collections.vpp.maglev.maglevd.checker import Checker
from ansible_collections.vpp.maglev.maglevd.clock import Clock
from ansible_collections.vpp.maglev.maglevd.events import EventBus
from ansible_collections.vpp.maglev.maglevd.vpp.reconciler import Reconciler
from ansible_collections.vpp.maglev.maglevd.vpp.warmup import Phase
from ansible_collections.vpp.maglev.tests.helpers.checker_fakes import FakeClock, ScriptProbe, make_config

JUMPS = (3600.0, -3600.0, 86400.0, -86400.0, -2 * 86400.0, 7 * 86400.0)


class WallFromTime(FakeClock):
    """Monotonic time advances only by the requested sleeps; wall time is the real time.time()."""

    def wall(self) -> float:
        return time.time()


def jumping_time(base: float = 1_700_000_000.0):
    """A time.time() that lands on a different hour or day at every call."""
    jumps = itertools.cycle(JUMPS)
    return lambda: base + next(jumps)


def run_script(script: str):
    """Run the checker over one backend's scripted results; returns (sleeps, transitions, walls)."""

    async def go():
        clock = WallFromTime()
        bus = EventBus()
        events = []
        bus.add_listener(events.append)
        probes = []

        def factory(check, address):
            probes.append(ScriptProbe(address, script))
            return probes[-1]

        checker = Checker(make_config({"a": "10.0.0.1"}), bus, clock=clock, rng=random.Random(3), probe_factory=factory)
        await checker.start()
        await asyncio.wait_for(probes[0].exhausted.wait(), 10)
        await checker.stop()
        moves = [(e.data["from"], e.data["to"], e.data["code"]) for e in events if e.type == "backend-transition"]
        walls = [e.time for e in events] + [t.wall for t in checker.get_health("a").history]
        monos = [t.mono for t in checker.get_health("a").history]
        return clock.sleeps, moves, monos, walls

    return asyncio.run(go())


def test_wall_clock_jumps_change_no_interval_and_no_transition(monkeypatch):
    script = "PPPFFFFPPFP"
    sleeps, moves, monos, walls = run_script(script)
    monkeypatch.setattr(time, "time", jumping_time())
    jumped_sleeps, jumped_moves, jumped_monos, jumped_walls = run_script(script)
    assert jumped_sleeps == sleeps and len(sleeps) > len(script)
    assert jumped_moves == moves and len(moves) >= 3
    assert jumped_monos == monos
    # the jumps did reach the checker: every wall time it stamped is one of the jumped ones
    assert walls != jumped_walls and set(jumped_walls) <= {1_700_000_000.0 + j for j in JUMPS}


def test_clock_intervals_use_the_loop_clock_not_wall_time(monkeypatch):
    """A real Clock sleep is not stretched or cut short by a wall-clock jump during it."""

    async def go():
        clock = Clock()
        loop = asyncio.get_running_loop()
        start_mono, start_loop = clock.monotonic(), loop.time()
        monkeypatch.setattr(time, "time", jumping_time())
        task = loop.create_task(clock.sleep(3600.0))  # an hour: must still be pending after a +1 day jump
        await asyncio.sleep(0)
        time.time()  # the wall clock moves on (a day at a time)
        await asyncio.sleep(0)
        pending = not task.done()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return pending, clock.monotonic() - start_mono, loop.time() - start_loop, clock.wall()

    pending, mono_elapsed, loop_elapsed, wall = asyncio.run(go())
    assert pending
    assert 0 <= mono_elapsed < 3600 and 0 <= loop_elapsed < 3600  # never seen the jumps
    assert wall in {1_700_000_000.0 + j for j in JUMPS}


def test_reconciler_warmup_counts_monotonic_time(monkeypatch):
    """A jump of the wall clock by a day does not end the restart hands-off window."""
    base = make_config({"a": "10.0.0.1"})
    lb = dataclasses.replace(base.vpp_lb, startup_min_delay=600.0, startup_max_delay=1200.0)
    rec = Reconciler(dataclasses.replace(base, vpp_lb=lb), dict, _NoVpp())
    assert rec.clock is time.monotonic
    monkeypatch.setattr(time, "time", jumping_time(time.time() + 86400))
    assert rec.warmup.phase(rec.clock()) is Phase.HANDS_OFF
    assert not rec.warmup.final_sync_due(rec.clock())


class _NoVpp:
    """Just enough of a VppConnection to build a Reconciler that is never started."""

    connected = False
    metrics = None

    def __init__(self) -> None:
        self.on_connect: list = []
        self.on_disconnect: list = []
