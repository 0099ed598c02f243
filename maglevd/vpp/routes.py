"""The `vpp` section of the control API, served by the VPP component (its ``routes()``).

    GET  /v1/vpp/info       show vpp info       connection, VPP version and pid, reconciler status
    GET  /v1/vpp/lb/state   show vpp lb state   what VPP holds now (views.state_to_dict shape)
    POST /v1/vpp/lb/sync    sync vpp lb state   a full sync now; its counts, or its error (502)

Errors: 503 `vpp-disabled` (maglevd runs without VPP), 503 `vpp-not-connected`, 502
`vpp-error` (VPP answered with an error).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable, List

from aiohttp import web

from ...plugins.module_utils.vpp_errors import VppError
from ..api.http import ApiError, json_response
from .errors import VppDisabled, VppNotConnected

if TYPE_CHECKING:
    from .component import VppComponent


def _guarded(call: Callable[[], Awaitable[Any]]) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        try:
            result = await call()
        except VppDisabled as exc:
            raise ApiError(503, "vpp-disabled", str(exc))
        except VppNotConnected as exc:
            raise ApiError(503, "vpp-not-connected", str(exc))
        except VppError as exc:
            raise ApiError(502, "vpp-error", str(exc))
        if isinstance(result, dict) and result.get("result") == "error":
            code = "vpp-not-connected" if "not connected" in str(result.get("error")) else "vpp-error"
            return json_response({"error": {"code": code, "message": result.get("error")}, "sync": result}, 502)
        return json_response(result)

    return handler


def vpp_routes(vpp: VppComponent) -> List[web.RouteDef]:
    return [
        web.get("/v1/vpp/info", _guarded(vpp.info)),
        web.get("/v1/vpp/lb/state", _guarded(vpp.lb_state)),
        web.post("/v1/vpp/lb/sync", _guarded(vpp.sync)),
    ]
