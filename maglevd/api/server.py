"""The control API's server: HTTP + JSON (aiohttp) on a Unix socket and, optionally, TCP with a
bearer token, plus an optional plain /metrics listener.

Routes live under /v1 (routes.py, event_stream.py; docs/api.md documents every one).
Components add their own routes (`Daemon.add_routes`) before the server starts; the `vpp`
section answers 503 `vpp-unavailable` until a component provides it. The server reaches the
daemon only through `ControlTarget` (control_target.py).

The Unix socket needs no token: its mode (0660) and directory (0750) are the access control.
A TCP listener refuses to start without a token, and every TCP request must carry
`Authorization: Bearer <token>`.

No client can starve the API: every listener caps its connections and times out slow or idle
ones (listeners.py); bodies are capped (http.py); an event stream's queue is bounded and freed
the moment its client goes.
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import stat
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import web
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .. import log as logs
from ..listeners import GuardedSite, Listener, ListenerLimits, limits_from_env
from .control_target import ControlTarget
from .event_stream import EventStream
from .http import ApiError, auth_middleware, body_limit_middleware, errors_middleware
from .routes import ResourceRoutes

SHUTDOWN_TIMEOUT = 2.0  # seconds a stop waits for in-flight API requests
NOFILE_HEADROOM = 256  # descriptors beyond probes and connections: Python, VPP API, logs, executor
# Routes a component (the VPP side) may claim; without it they answer 503 vpp-unavailable.
VPP_ROUTES = (("GET", "/v1/vpp/info"), ("GET", "/v1/vpp/lb/state"), ("POST", "/v1/vpp/lb/sync"))


class ControlApi:
    def __init__(self, target: ControlTarget) -> None:
        self.target = target
        self.extra_routes: List[web.RouteDef] = []
        self.runner: Optional[web.AppRunner] = None
        self.metrics_runner: Optional[web.AppRunner] = None
        self.socket_path: Optional[str] = None
        self.socket_inode: Optional[int] = None  # the socket we bound: only that one is removed
        self.created_dirs: List[str] = []  # the socket's directories this daemon made, deepest first
        self.tcp_address: Optional[Tuple[str, int]] = None
        self.metrics_address: Optional[Tuple[str, int]] = None
        self.limits = ListenerLimits()
        self.listeners: Dict[str, Listener] = {}  # unix, tcp, metrics
        self.nofile: Dict[str, Any] = {}
        self.resources = ResourceRoutes(target, lambda: self.limits, self.listener_status)
        self.events = EventStream(target)

    # -- the app ------------------------------------------------------------------------------

    def routes(self) -> List[web.RouteDef]:
        return self.resources.routes() + [web.get("/v1/events", self.events.handle)]

    def build_app(self, token: Optional[str]) -> web.Application:
        app = web.Application(
            middlewares=[auth_middleware(token), errors_middleware, body_limit_middleware(self.limits.max_body)],
            client_max_size=self.limits.max_body,
        )
        routes = self.extra_routes + self.routes()
        claimed = {(r.method, r.path) for r in routes}  # type: ignore[attr-defined]
        for method, path in VPP_ROUTES:
            if (method, path) not in claimed:
                routes.append(web.route(method, path, self.resources.vpp_unavailable))
        app.add_routes(routes)
        return app

    def build_metrics_app(self) -> web.Application:
        app = web.Application(
            middlewares=[errors_middleware, body_limit_middleware(self.limits.max_body)],
            client_max_size=self.limits.max_body,
        )
        app.add_routes([web.get("/metrics", self.resources.metrics), web.get("/", self.resources.metrics)])
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
        self.runner = self._runner(self.build_app(token))
        await self.runner.setup()
        if socket_path:
            self.created_dirs = make_socket_dir(os.path.dirname(socket_path) or ".")
            sock = bind_unix_socket(socket_path)
            self.socket_path, self.socket_inode = socket_path, os.stat(socket_path).st_ino
            await self._site(self.runner, "unix", sock=sock).start()
        if tcp is not None:
            site = self._site(self.runner, "tcp", host=tcp[0], port=tcp[1])
            await site.start()
            self.tcp_address = site.address
        if metrics is not None:
            self.metrics_runner = self._runner(self.build_metrics_app())
            await self.metrics_runner.setup()
            site = self._site(self.metrics_runner, "metrics", host=metrics[0], port=metrics[1])
            await site.start()
            self.metrics_address = site.address
        self.target.register_collector(_ListenerCollector(self.listeners))
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
        needed = self.target.backend_count() + len(self.listeners) * (self.limits.max_connections + 2)
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
        # (SIGTERM, `systemctl stop`) until aiohttp's shutdown timeout. Cancelled, not awaited
        # here: a stream runs in its connection's aiohttp task, which the runner's cleanup
        # below waits for (awaiting it here would wait for the connection's keep-alive too).
        for task in list(self.events.streams):
            task.cancel()
        for runner in (self.runner, self.metrics_runner):
            if runner is not None:
                await runner.cleanup()
        remove_created(self.socket_path, self.socket_inode, self.created_dirs)
        self.socket_path, self.created_dirs = None, []


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


def make_socket_dir(directory: str) -> List[str]:
    """Create the socket's directory (0750) and its missing parents; the ones made, deepest
    first, so that a stop removes exactly those (docs/api.md: nothing is left behind)."""
    missing: List[str] = []
    path = os.path.abspath(directory)
    while not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    made: List[str] = []
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o750)
        except FileExistsError:  # made meanwhile by someone else: theirs, not ours
            continue
        made.insert(0, path)
    return made


def remove_created(socket_path: Optional[str], inode: Optional[int], dirs: List[str]) -> None:
    """Remove our socket (not one that replaced it) and the directories we made, while empty."""
    if socket_path and inode is not None:
        try:
            if os.lstat(socket_path).st_ino == inode:
                os.unlink(socket_path)
        except FileNotFoundError:
            pass
    for directory in dirs:
        try:
            os.rmdir(directory)
        except OSError:  # not empty (something else lives there now) or gone: leave it
            break


def bind_unix_socket(path: str) -> socket.socket:
    """A listening Unix socket at path (its directory exists), mode 0660; refuses to steal a live one."""
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
