"""Who owns a socket path: never take over a live socket, replace only a stale one, and on
exit remove only the socket file we created (not one a successor put there since).

    claim(path)                   # raises SocketBusy if something answers there
    server = await asyncio.start_unix_server(..., path=path)
    owned = identity(path)        # right after bind
    ...
    release(path, owned)          # unlink only if the file is still ours
"""

from __future__ import annotations

import os
import socket
import stat
from typing import Optional, Tuple

Identity = Tuple[int, int]  # (st_dev, st_ino) of the socket file we bound


class SocketBusy(OSError):
    """The path is a live socket (another vppsim, or a VPP) or not a socket at all."""


def claim(path: str, kind: int = socket.SOCK_STREAM) -> None:
    """Make ``path`` free to bind: remove a stale socket file, refuse anything else there.
    ``kind`` is the socket type to probe with (the stats socket is SOCK_SEQPACKET)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise SocketBusy("%s exists and is not a socket; refusing to replace it" % path)
    probe = socket.socket(socket.AF_UNIX, kind)
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        pass  # nobody listens: left by a process that did not exit cleanly
    except OSError as exc:  # e.g. permission denied: we cannot tell, so do not touch it
        raise SocketBusy("%s cannot be probed (%s); refusing to replace it" % (path, exc.strerror)) from exc
    else:
        raise SocketBusy("%s is in use by a running vppsim or VPP; refusing to take it over" % path)
    finally:
        probe.close()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def identity(path: str) -> Optional[Identity]:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    return (info.st_dev, info.st_ino)


def release(path: str, owned: Optional[Identity]) -> None:
    """Unlink ``path`` if it is still the socket file we created."""
    if owned is not None and identity(path) == owned:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
