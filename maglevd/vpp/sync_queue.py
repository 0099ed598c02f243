"""What the coming syncs must cover: pure bookkeeping on the event loop, no I/O.

Inputs (transitions, runtime weights, reloads, timers) only add work here; the reconciler's
worker takes it, one sync at a time, and gives it back when a sync fails, so that the full sync
that follows re-derives it from fresh state (docs/reconciler.md).
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from ...plugins.module_utils.config_model import Config
from ...plugins.module_utils.lb_model import VipKey


class SyncQueue:
    def __init__(self) -> None:
        self.pending: Set[str] = set()  # frontends to sync
        self.touched: Set[str] = set()  # backends that transitioned since their last sync (force-flush)
        self.retired: Set[VipKey] = set()  # VIPs of earlier configs, deleted at the next full sync
        self.full_reason: Optional[str] = None  # a full sync is due, and why
        self.full_waiters: List[asyncio.Future] = []

    @property
    def has_work(self) -> bool:
        return bool(self.pending or self.full_reason)

    def add(self, frontends: Iterable[str], touched: Iterable[str] = ()) -> None:
        self.pending.update(frontends)
        self.touched.update(touched)

    def request_full(self, reason: str, waiter: asyncio.Future) -> None:
        """A full sync is due; ``waiter`` gets its result. The first reason is kept."""
        self.full_waiters.append(waiter)
        if self.full_reason is None:
            self.full_reason = reason

    def retire(self, old: Config, new: Config) -> None:
        """``new`` replaces ``old``: the VIPs it dropped go at the next full sync."""
        old_keys = {f.vip_key for f in old.frontends.values()}
        new_keys = {f.vip_key for f in new.frontends.values()}
        self.retired |= old_keys - new_keys
        self.retired -= new_keys
        self.pending &= set(new.frontends)

    def take_full(self) -> Tuple[str, List[asyncio.Future]]:
        reason, waiters = self.full_reason or "cache invalid", self.full_waiters
        self.full_reason, self.full_waiters = None, []
        return reason, waiters

    def take_pending(self, config: Config) -> List[str]:
        """Every pending frontend, in config order."""
        names, self.pending = self.pending, set()
        return [name for name in config.frontends if name in names]

    def take_touched(self, config: Config, names: Iterable[str]) -> Set[str]:
        """The transitioned backends these frontends use; the rest wait for their own sync."""
        used = {b for name in names for b in config.frontends[name].backend_names()}
        taken = self.touched & used
        self.touched -= taken
        return taken

    def give_back(self, names: Iterable[str], touched: Set[str]) -> None:
        """A sync failed: keep its work for the next one."""
        self.pending.update(names)
        self.touched |= touched

    def answer(self, result: Dict[str, Any], waiters: Optional[List[asyncio.Future]] = None) -> None:
        """Resolve ``waiters`` (all waiting ones when None) with ``result``."""
        if waiters is None:
            waiters, self.full_waiters = self.full_waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(result)
