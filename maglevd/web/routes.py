"""What the dashboard's listener answers besides the page's files (docs/dashboard.md).

The control API's own handlers (api/routes.py, api/event_stream.py), so the dashboard reads
exactly what `maglevc` reads and its actions meet the daemon's own guards; only the parts the
page needs: the read-only views, the event stream (bounded: at most `max_streams` open), the
operator actions and runtime weights, and one batch read of frontends for the page's live
refresh (its frontend views shared by every open dashboard: view_cache.py). No config check
or reload, no VPP sync, no log or probe stream.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from aiohttp import web

from ..api.control_target import ControlTarget
from ..api.event_stream import EventStream
from ..api.http import ApiError
from ..api.routes import ResourceRoutes
from ..control_errors import NotFound
from .view_cache import FrontendViewCache

STATUS_TTL = 5.0  # seconds one /v1/status answer serves every dashboard's header (the page asks every 5 s)
MAX_STREAMS = 32  # dashboard event streams open at once on the listener
MAX_BATCH = 100  # frontends in one /dashboard/frontends read
MAX_BATCH_BACKENDS = 500  # backends in one /dashboard/frontends read
REFUSED_STREAM_PARAMS = ("log", "probes")  # heavy or noisy: the control API's, not the page's
# The control API's routes the page uses as they are (api/routes.py); /v1/status and /v1/events
# are wrapped below.
OFFERED = frozenset(
    {
        ("GET", "/v1/version"),
        ("GET", "/v1/frontends"),
        ("GET", "/v1/frontends/{name}"),
        ("GET", "/v1/backends"),
        ("GET", "/v1/backends/{name}"),
        ("POST", "/v1/backends/{name}/{action}"),
        ("PUT", "/v1/frontends/{name}/pools/{pool}/backends/{backend}/weight"),
    }
)


class DashboardRoutes:
    def __init__(
        self,
        target: ControlTarget,
        resources: ResourceRoutes,
        events: EventStream,
        cache: FrontendViewCache,
        max_streams: int = MAX_STREAMS,
    ) -> None:
        self.target = target
        self.cache = cache
        self.resources = resources
        self.events = events
        self.max_streams = max_streams
        self.open_streams = 0
        self.status_body: Optional[Tuple[float, Any]] = None  # (computed at, JSON bytes)

    def routes(self) -> List[web.RouteDef]:
        """The control API's own routes in OFFERED, then the dashboard's."""
        offered = [r for r in self.resources.routes() if (r.method, r.path) in OFFERED]  # type: ignore[attr-defined]
        return offered + [
            web.get("/v1/status", self.status),
            web.get("/v1/events", self.stream),
            web.get("/dashboard/frontends", self.frontends_batch),
        ]

    def on_event(self, event: Any) -> None:
        """A bus listener: a reload's outcome shows in the next header at once, not 5 s later;
        the views are the cache's to drop."""
        if event.type in ("config-reload", "config-reload-failed"):
            self.status_body = None
        self.cache.on_event(event)

    async def status(self, request: web.Request) -> web.Response:
        """The control API's /v1/status, computed at most once per STATUS_TTL for all dashboards:
        it counts every backend and asks every component, and each open page asks every 5 s."""
        now = time.monotonic()
        if self.status_body is None or now - self.status_body[0] >= STATUS_TTL:
            response = await self.resources.status(request)
            self.status_body = (now, response.body)
        return web.Response(body=self.status_body[1], content_type="application/json")

    async def stream(self, request: web.Request) -> web.StreamResponse:
        for name in REFUSED_STREAM_PARAMS:
            if name in request.query:
                raise ApiError(400, "invalid-request", f"{name}: not offered on the dashboard's listener")
        if self.open_streams >= self.max_streams:
            raise ApiError(
                429,
                "too-many-streams",
                f"the dashboard has its maximum of {self.max_streams} event streams open; close a tab or retry later",
            )
        self.open_streams += 1
        try:
            return await self.events.handle(request)
        finally:
            self.open_streams -= 1

    async def frontends_batch(self, request: web.Request) -> web.Response:
        """`?name=a&name=b&backend=x`: those frontends' views and those backends' views (health
        counter, last transitions; the page asks for the backends of the frontends it shows
        expanded), read in one step; names that no longer exist are listed under `missing` and
        `missing_backends` (a reload removed them)."""
        names, backends = request.query.getall("name", []), request.query.getall("backend", [])
        for field, values, cap in (("name", names, MAX_BATCH), ("backend", backends, MAX_BATCH_BACKENDS)):
            if len(values) > cap:
                raise ApiError(400, "invalid-request", f"{field}: at most {cap} per request, got {len(values)}")
        batch = batch_views(self.cache.frontend_json, self.target.backend_view, names, backends)
        return web.Response(text=render_batch(batch), content_type="application/json")


def render_batch(batch: Dict[str, Any]) -> str:
    """The batch as JSON; its frontends are JSON already (shared by every dashboard: view_cache.py)."""
    rest = json.dumps({key: value for key, value in batch.items() if key != "frontends"}, separators=(",", ":"))
    return '{"frontends":[' + ",".join(batch["frontends"]) + "]," + rest[1:] + "\n"


def batch_views(
    frontend_json: Callable[[str], str], backend_view: Callable[[str], Any], names: List[str], backends: List[str]
) -> Dict[str, Any]:
    """Each named frontend's view (as JSON text) and backend's view, once each; NotFound names
    under missing*."""
    result: Dict[str, List[Any]] = {"frontends": [], "missing": [], "backends": [], "missing_backends": []}
    for kind, wanted, read in (("frontends", names, frontend_json), ("backends", backends, backend_view)):
        lost = "missing" if kind == "frontends" else "missing_backends"
        for name in dict.fromkeys(wanted):
            try:
                result[kind].append(read(name))
            except NotFound:
                result[lost].append(name[:200])
    return result
