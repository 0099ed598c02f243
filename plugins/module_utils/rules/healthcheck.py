# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of a healthcheck and of maglevd's checker settings: the probe type and port, the
timing, rise/fall and the http/tcp limits (docs/config-reference.md, docs/state-machine.md).
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from .issue import Issue
from .lb_conf import format_seconds
from .values import check_choice, check_int

HEALTHCHECK_TYPES = ("icmp", "tcp", "http", "https", "static")
PORT_TYPES = ("tcp", "http", "https")  # the types that probe a port
MAX_PORT = 65535
MAX_RISE_FALL = 1000
MAX_READ_LIMIT = 1 << 20  # bytes a probe reads of a response (body-limit, read-limit)
MAX_TRANSITION_HISTORY = 10000
STATUS_CODES = (100, 599)


def check_type(value: Any) -> List[Issue]:
    return check_choice("type", value, HEALTHCHECK_TYPES)


def check_probe_port(check_type: Optional[str], value: Any, given: bool) -> List[Issue]:
    """tcp, http and https probe a port (1..65535) and need one; icmp and static take none."""
    if given:
        issues = check_int("port", value, 1, MAX_PORT)
        if check_type in ("icmp", "static"):
            issues.append(Issue("port", "not used by type %s; remove it" % check_type))
        return issues
    if check_type in PORT_TYPES:
        return [Issue("port", "required for type %s (1-%d)" % (check_type, MAX_PORT))]
    return []


def check_rise_fall(field: str, value: Any) -> List[Issue]:
    """rise / fall: how many probes in a row change a backend's state."""
    return check_int(field, value, 1, MAX_RISE_FALL)


def check_read_limit(field: str, value: Any) -> List[Issue]:
    return check_int(field, value, 1, MAX_READ_LIMIT)


def check_transition_history(value: Any) -> List[Issue]:
    return check_int("transition_history", value, 1, MAX_TRANSITION_HISTORY)


def check_timeout(timeout: float, interval: float) -> List[Issue]:
    """A probe must end before the next one starts."""
    if timeout < interval:
        return []
    return [
        Issue(
            "timeout",
            "%s must be shorter than interval (%s), or probes would overlap"
            % (format_seconds(timeout), format_seconds(interval)),
        )
    ]


def read_status_codes(item: Any, low: int, high: int) -> Tuple[Optional[Tuple[int, int]], List[Issue]]:
    """One response-codes entry already split into (low, high): both in 100..599, in order."""
    if not (STATUS_CODES[0] <= low <= STATUS_CODES[1] and STATUS_CODES[0] <= high <= STATUS_CODES[1]):
        return None, [Issue("response_codes", "%s is outside %d-%d" % (item, STATUS_CODES[0], STATUS_CODES[1]))]
    if low > high:
        return None, [Issue("response_codes", "range %s is reversed; write %d-%d" % (item, high, low))]
    return (low, high), []
