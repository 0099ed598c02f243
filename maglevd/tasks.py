"""maglevd's long-running tasks: how they keep running, and the one way to stop them.

- ``keep_running(body, on_crash)``: the VPP supervisor, the reconciler's worker and its timers
  are the only path to VPP; if one of them ended on an exception, maglevd would keep probing
  and reporting while VPP silently stopped following it. The exception is reported
  (``on_crash``: log with the traceback, count) and the body runs again after ``pause``; only
  cancellation (shutdown) and a normal return end it.
- ``cancel_and_wait(tasks, log=...)``: cancel, wait until every task has ended, log each
  task's real exception (a crashed worker is never hidden behind its cancellation), and let
  the caller's own cancellation through.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Iterable

from ..plugins.module_utils.vpp_errors import describe

# Between a crash and the restart of the same body: a body that fails at once every time
# then costs two log lines a second, not a busy loop.
RESTART_PAUSE = 0.5

_log = logging.getLogger("maglevd.tasks")


async def keep_running(
    body: Callable[[], Awaitable[None]],
    on_crash: Callable[[BaseException], None],
    pause: float = RESTART_PAUSE,
) -> None:
    """Run ``body`` until it returns; report each exception and run it again."""
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
                _log.exception("task-crash-report-failed")
        await asyncio.sleep(pause)


async def cancel_and_wait(tasks: Iterable[asyncio.Task], *, log: logging.Logger) -> None:
    """Cancel ``tasks``, wait for all of them, log the exception of any that failed.

    A task that ended on its own exception (before or while being cancelled) is logged as
    ``task-failed`` with its traceback; a task that ended by cancellation is not. If the caller
    is cancelled while it waits, the tasks are still awaited to their end, then the caller's
    ``CancelledError`` is raised again."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    caller_cancelled = False
    pending = {task for task in tasks if not task.done()}
    while pending:
        try:
            pending = (await asyncio.wait(pending))[1]
        except asyncio.CancelledError:
            caller_cancelled = True  # the tasks were cancelled already: wait for them to end
    for task in tasks:
        if task.cancelled():
            continue
        exc = task.exception()
        if exc is not None:
            log.error(
                "task-failed",
                exc_info=exc,
                extra={"fields": {"task": task.get_name(), "error": describe(exc)}},
            )
    if caller_cancelled:
        raise asyncio.CancelledError()
