"""How the VPP side names its failures: not connected, disabled, connection lost or refused.

``error_kind`` gives the ``kind`` label of ``maglev_vpp_errors_total`` (docs/maglevd.md):
``internal`` (not VPP's doing: a bug, no file descriptors left), ``connection`` (the connection
failed or was lost), ``refused`` (VPP answered an error).
"""

from __future__ import annotations

from ...plugins.module_utils.vpp_errors import VppApplyError, VppConnectionError, VppError, VppInternalError


class VppNotConnected(VppConnectionError):
    """No VPP connection right now (disabled, not yet connected, or reconnecting)."""


class VppDisabled(RuntimeError):
    """maglevd runs without VPP (empty --vpp-api-addr)."""


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` means the connection is gone (as opposed to VPP refusing one op)."""
    if isinstance(exc, VppApplyError):
        return exc.dropped
    return isinstance(exc, VppConnectionError)


def error_kind(exc: BaseException) -> str:
    """``internal``, ``connection`` or ``refused`` (module docstring)."""
    if isinstance(exc, VppInternalError) or not isinstance(exc, VppError):
        return "internal"
    return "connection" if lost_connection(exc) else "refused"
