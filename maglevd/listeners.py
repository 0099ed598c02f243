"""The control API's listeners, each with a cap on open connections and a guard on stalled writes.

aiohttp bounds a request's line and headers (8 KiB each, 128 headers) and, with
`keepalive_timeout`, the time a connection may take to send a complete request head after it
opened or after its previous response (so a half-sent header, a silent connection and an idle
keep-alive are all closed after `idle_timeout`). It has no cap on connections and nothing against
a client that stops reading. `GuardedSite` adds both, per listener:

- at most `max_connections` open connections; the next one gets a `503 too-many-connections`
  and is closed once its request is read (it never reaches aiohttp), so a flood of connections
  on one listener cannot use up the daemon's file descriptors or starve the others;
- a connection whose response has not drained for `write_timeout` seconds (the client stopped
  reading: the kernel buffers are full) is aborted.

Limits come from MAGLEV_API_* environment variables (`limits_from_env`), with the defaults below.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from dataclasses import dataclass, fields
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple, cast

from aiohttp import web

from ..plugins.module_utils.quoting import quote
from . import log as logs


@dataclass(frozen=True)
class ListenerLimits:
    max_connections: int = 128  # per listener
    idle_timeout: float = 15.0  # s to send a complete request head (after connecting / the last response)
    body_timeout: float = 15.0  # s to send a request body
    write_timeout: float = 30.0  # s a response may stay undrained (the client stopped reading)
    max_body: int = 65536  # bytes of a request body


REFUSE_GRACE = 1.0  # s a refused connection stays half-open for its client to send and read the 503
REFUSE_GRACE_MAX = 16  # refused connections given that grace at once, per listener

# env variable -> (field, type, lowest, highest)
ENV: Dict[str, Tuple[str, type, float, float]] = {
    "MAGLEV_API_MAX_CONNECTIONS": ("max_connections", int, 1, 65536),
    "MAGLEV_API_IDLE_TIMEOUT": ("idle_timeout", float, 0.05, 3600),
    "MAGLEV_API_BODY_TIMEOUT": ("body_timeout", float, 0.05, 3600),
    "MAGLEV_API_WRITE_TIMEOUT": ("write_timeout", float, 0.05, 3600),
    "MAGLEV_API_MAX_BODY": ("max_body", int, 1024, 16 * 1024 * 1024),
}
assert {spec[0] for spec in ENV.values()} == {f.name for f in fields(ListenerLimits)}


def limits_from_env(environ: Mapping[str, str]) -> ListenerLimits:
    """ListenerLimits from MAGLEV_API_* variables; ValueError names the variable and the range."""
    values: Dict[str, Any] = {}
    for name, (field, kind, low, high) in ENV.items():
        raw = environ.get(name, "").strip()
        if not raw:
            continue
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            what = "an integer" if kind is int else "seconds"
            raise ValueError(f"{name}: expected {what} from {low:g} to {high:g}, got {quote(raw)}")
        values[field] = value
    return ListenerLimits(**values)


def refusal(code: str, message: str, status: str = "503 Service Unavailable") -> bytes:
    """A complete HTTP/1.1 error response, for connections that never reach aiohttp."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode() + b"\n"
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


class Listener:
    """One listener's connections and counters (for /v1/status and the metrics)."""

    def __init__(self, name: str, limits: ListenerLimits) -> None:
        self.name = name
        self.limits = limits
        self.open: Set[GuardedConnection] = set()
        self.accepted = 0
        self.refused = 0
        self.stalled = 0
        self.lingering = 0  # refused connections in their grace (REFUSE_GRACE)

    def admit(self, connection: GuardedConnection) -> bool:
        if len(self.open) >= self.limits.max_connections:
            self.refused += 1
            if self.refused == 1 or self.refused % 1000 == 0:  # say so, without a log line per refusal
                logs.event(
                    "api-connections-refused",
                    logging.WARNING,
                    listener=self.name,
                    max_connections=self.limits.max_connections,
                    refused=self.refused,
                )
            return False
        self.open.add(connection)
        self.accepted += 1
        return True

    def release(self, connection: GuardedConnection) -> None:
        self.open.discard(connection)

    def status(self) -> Dict[str, Any]:
        return {
            "connections": len(self.open),
            "max_connections": self.limits.max_connections,
            "saturated": len(self.open) >= self.limits.max_connections,
            "accepted": self.accepted,
            "refused": self.refused,
            "write_stalls": self.stalled,
        }


class GuardedConnection(asyncio.Protocol):
    """Admits the connection (or refuses it), then hands everything to aiohttp's protocol."""

    def __init__(self, listener: Listener, factory: Callable[[], asyncio.Protocol]) -> None:
        self.listener = listener
        self.factory = factory
        self.inner: Optional[asyncio.Protocol] = None
        self.transport: Optional[asyncio.Transport] = None
        self._stall: Optional[asyncio.TimerHandle] = None  # a response not drained
        self._grace: Optional[asyncio.TimerHandle] = None  # a refused connection's last second
        self._on_lost: List[Callable[[], None]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's does not subclass asyncio.Transport, so no isinstance).
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        if not self.listener.admit(self):
            self._refuse(transport)
            return
        self.inner = self.factory()
        self.inner.connection_made(transport)

    def _refuse(self, transport: asyncio.Transport) -> None:
        # Answer, half-close, and close once the client's request is read (or after a short grace):
        # closing at once races the client's send, which then fails with EPIPE instead of the 503.
        limit = self.listener.limits.max_connections
        message = f"the {self.listener.name} listener has its maximum of {limit} connections open; retry later"
        transport.write(refusal("too-many-connections", message))
        if self.listener.lingering >= REFUSE_GRACE_MAX or not transport.can_write_eof():
            transport.close()  # a flood: no grace, so refusals cannot pile up descriptors either
            return
        transport.write_eof()
        self.listener.lingering += 1
        self._grace = asyncio.get_running_loop().call_later(REFUSE_GRACE, transport.close)

    def data_received(self, data: bytes) -> None:
        if self.inner is not None:
            self.inner.data_received(data)
        elif self.transport is not None:
            self.transport.close()  # refused: the request is read, the 503 is on its way

    def eof_received(self) -> Optional[bool]:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        # The client is not reading what we send: give it write_timeout to catch up.
        if self._stall is None:
            loop = asyncio.get_running_loop()
            self._stall = loop.call_later(self.listener.limits.write_timeout, self._stalled)
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None
        if self.inner is not None:
            self.inner.resume_writing()

    def _stalled(self) -> None:
        self._stall = None
        if self.transport is not None and self.inner is not None:
            self.listener.stalled += 1
            logs.event(
                "api-write-stalled",
                logging.WARNING,
                listener=self.listener.name,
                write_timeout=self.listener.limits.write_timeout,
            )
            self.transport.abort()

    def on_lost(self, callback: Callable[[], None]) -> None:
        """Call back when the connection goes (the event stream frees its queue then)."""
        self._on_lost.append(callback)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        for timer in (self._stall, self._grace):
            if timer is not None:
                timer.cancel()
        if self._grace is not None:
            self.listener.lingering -= 1
        self._stall = self._grace = None
        self.transport = None
        if self.inner is None:
            return
        self.listener.release(self)
        callbacks, self._on_lost = self._on_lost, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # one broken callback must not keep aiohttp from cleaning up
                logs.LOGGER.exception("connection-lost-callback-failed")
        self.inner.connection_lost(exc)


def connection_of(request: web.Request) -> Optional[GuardedConnection]:
    """The guarded connection a request came in on (None for a test client without one)."""
    transport = request.transport
    protocol = transport.get_protocol() if transport is not None else None
    return protocol if isinstance(protocol, GuardedConnection) else None


class GuardedSite(web.BaseSite):
    """A listener (a bound socket, or host:port) serving the runner's app through GuardedConnection."""

    def __init__(
        self,
        runner: web.BaseRunner,
        listener: Listener,
        *,
        sock: Optional[socket.socket] = None,
        host: Optional[str] = None,
        port: int = 0,
    ) -> None:
        super().__init__(runner)
        self.listener = listener
        self._sock = sock
        self._host = host
        self._port = port

    @property
    def name(self) -> str:
        return self.listener.name

    @property
    def address(self) -> Optional[Tuple[str, int]]:
        if self._server is None or not self._server.sockets:
            return None
        return self._server.sockets[0].getsockname()[:2]

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()

        def factory() -> GuardedConnection:
            return GuardedConnection(self.listener, server)

        if self._sock is not None:
            self._server = await loop.create_server(factory, sock=self._sock, backlog=self._backlog)
        else:
            self._server = await loop.create_server(
                factory, self._host, self._port, backlog=self._backlog, reuse_address=True
            )
