"""The control API: HTTP + JSON (aiohttp) on a Unix socket and, optionally, TCP with a bearer token.

Routes live under /v1 (docs/api.md documents every one). Components add their own routes
(`Daemon.add_routes`) before the server starts; the `vpp` section answers 503
`vpp-unavailable` until a component provides it.

The Unix socket needs no token: its mode (0660) and directory (0750) are the access control.
A TCP listener refuses to start without a token, and every TCP request must carry
`Authorization: Bearer <token>`.

No client can starve the API: every listener caps its connections and times out slow or idle
ones (listeners.py); bodies are capped; any body that is not JSON is a 400, never a 500; every
error quotes at most ~200 characters of what the client sent (plugins/module_utils/quoting.py); an event stream's
queue is bounded and freed the moment its client goes.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import resource
import socket
import stat
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Set, Tuple

from aiohttp import web
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from ..plugins.module_utils.quoting import clip, quote
from . import guard, resources
from . import log as logs
from .checker import InvalidRequest, NotFound
from .events import MAX_QUEUE, Event, SubscriptionClosed
from .listeners import GuardedSite, Listener, ListenerLimits, connection_of, limits_from_env
from .metrics import CONTENT_TYPE
from .statemachine import ActionError
from .version import VERSION

if TYPE_CHECKING:
    from .daemon import Daemon

ACTIONS = ("pause", "resume", "enable", "disable")
HEARTBEAT = 15.0
SHUTDOWN_TIMEOUT = 2.0  # seconds a stop waits for in-flight API requests


NOFILE_HEADROOM = 256  # descriptors beyond probes and connections: Python, VPP API, logs, executor


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
    except ActionError as exc:
        return error_response(409, exc.code, exc.message)
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


async def _json_body(request: web.Request, limits: ListenerLimits) -> Dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        raw = await asyncio.wait_for(request.read(), limits.body_timeout)
    except asyncio.TimeoutError:
        raise ApiError(408, "body-timeout", f"request body not received within {limits.body_timeout:g} s")
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "body-too-large", f"request body is larger than {limits.max_body} bytes")
    return decode_json(raw)


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes", "on")


def _int_param(request: web.Request, name: str, default: Optional[int], low: int, high: int) -> Optional[int]:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12 and low <= int(raw) <= high):
        raise ApiError(400, "invalid-request", f"{name}: expected an integer {low}..{high}, got {quote(raw)}")
    return int(raw)


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
        self.limits = ListenerLimits()
        self.listeners: Dict[str, Listener] = {}  # unix, tcp, metrics
        self.nofile: Dict[str, Any] = {}

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
        app = web.Application(
            middlewares=[auth_middleware(token), errors_middleware, body_limit_middleware(self.limits.max_body)],
            client_max_size=self.limits.max_body,
        )
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
        try:
            self.limits = limits_from_env(os.environ)
        except ValueError as exc:
            raise ApiError(0, "bad-limit", str(exc))
        app = self.build_app(token)
        self.runner = self._runner(app)
        await self.runner.setup()
        if socket_path:
            sock = bind_unix_socket(socket_path)
            await self._site(self.runner, "unix", sock=sock).start()
            self.socket_path = socket_path
        if tcp is not None:
            site = self._site(self.runner, "tcp", host=tcp[0], port=tcp[1])
            await site.start()
            self.tcp_address = site.address
        if metrics is not None:
            metrics_app = web.Application(
                middlewares=[errors_middleware, body_limit_middleware(self.limits.max_body)],
                client_max_size=self.limits.max_body,
            )
            metrics_app.add_routes([web.get("/metrics", self.metrics), web.get("/", self.metrics)])
            self.metrics_runner = self._runner(metrics_app)
            await self.metrics_runner.setup()
            site = self._site(self.metrics_runner, "metrics", host=metrics[0], port=metrics[1])
            await site.start()
            self.metrics_address = site.address
        self.daemon.metrics.registry.register(_ListenerCollector(self.listeners))
        self.nofile = self._check_nofile()

    def _runner(self, app: web.Application) -> web.AppRunner:
        # keepalive_timeout: aiohttp closes a connection that has not sent a complete request head
        # this long after it opened or after its last response (half-sent headers, idle keep-alive).
        # lingering_time: how long an unread body is drained after the response.
        return web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            keepalive_timeout=self.limits.idle_timeout,
            lingering_time=self.limits.body_timeout,
        )

    def _site(self, runner: web.AppRunner, name: str, **where: Any) -> GuardedSite:
        listener = self.listeners[name] = Listener(name, self.limits)
        return GuardedSite(runner, listener, **where)

    def _check_nofile(self) -> Dict[str, Any]:
        """Raise the soft descriptor limit to what probes and full listeners need, or say it is short."""
        needed = len(self.daemon.checker.health) + len(self.listeners) * (self.limits.max_connections + 2)
        needed += NOFILE_HEADROOM
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < needed:
            wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
                soft = wanted
            except (ValueError, OSError):
                pass
        short = soft != resource.RLIM_INFINITY and soft < needed
        if short:
            logs.event("nofile-limit-low", logging.WARNING, limit=soft, needed=needed)
        return {"limit": soft, "needed": needed, "ok": not short}

    def listener_status(self) -> Dict[str, Any]:
        return {
            "listeners": {name: listener.status() for name, listener in self.listeners.items()},
            "nofile": self.nofile,
        }

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
        return json_response({**self.daemon.status(), "api": self.listener_status()})

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
            raise ApiError(404, "not-found", f"unknown action {quote(action)}: expected one of {', '.join(ACTIONS)}")
        checker = self.daemon.checker
        checker.get_health(name)  # 404 before anything else
        if not _flag(request, "force"):
            dark = guard.emptied_by_action(checker.config, checker.states_view, name, action)
            if dark:
                raise ApiError(
                    409,
                    "last-serving-backend",
                    guard.refusal_message(f"{action} backend {name}", dark),
                    frontends=dark,
                )
        transition = checker.act(name, action)
        info = resources.backend_info(self.daemon.checker, name)
        info["changed"] = transition is not None
        return json_response(info)

    async def set_weight(self, request: web.Request) -> web.Response:
        body = await _json_body(request, self.limits)
        if "weight" not in body:
            raise ApiError(400, "invalid-request", 'body must be {"weight": 0..100}')
        m = request.match_info
        weight = body["weight"]
        checker = self.daemon.checker
        if isinstance(weight, int) and not isinstance(weight, bool) and weight == 0 and not _flag(request, "force"):
            dark = guard.emptied_by_weight(
                checker.config, checker.states_view, m["name"], m["pool"], m["backend"], weight
            )
            if dark:
                what = f"weight {weight} for backend {m['backend']} in pool {m['pool']}"
                raise ApiError(409, "last-serving-backend", guard.refusal_message(what, dark), frontends=dark)
        old = self.daemon.set_weight(m["name"], m["pool"], m["backend"], weight)
        info = resources.frontend_info(self.daemon.checker, m["name"])
        info["changed"] = old != body["weight"]
        return json_response(info)

    async def list_healthchecks(self, request: web.Request) -> web.Response:
        return json_response(resources.healthchecks(self.daemon.checker))

    async def get_healthcheck(self, request: web.Request) -> web.Response:
        return json_response(resources.healthcheck_info(self.daemon.checker, request.match_info["name"]))

    async def config_check(self, request: web.Request) -> web.Response:
        from .daemon import ConfigCheckBusy  # (daemon imports this module)

        try:
            return json_response(await self.daemon.check_config())
        except ConfigCheckBusy as exc:  # one check at a time: each may hold hundreds of MB
            return error_response(429, "check-in-progress", str(exc))

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
        level_name = q.get("level", "info")
        if level_name.lower() not in logs.LEVELS:
            raise ApiError(
                400, "invalid-request", f"level: expected debug, info, warn or error, got {quote(level_name)}"
            )
        level = logs.level_number(level_name)
        num = _int_param(request, "num", None, 0, 10**9)
        maxsize = _int_param(request, "queue", 1024, 1, MAX_QUEUE)
        assert maxsize is not None
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
        connection = connection_of(request)
        if connection is not None:
            # The client's connection going frees the queue at once, not at the next write.
            connection.on_lost(subscription.close)
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
        except (ConnectionResetError, SubscriptionClosed, asyncio.CancelledError):
            pass  # the client went (or the daemon stops): the stream ends here
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


class _ListenerCollector:
    """maglev_api_* metrics, read from the listeners at each scrape."""

    def __init__(self, listeners: Dict[str, Listener]) -> None:
        self.listeners = listeners

    def collect(self):
        open_ = GaugeMetricFamily("maglev_api_connections", "Open connections per API listener", labels=["listener"])
        cap = GaugeMetricFamily("maglev_api_connections_max", "Connection cap per API listener", labels=["listener"])
        refused = CounterMetricFamily(
            "maglev_api_connections_refused", "Connections refused because the listener was full", labels=["listener"]
        )
        stalled = CounterMetricFamily(
            "maglev_api_write_stalls",
            "Connections aborted because the client stopped reading a response",
            labels=["listener"],
        )
        for name, listener in self.listeners.items():
            open_.add_metric([name], len(listener.open))
            cap.add_metric([name], listener.limits.max_connections)
            refused.add_metric([name], listener.refused)
            stalled.add_metric([name], listener.stalled)
        return [open_, cap, refused, stalled]


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
