"""http / https: one request per probe on a fresh connection, parsed with h11.

Phases and their codes: connect (L4TOUT / L4CON), TLS handshake for https (L6TOUT / L6RSP),
request and response (L7TOUT / L7RSP / L7STS / L7OK). The connection is made once, and for
https TLS is layered on it exactly once (docs/maglevd.md#health-checking: the double-TLS bug).

Reads are bounded: without a body pattern the probe stops at the status line and headers;
with one it reads at most `body_limit` body bytes, whatever the size, chunking or framing of
the response (HAProxy #991: a large body must not stall checks).
"""

from __future__ import annotations

import asyncio
import re
import ssl
from typing import Dict, Optional, Tuple

import h11

from ...plugins.module_utils.config_model import HttpParams
from ..version import USER_AGENT
from .base import IPAddress, Probe, ProbeFailure, tcp_connect
from .result import ProbeResult, fail, passed
from .sockets import SocketFactory

_END = h11.EndOfMessage()  # immutable: one for every request
_SSL_CONTEXTS: Dict[Tuple[bool, Optional[str]], ssl.SSLContext] = {}


def ssl_context(insecure: bool, ca_file: Optional[str]) -> ssl.SSLContext:
    """Shared per (insecure, ca_file): a context holds the CA store, far too big per backend."""
    key = (insecure, ca_file)
    context = _SSL_CONTEXTS.get(key)
    if context is None:
        if insecure:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            context = ssl.create_default_context(cafile=ca_file)
        _SSL_CONTEXTS[key] = context
    return context


class _ResponseReader(asyncio.Protocol):
    """Feeds h11 and resolves `done` with (response, body) as soon as it has enough."""

    __slots__ = ("body", "body_limit", "conn", "done", "response", "want_body")

    def __init__(self, conn: h11.Connection, done: asyncio.Future, want_body: bool, body_limit: int) -> None:
        self.conn = conn
        self.done = done
        self.want_body = want_body
        self.body_limit = body_limit
        self.response: Optional[h11.Response] = None
        self.body = bytearray()

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def _error(self, detail: str) -> None:
        if not self.done.done():
            self.done.set_exception(ProbeFailure("L7RSP", detail))

    def _pump(self) -> None:
        conn = self.conn
        while not self.done.done():
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                self._error(f"invalid HTTP response: {exc}")
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Response):
                self.response = event
                if not self.want_body:
                    self._finish()
            elif isinstance(event, h11.Data):
                self.body += event.data
                if len(self.body) >= self.body_limit:
                    del self.body[self.body_limit :]
                    self._finish()
            elif isinstance(event, h11.EndOfMessage):
                self._finish()
            elif isinstance(event, h11.ConnectionClosed):
                self._error("connection closed before a complete response")

    def data_received(self, data: bytes) -> None:
        try:
            self.conn.receive_data(data)
        except h11.RemoteProtocolError as exc:
            self._error(f"invalid HTTP response: {exc}")
            return
        self._pump()

    def eof_received(self) -> Optional[bool]:
        try:
            self.conn.receive_data(b"")
        except h11.RemoteProtocolError as exc:
            self._error(f"invalid HTTP response: {exc}")
        self._pump()
        if self.response is not None and self.want_body:
            self._finish()  # body ended by close (no length): what we have is all there is
        self._error("connection closed before a complete response")
        return False

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._error(f"connection lost: {exc}" if exc else "connection closed before a complete response")


class HttpProbe(Probe):
    def __init__(
        self,
        address: IPAddress,
        port: int,
        timeout: float,
        params: Optional[HttpParams] = None,
        *,
        tls: bool = False,
        source: Optional[IPAddress] = None,
        factory: Optional[SocketFactory] = None,
    ) -> None:
        super().__init__(address, timeout)
        self.type = "https" if tls else "http"
        self.port = port
        self.source = source
        self.factory = factory or SocketFactory()
        self.sockaddr = (str(address), port)  # numeric: connecting never resolves a name
        params = params or HttpParams()
        self.codes = params.response_codes
        self.body_re = re.compile(params.body.encode()) if params.body else None
        self.body_limit = max(1, params.body_limit)
        literal = f"[{address}]" if address.version == 6 else str(address)
        default_port = 443 if tls else 80
        host = params.host or (literal if port == default_port else f"{literal}:{port}")
        self.request = h11.Request(
            method=params.method,
            target=params.path,
            headers=[
                ("Host", host),
                ("User-Agent", USER_AGENT),
                ("Accept", "*/*"),
                ("Connection", "close"),
            ],
        )
        self.tls = ssl_context(params.insecure, params.ca_file) if tls else None
        self.server_hostname = params.server_name or params.host or str(address)

    def _status_ok(self, status: int) -> bool:
        return any(low <= status <= high for low, high in self.codes)

    async def check(self) -> ProbeResult:
        loop = asyncio.get_running_loop()
        sock = await tcp_connect(loop, self.factory, self.address, self.port, self.source, self.sockaddr)
        conn = h11.Connection(h11.CLIENT)
        done = loop.create_future()
        reader = _ResponseReader(conn, done, self.body_re is not None, self.body_limit)
        transport = None
        try:
            if self.tls is not None:
                self.timeout_code = "L6TOUT"
                try:
                    transport, _protocol = await loop.create_connection(
                        lambda: reader, sock=sock, ssl=self.tls, server_hostname=self.server_hostname
                    )
                except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
                    raise ProbeFailure("L6RSP", f"TLS handshake: {getattr(exc, 'reason', None) or exc}")
            else:
                transport, _protocol = await loop.create_connection(lambda: reader, sock=sock)
            self.timeout_code = "L7TOUT"
            transport.write(conn.send(self.request) + conn.send(_END))
            await done
            return self._judge(reader)
        finally:
            if transport is not None:
                transport.abort()  # no graceful TLS close: nothing more to say, and it is cheaper
            else:
                sock.close()

    def _judge(self, reader: _ResponseReader) -> ProbeResult:
        response = reader.response
        if response is None:
            return fail("L7RSP", "no response")
        status = response.status_code
        if not self._status_ok(status):
            return fail("L7STS", f"HTTP {status}")
        if self.body_re is not None and not self.body_re.search(reader.body):
            return fail(
                "L7RSP", f"HTTP {status}, body does not match {self.body_re.pattern.decode(errors='replace')!r}"
            )
        return passed("L7OK", f"HTTP {status}")
