"""The traffic poller: every ``stats_interval`` seconds, one read of VPP's counters and flows.

    poller = TrafficPoller(connection, settings, config, state, publish)
    poller.start(); ...; await poller.stop()

The read (``VppClient.read_traffic``: the lb counters from the stats segment, the flows from
``show lb vips verbose``) runs on the connection's one VPP thread like every other call, so the
event loop never blocks on it; only the bookkeeping (traffic_state.py) runs on the loop.
Each read feeds the black-hole alarm: a raise or a clear is a warning log line and a
``frontend-blackhole`` / ``frontend-blackhole-cleared`` event on the bus (docs/traffic.md).

A read that fails (VPP not connected, the CLI refused) makes every rate and flow unknown
until the next good one; one without counters (stats off or unreachable) keeps the flows.
Failures are counted as ``stage=traffic`` VPP errors and logged once per change of cause.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Optional

from ...plugins.module_utils.config_model import Config
from ...plugins.module_utils.traffic import TrafficSnapshot
from ..tasks import cancel_and_wait, keep_running
from ..traffic_alarm import AlarmChange
from ..traffic_state import TrafficState
from .logs import emit
from .settings import VppSettings

log = logging.getLogger("maglevd.traffic")

Publish = Callable[..., Any]


class TrafficPoller:
    """Reads traffic through ``connection`` (supervisor.VppConnection) into ``state``."""

    def __init__(
        self,
        connection: Any,
        settings: VppSettings,
        config: Callable[[], Config],
        state: TrafficState,
        publish: Optional[Publish] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.connection = connection
        self.settings = settings
        self.config = config
        self.state = state
        self.publish = publish
        self.clock = clock
        self._task: Optional[asyncio.Task] = None
        self._logged_error: Optional[str] = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            keep_running(self.run, lambda exc: self.connection.record_error("traffic", exc, traceback=True)),
            name="maglevd-traffic",
        )

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task], log=log)
            self._task = None

    async def run(self) -> None:
        while True:
            await self.poll_once()
            await asyncio.sleep(self.settings.stats_interval)

    async def poll_once(self) -> None:
        """One read, adopted; never raises for a failure of VPP's (it is recorded instead)."""
        if not self.connection.connected:
            self._failed("not connected to VPP")
            return
        stats_socket = self.settings.stats_socket
        try:
            snapshot: TrafficSnapshot = await self.connection.call(
                lambda client: client.read_traffic(stats_socket=stats_socket), stage="traffic"
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # call() counted it; a lost connection is already being handled
            self._failed("traffic read failed: %s" % exc)
            return
        changes = self.state.update(self.config(), snapshot, self.clock(), time.time())
        self._note_error(snapshot.stats_error, logging.WARNING)
        for change in changes:
            self._announce(change)

    def _failed(self, error: str) -> None:
        self.state.failed(error, time.time())
        self._note_error(error, logging.INFO)

    def _note_error(self, error: Optional[str], level: int) -> None:
        """Log a read problem when it starts or changes, and once when it ends."""
        if error == self._logged_error:
            return
        if error is None:
            emit(log, "traffic-read-recovered", previous=self._logged_error)
        else:
            emit(log, "traffic-read-failed", level, error=error, stats_socket=self.settings.stats_socket or None)
        self._logged_error = error

    def _announce(self, change: AlarmChange) -> None:
        if change.blackhole is not None:
            fields = {"frontend": change.frontend, **change.blackhole.as_dict()}
            emit(log, "frontend-blackhole", logging.WARNING, **fields)
            if self.publish is not None:
                self.publish("frontend-blackhole", **fields)
            return
        emit(log, "frontend-blackhole-cleared", logging.WARNING, frontend=change.frontend, reason=change.reason)
        if self.publish is not None:
            self.publish("frontend-blackhole-cleared", frontend=change.frontend, reason=change.reason)
