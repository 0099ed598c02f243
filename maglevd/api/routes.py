"""The control API's resource routes under /v1 (docs/api.md documents every one).

Each handler reads the request, asks the `ControlTarget` and answers JSON: no handler reaches
into the daemon. The verbs of `POST /v1/backends/{name}/{action}` are the operator actions'
(plugins/module_utils/operator_actions.py).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List

from aiohttp import web

from ...plugins.module_utils.operator_actions import ACTIONS
from ...plugins.module_utils.quoting import quote
from ...plugins.module_utils.rules.pool import MAX_WEIGHT
from ..listeners import ListenerLimits
from ..metrics import CONTENT_TYPE
from ..scrape import ScrapeBusy
from ..version import VERSION
from .control_target import ControlTarget
from .http import ApiError, error_response, flag, json_body, json_response


class ResourceRoutes:
    def __init__(
        self,
        target: ControlTarget,
        limits: Callable[[], ListenerLimits],
        listener_status: Callable[[], Dict[str, Any]],
    ) -> None:
        self.target = target
        self.limits = limits  # the server's, read when a body is read (set at start)
        self.listener_status = listener_status  # the server's listeners, for /v1/status "api"

    def routes(self) -> List[web.RouteDef]:
        weight = "/v1/frontends/{name}/pools/{pool}/backends/{backend}/weight"
        return [
            web.get("/v1/version", self.version),
            web.get("/v1/status", self.status),
            web.get("/v1/states", self.states),
            web.get("/v1/frontends", self.list_frontends),
            web.get("/v1/frontends/{name}", self.get_frontend),
            web.put(weight, self.set_weight),
            web.post(weight, self.set_weight),
            web.get("/v1/backends", self.list_backends),
            web.get("/v1/backends/{name}", self.get_backend),
            web.post("/v1/backends/{name}/{action}", self.backend_action),
            web.get("/v1/healthchecks", self.list_healthchecks),
            web.get("/v1/healthchecks/{name}", self.get_healthcheck),
            web.post("/v1/config/check", self.config_check),
            web.post("/v1/config/reload", self.config_reload),
            web.get("/metrics", self.metrics),
        ]

    async def version(self, request: web.Request) -> web.Response:
        return json_response({"version": VERSION, "pid": os.getpid()})

    async def status(self, request: web.Request) -> web.Response:
        return json_response({**self.target.status(), "api": self.listener_status()})

    async def states(self, request: web.Request) -> web.Response:
        return json_response({name: state.value for name, state in self.target.backend_states().items()})

    async def list_frontends(self, request: web.Request) -> web.Response:
        return json_response(self.target.frontend_views())

    async def get_frontend(self, request: web.Request) -> web.Response:
        return json_response(self.target.frontend_view(request.match_info["name"]))

    async def list_backends(self, request: web.Request) -> web.Response:
        return json_response(self.target.backend_views())

    async def get_backend(self, request: web.Request) -> web.Response:
        return json_response(self.target.backend_view(request.match_info["name"]))

    async def backend_action(self, request: web.Request) -> web.Response:
        name, action = request.match_info["name"], request.match_info["action"]
        if action not in ACTIONS:
            raise ApiError(404, "not-found", f"unknown action {quote(action)}: expected one of {', '.join(ACTIONS)}")
        return json_response(self.target.backend_action(name, action, force=flag(request, "force")))

    async def set_weight(self, request: web.Request) -> web.Response:
        body = await json_body(request, self.limits())
        if "weight" not in body:
            raise ApiError(400, "invalid-request", f'body must be {{"weight": 0..{MAX_WEIGHT}}}')
        m = request.match_info
        force = flag(request, "force")
        return json_response(self.target.set_weight(m["name"], m["pool"], m["backend"], body["weight"], force=force))

    async def list_healthchecks(self, request: web.Request) -> web.Response:
        return json_response(self.target.healthcheck_views())

    async def get_healthcheck(self, request: web.Request) -> web.Response:
        return json_response(self.target.healthcheck_view(request.match_info["name"]))

    async def config_check(self, request: web.Request) -> web.Response:
        return json_response(await self.target.check_config())

    async def config_reload(self, request: web.Request) -> web.Response:
        result: Dict = await self.target.reload(source="api")
        return json_response(result, 200 if result["ok"] else 422)

    async def metrics(self, request: web.Request) -> web.Response:
        try:
            body = await self.target.render_metrics()
        except ScrapeBusy as exc:  # docs/security.md "Limits": scrapes sharing one render
            response = error_response(503, "scrape-busy", str(exc))
            response.headers["Retry-After"] = "1"
            return response
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def vpp_unavailable(self, request: web.Request) -> web.Response:
        return error_response(503, "vpp-unavailable", "this maglevd has no VPP integration")
