"""The in-process event bus: transitions, operator actions, reloads and logs.

Two ways to listen:

- `add_listener(callback)`: a synchronous in-process callback, called in publish order on the
  event loop. For daemon components (the VPP reconciler): the callback must be quick and must
  not block (set a flag, put on its own queue).
- `subscribe(...)`: a bounded queue per subscriber, for API event streams. A full queue drops
  the event for that subscriber only and counts it; the subscriber is told how many it missed
  (a `dropped` event) before its next event. Publishing never waits, so a slow or stuck
  subscriber cannot slow probing. A queue holds at most MAX_QUEUE events whatever the
  subscriber asked for; closing a subscription (the API does it the moment its client's
  connection goes) drops its queue at once and wakes its reader (`SubscriptionClosed`).

Event types (stable names): backend-transition, frontend-transition, weight-change,
config-reload, config-reload-failed, frontend-blackhole, frontend-blackhole-cleared (the VPP
side's traffic poller, docs/traffic.md), probe (only when someone subscribed to it), log, dropped.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional

log = logging.getLogger("maglevd.events")

# Events one subscriber may hold. Subscribers share the Event objects, so stalled subscribers
# together pin at most this many events (tens of MB) plus a pointer per queued event each.
MAX_QUEUE = 65536


class SubscriptionClosed(Exception):
    """The subscription was closed (its client went away) while its reader waited."""


class Event:
    __slots__ = ("data", "seq", "time", "type")

    def __init__(self, type_: str, data: Dict[str, Any], seq: int, when: float) -> None:
        self.type = type_
        self.data = data
        self.seq = seq
        self.time = when

    def to_dict(self) -> Dict[str, Any]:
        return {"type": self.type, "seq": self.seq, "time": self.time, **self.data}

    def __repr__(self) -> str:
        return f"Event({self.type!r}, {self.data!r})"


Filter = Callable[[Event], bool]


class Subscription:
    def __init__(self, bus: EventBus, maxsize: int, accept: Optional[Filter], probes: bool, logs: bool) -> None:
        self.bus = bus
        self.maxsize = min(max(1, maxsize), MAX_QUEUE)
        self.accept = accept
        self.probes = probes
        self.logs = logs
        self.queue: Deque[Event] = deque()
        self.dropped = 0  # total for this subscriber
        self._ready = asyncio.Event()
        self.closed = False

    def _offer(self, event: Event) -> None:
        queue = self.queue
        if len(queue) >= self.maxsize:
            # Full: drop it, and keep one `dropped` marker at the tail (the queue may exceed
            # maxsize by that one marker) so the reader learns where and how many it lost.
            self.dropped += 1
            self.bus.dropped_total += 1
            if queue and queue[-1].type == "dropped":
                queue[-1].data["count"] += 1
                queue[-1].data["total"] = self.dropped
            else:
                queue.append(Event("dropped", {"count": 1, "total": self.dropped}, 0, time.time()))
            return
        queue.append(event)
        self._ready.set()

    def get_nowait(self) -> Optional[Event]:
        if self.queue:
            return self.queue.popleft()
        self._ready.clear()
        return None

    async def get(self) -> Event:
        while True:
            if self.closed:
                raise SubscriptionClosed()
            event = self.get_nowait()
            if event is not None:
                return event
            await self._ready.wait()

    def close(self) -> None:
        """Leave the bus and drop the queue now (not when the reader next wakes up)."""
        if not self.closed:
            self.closed = True
            self.bus._subscriptions.remove(self)
            self.queue.clear()
            self._ready.set()  # a waiting get() wakes and raises SubscriptionClosed


class EventBus:
    def __init__(self) -> None:
        self._listeners: List[Callable[[Event], None]] = []
        self._subscriptions: List[Subscription] = []
        self._seq = itertools.count(1)
        self.dropped_total = 0
        self.published_total = 0

    # -- listening --------------------------------------------------------------------------

    def add_listener(self, callback: Callable[[Event], None]) -> None:
        self._listeners.append(callback)

    def subscribe(
        self, maxsize: int = 1024, accept: Optional[Filter] = None, *, probes: bool = False, logs: bool = False
    ) -> Subscription:
        """A bounded subscription; probe and log events only when asked for (they are many)."""
        subscription = Subscription(self, maxsize, accept, probes, logs)
        self._subscriptions.append(subscription)
        return subscription

    @property
    def subscriptions(self) -> List[Subscription]:
        return list(self._subscriptions)

    def wants(self, type_: str) -> bool:
        """Whether anyone would receive a probe/log event (so callers can skip building it)."""
        if type_ == "probe":
            return any(s.probes for s in self._subscriptions)
        if type_ == "log":
            return any(s.logs for s in self._subscriptions)
        return bool(self._subscriptions or self._listeners)

    # -- publishing --------------------------------------------------------------------------

    def publish(self, type_: str, **data: Any) -> Event:
        event = Event(type_, data, next(self._seq), time.time())
        self.published_total += 1
        if type_ not in ("probe", "log"):
            for callback in list(self._listeners):
                try:
                    callback(event)
                except Exception:  # a broken listener must not break the checker
                    log.exception("event listener %r failed", callback)
        for subscription in self._subscriptions:
            if type_ == "probe" and not subscription.probes:
                continue
            if type_ == "log" and not subscription.logs:
                continue
            if subscription.accept is not None and not subscription.accept(event):
                continue
            subscription._offer(event)
        return event
