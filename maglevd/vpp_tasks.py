"""Long-running tasks of the VPP side that an exception cannot end.

The supervisor, the reconciler's worker and its timers are the only path to VPP: if one of
them ended on an exception, maglevd would keep probing and reporting while VPP silently
stopped following it. ``keep_running`` reports the exception (``on_crash``: log with the
traceback, count) and runs the body again after ``pause``; only cancellation (shutdown) and a
normal return end it.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

# Between a crash and the restart of the same body: a body that fails at once every time
# then costs two log lines a second, not a busy loop.
RESTART_PAUSE = 0.5


async def keep_running(
    body: Callable[[], Awaitable[None]],
    on_crash: Callable[[BaseException], None],
    pause: float = RESTART_PAUSE,
) -> None:
    while True:
        try:
            await body()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            try:
                on_crash(exc)
            except Exception:  # reporting must not be what ends the task
                pass
        await asyncio.sleep(pause)
