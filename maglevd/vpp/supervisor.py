"""The connection supervisor: connect, ping, reconnect with backoff, one writer thread.

Every VPP call maglevd makes goes through ``VppConnection.call(fn)``: ``fn(client)`` runs on
one dedicated worker thread (vpp_papi is blocking and a ``VppClient`` is not thread-safe), so
a slow or hung VPP never stalls the asyncio loop that runs the probes, and there is never
more than one writer. The supervisor task (``run``) owns the connection:

    connect (vppclient.connect) -> log vpp-connect -> on_connect callbacks (the reconciler's
    full sync) -> control_ping every ``ping_interval`` -> on a failed ping or any call that
    lost the connection: close, log vpp-disconnect, on_disconnect callbacks -> reconnect: at
    once after a connection that lasted ``retry_max``, else after a backoff (``retry_min``
    doubling up to ``retry_max``), and at once whenever VPP's socket reappears (reconnect.py)
    -> connect ...

Nothing on the VPP side ends that loop or freezes it silently: any exception a call raises
(not only ``VppError``: a bug, ``EMFILE`` when file descriptors run out) is logged
(``vpp-error``), counted (``maglev_vpp_errors_total{stage,kind}``) and treated as a lost
connection; the supervisor itself runs under ``tasks.keep_running``. Liveness is asked of
the client (``VppClient.reader_alive``: the reader thread, never its absence), and the age
of the last successful round trip is kept (``last_ok_age``): past 3 ping intervals the VPP
side reports itself ``degraded`` (health.py).

Its knobs come from the one ``VppSettings`` (settings.py). An empty ``api_socket`` disables VPP
entirely (``enabled`` is False, ``start`` starts nothing).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, TypeVar

from ...plugins.module_utils import vppclient
from ...plugins.module_utils.planner import PlanError
from ...plugins.module_utils.vpp_errors import VppConnectionError, VppError, VppInternalError, describe
from ...plugins.module_utils.vppclient import VppClient
from ..tasks import cancel_and_wait, keep_running
from .errors import VppNotConnected, error_kind, lost_connection
from .health import vpp_health
from .logs import emit
from .metrics import VppMetrics
from .reconnect import Backoff, socket_identity, wait_to_reconnect
from .settings import VppSettings

log = logging.getLogger("maglevd.vpp")

T = TypeVar("T")
Callback = Callable[[], Awaitable[None]]


class VppConnection:
    """The one VPP connection of maglevd and the task that keeps it up (module docstring)."""

    def __init__(self, settings: VppSettings, metrics: Optional[VppMetrics] = None) -> None:
        self.settings = settings
        self.metrics = metrics or VppMetrics()
        self.client: Optional[VppClient] = None
        self.on_connect: List[Callback] = []
        self.on_disconnect: List[Callback] = []
        self.connected_since: Optional[float] = None  # wall clock, for display
        self.connected_mono: Optional[float] = None
        self.version: dict = {}
        self.vpp_pid: Optional[int] = None
        self.last_error = ""
        self.connects = 0
        self.clock: Callable[[], float] = time.monotonic
        self.created_mono = self.clock()
        self.last_ok_mono: Optional[float] = None  # the last successful VPP round trip
        self.last_ok_wall: Optional[float] = None
        self.errors: Dict[str, int] = {}  # "stage/kind" -> count (maglev_vpp_errors_total)
        self.metrics.watch(self)
        self._executor: Optional[ThreadPoolExecutor] = None
        self._lost: Optional[asyncio.Event] = None
        self._stopping = False
        self._connect_failed = 0  # connect failures in a row (a repeated error is logged once)
        self._task: Optional[asyncio.Task] = None

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    @property
    def api_socket(self) -> str:
        return self.settings.api_socket

    @property
    def connected(self) -> bool:
        return self.client is not None

    # -- calls ------------------------------------------------------------------------------------

    async def call(self, fn: Callable[[VppClient], T], stage: str = "call") -> T:
        """Run ``fn(client)`` on the VPP thread. A lost connection triggers the reconnect.

        ``stage`` (read, apply, sync, ping ...) labels the error counter. VppError and PlanError
        reach the caller as they are; any other exception is a fault of the VPP side: it is
        logged with its traceback, the connection is dropped (reconnect with backoff) and the
        caller gets a VppInternalError."""
        client = self.client
        if client is None:
            raise VppNotConnected(
                "not connected to VPP on %s%s"
                % (self.api_socket or "(disabled)", ": %s" % self.last_error if self.last_error else ""),
                self.api_socket,
            )
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._ensure_executor(), fn, client)
        except VppError as exc:
            self.record_error(stage, exc, traceback=isinstance(exc, VppInternalError))
            if lost_connection(exc):
                self._drop(client, str(exc))
            else:
                self._round_trip_ok()  # VPP answered, with an error
            raise
        except PlanError:
            raise
        except Exception as exc:
            error = VppInternalError(
                "unexpected error on the VPP side during %s: %s" % (stage, describe(exc)), self.api_socket, exc
            )
            self.record_error(stage, exc, traceback=True)
            self._drop(client, str(error))
            raise error from exc
        self._round_trip_ok()
        return result

    def record_error(self, stage: str, exc: BaseException, *, traceback: bool = False) -> None:
        """Count (and for internal errors log) one failure of the VPP side."""
        kind = error_kind(exc)
        key = "%s/%s" % (stage, kind)
        self.errors[key] = self.errors.get(key, 0) + 1
        self.metrics.errors.labels(stage, kind).inc()
        if kind == "internal":
            log.error(
                "vpp-error",
                exc_info=exc if traceback else None,
                extra={"fields": {"stage": stage, "kind": kind, "error": describe(exc)}},
            )

    def _drop(self, client: VppClient, reason: str) -> None:
        """``client`` is not to be trusted any more: make the supervisor reconnect."""
        if self.client is not client:
            return
        try:
            client.broken = True  # reader_alive() is False from now on
        except Exception:  # a client that has no such attribute: the lost event suffices
            pass
        self.last_error = reason
        self._mark_lost()

    def _round_trip_ok(self) -> None:
        self.last_ok_mono = self.clock()
        self.last_ok_wall = time.time()

    def last_ok_age(self) -> Optional[float]:
        """Seconds since the last successful VPP round trip (None: none yet)."""
        return None if self.last_ok_mono is None else max(0.0, self.clock() - self.last_ok_mono)

    def health(self) -> Dict[str, Any]:
        """{"state": "ok"|"degraded", "reason": ...} (health.py)."""
        state, reason = vpp_health(
            enabled=self.enabled,
            connected=self.connected,
            last_ok_age=self.last_ok_age(),
            ping_interval=self.settings.ping_interval,
        )
        return {"state": state, "reason": reason}

    def _ensure_executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="maglevd-vpp")
        return self._executor

    def _mark_lost(self) -> None:
        if self._lost is not None:
            self._lost.set()

    # -- supervision ----------------------------------------------------------------------------

    def start(self) -> Optional[asyncio.Task]:
        if not self.enabled:
            emit(log, "vpp-disabled", reason="no VPP API socket given; maglevd only probes")
            return None
        self._task = asyncio.get_running_loop().create_task(
            keep_running(self.run, lambda exc: self.record_error("supervisor", exc, traceback=True)),
            name="maglevd-vpp",
        )
        return self._task

    async def stop(self) -> None:
        """Close the connection (VPP keeps its weights: nothing is sent on the way out)."""
        self._stopping = True
        self._mark_lost()
        if self._task is not None:
            await cancel_and_wait([self._task], log=log)
            self._task = None
        await self._close("shutdown")
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def run(self) -> None:
        """Connect, watch, reconnect: until stop(). An exception anywhere in one round (a
        bug, a failing callback, a close that raises) is logged and counted, the connection
        is dropped, and the next round starts after the backoff."""
        self._lost = asyncio.Event()
        backoff = Backoff(self.settings.retry_min, self.settings.retry_max)
        while not self._stopping:
            lasted: Optional[float] = None
            seen = socket_identity(self.api_socket)
            try:
                lasted = await self._session(backoff.if_it_fails())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.record_error("supervisor", exc, traceback=True)
                self.last_error = "internal error in the VPP supervisor: %s" % describe(exc)
                await self._close_guarded(self.last_error)
            if self._stopping:
                break
            delay = backoff.next_delay(lasted)
            # Reconnect at once when VPP's socket reappears, whatever the backoff (reconnect.py).
            await wait_to_reconnect(delay, self.api_socket, seen, self.settings.socket_poll_interval)

    async def _session(self, delay: float) -> Optional[float]:
        """One connection, from connect to its loss; returns how long it was up (None: the
        connect failed)."""
        assert self._lost is not None
        loop = asyncio.get_running_loop()
        try:
            client, self.version, self.vpp_pid = await loop.run_in_executor(
                self._ensure_executor(), open_client, self.settings
            )
        except VppError as exc:
            self.record_error("connect", exc, traceback=isinstance(exc, VppInternalError))
            self._connect_failed += 1
            if str(exc) != self.last_error or self._connect_failed == 1:
                emit(log, "vpp-connect-failed", logging.WARNING, socket=self.api_socket, retry=delay, error=str(exc))
            self.last_error = str(exc)
            self.metrics.desync.set(1)
            return None
        self._connect_failed = 0
        self._lost.clear()
        self.client = client
        self.connects += 1
        self.connected_since = time.time()
        self.connected_mono = self.clock()
        self._round_trip_ok()
        self.last_error = ""
        self.metrics.connected.set(1)
        self.metrics.connects.inc()
        emit(
            log,
            "vpp-connect",
            socket=self.api_socket,
            version=self.version.get("version"),
            vpp_pid=self.vpp_pid,
            connects=self.connects,
        )
        for callback in list(self.on_connect):
            await self._run_callback(callback)
        await self._watch()
        lasted = self.clock() - (self.connected_mono or self.clock())
        if not self._stopping:
            await self._close(self.last_error or "ping failed")
        return lasted

    async def _watch(self) -> None:
        """Ping until the connection is lost (a failed ping or a call that saw it drop).

        Between pings, every ``watch_interval`` the reader thread of vpp_papi's socket transport
        is checked: it exits as soon as VPP closes the socket (VPP restarted), so a restart is
        noticed within ~50 ms instead of at the next ping, at no API cost."""
        assert self._lost is not None
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self.settings.ping_interval
        while not self._stopping:
            try:
                wait = min(self.settings.watch_interval, max(0.0, next_ping - loop.time()))
                await asyncio.wait_for(self._lost.wait(), wait)
                return  # a call saw the connection drop
            except asyncio.TimeoutError:
                pass
            client = self.client
            if client is not None and not _transport_alive(client):
                self.last_error = "VPP closed the API socket"
                return
            if loop.time() < next_ping:
                continue
            next_ping = loop.time() + self.settings.ping_interval
            try:
                await self.call(_ping, stage="ping")
                self.metrics.calls(("control_ping",))
            except Exception as exc:  # call() turned anything unexpected into a VppInternalError
                self.metrics.error("control_ping")
                self.last_error = "control_ping failed: %s" % exc
                return

    async def _close(self, reason: str) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        self.metrics.connected.set(0)
        self.metrics.disconnects.inc()
        self.metrics.desync.set(1)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._ensure_executor(), client.close)
        except Exception as exc:  # closing a broken connection is best effort
            log.debug("closing the VPP connection failed: %s", exc)
        uptime = self.clock() - (self.connected_mono or self.clock())
        self.connected_since = self.connected_mono = None
        emit(
            log,
            "vpp-disconnect",
            logging.INFO if self._stopping else logging.WARNING,
            socket=self.api_socket,
            connected_for=round(uptime, 3),
            reason=reason,
        )
        for callback in list(self.on_disconnect):
            await self._run_callback(callback)

    async def _close_guarded(self, reason: str) -> None:
        try:
            await self._close(reason)
        except Exception as exc:  # the supervisor goes on with or without a clean close
            self.record_error("close", exc, traceback=True)
            self.client = None
            self.metrics.connected.set(0)

    async def _run_callback(self, callback: Callback) -> None:
        try:
            await callback()
        except Exception as exc:  # one broken subscriber must not stop the supervisor
            self.record_error("callback", exc, traceback=True)


def _transport_alive(client: VppClient) -> bool:
    """False once the connection cannot receive (vpp_papi's reader thread exited: VPP closed
    the socket; or the client is broken). The client judges by the thread, never by a None."""
    return client.reader_alive()


def _ping(client: VppClient) -> Any:
    reply = client.call("control_ping")
    if getattr(reply, "retval", 0) != 0:
        raise VppConnectionError("control_ping returned %d" % reply.retval, client.api_socket)
    return reply


def open_client(settings: VppSettings) -> Tuple[VppClient, dict, Optional[int]]:
    """Connect (blocking, on the VPP thread) and ask VPP who it is: (client, version, pid)."""
    try:
        client = vppclient.connect(
            settings.api_socket, api_dir=settings.api_dir, timeout=settings.timeout, client_name=settings.client_name
        )
    except VppError:
        raise
    except Exception as exc:  # e.g. EMFILE inside vpp_papi: not VPP's fault, retried all the same
        raise VppInternalError(
            "cannot connect to VPP on %s: %s" % (settings.api_socket, describe(exc)), settings.api_socket, exc
        ) from exc
    try:
        version = dict(client.version())
        pid = getattr(_ping(client), "vpe_pid", None)
    except Exception as exc:
        client.close()
        raise VppConnectionError(
            "connected to %s but VPP does not answer: %s" % (settings.api_socket, describe(exc)), settings.api_socket
        ) from exc
    return client, version, pid
