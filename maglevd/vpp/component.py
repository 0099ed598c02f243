"""The VPP side as the one daemon component (the protocol in daemon.py's docstring).

    daemon.add_component(VppComponent.for_daemon(daemon))   # --vpp-api-addr "" = VPP disabled

Built once from ``VppSettings`` (settings.py), it owns the connection supervisor
(supervisor.py) and the reconciler (reconciler.py) and is all the daemon sees of them:

- inputs: backend transitions through ``on_event`` (the bus), runtime weights through
  ``on_weight``, reloads through ``on_reload`` (the checker has already moved: removed
  backends are ``removed``, new ones ``unknown``);
- outputs: the ``vpp`` API section (``routes``: routes.py), ``status`` and ``health`` for
  ``/v1/status``, and a ``vpp-sync`` event per sync (``add_listener``);
- traffic: the poller (traffic_poller.py) reads VPP's counters and flows every
  ``stats_interval`` into ``traffic`` (traffic_state.py), which the frontend and backend views
  and the metrics read (docs/traffic.md).

The checker never imports this package: the dependency points from the VPP side to the
checker's ``states()`` only. The warmup clock is the daemon's start time (docs/reconciler.md).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

from aiohttp import web

from ...plugins.module_utils.config_model import Config
from ...plugins.module_utils.views import state_to_dict
from ..traffic_metrics import TrafficCollector
from ..traffic_state import TrafficState
from .errors import VppDisabled
from .health import connection_info
from .lb_state_log import log_lb_state
from .metrics import VppMetrics
from .reconciler import Reconciler
from .routes import vpp_routes
from .settings import VppSettings
from .supervisor import VppConnection
from .traffic_poller import Publish, TrafficPoller
from .warmup import Warmup

DISABLED = "maglevd runs without VPP (--vpp-api-addr is empty)"


class VppComponent:
    """``VppComponent(config, states, settings)``: the VPP side for the checker's ``states()``."""

    name = "vpp"

    def __init__(
        self,
        config: Config,
        states: Callable[[], Mapping[str, Any]],
        settings: VppSettings,
        *,
        registry: Any = None,
        started: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
        publish: Optional[Publish] = None,
    ) -> None:
        self.settings = settings
        self.metrics = VppMetrics(registry)
        self.connection = VppConnection(settings, self.metrics)
        lb = config.vpp_lb
        # The warmup clock starts with the process, not with the first connection or a reload.
        warmup = Warmup(clock() if started is None else started, lb.startup_min_delay, lb.startup_max_delay)
        self.reconciler = Reconciler(config, states, self.connection, settings=settings, warmup=warmup, clock=clock)
        # What VPP had when maglevd connected, logged before the reconciler's full sync changes it.
        self.connection.on_connect.insert(0, self._found_on_connect)
        self.found: Dict[str, Any] = {}  # the last vpp-lb-state line's facts
        self.traffic = TrafficState()
        self.poller = TrafficPoller(self.connection, settings, lambda: self.reconciler.config, self.traffic, publish)
        if registry is not None and settings.enabled:
            registry.register(TrafficCollector(self.traffic, lambda: self.reconciler.config))

    @classmethod
    def for_daemon(cls, daemon: Any, settings: Optional[VppSettings] = None) -> VppComponent:
        """The component of ``daemon``: its checker's config and states, its metrics registry,
        its start time, its event bus; ``settings`` default to the daemon's ``vpp_*`` options
        and the environment (VppSettings.from_flags)."""
        checker, options = daemon.checker, daemon.options
        stats = {"stats_socket": options.vpp_stats_addr, "stats_interval": options.vpp_stats_interval}
        return cls(
            checker.config,
            checker.states,
            settings or VppSettings.from_flags(options.vpp_api_addr, **stats),
            registry=daemon.metrics.registry,
            started=daemon.started_mono,
            publish=daemon.bus.publish,
        )

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    # -- lifecycle (the daemon's component protocol) ----------------------------------------------

    async def start(self, daemon: Any = None) -> None:
        if self.enabled:
            self.reconciler.start()
            self.poller.start()
        self.connection.start()  # without VPP: logs vpp-disabled, starts nothing

    async def stop(self) -> None:
        """Stop syncing and close the connection; VPP keeps the weights it has."""
        if not self.enabled:
            return
        await self.poller.stop()
        await self.reconciler.stop()
        await self.connection.stop()

    async def _found_on_connect(self) -> None:
        self.found = await log_lb_state(self.connection, self.settings.stats_socket) or {}

    def routes(self) -> List[web.RouteDef]:
        return vpp_routes(self)

    # -- inputs from the checker / operator / config ---------------------------------------------

    def on_event(self, event: Any) -> None:
        """Bus listener: a backend transition syncs the frontends that use the backend."""
        if event.type == "backend-transition":
            self.backend_changed(event.data.get("backend", ""))

    def on_reload(self, config: Config) -> None:
        """A new config runs: retire the VIPs it dropped, full sync."""
        if self.enabled:
            self.reconciler.reload(config)
        else:
            self.reconciler.config = config

    def on_weight(self, config: Config, frontend: str) -> None:
        """A runtime weight change (not a reload): adopt ``config``, sync only ``frontend``."""
        self.reconciler.set_config(config)
        self.frontends_changed([frontend])

    def backend_changed(self, backend: str) -> None:
        if self.enabled:
            self.reconciler.backend_changed(backend)

    def frontends_changed(self, names: Iterable[str]) -> None:
        if self.enabled:
            self.reconciler.frontends_changed(names)

    def add_listener(self, listener: Callable[[Dict[str, Any]], None]) -> None:
        """``listener(event)`` for every vpp-sync (the daemon forwards them to its event stream)."""
        self.reconciler.recorder.listeners.append(listener)

    # -- status and the `vpp` API section ---------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        """{"state": "ok"|"degraded", "reason": ...}: the VPP side's part of the daemon's state."""
        return self.connection.health()

    def status(self) -> Dict[str, Any]:
        """The ``vpp`` part of ``/v1/status``."""
        info = connection_info(self.connection)
        reconciler = self.reconciler.status()
        keys = ("enabled", "connected", "api_socket", "version", "state", "degraded_reason", "last_ok_age", "errors")
        return {
            **{key: info[key] for key in keys},
            "warmup": reconciler["warmup"]["phase"],
            # for the dashboard's header: how far into the hands-off/releasing window, and how
            # many frontends still wait for their release (docs/reconciler.md#restart-warmup)
            "warmup_progress": {
                **{key: reconciler["warmup"][key] for key in ("elapsed", "min_delay", "max_delay")},
                "waiting": len(reconciler["warmup"]["waiting"]),
            },
            "syncs": reconciler["counts"],
            "traffic": self.traffic_status(),
        }

    def traffic_status(self) -> Dict[str, Any]:
        """The traffic reads' health (TrafficState.status)."""
        settings = self.settings
        return self.traffic.status(
            enabled=self.enabled, stats_socket=settings.stats_socket, interval=settings.stats_interval
        )

    async def info(self) -> Dict[str, Any]:
        """``show vpp info``."""
        info = connection_info(self.connection)
        info["stats_socket"] = self.settings.stats_socket or None
        info["boot_time"] = self.found.get("boot_time") if info["connected"] else None
        info["found_on_connect"] = self.found or None
        if self.enabled:
            info["reconciler"] = self.reconciler.status()
            info["traffic"] = self.traffic_status()
        return info

    async def lb_state(self) -> Dict[str, Any]:
        """``show vpp lb state``: what VPP holds now (read fresh, not the cache)."""
        if not self.enabled:
            raise VppDisabled(DISABLED)
        state = await self.connection.call(lambda client: client.read_state(), stage="read")
        return state_to_dict(state)

    async def sync(self) -> Dict[str, Any]:
        """``sync vpp lb state``: a full sync now; returns its result (counts or the error)."""
        if not self.enabled:
            raise VppDisabled(DISABLED)
        return await self.reconciler.sync_now("operator")
