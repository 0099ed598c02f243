# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What VPP has counted for each VIP and pinned to each AS: one read, shared by the daemon
and the modules. Pure data; vppclient fills it (docs/traffic.md).

INTERFACE (the lead wrote it so the reader, the daemon and the modules can be built side by
side; keep these names and fields, add what you need).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional

from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import VipKey

# The lb plugin's stats-segment counter names (no leading slash) -> the short kind the
# collection reports (Prometheus label `kind`, API and module keys).
COUNTER_KINDS: Dict[str, str] = {
    "packet from existing sessions": "existing",
    "first session packet": "first",
    "untracked packet": "untracked",
    "no server configured": "no_server",
}
KINDS = tuple(COUNTER_KINDS.values())
# Kinds that mean packets were not load-balanced to a backend: the black-hole alarm's input.
BLACKHOLE_KINDS = ("no_server", "untracked")


@dataclass(frozen=True)
class VipTraffic:
    """One VIP: its VPP pool index, its packet counters and the live flows of each AS."""

    key: VipKey
    index: int  # VPP's VIP pool index, from `show lb vips verbose`'s `[N]`
    # kind -> packets since VPP started (summed over threads); empty when stats are off.
    packets: Dict[str, int] = field(default_factory=dict)
    # AS address (compressed text, as lb_model prints it) -> sticky entries (VPP's flows:).
    flows: Dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TrafficSnapshot:
    """Every VIP's traffic at one moment."""

    vips: Dict[VipKey, VipTraffic]
    # Why packets are missing, or None when they were read (e.g. stats socket off/unreachable).
    stats_error: Optional[str] = None
