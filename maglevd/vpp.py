"""VPP connection supervision: connect, ping, reconnect with backoff, one writer thread.

Every VPP call maglevd makes goes through ``VppConnection.call(fn)``: ``fn(client)`` runs on
one dedicated worker thread (vpp_papi is blocking and a ``VppClient`` is not thread-safe), so
a slow or hung VPP never stalls the asyncio loop that runs the probes, and there is never
more than one writer. The supervisor task (``run``) owns the connection:

    connect (vppclient.connect) -> log vpp-connect -> on_connect callbacks (the reconciler's
    full sync) -> control_ping every ``ping_interval`` -> on a failed ping or any call that
    lost the connection: close, log vpp-disconnect, on_disconnect callbacks -> retry after a
    backoff (``retry_min`` doubling up to ``retry_max``) -> connect ...

An empty ``api_socket`` disables VPP entirely (``enabled`` is False, ``run`` returns at once).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, List, Optional, TypeVar

from ..plugins.module_utils import vppclient
from ..plugins.module_utils.vppclient import VppApplyError, VppClient, VppConnectionError, VppError
from .vpp_metrics import VppMetrics

log = logging.getLogger("maglevd.vpp")

T = TypeVar("T")
Callback = Callable[[], Awaitable[None]]


def emit(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """A structured log record: the message is the stable event name, the rest are fields
    (maglevd.log's JSON formatter prints them; plain handlers print the name)."""
    if logger.isEnabledFor(level):
        logger.log(level, name, extra={"fields": fields})


class VppNotConnected(VppConnectionError):
    """No VPP connection right now (disabled, not yet connected, or reconnecting)."""


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` means the connection is gone (as opposed to VPP refusing one op)."""
    if isinstance(exc, VppApplyError):
        return exc.dropped
    return isinstance(exc, VppConnectionError)


class VppConnection:
    def __init__(
        self,
        api_socket: str,
        *,
        api_dir: Optional[str] = None,
        timeout: float = 5.0,
        ping_interval: float = 10.0,
        watch_interval: float = 0.05,
        retry_min: float = 0.25,
        retry_max: float = 5.0,
        metrics: Optional[VppMetrics] = None,
        client_name: str = "maglevd",
    ) -> None:
        self.api_socket = api_socket
        self.api_dir = api_dir
        self.timeout = timeout
        self.ping_interval = ping_interval
        self.watch_interval = watch_interval
        self.retry_min = retry_min
        self.retry_max = retry_max
        self.metrics = metrics or VppMetrics()
        self.client_name = client_name
        self.client: Optional[VppClient] = None
        self.on_connect: List[Callback] = []
        self.on_disconnect: List[Callback] = []
        self.connected_since: Optional[float] = None  # wall clock, for display
        self.connected_mono: Optional[float] = None
        self.version: dict = {}
        self.vpp_pid: Optional[int] = None
        self.last_error = ""
        self.connects = 0
        self._executor: Optional[ThreadPoolExecutor] = None
        self._lost: Optional[asyncio.Event] = None
        self._stopping = False
        self._task: Optional[asyncio.Task] = None

    @property
    def enabled(self) -> bool:
        return bool(self.api_socket)

    @property
    def connected(self) -> bool:
        return self.client is not None

    # -- calls ------------------------------------------------------------------------------------

    async def call(self, fn: Callable[[VppClient], T]) -> T:
        """Run ``fn(client)`` on the VPP thread. A lost connection triggers the reconnect."""
        client = self.client
        if client is None:
            raise VppNotConnected(
                "not connected to VPP on %s%s"
                % (self.api_socket or "(disabled)", ": %s" % self.last_error if self.last_error else ""),
                self.api_socket,
            )
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._ensure_executor(), fn, client)
        except VppError as exc:
            if lost_connection(exc) and self.client is client:
                self.last_error = str(exc)
                self._mark_lost()
            raise

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
        self._task = asyncio.get_running_loop().create_task(self.run(), name="maglevd-vpp")
        return self._task

    async def stop(self) -> None:
        """Close the connection (VPP keeps its weights: nothing is sent on the way out)."""
        self._stopping = True
        self._mark_lost()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self._close("shutdown")
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._lost = asyncio.Event()
        delay = self.retry_min
        failures = 0
        while not self._stopping:
            try:
                client = await loop.run_in_executor(self._ensure_executor(), self._connect)
            except VppError as exc:
                failures += 1
                if str(exc) != self.last_error or failures == 1:
                    emit(
                        log, "vpp-connect-failed", logging.WARNING, socket=self.api_socket, retry=delay, error=str(exc)
                    )
                self.last_error = str(exc)
                self.metrics.desync.set(1)
                await self._sleep(delay)
                delay = min(delay * 2, self.retry_max)
                continue
            failures = 0
            delay = self.retry_min
            self._lost.clear()
            self.client = client
            self.connects += 1
            self.connected_since = time.time()
            self.connected_mono = time.monotonic()
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
            if self._stopping:
                break
            await self._close(self.last_error or "ping failed")
            await self._sleep(self.retry_min)

    def _connect(self) -> VppClient:
        client = vppclient.connect(
            self.api_socket, api_dir=self.api_dir, timeout=self.timeout, client_name=self.client_name
        )
        try:
            self.version = dict(client.version())
            self.vpp_pid = getattr(_ping(client), "vpe_pid", None)
        except VppError as exc:
            client.close()
            raise VppConnectionError("connected to %s but VPP does not answer: %s" % (self.api_socket, exc))
        return client

    async def _watch(self) -> None:
        """Ping until the connection is lost (a failed ping or a call that saw it drop).

        Between pings, every ``watch_interval`` the reader thread of vpp_papi's socket transport
        is checked: it exits as soon as VPP closes the socket (VPP restarted), so a restart is
        noticed within ~50 ms instead of at the next ping, at no API cost."""
        assert self._lost is not None
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self.ping_interval
        while not self._stopping:
            try:
                wait = min(self.watch_interval, max(0.0, next_ping - loop.time()))
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
            next_ping = loop.time() + self.ping_interval
            try:
                await self.call(_ping)
                self.metrics.calls(("control_ping",))
            except VppError as exc:
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
        uptime = time.monotonic() - (self.connected_mono or time.monotonic())
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

    async def _run_callback(self, callback: Callback) -> None:
        try:
            await callback()
        except Exception:  # one broken subscriber must not stop the supervisor
            log.exception("VPP connection callback %r failed", callback)

    async def _sleep(self, seconds: float) -> None:
        if not self._stopping:
            await asyncio.sleep(seconds)

    # -- introspection --------------------------------------------------------------------------

    def info(self) -> dict:
        """``show vpp info``: what we are connected to and since when."""
        return {
            "enabled": self.enabled,
            "api_socket": self.api_socket,
            "connected": self.connected,
            "connected_since": self.connected_since,
            "uptime": round(time.monotonic() - self.connected_mono, 3) if self.connected_mono else None,
            "connects": self.connects,
            "version": self.version.get("version") if self.connected else None,
            "build_date": self.version.get("build_date") if self.connected else None,
            "last_error": self.last_error or None,
            "ping_interval": self.ping_interval,
            "vpp_pid": self.vpp_pid if self.connected else None,
            "maglevd_pid": os.getpid(),
        }


def _transport_alive(client: VppClient) -> bool:
    """False once vpp_papi's socket reader thread has exited (EOF: VPP closed the socket).
    Unknown transports count as alive: the periodic ping still catches them."""
    thread = getattr(getattr(getattr(client, "papi", None), "transport", None), "message_thread", None)
    return thread is None or thread.is_alive()


def _ping(client: VppClient) -> Any:
    reply = client.call("control_ping")
    if getattr(reply, "retval", 0) != 0:
        raise VppConnectionError("control_ping returned %d" % reply.retval, client.api_socket)
    return reply
