"""`GET /v1/events`: a stream of events, NDJSON by default, server-sent events with
`Accept: text/event-stream` (docs/api.md).

A stream starts with the current states (as from == to events, unless `noreplay`), then
follows the bus through a bounded subscription (events.py). The client's connection going
frees the queue at once; a heartbeat (`ping`) every HEARTBEAT seconds keeps proxies from
closing an idle stream. Filters: `backend`, `frontend`, `log` (with `level`), `probes`, `num`,
`queue`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Optional, Set

from aiohttp import web

from ...plugins.module_utils.quoting import quote
from .. import log as logs
from ..events import MAX_QUEUE, Event, Subscription, SubscriptionClosed
from ..listeners import connection_of
from .control_target import ControlTarget
from .http import ApiError, flag, int_param

HEARTBEAT = 15.0


@dataclass(frozen=True)
class StreamFilter:
    """What one client asked to see."""

    backend: Optional[str]
    frontend: Optional[str]
    members: FrozenSet[str]  # the frontend's backends
    level: int  # log events at or above this level

    def accept(self, event: Event) -> bool:
        data = event.data
        if event.type == "log":
            return data.get("levelno", 0) >= self.level
        backend, frontend = self.backend, self.frontend
        if backend is not None and data.get("backend") != backend and backend not in data.get("backends", ()):
            return False
        if frontend is not None:
            if "frontend" in data:
                return data["frontend"] == frontend
            if "backend" in data:
                return data["backend"] in self.members
            if "backends" in data:
                return bool(self.members.intersection(data["backends"]))
        return True


def log_level(request: web.Request) -> int:
    level_name = request.query.get("level", "info")
    if level_name.lower() not in logs.LEVELS:
        raise ApiError(400, "invalid-request", f"level: expected debug, info, warn or error, got {quote(level_name)}")
    return logs.level_number(level_name)


def stream_filter(request: web.Request, target: ControlTarget, level: int) -> StreamFilter:
    """The request's filter; an unknown frontend is a 404."""
    frontend = request.query.get("frontend")
    members = target.frontend_members(frontend) if frontend is not None else frozenset()
    return StreamFilter(request.query.get("backend"), frontend, members, level)


class EventStream:
    def __init__(self, target: ControlTarget) -> None:
        self.target = target
        self.streams: Set[asyncio.Task] = set()  # open streams, ended first on stop

    async def handle(self, request: web.Request) -> web.StreamResponse:
        level = log_level(request)
        num = int_param(request, "num", None, 0, 10**9)
        maxsize = int_param(request, "queue", 1024, 1, MAX_QUEUE)
        assert maxsize is not None
        wanted = stream_filter(request, self.target, level)
        want_logs = flag(request, "log")
        sse = "text/event-stream" in request.headers.get("Accept", "")
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream" if sse else "application/x-ndjson",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        subscription = self.target.subscribe(maxsize, wanted.accept, probes=flag(request, "probes"), logs=want_logs)
        connection = connection_of(request)
        if connection is not None:
            # The client's connection going frees the queue at once, not at the next write.
            connection.on_lost(subscription.close)
        task = asyncio.current_task()
        if task is not None:
            self.streams.add(task)
        if want_logs:
            self.target.want_log_broadcast(wanted.level)
        try:
            await response.prepare(request)
            await self._send_all(request, response, sse, wanted, subscription, num)
        except (ConnectionResetError, SubscriptionClosed, asyncio.CancelledError):
            pass  # the client went (or the daemon stops): the stream ends here
        finally:
            self.streams.discard(task)
            subscription.close()
            if want_logs:
                self.target.drop_log_broadcast(wanted.level)
        return response

    async def _send_all(
        self,
        request: web.Request,
        response: web.StreamResponse,
        sse: bool,
        wanted: StreamFilter,
        subscription: Subscription,
        num: Optional[int],
    ) -> None:
        async def send(data: Dict[str, Any]) -> None:
            text = json.dumps(data, default=str, separators=(",", ":"))
            await response.write((f"event: {data['type']}\ndata: {text}\n\n" if sse else text + "\n").encode())

        if not flag(request, "noreplay"):
            for event in self.target.replay(wanted.backend, wanted.frontend):
                await send(event)
        sent = 0
        while num is None or sent < num:
            try:
                event = await asyncio.wait_for(subscription.get(), HEARTBEAT)
            except asyncio.TimeoutError:
                await send({"type": "ping"})
                continue
            await send(event.to_dict())
            if event.type != "dropped":
                sent += 1
