"""Self-overload (docs/maglevd.md#health-checking, overload guard) with a fake clock: a late loop must not mark backends down.

The fake probes move the fake clock by how long each probe "took", so a timeout that came back
long after its deadline (the loop was stalled) is told from one that came back on time.
"""

from __future__ import annotations

import asyncio
import random
from typing import List, Tuple

from ansible_collections.vpp.maglev.maglevd.checker import Checker
from ansible_collections.vpp.maglev.maglevd.events import EventBus
from ansible_collections.vpp.maglev.maglevd.probes import Probe, ProbeResult
from ansible_collections.vpp.maglev.maglevd.schedule import MAX_LATE_RETRIES, late_timeout, next_due
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.tests.helpers.checker_fakes import FakeClock, hc, make_config

TIMEOUT = 1.0
LATE = TIMEOUT + 0.9  # the timeout fired 0.9 s after its deadline: the loop was stalled
ON_TIME = TIMEOUT  # a real timeout: it fired when due


class TimedProbe(Probe):
    """Plays (ok, code, elapsed) steps, advancing the fake clock by each step's duration."""

    type = "tcp"

    def __init__(self, address, clock: FakeClock, steps: List[Tuple[bool, str, float]]) -> None:
        super().__init__(address, TIMEOUT)
        self.clock = clock
        self.steps = list(steps)
        self.calls = 0
        self.exhausted = asyncio.Event()

    async def run(self) -> ProbeResult:
        if not self.steps:
            self.exhausted.set()
            await asyncio.Event().wait()
        self.calls += 1
        ok, code, elapsed = self.steps.pop(0)
        self.clock.now += elapsed
        return ProbeResult(ok, code, "", elapsed)


class LateClock(FakeClock):
    """Every sleep ends `late` seconds after it should have (the loop woke the worker late)."""

    def __init__(self, late: float) -> None:
        super().__init__()
        self.late = late

    async def sleep(self, delay, wake=None) -> None:
        await super().sleep(delay, wake)
        if delay is not None:
            self.now += self.late


def drive(steps, clock=None, rise=1, fall=1):
    """Run one backend through `steps`; return (transitions, checker, clock)."""

    async def go():
        nonlocal clock
        clock = clock or FakeClock()
        bus = EventBus()
        events = []
        bus.add_listener(events.append)
        probes = []

        def factory(check, address):
            probes.append(TimedProbe(address, clock, steps))
            return probes[-1]

        config = make_config({"a": "10.0.0.1"}, checks=[hc(rise=rise, fall=fall, timeout=TIMEOUT)])
        checker = Checker(config, bus, clock=clock, rng=random.Random(5), probe_factory=factory)
        await checker.start()
        await probes[0].exhausted.wait()
        state = checker.states()["a"]
        await checker.stop()
        moves = [(e.data["from"], e.data["to"], e.data["code"]) for e in events if e.type == "backend-transition"]
        return moves, checker, clock, state

    return asyncio.run(go())


PASS = (True, "L4OK", 0.001)


def test_a_timeout_that_came_back_late_is_retried_not_counted():
    moves, checker, clock, state = drive([PASS, (False, "L4TOUT", LATE), PASS])
    # Without the guard the late timeout would take the backend down (fall=1) and the pass back up.
    assert moves == [("unknown", "up", "L4OK")]
    assert state is BackendState.UP
    assert checker.late_retried == 1
    # The retry comes soon (within one timeout), not a whole interval later.
    retry_sleep = clock.sleeps[2]  # sleeps: initial offset, after the pass, after the late timeout
    assert 0.0 <= retry_sleep < TIMEOUT


def test_a_timeout_on_time_still_counts():
    moves, checker, _clock, state = drive([PASS, (False, "L4TOUT", ON_TIME)])
    assert moves == [("unknown", "up", "L4OK"), ("up", "down", "L4TOUT")]
    assert state is BackendState.DOWN
    assert checker.late_retried == 0


def test_other_failures_count_however_late_they_come():
    moves, checker, _clock, _state = drive([PASS, (False, "L4CON", LATE)])
    assert moves == [("unknown", "up", "L4OK"), ("up", "down", "L4CON")]
    assert checker.late_retried == 0


def test_late_retries_are_bounded_so_a_dead_backend_goes_down_under_sustained_overload():
    late = (False, "L7TOUT", LATE)
    moves, checker, _clock, state = drive([PASS] + [late] * (MAX_LATE_RETRIES + 1))
    assert moves == [("unknown", "up", "L4OK"), ("up", "down", "L7TOUT")]
    assert state is BackendState.DOWN
    assert checker.late_retried == MAX_LATE_RETRIES


def test_the_guard_threshold():
    timed_out = ProbeResult(False, "L6TOUT", "")
    assert not late_timeout(timed_out, TIMEOUT + 0.01, TIMEOUT)  # a healthy loop's few milliseconds
    assert late_timeout(timed_out, TIMEOUT + 0.5, TIMEOUT)
    assert not late_timeout(ProbeResult(True, "L7OK", ""), TIMEOUT + 0.5, TIMEOUT)


def test_the_next_slot_counts_from_when_the_probe_was_due_not_from_when_it_ran():
    # Every wake-up is 0.5 s late. Anchored on the due time, the worker asks for (interval - 0.5)
    # so its probes stay on their slots; counted from the late start they would drift by 0.5 s
    # a round, and a stall would leave every worker it delayed bunched for good.
    interval = hc().interval
    _moves, _checker, clock, _state = drive([PASS] * 6, clock=LateClock(0.5))
    later = clock.sleeps[1:]  # after the initial offset: one sleep after each of the six probes
    assert len(later) == 6
    assert all(interval * 0.9 - 0.5 <= s <= interval * 1.1 - 0.5 for s in later), later


def test_a_slot_missed_altogether_is_skipped_not_fired_at_once():
    assert next_due(10.0, 1.0, 10.2) == 11.0
    assert next_due(10.0, 1.0, 12.5) == 13.0  # a 2.5 s stall: the next slot, not "now"
    assert next_due(10.0, 1.0, 11.0) == 12.0


def test_retried_late_timeouts_are_a_metric():
    from ansible_collections.vpp.maglev.maglevd.metrics import Metrics

    _moves, checker, _clock, _state = drive([PASS, (False, "L4TOUT", LATE), PASS])
    text = Metrics(checker).render().decode()
    assert "maglev_probe_late_timeouts_retried_total 1.0" in text
