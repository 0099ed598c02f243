# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drain until idle (docs/traffic.md): when may maglev_backend's ``wait_for_flows`` say that
a backend's flows have left? Pure: the caller reads maglevd's reports and keeps the time.

maglevd reads VPP's per-AS flows every few seconds and reports them on each backend as
``flows`` ({frontend: flows}) with ``flows_read_at`` (when it read them, on its own clock).
A count read before the wait began may predate the drain, so a backend counts as idle only
from a read newer than the one maglevd had at the wait's first look. Comparing read times
with each other, never with this host's clock, keeps it right when maglevd runs elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

# The largest wait_for_flows: VPP's sticky table has at most 2^32 - 1 entries per thread
# (sticky_buckets_per_core is a u32), so no backend can be told apart above it.
MAX_FLOWS = 2**32 - 1


class FlowsNotReported(Exception):
    """maglevd's answer has no ``flows``: it does not read VPP's flows (docs/traffic.md)."""


def flows_of(report: Mapping[str, Any]) -> Dict[str, int]:
    """A backend report's {frontend: flows}; FlowsNotReported when maglevd sends none."""
    flows = report.get("flows")
    if not isinstance(flows, dict):
        raise FlowsNotReported(
            "maglevd reports no flows for backend %s (it reads them from VPP's stats with "
            "--vpp-stats-addr and --vpp-stats-interval, docs/traffic.md)" % report.get("name")
        )
    return {str(frontend): int(count) for frontend, count in flows.items() if count is not None}


def read_at(report: Mapping[str, Any]) -> Optional[float]:
    value = report.get("flows_read_at")
    return None if value is None else float(value)


@dataclass
class FlowVerdict:
    """Where a wait stands: idle only when every backend's fresh counts are at most the limit."""

    idle: bool
    flows: Dict[str, Dict[str, int]]  # backend -> frontend -> flows, as last reported
    busy: Dict[str, Dict[str, int]] = field(default_factory=dict)  # the counts above the limit
    stale: List[str] = field(default_factory=list)  # backends without a read since the start

    def describe(self, limit: int) -> str:
        """One line for a wait that ended without idle: what is still there, and why."""
        parts = [
            "%s has %s" % (name, ", ".join("%d flows in %s" % (n, frontend) for frontend, n in sorted(counts.items())))
            for name, counts in sorted(self.busy.items())
        ]
        if self.stale:
            parts.append("maglevd has not read VPP's flows since the wait began for %s" % ", ".join(self.stale))
        return "flows above %d: %s" % (limit, "; ".join(parts) or "none")


class FlowWait:
    """One wait: the read times maglevd had at its first look, and each later look's verdict."""

    def __init__(self, limit: int, first: Mapping[str, Mapping[str, Any]]) -> None:
        self.limit = limit
        self.started: Dict[str, Optional[float]] = {name: read_at(report) for name, report in first.items()}

    def fresh(self, name: str, report: Mapping[str, Any]) -> bool:
        """Whether ``report`` comes from a read of VPP made after the wait began. A backend no
        frontend uses has no AS in VPP, so nothing to wait for; a count maglevd does not know
        (None) is not fresh."""
        if report.get("frontends") == []:
            return True
        if any(count is None for count in (report.get("flows") or {}).values()):
            return False
        now, then = read_at(report), self.started.get(name)
        return now is not None and (then is None or now > then)

    def verdict(self, reports: Mapping[str, Mapping[str, Any]], require_fresh: bool = True) -> FlowVerdict:
        """The verdict on ``reports`` (backend -> maglevd's report). ``require_fresh=False``
        judges the counts as they are (check mode's prediction, which does not wait)."""
        flows = {name: flows_of(report) for name, report in reports.items()}
        busy = {
            name: {frontend: n for frontend, n in counts.items() if n > self.limit}
            for name, counts in flows.items()
            if any(n > self.limit for n in counts.values())
        }
        stale = [name for name, report in reports.items() if require_fresh and not self.fresh(name, report)]
        return FlowVerdict(not busy and not stale, flows, busy, sorted(stale))
