"""Simulated traffic through the lb node: the sticky table, the four VIP counters, AS flows.

INTERFACE STUB (the lead wrote it so the CLI and the traffic model can be built side by
side; the traffic engineer replaces the bodies and keeps these names and signatures).
"""

from __future__ import annotations

from typing import List, Tuple

# The lb plugin's simple counters, in VPP's order, named as the stats segment names them.
COUNTER_NAMES = (
    "packet from existing sessions",
    "first session packet",
    "untracked packet",
    "no server configured",
)


class TrafficModel:
    """One per LbTables (``lb.traffic``): what the lb node has counted and pinned."""

    def counter(self, name: str, vip_index: int) -> int:
        """The simple counter `name` (one of COUNTER_NAMES) of VIP pool index `vip_index`,
        summed over threads."""
        return 0

    def flows(self, as_index: int) -> int:
        """Sticky entries pointing at AS pool index `as_index` (VPP's as_refcount)."""
        return 0

    def sticky_tables(self, now: int) -> List[Tuple[int, int, int, int]]:
        """(thread index, timeout, valid entries at `now`, size) per thread whose sticky
        table exists; empty until the first packet (VPP allocates them lazily)."""
        return []
