# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""maglev.yaml's settings sections: maglev.healthchecker (maglevd's checker) and maglev.vpp.lb
(VPP's lb_conf and the reconciler's timing), read through the rules of rules/lb_conf.py and
rules/healthcheck.py (docs/config-reference.md)."""

from __future__ import annotations

import re
from typing import Any

from .config_errors import join_path as _join
from .config_model import HealthCheckerSettings, VppLbSettings
from .config_reader import Reader
from .rules.healthcheck import check_transition_history
from .rules.lb_conf import check_flow_timeout, check_sticky_buckets, format_seconds

_NETNS_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
LB_KEYS = (
    "ipv4-src-address",
    "ipv6-src-address",
    "sticky-buckets-per-core",
    "flow-timeout",
    "sync-interval",
    "startup-min-delay",
    "startup-max-delay",
)


def read_healthchecker(r: Reader, raw: Any, path: str) -> HealthCheckerSettings:
    m = r.mapping(raw, path, ("transition-history", "netns"))
    if m is None:
        return HealthCheckerSettings()
    history = r.checked(m, "transition-history", path, 5, check_transition_history)
    netns = r.string(
        m, "netns", path, pattern=_NETNS_RE, allowed="a network namespace name (letters, digits, '_', '.', '-'; 1-64)"
    )
    return HealthCheckerSettings(transition_history=history or 5, netns=netns or None)


def read_vpp(r: Reader, raw: Any, path: str) -> VppLbSettings:
    m = r.mapping(raw, path, ("lb",))
    if m is None:
        return VppLbSettings()
    path = _join(path, "lb")
    lb = r.mapping(m.get("lb"), path, LB_KEYS)
    if lb is None:
        return VppLbSettings()
    defaults = VppLbSettings()
    buckets = r.checked(lb, "sticky-buckets-per-core", path, defaults.sticky_buckets_per_core, check_sticky_buckets)
    flow_timeout = r.duration(lb, "flow-timeout", path, defaults.flow_timeout)
    if flow_timeout is not None and not r.report(path, check_flow_timeout(flow_timeout), "flow-timeout"):
        flow_timeout = None
    min_delay = r.duration(lb, "startup-min-delay", path, defaults.startup_min_delay)
    max_delay = r.duration(lb, "startup-max-delay", path, defaults.startup_max_delay)
    if min_delay is not None and max_delay is not None and min_delay > max_delay:
        r.error(
            _join(path, "startup-min-delay"),
            "must not exceed startup-max-delay (%s); both 0 turns the warmup off" % format_seconds(max_delay),
        )
    return VppLbSettings(
        ipv4_src_address=r.address(lb, "ipv4-src-address", path, family=4),
        ipv6_src_address=r.address(lb, "ipv6-src-address", path, family=6),
        sticky_buckets_per_core=buckets or defaults.sticky_buckets_per_core,
        flow_timeout=flow_timeout or defaults.flow_timeout,
        sync_interval=r.duration(lb, "sync-interval", path, defaults.sync_interval, positive=True)
        or defaults.sync_interval,
        startup_min_delay=min_delay if min_delay is not None else defaults.startup_min_delay,
        startup_max_delay=max_delay if max_delay is not None else defaults.startup_max_delay,
    )
