"""The reconciler's clocks: the periodic full sync and the restart warmup's two deadlines.

Both only ask for syncs (``request_full_sync``, ``frontends_changed``); the reconciler's worker
runs them. They run under ``tasks.keep_running`` (docs/reconciler.md).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from .logs import emit
from .warmup import Phase

if TYPE_CHECKING:
    from .reconciler import Reconciler

log = logging.getLogger("maglevd.reconciler")


async def periodic_full_sync(reconciler: Reconciler) -> None:
    """A full sync every ``sync-interval`` while connected (0: never; looked at every second)."""
    while True:
        interval = reconciler.config.vpp_lb.sync_interval
        await asyncio.sleep(interval if interval > 0 else 1.0)
        if interval > 0 and reconciler.vpp.connected and reconciler.queue.full_reason is None:
            reconciler.request_full_sync("periodic")


async def warmup_releases(reconciler: Reconciler) -> None:
    """At min-delay look at every frontend (releasing those whose backends are known); at
    max-delay run the final full sync (warmup.py)."""
    warmup = reconciler.warmup
    while not warmup.finished:
        now = reconciler.clock()
        phase = warmup.phase(now)
        await asyncio.sleep(max(warmup.deadline(now), 0.001))
        now = reconciler.clock()
        if phase is Phase.HANDS_OFF and warmup.phase(now) is not Phase.HANDS_OFF:
            emit(log, "vpp-warmup", phase="releasing", frontends=len(reconciler.config.frontends))
            # Transitions seen during hands-off were held back: look at every frontend now.
            reconciler.queue.add((), touched=reconciler.frontends_by_backend)
            reconciler.frontends_changed(reconciler.config.frontends)
        if warmup.final_sync_due(now):
            emit(log, "vpp-warmup", phase="done", released_early=len(warmup.released))
            reconciler.metrics.warmup.set(0)
            reconciler.request_full_sync("warmup-end")
