"""Time for the daemon: monotonic for every interval and timeout, wall time only for display.

Injectable so tests can drive adaptive intervals and jitter deterministically (FakeClock in
the tests records every requested sleep and advances instantly).
"""

from __future__ import annotations

import asyncio
import time
from typing import Optional, Union


class Wake:
    """A resettable flag that ends a worker's sleep early (the subset of asyncio.Event it needs).

    Cheaper than asyncio.Event under asyncio.timeout: that pair costs a Timeout object, a waiter
    future and, each time the sleep simply runs out (nearly always), a task cancellation with
    its exceptions; a probe worker sleeps once per probe, thousands of times a second.
    """

    __slots__ = ("_flag", "_waiter")

    def __init__(self) -> None:
        self._flag = False
        self._waiter: Optional[asyncio.Future] = None

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def clear(self) -> None:
        self._flag = False

    async def wait(self) -> None:
        await self._until(None)

    async def _until(self, delay: Optional[float]) -> None:
        """Return when set, or after `delay` seconds (None: no limit)."""
        if self._flag:
            return
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = None if delay is None else loop.call_later(delay, _release, waiter)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None and self._flag:
                timer.cancel()  # woken early: do not leave the timer in the loop's heap to fire


def _release(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Clock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    async def sleep(self, delay: Optional[float], wake: Union[Wake, asyncio.Event, None] = None) -> None:
        """Sleep `delay` seconds (None: until woken), returning early when `wake` is set."""
        if isinstance(wake, Wake):
            await wake._until(delay)
            return
        if wake is None:
            if delay is None:
                await asyncio.Event().wait()
            await asyncio.sleep(delay or 0)
            return
        if wake.is_set():
            return
        if delay is None:
            await wake.wait()
            return
        try:
            async with asyncio.timeout(delay):
                await wake.wait()
        except TimeoutError:
            pass
