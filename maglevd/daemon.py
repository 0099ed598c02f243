"""The daemon: wires config, checker, control API, metrics, logs and optional components.

    daemon = Daemon(config, DaemonOptions(config_path=..., control_socket=...))
    daemon.add_component(component)     # before start(): e.g. the VPP side (vpp/component.py)
    await daemon.start(); await daemon.wait(); await daemon.stop()

A component is any object with some of these (all optional):

    name: str
    routes() -> list[aiohttp.web.RouteDef]    extra API routes (e.g. /v1/vpp/...)
    on_event(event)                         in-process bus listener (events.Event), must not block
    async start(daemon) / async stop()      after the checker starts / before it stops
    on_reload(config)                       after a successful reload, in the checker's commit step
                                            (its tables already moved; the loop has not run since)
    on_weight(config, frontend)             after a runtime weight change
    status() -> dict                        merged into /v1/status under its name
    health() -> dict                        {"state": "ok"|"degraded", "reason"}: /v1/status "state"

The checker never imports a component; components read `daemon.checker` (states(), weights(),
config, bus) and the metrics registry (`daemon.metrics.registry`).

The daemon is the control API's `ControlTarget` (api/control_target.py): the API calls the
operations under "the control API's operations" below and reaches nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Tuple

from ..plugins.module_utils.config_model import Config
from ..plugins.module_utils.maglevd_client import DEFAULT_SOCKET
from ..plugins.module_utils.vppapi.traffic_reader import DEFAULT_STATS_SOCKET
from ..plugins.module_utils.weights import BackendState
from . import gctune, guard, resources
from . import log as logs
from .api import ControlApi
from .checker import Checker
from .clock import Clock
from .control_errors import ConfigCheckBusy
from .daemon_state import daemon_state
from .events import Event, EventBus, Subscription
from .metrics import LagMonitor, Metrics
from .reload_state import ReloadState
from .traffic_state import TrafficState
from .version import VERSION
from .web import WebDashboard

DEFAULT_CONFIG = "/etc/vpp-maglev/maglev.yaml"
DEFAULT_VPP_API = "/run/vpp/api.sock"


@dataclass
class DaemonOptions:
    config_path: str = DEFAULT_CONFIG
    control_socket: Optional[str] = DEFAULT_SOCKET  # "" / None: no Unix listener
    control_addr: Optional[Tuple[str, int]] = None
    control_token: Optional[str] = None
    metrics_addr: Optional[Tuple[str, int]] = None
    web_addr: Optional[Tuple[Optional[str], int]] = None  # the dashboard (web/server.py); None: off
    vpp_api_addr: str = DEFAULT_VPP_API  # "": run without VPP
    vpp_stats_addr: str = DEFAULT_STATS_SOCKET  # "": no counters, flows only (docs/traffic.md)
    vpp_stats_interval: float = 5.0  # seconds between traffic reads
    log_level: str = "info"


def load_config(path: str) -> Tuple[Optional[Config], int, List[str]]:
    """(config, exit code, error lines) with check.py's codes: 0 ok, 1 unreadable/not YAML/
    over a loader limit, 2 invalid. Read once, by the same function as `--check`."""
    from .check import load_checked

    code, errors, config = load_checked(path)
    return config, code, errors


class Daemon:
    def __init__(
        self,
        config: Config,
        options: Optional[DaemonOptions] = None,
        *,
        clock: Optional[Clock] = None,
        log_setup: Optional[logs.LogSetup] = None,
        checker: Optional[Checker] = None,
    ) -> None:
        self.options = options or DaemonOptions()
        self.checker = checker or Checker(config, EventBus(), clock=clock)
        self.bus = self.checker.bus  # one bus: the checker's, also when a test passes its own checker
        self.metrics = Metrics(self.checker)
        self.lag = LagMonitor(self.metrics)
        self.api = ControlApi(self)
        self.web = WebDashboard(self.api, self.bus.add_listener)
        self.logging = log_setup
        self.components: List[Any] = []
        self._started: List[Any] = []  # components whose start() was called, stopped in reverse
        self._reloads_closed = False  # stop() holds the reload lock for good
        self.started_mono = time.monotonic()
        self.started_wall = time.time()
        self._stop = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self._check_running: Optional[asyncio.Future] = None
        self.reload_state = ReloadState(self.metrics.registry)
        self.reloads = self.reload_state.counts

    # -- composition --------------------------------------------------------------------------

    def add_component(self, component: Any) -> None:
        self.components.append(component)
        if hasattr(component, "routes"):
            self.add_routes(component.routes())
        if hasattr(component, "on_event"):
            self.bus.add_listener(component.on_event)

    def add_routes(self, routes) -> None:
        self.api.extra_routes.extend(routes)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        opts = self.options
        # The listeners first: a control socket in use (another maglevd) or a port taken fails
        # the start before any probe runs or VPP is touched.
        await self.api.start(opts.control_socket or None, opts.control_addr, opts.control_token, opts.metrics_addr)
        await self.web.start(opts.web_addr, opts.control_token)
        await self.checker.start()
        self.lag.start()
        for component in self.components:
            if hasattr(component, "start"):
                self._started.append(component)  # stopped even if its start fails halfway
                await component.start(self)
        gctune.settle()
        logs.event(
            "ready",
            socket=self.api.socket_path,
            control_addr=_fmt_addr(self.api.tcp_address),
            metrics_addr=_fmt_addr(self.api.metrics_address),
            web_addr=_fmt_addr(self.web.address),
            backends=len(self.checker.health),
            frontends=len(self.checker.config.frontends),
        )

    def request_stop(self) -> None:
        self._stop.set()

    async def wait(self) -> None:
        await self._stop.wait()

    async def stop(self) -> None:
        """Stop everything; nothing changes state after `stopping` is logged.

        A reload in flight finishes first and none starts later (the lock is kept), so its
        lines come before `stopping`. The probes stop next: no transition follows `stopping`.
        Also safe after a failed or partial start."""
        if not self._reloads_closed:  # stop() may be called twice: take the lock once
            self._reloads_closed = True
            await self._reload_lock.acquire()
        logs.event("stopping")
        await self.checker.stop()
        await self.api.stop()
        await self.web.stop()
        for component in reversed(self._started):
            if hasattr(component, "stop"):
                try:
                    await component.stop()
                except Exception:
                    logs.LOGGER.exception("component-stop-failed")
        self._started = []
        await self.lag.stop()

    # -- operations ---------------------------------------------------------------------------

    def backend_action(self, name: str, action: str, *, force: bool = False) -> Dict[str, Any]:
        """pause | resume | enable | disable; refused when it would empty a serving frontend,
        unless forced (guard.py). The backend's view after it, with `changed`."""
        checker = self.checker
        checker.get_health(name)  # NotFound before anything else
        if not force:
            guard.refuse_action(checker.config, checker.states_view, name, action, checker.frontends.frontends_of)
        transition = checker.act(name, action)
        info = resources.backend_info(checker, name, traffic=self.traffic())
        info["changed"] = transition is not None
        return info

    def set_weight(self, frontend: str, pool: str, backend: str, weight: Any, *, force: bool = False) -> Dict[str, Any]:
        """A runtime weight (until the next reload); the frontend's view after it, with `changed`."""
        checker = self.checker
        if not force:
            guard.refuse_weight(checker.config, checker.states_view, frontend, pool, backend, weight)
        old = checker.set_weight(frontend, pool, backend, weight)
        if old != weight:
            for component in self.components:
                if hasattr(component, "on_weight"):
                    component.on_weight(checker.config, frontend)
        info = resources.frontend_info(checker, frontend, traffic=self.traffic())
        info["changed"] = old != weight
        return info

    async def check_config(self) -> Dict[str, Any]:
        """Validate the config file in a thread; one check at a time (ConfigCheckBusy otherwise).

        A check of the largest accepted file holds a few hundred MB while it runs, so
        concurrent checks would multiply that. The slot is held until the thread ends, even
        if the request that started it went away."""
        from .check import check_file

        if self._check_running is not None:
            raise ConfigCheckBusy("a config check is already running; retry when it has finished")
        path = self.options.config_path
        future = asyncio.get_running_loop().run_in_executor(None, gctune.without_collector(check_file), path)
        self._check_running = future
        future.add_done_callback(self._check_done)
        code, errors = await asyncio.shield(future)
        return {"ok": code == 0, "path": path, "exit_code": code, "errors": errors}

    def _check_done(self, future: asyncio.Future) -> None:
        self._check_running = None
        if not future.cancelled() and future.exception() is not None:  # retrieved: logged once, here
            logs.LOGGER.error("config-check-failed", exc_info=future.exception())

    async def reload(self, source: str = "signal") -> Dict[str, Any]:
        """Validate the file first; keep the running config on any error (SIGHUP and the API).

        The apply yields to the loop between steps, so it runs in its own task: a caller that
        goes away (an API client hanging up) cannot leave a reload half-applied."""
        return await asyncio.shield(asyncio.ensure_future(self._reload(source)))

    async def _reload(self, source: str) -> Dict[str, Any]:
        path = self.options.config_path
        async with self._reload_lock:
            # The parse (in a thread) and the apply build only long-lived objects, millions of them
            # for the largest file: no collection may walk them meanwhile (one would stall the loop
            # for seconds); settle_reload() then freezes them.
            with gctune.paused():
                try:
                    # Read and parsed in a thread, so probes and the API keep running meanwhile.
                    parse = gctune.without_collector(load_config)
                    config, code, errors = await asyncio.get_running_loop().run_in_executor(None, parse, path)
                except Exception as exc:  # never let a reload take the daemon down
                    config, code, errors = None, 2, [f"{path}: {type(exc).__name__}: {exc}"]
                if config is None:
                    self.reload_state.record(False, errors)
                    kind = "parse" if code == 1 else "semantic"
                    logs.event(
                        "config-reload-failed", logging.ERROR, path=path, source=source, kind=kind, errors=errors
                    )
                    self.bus.publish("config-reload-failed", path=path, source=source, kind=kind, errors=errors)
                    return {"ok": False, "path": path, "exit_code": code, "errors": errors}

                def moved() -> None:  # in the checker's commit step: no loop turn in between
                    for component in self.components:
                        if hasattr(component, "on_reload"):
                            component.on_reload(config)

                summary = await self.checker.apply_config_async(config, on_commit=moved)
                gctune.settle_reload()  # before the collector resumes: nothing walks the new objects
                self.reload_state.record(True, [])
                logs.event("config-reload", path=path, source=source, **summary)
                self.bus.publish("config-reload", path=path, source=source, **summary)
                return {"ok": True, "path": path, "exit_code": 0, "errors": [], "summary": summary}

    # -- the control API's operations (api/control_target.py) ----------------------------------

    def backend_states(self) -> Dict[str, BackendState]:
        return self.checker.states()

    def traffic(self) -> Optional[TrafficState]:
        """The VPP side's last traffic read (vpp/traffic_poller.py), None without VPP."""
        for component in self.components:
            if getattr(component, "enabled", False) and isinstance(getattr(component, "traffic", None), TrafficState):
                return component.traffic
        return None

    def frontend_views(self) -> List[Dict[str, Any]]:
        return resources.frontends(self.checker, self.traffic())

    def frontend_view(self, name: str) -> Dict[str, Any]:
        return resources.frontend_info(self.checker, name, traffic=self.traffic())

    def backend_views(self) -> List[Dict[str, Any]]:
        return resources.backends(self.checker, self.traffic())

    def backend_view(self, name: str) -> Dict[str, Any]:
        return resources.backend_info(self.checker, name, traffic=self.traffic())

    def healthcheck_views(self) -> List[Dict[str, Any]]:
        return resources.healthchecks(self.checker)

    def healthcheck_view(self, name: str) -> Dict[str, Any]:
        return resources.healthcheck_info(self.checker, name)

    def backend_count(self) -> int:
        return len(self.checker.health)

    async def render_metrics(self) -> bytes:
        return await self.metrics.scrape()

    def register_collector(self, collector: Any) -> None:
        self.metrics.registry.register(collector)

    def frontend_members(self, frontend: str) -> FrozenSet[str]:
        return resources.frontend_members(self.checker, frontend)

    def subscribe(
        self, maxsize: int, accept: Optional[Callable[[Event], bool]], *, probes: bool, logs: bool
    ) -> Subscription:
        return self.bus.subscribe(maxsize, accept, probes=probes, logs=logs)

    def replay(self, backend: Optional[str], frontend: Optional[str]) -> Iterable[Dict[str, Any]]:
        return resources.replay_events(self.checker, backend, frontend)

    def want_log_broadcast(self, level: int) -> None:
        if self.logging:
            self.logging.want_broadcast(level)

    def drop_log_broadcast(self, level: int) -> None:
        if self.logging:
            self.logging.drop_broadcast(level)

    def status(self) -> Dict[str, Any]:
        counts: Dict[str, int] = {}
        for state in self.checker.states().values():
            counts[state.value] = counts.get(state.value, 0) + 1
        data: Dict[str, Any] = {
            "version": VERSION,
            "pid": os.getpid(),
            "config": self.options.config_path,
            "uptime": round(time.monotonic() - self.started_mono, 3),
            "started": self.started_wall,
            "backends": counts,
            "frontends": {k: v.value for k, v in self.checker.frontend_states().items()},
            "probe_workers": sum(1 for w in self.checker.workers.values() if w.running()),
            "event_loop_lag": {"last": self.lag.last, "max": self.lag.max},
            "events": {
                "published": self.bus.published_total,
                "dropped": self.bus.dropped_total,
                "subscribers": len(self.bus.subscriptions),
            },
            "reloads": dict(self.reloads),
            "last_reload": self.reload_state.last(),
            "hostname": socket.gethostname(),
            "vpp_api_addr": self.options.vpp_api_addr,
        }
        health = {self.reload_state.name: self.reload_state.health()}
        for component in self.components:
            name = getattr(component, "name", type(component).__name__)
            if hasattr(component, "status"):
                data[name] = component.status()
            if hasattr(component, "health"):
                health[name] = component.health()
        data.update(daemon_state(health))  # "state": ok | degraded, and why
        return data


def _fmt_addr(address: Optional[Tuple[str, int]]) -> Optional[str]:
    if address is None:
        return None
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
