"""One probe worker: probes one (address, healthcheck spec) for every backend that shares it.

A backend shared by many frontends is probed once; two backend names on the same address with
the same check share one worker too. A worker runs one probe at a time (never overlapping),
sleeps per schedule.py, and stops entirely when none of its backends is probing (paused,
disabled, removed). Each probe's next slot counts from when it was due (not from when the loop
got to it), and a timeout that came back late because the loop stalled is retried, not counted
(schedule.py: the overload guard). Results go to the checker (`deliver`, `note_late`); a worker
that a reload dropped sees it is no longer in `checker.workers` and delivers nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Optional, Set, Tuple

from ..plugins.module_utils.config_model import HealthCheck
from .clock import Wake
from .probes import Probe
from .schedule import MAX_LATE_RETRIES, late_timeout, next_delay, next_due

if TYPE_CHECKING:
    from .checker import Checker

ProbeKey = Tuple[str, Optional[HealthCheck]]  # (address, healthcheck spec without its name)


def check_spec(check: Optional[HealthCheck]) -> Optional[HealthCheck]:
    """A healthcheck without its name: two names with the same settings are the same probe."""
    return None if check is None else dataclasses.replace(check, name="")


class ProbeWorker:
    def __init__(self, checker: Checker, key: ProbeKey, check: Optional[HealthCheck], probe: Optional[Probe]) -> None:
        self.checker = checker
        self.key = key
        self.check = check
        self.probe = probe  # None: the probe cannot run (icmp unavailable); backends stay unknown
        self.backends: Set[str] = set()
        self.wake = Wake()
        self.task: Optional[asyncio.Task] = None
        self.probes_sent = 0
        self.late_retries = 0  # consecutive late timeouts retried (overload guard, schedule.py)

    @property
    def type(self) -> str:
        return self.check.type if self.check is not None else "static"

    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, first_delay: float) -> None:
        if self.running() or self.probe is None:
            return
        self.wake.clear()
        # The first due time is fixed now, not when the task first runs: a start-up stall
        # (building the workers, the GC settle) must not collapse the spread offsets into one burst.
        due = self.checker.clock.monotonic() + first_delay
        self.task = asyncio.get_running_loop().create_task(self._loop(due), name=f"probe {self.key[0]}")

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def kick(self) -> None:
        """Probe now (resume/enable: the operator wants an answer, not the next tick)."""
        self.wake.set()

    async def _loop(self, due: Optional[float]) -> None:
        """Probe, deliver, sleep until the next slot; `due` None = until kicked (static)."""
        checker, clock, probe = self.checker, self.checker.clock, self.probe
        assert probe is not None
        while True:
            if due is None:
                await clock.sleep(None, self.wake)
            else:
                remaining = due - clock.monotonic()
                if remaining > 0:
                    await clock.sleep(remaining, self.wake)
            start = clock.monotonic()
            # The slot this probe belongs to: when it was due, however late the loop got to it
            # (a kick starts a new one). The next slot counts from here (schedule.next_due).
            planned = start if due is None or self.wake.is_set() else min(due, start)
            self.wake.clear()
            if checker.workers.get(self.key) is not self:
                return  # dropped by a reload that stops its workers in steps
            self.probes_sent += 1
            result = await probe.run()
            if checker.workers.get(self.key) is not self:
                return  # the answer belongs to a config that is gone
            now = clock.monotonic()
            if late_timeout(result, now - start, probe.timeout) and self.late_retries < MAX_LATE_RETRIES:
                # The loop stalled past this probe's deadline: its answer may have been waiting.
                # Not the backend's failure; retry soon (spread, as other workers are in the same case).
                self.late_retries += 1
                checker.note_late(self, result, now - start)
                due = now + checker.rng.uniform(0.0, probe.timeout)
                continue
            self.late_retries = 0
            healths = checker.deliver(self, result)
            delay = next_delay(healths, self.check, checker.rng)
            due = None if delay is None else next_due(planned, delay, now)
