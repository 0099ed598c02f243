# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The errors of talking to VPP: each a one-line message an operator can act on.

``MissingLibrary`` (vpp_papi not installed), ``VppConnectionError`` (socket missing, refused,
timed out, dropped while reading), ``VppFeatureError`` (VPP too old or without the lb plugin),
``VppReadError`` (a read call returned an error), ``VppApplyError`` (a write failed: names
the op, VPP's error, what was applied and what was not), ``VppInternalError`` (something
unexpected broke the connection: a bug, or a resource such as file descriptors ran out).
"""

from __future__ import annotations

from typing import Any, Iterable, List, Optional

# VNET_API_ERROR_* codes the lb handlers return (docs/vpp-lb-reference.md, "Error codes").
VPP_ERRORS = {
    -1: "UNSPECIFIED",
    -2: "INVALID_SW_IF_INDEX",
    -6: "NO_SUCH_ENTRY",
    -7: "INVALID_VALUE",
    -70: "INVALID_MEMORY_SIZE",
    -73: "INVALID_ARGUMENT",
    -81: "VALUE_EXIST",
    -97: "INVALID_ADDRESS_FAMILY",
}


def error_name(retval: int) -> str:
    return VPP_ERRORS.get(retval, "UNKNOWN_ERROR")


class VppError(Exception):
    """Base of every error this module raises; ``str()`` is the operator-facing message."""


class MissingLibrary(VppError):
    """vpp_papi cannot be imported (modules report it with missing_required_lib)."""

    def __init__(self, library: str = "vpp_papi", error: Optional[BaseException] = None):
        self.library = library
        self.error = error
        super().__init__("the Python library %s is required on the VPP host: %s" % (library, error))


class VppConnectionError(VppError):
    """The API socket is missing, refuses us, or the connection broke while reading."""

    def __init__(self, message: str, api_socket: str = ""):
        self.api_socket = api_socket
        super().__init__(message)


class VppInternalError(VppConnectionError):
    """Something other than VPP broke the connection (an unexpected exception on our side, e.g.
    ``EMFILE`` when the process ran out of file descriptors). The connection is not trusted any
    more: callers treat it as lost and reconnect. ``error`` is the original exception."""

    def __init__(self, message: str, api_socket: str = "", error: Optional[BaseException] = None):
        self.error = error
        super().__init__(message, api_socket)


def describe(exc: BaseException) -> str:
    """``TypeName: message`` (at most ~200 characters), for errors whose type says what broke."""
    text = "%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


class VppFeatureError(VppError):
    """VPP (or the API definitions given) lacks what the collection needs."""

    def __init__(self, message: str, found: Optional[dict] = None, missing: Iterable[str] = ()):
        self.found = found or {}
        self.missing = list(missing)
        super().__init__(message)


VppTooOld = VppFeatureError


class VppReadError(VppError):
    """A read call (lb_conf_get, show_version, ...) returned a non-zero retval."""


class VppApplyError(VppError):
    """A write failed. ``applied`` went through, ``failed`` did not (or is in doubt when the
    connection dropped), ``not_applied`` was never sent. Re-running the same task converges
    because the next run plans from what VPP then holds."""

    def __init__(
        self,
        failed: Any,
        retval: Optional[int],
        applied: List[Any],
        not_applied: List[Any],
        *,
        dropped: bool = False,
        detail: str = "",
        position: Optional[int] = None,
    ):
        self.failed = failed
        self.retval = retval
        self.error = error_name(retval) if retval is not None else "CONNECTION_LOST"
        self.applied = applied
        self.not_applied = not_applied
        self.dropped = dropped
        if dropped:
            what = "the connection to VPP was lost (%s); it is unknown whether this operation took effect" % (
                detail or "no reply"
            )
        else:
            what = "VPP returned %d (%s)" % (retval, self.error)
        total = len(applied) + 1 + len(not_applied)
        number = len(applied) + 1 if position is None else position + 1
        super().__init__(
            "operation %d of %d failed: %s: %s; %d applied, %d not applied; "
            "re-running the task converges from what VPP now holds"
            % (number, total, failed, what, len(applied), len(not_applied))
        )

    def to_dict(self) -> dict:
        """JSON-safe context for fail_json / maglevd logs."""
        return {
            "failed_op": str(self.failed),
            "retval": self.retval,
            "error": self.error,
            "connection_lost": self.dropped,
            "applied": [str(op) for op in self.applied],
            "not_applied": [str(op) for op in self.not_applied],
        }
