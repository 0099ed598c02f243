# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of VPP's global lb_conf (maglev.vpp.lb, vpp_lb_conf): the GRE source addresses,
the sticky buckets and the flow timeout (docs/config-reference.md, docs/vpp-lb-reference.md).
"""

from __future__ import annotations

import math
from typing import Any, List, Tuple

from .issue import Issue, describe
from .values import check_int, is_power_of_two, read_address

MAX_STICKY_BUCKETS = 1 << 31
MIN_FLOW_TIMEOUT = 1
MAX_FLOW_TIMEOUT = 120  # seconds; VPP refuses more
# Source address lb_conf needs for each encap that tunnels (l3dsr/nat rewrite in place).
SRC_ADDRESS_FAMILY = {"gre4": 4, "gre6": 6}


def check_sticky_buckets(value: Any) -> List[Issue]:
    """Sticky-table buckets per worker: a power of two from 1 to 2^31."""
    issues = check_int("sticky_buckets_per_core", value, 1, MAX_STICKY_BUCKETS)
    if not issues and not is_power_of_two(value):
        issues.append(Issue("sticky_buckets_per_core", "%d is not a power of two (e.g. 1024, 65536)" % value))
    return issues


def format_seconds(seconds: float) -> str:
    return ("%g" % seconds) + "s"


def check_flow_timeout(seconds: Any) -> List[Issue]:
    """The idle time after which VPP forgets a flow: whole seconds, 1s to 120s."""
    allowed = "a whole number of seconds from %ds to %ds" % (MIN_FLOW_TIMEOUT, MAX_FLOW_TIMEOUT)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return [Issue("flow_timeout", "expected %s, got %s" % (allowed, describe(seconds)))]
    if not MIN_FLOW_TIMEOUT <= seconds <= MAX_FLOW_TIMEOUT or seconds != int(seconds):
        return [Issue("flow_timeout", "%s is out of range; expected %s" % (format_seconds(seconds), allowed))]
    return []


def read_src_address(value: Any, family: int) -> Tuple[Any, List[Issue]]:
    """The tunnel source address of one family (ipv4/ipv6_src_address)."""
    return read_address("ipv%d_src_address" % family, value, family)
