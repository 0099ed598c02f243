# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet consistency report in words: the failure lines (one per differing host and VIP)
and the table a person reads (docs/fleet.md). Pure; takes fleet_consistency's lists."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

SHOWN = 3  # differences named per line; the report's data keeps them all


def percent(share: float) -> str:
    """A share as an operator reads it: 12.5%, <0.1% (never 0.0% for a real difference), 100%."""
    if share == 0 or share == 1:
        return "%d%%" % (share * 100)
    if share < 0.001:
        return "<0.1%"
    return "%.1f%%" % (share * 100)


def _what(differences: Sequence[str]) -> str:
    # "; " between differences: one difference may hold a comma ("is 0, majority 100").
    if len(differences) <= SHOWN:
        return "; ".join(differences)
    return "%s (+%d more)" % ("; ".join(differences[:SHOWN]), len(differences) - SHOWN)


def _worst(vip: dict, host: str) -> Tuple[float, Optional[str]]:
    """The worst share of a pair holding ``host``, and the other differing host when that pair
    shows more than either host's line does against the majority (None otherwise)."""
    own = {entry["host"]: entry["share"] for entry in vip["differing"]}
    worst: Tuple[float, Optional[str]] = (own[host], None)
    for pair in vip["pairs"]:
        if host not in pair["hosts"] or pair["majority"]:
            continue
        other = next(name for name in pair["hosts"] if name != host)
        if pair["share"] > max(worst[0], own[other]):
            worst = (pair["share"], other)
    return worst


def _fails(share: float, threshold: float) -> bool:
    return share > threshold or threshold == 0


def _breaks(entry: dict, worst: float, other: Optional[str]) -> str:
    if worst == 0:
        return "no new flow breaks on an ECMP rehash (same new-flow table)"
    text = "%s of new flows break on an ECMP rehash" % percent(entry["share"])
    if other is not None:
        text += " (%s between it and %s)" % (percent(worst), other)
    return text


def health_line(entry: dict) -> str:
    views = ", ".join(
        "%s %s (majority %s)" % (name, seen["state"] or "absent", seen["majority"] or "absent")
        for name, seen in entry["backends"].items()
    )
    return "%s: maglevd sees %s" % (entry["host"], views)


def failure_lines(vips: Sequence[dict], health: Sequence[dict], threshold: float) -> List[str]:
    """One line per differing (host, VIP) above the threshold, then one per diverging view."""
    lines = []
    for vip in vips:
        for entry in vip["differing"]:
            worst, other = _worst(vip, entry["host"])
            if _fails(worst, threshold):
                what = _what(entry["differences"])
                lines.append("%s: %s: %s; %s" % (entry["host"], vip["vip"], what, _breaks(entry, worst, other)))
    return lines + [health_line(entry) for entry in health]


def _columns(rows: List[Tuple[str, ...]]) -> List[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1] for row in rows]


def _headline(hosts: Sequence[str], vips: Sequence[dict], health: Sequence[dict], threshold: float) -> str:
    names = " (%s)" % ", ".join(hosts) if len(hosts) <= 5 else ""
    fleet = "fleet of %d LBs%s" % (len(hosts), names)
    if not vips and not health:
        return "%s: consistent, every VIP the same on every LB" % fleet
    parts = []
    if vips:
        worst = max(vip["share"] for vip in vips)
        differing = {entry["host"] for vip in vips for entry in vip["differing"]}
        parts.append(
            "%d VIP%s differ%s on %d LB%s, worst %s of new flows break on an ECMP rehash"
            % (
                len(vips),
                "s" if len(vips) > 1 else "",
                "" if len(vips) > 1 else "s",
                len(differing),
                "s" if len(differing) > 1 else "",
                percent(worst),
            )
        )
        if threshold and worst <= threshold:
            parts[-1] += " (within max_share %s)" % percent(threshold)
    if health:
        parts.append(
            "%d maglevd view%s differ%s" % (len(health), "s" if len(health) > 1 else "", "" if len(health) > 1 else "s")
        )
    return "%s: %s" % (fleet, "; ".join(parts))


def table_lines(hosts: Sequence[str], vips: Sequence[dict], health: Sequence[dict], threshold: float) -> List[str]:
    """The readable report: a headline, a row per differing (host, VIP), the diverging views."""
    lines = [_headline(hosts, vips, health, threshold)]
    if vips:
        rows: List[Tuple[str, ...]] = [("VIP", "LB", "SHARE", "WHAT DIFFERS (against the majority)")]
        for vip in vips:
            label = vip["vip"] + (" (tie)" if vip["tie"] else "")
            for entry in vip["differing"]:
                worst, other = _worst(vip, entry["host"])
                share = percent(entry["share"]) + (" (%s vs %s)" % (percent(worst), other) if other else "")
                rows.append((label, entry["host"], share, _what(entry["differences"])))
                label = ""
        lines += _columns(rows)
    if health:
        views: List[Tuple[str, ...]] = [("LB", "BACKEND", "MAGLEVD SEES", "MAJORITY SEES")]
        for entry in health:
            backends: Dict[str, dict] = entry["backends"]
            for name, seen in backends.items():
                views.append((entry["host"], name, seen["state"] or "absent", seen["majority"] or "absent"))
        lines += _columns(views)
    return lines
