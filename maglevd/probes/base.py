"""What every probe shares: the timeout with a phase-aware code, and the TCP connect step.

A probe object is built once per (address, healthcheck) and run again and again by one
worker, never concurrently, so per-run state (the current phase) can live on the object.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import time
from ipaddress import IPv4Address, IPv6Address
from typing import Optional, Union

from .result import ProbeResult, fail
from .sockets import SocketFactory

IPAddress = Union[IPv4Address, IPv6Address]


class ProbeFailure(Exception):
    """Raised inside a probe to end it with a given failure code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Probe:
    """Base class: `run()` applies the timeout and turns exceptions into result codes."""

    type = "none"
    initial_timeout_code = "L4TOUT"  # what a timeout means before the first phase completes

    def __init__(self, address: IPAddress, timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        self.timeout_code = "L4TOUT"  # advanced by subclasses as the probe moves through its phases

    async def check(self) -> ProbeResult:
        raise NotImplementedError

    async def run(self) -> ProbeResult:
        start = time.monotonic()
        self.timeout_code = self.initial_timeout_code
        try:
            async with asyncio.timeout(self.timeout):
                result = await self.check()
        except TimeoutError:
            result = fail(self.timeout_code, f"timeout after {self.timeout:g}s")
        except ProbeFailure as exc:
            result = fail(exc.code, exc.detail)
        except OSError as exc:  # anything local we did not classify: never crash the worker
            result = fail("SOCKERR", f"{type(exc).__name__}: {exc}")
        return ProbeResult(result.ok, result.code, result.detail, time.monotonic() - start)

    def close(self) -> None:
        """Release shared resources (nothing for most probes)."""


def _os_detail(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


_IN_PROGRESS = frozenset({errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR})


def _connected(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def tcp_connect(
    loop: asyncio.AbstractEventLoop,
    factory: SocketFactory,
    address: IPAddress,
    port: int,
    source: Optional[IPAddress],
    sockaddr: Optional[tuple] = None,
) -> socket.socket:
    """A connected non-blocking TCP socket, or ProbeFailure(L4CON / SOCKERR).

    `sockaddr` is the numeric (host, port) to connect to (probes build it once). The connect is
    done here with connect_ex and one writer callback rather than loop.sock_connect, which per
    call raises and catches BlockingIOError, re-checks the address for a resolver and wraps its
    callback in a partial: a third of a TCP probe's Python cost at 5,000 probes a second. No
    name is ever resolved (the address is numeric): no resolver thread is involved.
    """
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        sock = factory.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise ProbeFailure("SOCKERR", f"socket: {_os_detail(exc)}")
    try:
        if source is not None:
            try:
                sock.bind((str(source), 0))
            except OSError as exc:
                raise ProbeFailure("SOCKERR", f"bind to source {source}: {_os_detail(exc)}")
        err = sock.connect_ex(sockaddr or (str(address), port))
        if err in _IN_PROGRESS:
            fd = sock.fileno()
            waiter = loop.create_future()
            loop.add_writer(fd, _connected, waiter)
            try:
                await waiter
            finally:
                loop.remove_writer(fd)
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            _connect_failed(err)
    except BaseException:
        sock.close()
        raise
    return sock


def _connect_failed(err: int) -> None:
    detail = os.strerror(err)
    if err == errno.ECONNREFUSED:
        raise ProbeFailure("L4CON", "connection refused")
    if err in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        raise ProbeFailure("SOCKERR", f"connect: {detail}")
    raise ProbeFailure("L4CON", f"connect: {detail}")
