"""The control API: HTTP + JSON (aiohttp) on a Unix socket and, optionally, TCP with a bearer token.

Routes live under /v1 (docs/api.md documents every one). Components add their own routes
(`Daemon.add_routes`) before the server starts; the `vpp` section answers 503
`vpp-unavailable` until a component provides it.

The Unix socket needs no token: its mode (0660) and directory (0750) are the access control.
A TCP listener refuses to start without a token, and every TCP request must carry
`Authorization: Bearer <token>`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import socket
import stat
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Set, Tuple

from aiohttp import web

from . import log as logs
from . import resources
from .checker import InvalidRequest, NotFound
from .events import Event
from .metrics import CONTENT_TYPE
from .statemachine import ActionError
from .version import VERSION

if TYPE_CHECKING:
    from .daemon import Daemon

ACTIONS = ("pause", "resume", "enable", "disable")
HEARTBEAT = 15.0
SHUTDOWN_TIMEOUT = 2.0  # seconds a stop waits for in-flight API requests


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, default=str, separators=(",", ":")) + "\n", status=status, content_type="application/json"
    )


def error_response(status: int, code: str, message: str) -> web.Response:
    return json_response({"error": {"code": code, "message": message}}, status)


@web.middleware
async def errors_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except NotFound as exc:
        return error_response(404, "not-found", exc.message)
    except ActionError as exc:
        return error_response(409, exc.code, exc.message)
    except InvalidRequest as exc:
        return error_response(400, "invalid-request", str(exc))
    except web.HTTPException as exc:
        if exc.status >= 400:
            return error_response(exc.status, "http-%d" % exc.status, exc.reason)
        raise


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


async def _json_body(request: web.Request) -> Dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid-json", f"request body is not JSON: {exc}")
    if not isinstance(body, dict):
        raise ApiError(400, "invalid-json", "request body must be a JSON object")
    return body


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes", "on")


class ControlApi:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.extra_routes: List[web.RouteDef] = []
        self.runner: Optional[web.AppRunner] = None
        self._streams: Set[asyncio.Task] = set()  # open event streams, ended first on stop
        self.metrics_runner: Optional[web.AppRunner] = None
        self.socket_path: Optional[str] = None
        self.tcp_address: Optional[Tuple[str, int]] = None
        self.metrics_address: Optional[Tuple[str, int]] = None

    # -- the app ------------------------------------------------------------------------------

    def routes(self) -> List[web.RouteDef]:
        return [
            web.get("/v1/version", self.version),
            web.get("/v1/status", self.status),
            web.get("/v1/states", self.states),
            web.get("/v1/frontends", self.list_frontends),
            web.get("/v1/frontends/{name}", self.get_frontend),
            web.put("/v1/frontends/{name}/pools/{pool}/backends/{backend}/weight", self.set_weight),
            web.post("/v1/frontends/{name}/pools/{pool}/backends/{backend}/weight", self.set_weight),
            web.get("/v1/backends", self.list_backends),
            web.get("/v1/backends/{name}", self.get_backend),
            web.post("/v1/backends/{name}/{action}", self.backend_action),
            web.get("/v1/healthchecks", self.list_healthchecks),
            web.get("/v1/healthchecks/{name}", self.get_healthcheck),
            web.post("/v1/config/check", self.config_check),
            web.post("/v1/config/reload", self.config_reload),
            web.get("/v1/events", self.events),
            web.get("/metrics", self.metrics),
        ]

    def build_app(self, token: Optional[str]) -> web.Application:
        app = web.Application(middlewares=[auth_middleware(token), errors_middleware])
        routes = self.extra_routes + self.routes()
        claimed = {(r.method, r.path) for r in routes}  # type: ignore[attr-defined]
        for method, path in (("GET", "/v1/vpp/info"), ("GET", "/v1/vpp/lb/state"), ("POST", "/v1/vpp/lb/sync")):
            if (method, path) not in claimed:
                routes.append(web.route(method, path, self.vpp_unavailable))
        app.add_routes(routes)
        return app

    # -- listeners ----------------------------------------------------------------------------

    async def start(
        self,
        socket_path: Optional[str],
        tcp: Optional[Tuple[str, int]],
        token: Optional[str],
        metrics: Optional[Tuple[str, int]],
    ) -> None:
        if tcp is not None and not token:
            raise ApiError(0, "no-token", "--control-addr needs a token (MAGLEV_CONTROL_TOKEN or --control-token-file)")
        app = self.build_app(token)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await self.runner.setup()
        if socket_path:
            sock = bind_unix_socket(socket_path)
            await web.SockSite(self.runner, sock).start()
            self.socket_path = socket_path
        if tcp is not None:
            site = web.TCPSite(self.runner, tcp[0], tcp[1])
            await site.start()
            self.tcp_address = site._server.sockets[0].getsockname()[:2]  # type: ignore[union-attr]
        if metrics is not None:
            metrics_app = web.Application()
            metrics_app.add_routes([web.get("/metrics", self.metrics), web.get("/", self.metrics)])
            self.metrics_runner = web.AppRunner(
                metrics_app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
            )
            await self.metrics_runner.setup()
            site = web.TCPSite(self.metrics_runner, metrics[0], metrics[1])
            await site.start()
            self.metrics_address = site._server.sockets[0].getsockname()[:2]  # type: ignore[union-attr]

    async def stop(self) -> None:
        # An event stream never ends by itself: end them, or a graceful shutdown waits for them
        # (SIGTERM, `systemctl stop`) until aiohttp's shutdown timeout.
        for task in list(self._streams):
            task.cancel()
        for runner in (self.runner, self.metrics_runner):
            if runner is not None:
                await runner.cleanup()
        if self.socket_path:
            try:
                os.unlink(self.socket_path)
            except FileNotFoundError:
                pass

    # -- handlers -----------------------------------------------------------------------------

    async def version(self, request: web.Request) -> web.Response:
        return json_response({"version": VERSION, "pid": os.getpid()})

    async def status(self, request: web.Request) -> web.Response:
        return json_response(self.daemon.status())

    async def states(self, request: web.Request) -> web.Response:
        return json_response({name: state.value for name, state in self.daemon.checker.states().items()})

    async def list_frontends(self, request: web.Request) -> web.Response:
        return json_response(resources.frontends(self.daemon.checker))

    async def get_frontend(self, request: web.Request) -> web.Response:
        return json_response(resources.frontend_info(self.daemon.checker, request.match_info["name"]))

    async def list_backends(self, request: web.Request) -> web.Response:
        return json_response(resources.backends(self.daemon.checker))

    async def get_backend(self, request: web.Request) -> web.Response:
        return json_response(resources.backend_info(self.daemon.checker, request.match_info["name"]))

    async def backend_action(self, request: web.Request) -> web.Response:
        name, action = request.match_info["name"], request.match_info["action"]
        if action not in ACTIONS:
            raise ApiError(404, "not-found", f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
        transition = self.daemon.checker.act(name, action)
        info = resources.backend_info(self.daemon.checker, name)
        info["changed"] = transition is not None
        return json_response(info)

    async def set_weight(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if "weight" not in body:
            raise ApiError(400, "invalid-request", 'body must be {"weight": 0..100}')
        m = request.match_info
        old = self.daemon.set_weight(m["name"], m["pool"], m["backend"], body["weight"])
        info = resources.frontend_info(self.daemon.checker, m["name"])
        info["changed"] = old != body["weight"]
        return json_response(info)

    async def list_healthchecks(self, request: web.Request) -> web.Response:
        return json_response(resources.healthchecks(self.daemon.checker))

    async def get_healthcheck(self, request: web.Request) -> web.Response:
        return json_response(resources.healthcheck_info(self.daemon.checker, request.match_info["name"]))

    async def config_check(self, request: web.Request) -> web.Response:
        return json_response(await self.daemon.check_config())

    async def config_reload(self, request: web.Request) -> web.Response:
        result = await self.daemon.reload(source="api")
        return json_response(result, 200 if result["ok"] else 422)

    async def metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.daemon.metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    async def vpp_unavailable(self, request: web.Request) -> web.Response:
        return error_response(503, "vpp-unavailable", "this maglevd has no VPP integration")

    async def events(self, request: web.Request) -> web.StreamResponse:
        """A stream of events: NDJSON by default, server-sent events with Accept: text/event-stream."""
        q = request.query
        backend, frontend = q.get("backend"), q.get("frontend")
        want_logs, want_probes = _flag(request, "log"), _flag(request, "probes")
        try:
            level = logs.level_number(q.get("level", "info"))
            num = int(q["num"]) if "num" in q else None
            maxsize = int(q.get("queue", "1024"))
        except ValueError as exc:
            raise ApiError(400, "invalid-request", str(exc))
        checker = self.daemon.checker
        frontend_backends = set()
        if frontend is not None:
            fe = checker.config.frontends.get(frontend)
            if fe is None:
                raise NotFound("frontend", frontend)
            frontend_backends = set(fe.backend_names())

        def accept(event: Event) -> bool:
            data = event.data
            if event.type == "log":
                return data.get("levelno", 0) >= level
            if backend is not None and data.get("backend") != backend and backend not in data.get("backends", ()):
                return False
            if frontend is not None:
                if "frontend" in data:
                    return data["frontend"] == frontend
                if "backend" in data:
                    return data["backend"] in frontend_backends
                if "backends" in data:
                    return bool(frontend_backends.intersection(data["backends"]))
            return True

        sse = "text/event-stream" in request.headers.get("Accept", "")
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream" if sse else "application/x-ndjson",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        subscription = checker.bus.subscribe(maxsize, accept, probes=want_probes, logs=want_logs)
        task = asyncio.current_task()
        if task is not None:
            self._streams.add(task)
        if want_logs and self.daemon.logging:
            self.daemon.logging.want_broadcast(level)
        try:
            await response.prepare(request)

            async def send(data: Dict[str, Any]) -> None:
                text = json.dumps(data, default=str, separators=(",", ":"))
                await response.write((f"event: {data['type']}\ndata: {text}\n\n" if sse else text + "\n").encode())

            if not _flag(request, "noreplay"):
                for event in self._replay(backend, frontend):
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
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._streams.discard(task)
            subscription.close()
            if want_logs and self.daemon.logging:
                self.daemon.logging.drop_broadcast(level)
        return response

    def _replay(self, backend: Optional[str], frontend: Optional[str]) -> Iterable[Dict[str, Any]]:
        """Current states as from == to events, so a watcher starts from the truth."""
        checker = self.daemon.checker
        for name, state in checker.frontend_states().items():
            if (frontend is None or name == frontend) and backend is None:
                yield {
                    "type": "frontend-transition",
                    "replay": True,
                    "frontend": name,
                    "from": state.value,
                    "to": state.value,
                }
        members = set(checker.config.frontends[frontend].backend_names()) if frontend else None
        for name, health in checker.health.items():
            if (backend is None or name == backend) and (members is None or name in members):
                yield {
                    "type": "backend-transition",
                    "replay": True,
                    "backend": name,
                    "address": checker.addresses.get(name),
                    "from": health.state.value,
                    "to": health.state.value,
                    "code": health.last_code,
                }


def bind_unix_socket(path: str) -> socket.socket:
    """A listening Unix socket at path, mode 0660, parent created 0750; refuses to steal a live one."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o750, exist_ok=True)
    if os.path.lexists(path):
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            raise ApiError(0, "socket-path", f"control socket {path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except OSError:
            os.unlink(path)  # stale, from a daemon that did not exit cleanly
        else:
            raise ApiError(0, "socket-in-use", f"control socket {path} is in use: another maglevd is running")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o117)  # never a window in which the socket is world-accessible
    try:
        sock.bind(path)
    finally:
        os.umask(old)
    os.chmod(path, 0o660)
    sock.listen(128)
    sock.setblocking(False)
    return sock
