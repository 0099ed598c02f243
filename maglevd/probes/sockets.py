"""Where probe sockets come from: the current network namespace or a named one.

Sockets belong to the namespace of the thread that creates them, so for `healthchecker.netns`
the event-loop thread enters the namespace for the socket() call only and returns at once;
everything else (API listeners, VPP socket) stays in the daemon's own namespace. Entering
needs CAP_SYS_ADMIN; `SocketFactory.for_netns` tries once at start and raises NetnsError with
a clear message instead of letting every probe fail later.
"""

from __future__ import annotations

import os
import socket
from typing import Optional


class NetnsError(Exception):
    """The configured network namespace cannot be used."""


class SocketFactory:
    """Creates non-blocking probe sockets (in the daemon's namespace)."""

    netns: Optional[str] = None

    def socket(self, family: int, type_: int, proto: int = 0) -> socket.socket:
        sock = socket.socket(family, type_, proto)
        sock.setblocking(False)
        return sock

    def close(self) -> None:
        pass

    @staticmethod
    def for_netns(name: Optional[str]) -> SocketFactory:
        return NetnsSocketFactory(name) if name else SocketFactory()


class NetnsSocketFactory(SocketFactory):
    def __init__(self, name: str) -> None:
        self.netns = name
        path = name if name.startswith("/") else os.path.join("/run/netns", name)
        try:
            self._target = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise NetnsError(f"healthchecker.netns: cannot open network namespace {name!r} ({path}): {exc.strerror}")
        self._home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.setns(self._target, os.CLONE_NEWNET)
        except OSError as exc:
            self.close()
            hint = " (entering a namespace needs CAP_SYS_ADMIN)" if exc.errno == 1 else ""
            raise NetnsError(f"healthchecker.netns: cannot enter network namespace {name!r}: {exc.strerror}{hint}")
        os.setns(self._home, os.CLONE_NEWNET)

    def socket(self, family: int, type_: int, proto: int = 0) -> socket.socket:
        os.setns(self._target, os.CLONE_NEWNET)
        try:
            sock = socket.socket(family, type_, proto)
        finally:
            os.setns(self._home, os.CLONE_NEWNET)
        sock.setblocking(False)
        return sock

    def close(self) -> None:
        for fd in (getattr(self, "_target", None), getattr(self, "_home", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._target = self._home = None  # type: ignore[assignment]
