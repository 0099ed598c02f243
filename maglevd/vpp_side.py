"""maglevd's VPP half as one object: connection supervisor + reconciler + the ``vpp`` API.

The daemon builds one ``VppSide`` and feeds it three things: backend transitions
(``backend_changed``), frontends whose weights changed at runtime (``frontends_changed``) and
new configs (``reload``). Everything else (when to sync, warmup, reconnect) happens here. The
checker never imports this module: the dependency points from the VPP side to the checker's
``states()`` only.

``api_socket`` empty disables VPP: maglevd then only probes, and the ``vpp`` API answers
``enabled: false``.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Iterable, Mapping, Optional

from ..plugins.module_utils.config_model import Config
from ..plugins.module_utils.views import state_to_dict
from .reconciler import Reconciler
from .vpp import VppConnection
from .vpp_metrics import VppMetrics
from .warmup import Warmup


class VppDisabled(RuntimeError):
    """maglevd runs without VPP (empty --vpp-api-addr)."""


class VppSide:
    def __init__(
        self,
        config: Config,
        states: Callable[[], Mapping[str, Any]],
        *,
        api_socket: str,
        api_dir: Optional[str] = None,
        timeout: float = 5.0,
        ping_interval: float = 10.0,
        watch_interval: float = 0.05,
        retry_min: float = 0.25,
        retry_max: float = 5.0,
        registry: Any = None,
        started: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
        coalesce_window: float = 0.001,
    ) -> None:
        self.metrics = VppMetrics(registry)
        self.connection = VppConnection(
            api_socket,
            api_dir=api_dir,
            timeout=timeout,
            ping_interval=ping_interval,
            watch_interval=watch_interval,
            retry_min=retry_min,
            retry_max=retry_max,
            metrics=self.metrics,
        )
        lb = config.vpp_lb
        # The warmup clock starts with the process, not with the first connection or a reload.
        warmup = Warmup(clock() if started is None else started, lb.startup_min_delay, lb.startup_max_delay)
        self.reconciler = Reconciler(
            config, states, self.connection, warmup=warmup, clock=clock, coalesce_window=coalesce_window
        )

    @property
    def enabled(self) -> bool:
        return self.connection.enabled

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        if not self.enabled:
            self.connection.start()  # logs vpp-disabled
            return
        self.reconciler.start()
        self.connection.start()

    async def stop(self) -> None:
        """Stop syncing and close the connection; VPP keeps the weights it has."""
        if not self.enabled:
            return
        await self.reconciler.stop()
        await self.connection.stop()

    # -- inputs from the checker / operator / config ---------------------------------------------

    def backend_changed(self, backend: str) -> None:
        if self.enabled:
            self.reconciler.backend_changed(backend)

    def attach(self, bus: Any, config: Callable[[], Config]) -> None:
        """Subscribe to the checker's EventBus (maglevd/events.py). ``config()`` returns the
        checker's running config (runtime weight changes included).

        - ``backend-transition``: per-VIP sync of the frontends using that backend;
        - ``weight-change``: adopt the new config, per-VIP sync of that frontend;
        - ``config-reload``: adopt the new config, retire dropped VIPs, full sync.
        """

        def listener(event: Any) -> None:
            kind, data = event.type, event.data
            if kind == "backend-transition":
                self.backend_changed(data.get("backend", ""))
            elif kind == "weight-change":
                self.update_config(config(), [data.get("frontend", "")])
            elif kind == "config-reload":
                self.reload(config())

        bus.add_listener(listener)

    def on_transition(self, transition: Any) -> None:
        """Event-bus adapter: a statemachine.Transition (or its dict) -> ``backend_changed``."""
        backend = transition.get("backend") if isinstance(transition, dict) else getattr(transition, "backend", None)
        if backend:
            self.backend_changed(backend)

    def update_config(self, config: Config, frontends: Iterable[str]) -> None:
        """A runtime change that is not a reload (e.g. an operator weight): adopt ``config``
        and sync only ``frontends`` (per-VIP, no full sync)."""
        self.reconciler.set_config(config)
        self.frontends_changed(frontends)

    def frontends_changed(self, names: Iterable[str]) -> None:
        if self.enabled:
            self.reconciler.frontends_changed(names)

    def reload(self, config: Config) -> None:
        if self.enabled:
            self.reconciler.reload(config)
        else:
            self.reconciler.config = config

    def add_listener(self, listener: Callable[[Dict[str, Any]], None]) -> None:
        """``listener(event)`` for every vpp-sync (the daemon forwards them to its event stream)."""
        self.reconciler.listeners.append(listener)

    # -- the `vpp` API section -------------------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        """{"state": "ok"|"degraded", "reason": ...}: the VPP side's part of the daemon's state."""
        return self.connection.health()

    async def info(self) -> Dict[str, Any]:
        """``show vpp info``."""
        info = self.connection.info()
        if self.enabled:
            info["reconciler"] = self.reconciler.status()
        return info

    async def lb_state(self) -> Dict[str, Any]:
        """``show vpp lb state``: what VPP holds now (read fresh, not the cache)."""
        if not self.enabled:
            raise VppDisabled("maglevd runs without VPP (--vpp-api-addr is empty)")
        state = await self.connection.call(lambda client: client.read_state(), stage="read")
        return state_to_dict(state)

    async def sync(self) -> Dict[str, Any]:
        """``sync vpp lb state``: a full sync now; returns its result (counts or the error)."""
        if not self.enabled:
            raise VppDisabled("maglevd runs without VPP (--vpp-api-addr is empty)")
        return await self.reconciler.sync_now("operator")
