# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How many new flows a plan moves: per changed VIP, the share of its Maglev new-flow
buckets that change owner (docs/state-module.md). Pure; no I/O.

VPP builds each VIP's new-flow table from its live ASes and weights (maglev_table, the same
code the simulator answers ``num_buckets`` with). A flow whose 5-tuple hash lands in a bucket
whose owner changes goes to another AS when it next opens (established flows stay in the
sticky table unless flushed). So the exact figure is: build the table before and after the
change and count the buckets that differ.

Two figures are reported per VIP:

- ``moved_share``: what VPP's table will actually move (its Maglev is not minimal: taking
  one of four equal ASes to half weight moves 216 of 1024 buckets, not the 106 it loses);
- ``minimum_share``: the least any table could move for the same change of shares (the sum
  of the shares owners lose), so an operator sees how much of the churn is the algorithm's.

When the table length changes (a recreated VIP), a hash h lands in bucket ``h & (len-1)``,
so comparing the two tables over the longer length with each index masked is exact.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Tuple

from .lb_model import PROTOCOL_NAMES, IPAddress, Vip, ip_sort_key
from .maglev_table import build_table_ip46, ip46

DROP = None  # owner of a bucket when the VIP has no AS of weight > 0

_IP46: Dict[IPAddress, bytes] = {}


def _table(ases: Mapping[IPAddress, int], length: int) -> List[Optional[IPAddress]]:
    """Owner of every bucket (None = drop). Calls maglev_table's core directly: the addresses
    are ipaddress objects already, and their 16-byte forms are cached across VIPs."""
    live = [(addr, weight) for addr, weight in ases.items() if weight > 0]
    if not live:
        return [DROP] * length
    keyed = []
    for addr, weight in live:
        packed = _IP46.get(addr)
        if packed is None:
            packed = _IP46[addr] = ip46(addr)
        keyed.append((packed, weight))
    return [live[i][0] if i >= 0 else DROP for i in build_table_ip46(keyed, length)]


def table_inputs(ases: Mapping[IPAddress, int], length: int) -> Tuple[Tuple[bytes, int], ...]:
    """What VPP's table for these ASes actually depends on: each live AS (by ip46 address,
    in address order) with the number of its entries that fit in the table.

    The table takes entries (AS, r) sorted by (r, address) and only the first ``length`` of
    them, so weights above a cutoff make no difference (64 ASes in a 1024-bucket table: any
    weight >= 16 acts as 16). Equal inputs => identical tables, so an unchanged VIP needs no
    table build at all."""
    live = []
    for addr, weight in ases.items():
        if weight > 0:
            packed = _IP46.get(addr)
            if packed is None:
                packed = _IP46[addr] = ip46(addr)
            live.append((packed, weight))
    live.sort()
    weights = sorted(weight for _addr, weight in live)
    remaining, level, dropped = length, 0, 0  # entries left, replicas fully placed, ASes done
    alive = len(weights)
    while remaining and dropped < alive:
        count = alive - dropped  # ASes with weight > level
        span = weights[dropped] - level  # full levels until the lightest of them runs out
        full = min(span, remaining // count)
        level += full
        remaining -= full * count
        if full < span:
            break  # level ``level`` is only partly placed: the first ``remaining`` by address
        while dropped < alive and weights[dropped] <= level:
            dropped += 1
    result = []
    for packed, weight in live:
        entries = min(weight, level)
        if weight > level and remaining:
            entries += 1
            remaining -= 1
        result.append((packed, entries))
    return tuple(result)


def _counts(table: List[Optional[IPAddress]]) -> Dict[Optional[IPAddress], int]:
    counts: Dict[Optional[IPAddress], int] = {}
    for owner in table:
        counts[owner] = counts.get(owner, 0) + 1
    return counts


def _ordered(counts: Dict[Optional[IPAddress], int], ases: Mapping[IPAddress, int]) -> Dict[str, int]:
    """Buckets per AS (every AS of the VIP, 0 when it gets none), numeric order, plus 'drop'."""
    result = {str(addr): counts.get(addr, 0) for addr in sorted(ases, key=ip_sort_key)}
    if counts.get(DROP):
        result["drop"] = counts[DROP]
    return result


def _compare(
    old: List[Optional[IPAddress]], new: List[Optional[IPAddress]]
) -> tuple[int, int, float]:  # (moved buckets, length compared, minimum share)
    length = max(len(old), len(new))
    old_mask, new_mask = len(old) - 1, len(new) - 1
    if len(old) == len(new):
        # Identity first (addresses are mostly interned), equality for those read from VPP.
        moved = sum(1 for a, b in zip(old, new) if a is not b and a != b)
    else:
        moved = sum(1 for i in range(length) if old[i & old_mask] != new[i & new_mask])
    old_share = {k: v / len(old) for k, v in _counts(old).items()}
    new_share = {k: v / len(new) for k, v in _counts(new).items()}
    minimum = sum(max(0.0, share - new_share.get(owner, 0.0)) for owner, share in old_share.items())
    return moved, length, minimum


def vip_disruption(before: Optional[Vip], after: Optional[Vip], recreated: bool = False) -> dict:
    """The disruption figures of one VIP (``before``/``after`` None when added/removed)."""
    vip = after if after is not None else before
    if vip is None:
        raise ValueError("vip_disruption needs a VIP before or after the change")
    key = vip.key
    result: dict = {
        "vip": str(key.prefix),
        "protocol": PROTOCOL_NAMES.get(key.protocol, str(key.protocol)),
        "port": key.port,
    }
    if before is None:
        # A new VIP moves no existing flow; its table is not built (that costs milliseconds
        # per VIP and a cold converge adds thousands).
        result.update(
            change="added",
            table_length=after.attrs.new_flows_table_length,
            moved_buckets=0,
            moved_share=0.0,
            minimum_share=0.0,
        )
        return result
    if after is None:
        # Every bucket of a VIP with an AS of weight > 0 serves; after removal they all drop.
        length = before.attrs.new_flows_table_length
        serving = length if before.serving() else 0
        result.update(
            change="removed",
            table_length=length,
            moved_buckets=serving,
            moved_share=round(serving / length, 4),
            minimum_share=round(serving / length, 4),
        )
        return result
    old_length, new_length = before.attrs.new_flows_table_length, after.attrs.new_flows_table_length
    if old_length == new_length and table_inputs(before.ases, old_length) == table_inputs(after.ases, new_length):
        # Same table (e.g. weights changed above the cutoff, or an AS added at weight 0).
        result.update(
            change="recreated" if recreated else "modified",
            table_length=old_length,
            moved_buckets=0,
            moved_share=0.0,
            minimum_share=0.0,
        )
        return result
    old = _table(before.ases, old_length)
    new = _table(after.ases, new_length)
    moved, length, minimum = _compare(old, new)
    result.update(
        change="recreated" if recreated else "modified",
        table_length=length,
        moved_buckets=moved,
        moved_share=round(moved / length, 4),
        minimum_share=round(minimum, 4),
        buckets_before=_ordered(_counts(old), before.ases),
        buckets_after=_ordered(_counts(new), after.ases),
    )
    return result


def plan_disruption(the_plan: object) -> Dict[str, dict]:
    """{str(VipKey): figures} for every VIP the plan changes, in the plan's VIP order.

    Takes a planner.Plan (before, after, recreated, changed_vips()). A VIP whose plan only
    flushes (same weights) moves no new-flow bucket; it is listed with moved_share 0."""
    before, after = the_plan.before.vips, the_plan.after.vips  # type: ignore[attr-defined]
    recreated = the_plan.recreated  # type: ignore[attr-defined]
    result: Dict[str, dict] = {}
    for key in the_plan.changed_vips():  # type: ignore[attr-defined]
        result[str(key)] = vip_disruption(before.get(key), after.get(key), key in recreated)
    return result
