"""Run maglevd's VPP side in-process against a vppsim subprocess, with health set by the test.

The checker is replaced by a dict of backend states the test edits (``Rig.set``), so each
test decides exactly which transitions happen; everything from there on is the real path:
reconciler -> desired state -> planner -> vppclient -> vpp_papi -> vppsim. Tests build its config
with sample_config.rig_config.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.vpp.maglev.maglevd.daemon import Daemon, DaemonOptions
from ansible_collections.vpp.maglev.maglevd.vpp.component import VppComponent
from ansible_collections.vpp.maglev.maglevd.vpp.settings import VppSettings
from ansible_collections.vpp.maglev.plugins.module_utils.config import load_file, parse
from ansible_collections.vpp.maglev.plugins.module_utils.desired import desired_state
from ansible_collections.vpp.maglev.plugins.module_utils.views import state_to_dict
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState

UP, DOWN, DISABLED, UNKNOWN = BackendState.UP, BackendState.DOWN, BackendState.DISABLED, BackendState.UNKNOWN


def daemon_with_vpp(
    path: Path, socket_path: str, sim: Any, **component_args: Any
) -> Tuple[Daemon, asyncio.Future[dict]]:
    """The real Daemon (in-process, config read from path, API on socket_path) with its VPP
    component against sim, not started yet: (daemon, synced), where synced
    resolves with the first full vpp-sync event. Call it inside the running event loop."""
    daemon = Daemon(
        load_file(str(path)),
        DaemonOptions(config_path=str(path), control_socket=socket_path, vpp_api_addr=sim.socket),
    )
    settings = dataclasses.replace(VppSettings.from_flags(sim.socket), **component_args)
    component = VppComponent.for_daemon(daemon, settings)
    synced = asyncio.get_running_loop().create_future()
    component.add_listener(lambda e: synced.done() or e["scope"] != "full" or synced.set_result(e))
    daemon.add_component(component)
    return daemon, synced


class Rig:
    def __init__(self, sim: Any, raw: dict, states: Optional[Dict[str, BackendState]] = None, **side_args: Any):
        self.sim = sim
        self.config = parse(raw)
        self.states = dict(states if states is not None else dict.fromkeys(self.config.backends, UP))
        args = {"ping_interval": 0.2, "retry_min": 0.05, "retry_max": 0.2, "timeout": 2.0}
        args.update(side_args)
        self.side = VppComponent(self.config, lambda: self.states, VppSettings(api_socket=sim.socket, **args))
        self.events: List[dict] = []
        self._waiters: List[tuple] = []
        self.side.add_listener(self._on_event)

    def _on_event(self, event: dict) -> None:
        self.events.append(event)
        for waiter in list(self._waiters):
            match, future = waiter
            if not future.done() and match(event):
                future.set_result(event)

    async def event(self, match: Callable[[dict], bool], timeout: float = 15.0, since: int = 0) -> dict:
        """The first vpp-sync event (index >= since) for which match(event) is true."""
        for event in self.events[since:]:
            if match(event):
                return event
        future = asyncio.get_running_loop().create_future()
        waiter = (match, future)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.remove(waiter)

    async def start(self) -> dict:
        """Start and wait for the first successful full sync (after the connect)."""
        await self.side.start()
        return await self.event(lambda e: e["scope"] == "full" and e["result"] in ("ok", "read-only"))

    async def stop(self) -> None:
        await self.side.stop()

    def set(self, name: str, state: BackendState) -> None:
        self.states[name] = state
        self.side.backend_changed(name)

    def desired(self) -> dict:
        return state_to_dict(desired_state(self.side.reconciler.config, self.states))["vips"]

    async def vpp_vips(self) -> list:
        return (await self.side.lb_state())["vips"]

    async def sim_call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A blocking vppsim control call (wait_for, restart ...) off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))

    async def sync_all(self) -> dict:
        """An operator full sync (``sync vpp lb state``)."""
        return await self.side.sync()


def run(coro: Any, timeout: float = 60.0) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))
