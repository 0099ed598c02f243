"""When to reconnect to VPP: at once after a connection that held, with a doubling backoff
after failures, and at once whenever VPP's API socket reappears.

A restarted VPP binds its API socket anew, so the socket file's identity (device, inode,
change time) tells a new VPP from the old one without asking it anything. While the
supervisor waits out a backoff it looks at that identity every ``socket_poll_interval``
(10 ms, an ``os.stat``): a VPP that comes back is reconnected within that, not at the end of
a backoff that may have grown to seconds while it was down (docs/reconciler.md, "VPP
connection"; docs/performance.md, "maglevd: restore").
"""

from __future__ import annotations

import asyncio
import os
from typing import Callable, Optional, Tuple

SocketIdentity = Optional[Tuple[int, int, int]]


class Backoff:
    """The delay before each connect (pure). ``failures`` counts attempts in a row that did
    not give a connection that held for ``maximum`` seconds."""

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.failures = 0

    def if_it_fails(self) -> float:
        """The wait that follows if the coming connect fails (what vpp-connect-failed logs)."""
        return min(self.minimum * 2**self.failures, self.maximum)

    def next_delay(self, lasted: Optional[float]) -> float:
        """The wait before the next connect, after a session that lasted ``lasted`` seconds
        (None: the connect failed). A connection that held: reconnect at once; then
        ``minimum`` doubling up to ``maximum``."""
        if lasted is not None and lasted >= self.maximum:
            self.failures = 0
            return 0.0
        self.failures += 1
        return min(self.minimum * 2 ** (self.failures - 1), self.maximum)


def socket_identity(path: str) -> SocketIdentity:
    """(device, inode, change time) of the socket file, None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_ctime_ns)


async def wait_to_reconnect(
    delay: float,
    path: str,
    seen: SocketIdentity,
    poll: float,
    identity: Callable[[str], SocketIdentity] = socket_identity,
) -> bool:
    """Wait ``delay`` seconds, or less if the socket at ``path`` appears anew (another identity
    than ``seen``, the one of the failed attempt). True when it did."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + delay
    while True:
        now = identity(path)
        if now is not None and now != seen:
            return True
        left = deadline - loop.time()
        if left <= 0:
            return False
        await asyncio.sleep(min(poll, left))
