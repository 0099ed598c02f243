"""Time for the daemon: monotonic for every interval and timeout, wall time only for display.

Injectable so tests can drive adaptive intervals and jitter deterministically (FakeClock in
the tests records every requested sleep and advances instantly).
"""

from __future__ import annotations

import asyncio
import time
from typing import Optional


class Clock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    async def sleep(self, delay: Optional[float], wake: Optional[asyncio.Event] = None) -> None:
        """Sleep `delay` seconds (None: until woken), returning early when `wake` is set."""
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
