"""The control API's HTTP edge: JSON answers, the error shape, middlewares, request parsing.

Every error answer is `{"error": {"code", "message", ...}}` (docs/api.md). The errors the
daemon's operations raise (control_errors.py, operator_actions.ActionRefused) map to one status
each here. Any body that is not JSON is a 400, never a 500; every error quotes at most ~200
characters of what the client sent (plugins/module_utils/quoting.py).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import socket
from typing import Any, Dict, Optional

from aiohttp import web

from ...plugins.module_utils.operator_actions import ActionRefused
from ...plugins.module_utils.quoting import clip, quote
from .. import log as logs
from ..control_errors import ConfigCheckBusy, InvalidRequest, LastServingBackend, NotFound
from ..listeners import ListenerLimits


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details  # extra fields of the error object (e.g. `frontends`)


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, default=str, separators=(",", ":")) + "\n", status=status, content_type="application/json"
    )


def error_response(status: int, code: str, message: str, **details: Any) -> web.Response:
    # clip(): the backstop for messages built elsewhere; values are quoted where they are built.
    return json_response({"error": {"code": code, "message": clip(" ".join(message.split())), **details}}, status)


@web.middleware
async def errors_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, **exc.details)
    except NotFound as exc:
        return error_response(404, "not-found", f"{exc.kind} {quote(exc.name)} not found")
    except ActionRefused as exc:
        return error_response(409, exc.code, exc.message)
    except LastServingBackend as exc:
        return error_response(409, "last-serving-backend", exc.message, frontends=exc.frontends)
    except ConfigCheckBusy as exc:  # one check at a time: each may hold hundreds of MB
        return error_response(429, "check-in-progress", str(exc))
    except InvalidRequest as exc:
        return error_response(400, "invalid-request", str(exc))
    except web.HTTPRequestEntityTooLarge as exc:
        return error_response(413, "body-too-large", exc.text or "request body is too large")
    except web.HTTPException as exc:
        if exc.status >= 400:
            return error_response(exc.status, "http-%d" % exc.status, exc.reason)
        raise
    except asyncio.CancelledError:
        raise
    except ConnectionError:  # the client went away mid-request: nothing to answer, no traceback
        logs.event("client-disconnected", logging.DEBUG, path=request.path[:200])
        return error_response(400, "client-disconnected", "the client closed the connection")
    except Exception as exc:  # a bug, not the client's input: log it whole, answer one line
        logs.LOGGER.exception("api-handler-failed", extra={"fields": {"path": request.path[:200]}})
        return error_response(500, "internal-error", f"{type(exc).__name__} (the daemon's log has the details)")


def body_limit_middleware(max_body: int):
    @web.middleware
    async def middleware(request: web.Request, handler):
        # Refused before the handler runs, for every route (read() enforces it for chunked bodies).
        if request.content_length is not None and request.content_length > max_body:
            raise ApiError(413, "body-too-large", f"request body is larger than {max_body} bytes")
        return await handler(request)

    return middleware


def auth_middleware(token: Optional[str]):
    @web.middleware
    async def middleware(request: web.Request, handler):
        sock = request.transport.get_extra_info("socket") if request.transport else None
        if sock is not None and sock.family == socket.AF_UNIX:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        given = header[7:] if header.startswith("Bearer ") else ""
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            return error_response(401, "unauthorized", "missing or wrong bearer token (Authorization: Bearer <token>)")
        return await handler(request)

    return middleware


def decode_json(raw: bytes) -> Dict[str, Any]:
    """A request body as a JSON object; any body that is not one is a 400 `invalid-json`."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid-json", f"request body is not UTF-8 (byte {exc.start})")
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, "invalid-json", f"request body is not JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        )
    except RecursionError:
        raise ApiError(400, "invalid-json", "request body is not JSON maglevd accepts: it is nested too deeply")
    except ValueError:  # e.g. an integer of more than 4300 digits
        raise ApiError(400, "invalid-json", "request body is not JSON maglevd accepts: a number is too long")
    if not isinstance(body, dict):
        raise ApiError(400, "invalid-json", f"request body must be a JSON object, got {type(body).__name__}")
    return body


async def json_body(request: web.Request, limits: ListenerLimits) -> Dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        raw = await asyncio.wait_for(request.read(), limits.body_timeout)
    except asyncio.TimeoutError:
        raise ApiError(408, "body-timeout", f"request body not received within {limits.body_timeout:g} s")
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "body-too-large", f"request body is larger than {limits.max_body} bytes")
    return decode_json(raw)


def flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes", "on")


def int_param(request: web.Request, name: str, default: Optional[int], low: int, high: int) -> Optional[int]:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12 and low <= int(raw) <= high):
        raise ApiError(400, "invalid-request", f"{name}: expected an integer {low}..{high}, got {quote(raw)}")
    return int(raw)
