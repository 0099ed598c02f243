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
from typing import Dict, Iterable, List, Mapping, Optional, Sequence

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


def counter_totals(per_thread: Sequence[Sequence[int]]) -> List[int]:
    """A simple counter's per-thread vectors summed index by index (VPP keeps one vector per
    worker thread; an operator wants the VIP's total)."""
    totals: List[int] = []
    for vector in per_thread:
        if len(vector) > len(totals):
            totals.extend([0] * (len(vector) - len(totals)))
        for index, value in enumerate(vector):
            totals[index] += value
    return totals


def snapshot_from(
    records: Iterable[dict],
    packets_by_index: Optional[Mapping[str, Sequence[int]]],
    stats_error: Optional[str] = None,
) -> TrafficSnapshot:
    """The snapshot of `show lb vips verbose` records (showparse) and the stats segment's
    counters, as {kind: totals by VIP pool index} (None when they could not be read).

    A removed (lingering) VIP is left out: its traffic belongs to no configured frontend. A
    removed AS of a live VIP is kept: its flows are connections still pinned to that backend
    (docs/traffic.md)."""
    vips: Dict[VipKey, VipTraffic] = {}
    for record in records:
        if record["removed"]:
            continue
        key = VipKey.make(record["prefix"], record["protocol"], record["port"])
        index = record["index"]
        packets: Dict[str, int] = {}
        if packets_by_index is not None:
            for kind in KINDS:
                totals = packets_by_index.get(kind, ())
                packets[kind] = totals[index] if index < len(totals) else 0
        flows = {row["address"]: row["flows"] or 0 for row in record["ases"]}
        vips[key] = VipTraffic(key, index, packets, flows)
    return TrafficSnapshot(vips, None if packets_by_index is not None else (stats_error or "stats not read"))


def increase(previous: TrafficSnapshot, current: TrafficSnapshot) -> Dict[VipKey, Dict[str, int]]:
    """Packets counted per VIP and kind between two snapshots, for the VIPs both have with
    packets. A counter that went down, or a VIP whose pool index changed, was reset (VPP zeroes
    a VIP's counters when it creates the VIP, restarts from 0): its current value is the
    increase, as Prometheus's rate() counts a reset."""
    result: Dict[VipKey, Dict[str, int]] = {}
    for key, now in current.vips.items():
        before = previous.vips.get(key)
        if before is None or not now.packets or not before.packets:
            continue
        reset = before.index != now.index
        result[key] = {
            kind: value if reset or value < before.packets.get(kind, 0) else value - before.packets.get(kind, 0)
            for kind, value in now.packets.items()
        }
    return result


def rates(previous: TrafficSnapshot, current: TrafficSnapshot, seconds: float) -> Dict[VipKey, Dict[str, float]]:
    """Packets per second per VIP and kind between two snapshots taken ``seconds`` apart
    (see increase()); empty when ``seconds`` is not above 0 (nothing can be measured)."""
    if not seconds > 0:
        return {}
    return {
        key: {kind: count / seconds for kind, count in counts.items()}
        for key, counts in increase(previous, current).items()
    }
