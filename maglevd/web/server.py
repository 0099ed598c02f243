"""The dashboard's listener (`--web-addr HOST:PORT`): the page at `/` and the API parts it needs.

Built on the control API's HTTP stack, not beside it: the same handlers (web/routes.py), the
same error shape and body cap (api/http.py), the same guarded listener (listeners.py: capped
connections, idle and stalled clients closed), listed as `web` in /v1/status "api" and the
maglev_api_* metrics. Its event streams are the API's, so a stop ends them with the rest.
Access: web/access.py; headers: web/headers.py; docs/dashboard.md.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

from aiohttp import web

from ..api.http import ApiError, body_limit_middleware, errors_middleware
from ..api.server import SHUTDOWN_TIMEOUT, ControlApi
from ..listeners import GuardedSite, Listener
from .access import access_middleware, is_loopback_host
from .assets import AssetRoutes, load_assets
from .headers import add_security_headers
from .routes import MAX_STREAMS, DashboardRoutes
from .view_cache import FrontendViewCache

LISTENER = "web"


class WebDashboard:
    def __init__(
        self, api: ControlApi, listen: Callable[[Callable[[Any], None]], None], max_streams: int = MAX_STREAMS
    ) -> None:
        """`listen` adds a synchronous bus listener (EventBus.add_listener): the view cache's."""
        self.api = api
        self.listen = listen
        self.cache = FrontendViewCache(api.target)
        self.dashboard = DashboardRoutes(api.target, api.resources, api.events, self.cache, max_streams)
        self.runner: Optional[web.AppRunner] = None
        self.address: Optional[Tuple[str, int]] = None
        self.loopback = False

    def build_app(self, token: Optional[str], loopback: bool) -> web.Application:
        assets = AssetRoutes(load_assets())
        max_body = self.api.limits.max_body
        app = web.Application(
            middlewares=[
                access_middleware(token, loopback, assets.paths),
                errors_middleware,
                body_limit_middleware(max_body),
            ],
            client_max_size=max_body,
        )
        app.on_response_prepare.append(add_security_headers)
        app.add_routes(assets.routes() + self.dashboard.routes())
        return app

    async def start(self, address: Optional[Tuple[Optional[str], int]], token: Optional[str]) -> None:
        """Listen on address (None: no dashboard). Off loopback it needs the control token.
        Call after the control API started (its limits are read from the environment there)."""
        if address is None:
            return
        host, port = address
        self.loopback = is_loopback_host(host)
        if not self.loopback and not token:
            raise ApiError(
                0,
                "no-token",
                "--web-addr off loopback needs the control token (MAGLEV_CONTROL_TOKEN or --control-token-file)",
            )
        limits = self.api.limits
        self.runner = web.AppRunner(
            self.build_app(token, self.loopback),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            keepalive_timeout=limits.idle_timeout,
            lingering_time=limits.body_timeout,
        )
        await self.runner.setup()
        listener = self.api.listeners[LISTENER] = Listener(LISTENER, limits)
        site = GuardedSite(self.runner, listener, host=host, port=port)
        await site.start()
        self.address = site.address
        self.listen(self.dashboard.on_event)

    def status(self) -> dict:
        return {
            "address": self.address,
            "loopback": self.loopback,
            "streams": self.dashboard.open_streams,
            "max_streams": self.dashboard.max_streams,
        }

    async def stop(self) -> None:
        """After the control API's stop (which ends every event stream, these included)."""
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
