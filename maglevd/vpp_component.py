"""The VPP side as a daemon component (the protocol in daemon.py's docstring).

    daemon.add_component(VppComponent(daemon, args.vpp_api_addr))   # "" = VPP disabled

Wiring: backend transitions arrive through ``on_event`` (the bus), runtime weights through
``on_weight``, reloads through ``on_reload`` (the checker has already moved: removed backends
are ``removed``, new ones ``unknown``). The warmup clock is the daemon's start time.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from aiohttp import web

from ..plugins.module_utils.config_model import Config
from .vpp_api import vpp_routes
from .vpp_side import VppSide

# Test and bench knobs (the config file has no place for them): seconds between control_pings.
PING_ENV = "MAGLEV_VPP_PING_INTERVAL"


class VppComponent:
    """``VppComponent(daemon, api_addr)``: the VPP side for ``daemon`` (api_addr "" = no VPP)."""

    name = "vpp"

    def __init__(self, daemon: Any, api_addr: Optional[str] = None, **side_args: Any) -> None:
        checker = daemon.checker
        side_args.setdefault("ping_interval", float(os.environ.get(PING_ENV, "10")))
        self.side = VppSide(
            checker.config,
            checker.states,
            api_socket=daemon.options.vpp_api_addr if api_addr is None else api_addr,
            registry=daemon.metrics.registry,
            started=daemon.started_mono,
            **side_args,
        )

    def routes(self) -> List[web.RouteDef]:
        return vpp_routes(self.side)

    def on_event(self, event: Any) -> None:
        if event.type == "backend-transition":
            self.side.backend_changed(event.data.get("backend", ""))

    def on_reload(self, config: Config) -> None:
        self.side.reload(config)

    def on_weight(self, config: Config, frontend: str) -> None:
        self.side.update_config(config, [frontend])

    async def start(self, daemon: Any) -> None:
        await self.side.start()

    async def stop(self) -> None:
        await self.side.stop()  # VPP keeps its weights

    def health(self) -> Dict[str, Any]:
        """The VPP side's verdict for the daemon's overall ``state`` (daemon_state.py)."""
        return self.side.health()

    def status(self) -> Dict[str, Any]:
        info = self.side.connection.info()
        reconciler = self.side.reconciler.status()
        return {
            "enabled": info["enabled"],
            "connected": info["connected"],
            "api_socket": info["api_socket"],
            "version": info["version"],
            "state": info["state"],
            "degraded_reason": info["degraded_reason"],
            "last_ok_age": info["last_ok_age"],
            "errors": info["errors"],
            "warmup": reconciler["warmup"]["phase"],
            "syncs": reconciler["counts"],
        }


def vpp_component(daemon: Any, **side_args: Any) -> VppComponent:
    """The component for ``daemon`` (``daemon.options.vpp_api_addr``; "" = VPP disabled)."""
    return VppComponent(daemon, None, **side_args)
