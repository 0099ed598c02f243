"""tcp: connect; optionally send a string and expect a regular expression in the reply."""

from __future__ import annotations

import asyncio
import re
from typing import Optional

from ...plugins.module_utils.config_model import TcpParams
from .base import IPAddress, Probe, ProbeFailure, tcp_connect
from .result import ProbeResult, passed
from .sockets import SocketFactory


class TcpProbe(Probe):
    type = "tcp"

    def __init__(
        self,
        address: IPAddress,
        port: int,
        timeout: float,
        params: Optional[TcpParams] = None,
        source: Optional[IPAddress] = None,
        factory: Optional[SocketFactory] = None,
    ) -> None:
        super().__init__(address, timeout)
        self.port = port
        self.source = source
        self.factory = factory or SocketFactory()
        params = params or TcpParams()
        self.send = params.send.encode() if params.send else b""
        self.expect = re.compile(params.expect.encode()) if params.expect else None
        self.read_limit = params.read_limit
        self.sockaddr = (str(address), port)  # numeric: connecting never resolves a name

    async def check(self) -> ProbeResult:
        loop = asyncio.get_running_loop()
        sock = await tcp_connect(loop, self.factory, self.address, self.port, self.source, self.sockaddr)
        try:
            if not self.send and self.expect is None:
                return passed("L4OK", "connected")
            self.timeout_code = "L7TOUT"
            if self.send:
                try:
                    await loop.sock_sendall(sock, self.send)
                except OSError as exc:
                    raise ProbeFailure("L7RSP", f"send: {exc.strerror or exc}")
            if self.expect is None:
                return passed("L7OK", "sent")
            return await self._expect(loop, sock)
        finally:
            sock.close()

    async def _expect(self, loop: asyncio.AbstractEventLoop, sock) -> ProbeResult:
        assert self.expect is not None
        received = b""
        while len(received) < self.read_limit:
            try:
                chunk = await loop.sock_recv(sock, self.read_limit - len(received))
            except OSError as exc:
                raise ProbeFailure("L7RSP", f"recv: {exc.strerror or exc}")
            if not chunk:
                break
            received += chunk
            if self.expect.search(received):
                return passed("L7OK", "expect matched")
        raise ProbeFailure(
            "L7RSP", f"expect {self.expect.pattern.decode(errors='replace')!r} not found in {len(received)} bytes"
        )
