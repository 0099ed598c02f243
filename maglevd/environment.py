"""Environment variable names shared by maglevd and maglevc.

One name for the control socket, MAGLEV_SOCKET, for both programs. MAGLEV_CONTROL_SOCKET (the
daemon's old name) still works when MAGLEV_SOCKET is unset, with a warning; pure: the caller
says the warning its own way (maglevd: a JSON line, maglevc: stderr).
"""

from __future__ import annotations

from typing import Mapping, Optional, Tuple

SOCKET_VAR = "MAGLEV_SOCKET"
DEPRECATED_SOCKET_VAR = "MAGLEV_CONTROL_SOCKET"


def control_socket(environ: Mapping[str, str], default: str) -> Tuple[str, Optional[str]]:
    """(socket path, deprecation warning or None) from `environ`."""
    new, old = environ.get(SOCKET_VAR), environ.get(DEPRECATED_SOCKET_VAR)
    if old is None:
        return (default if new is None else new), None
    if new is None:
        return old, f"{DEPRECATED_SOCKET_VAR} is deprecated: set {SOCKET_VAR} instead"
    return new, f"{DEPRECATED_SOCKET_VAR} is deprecated and ignored: {SOCKET_VAR} is set"
