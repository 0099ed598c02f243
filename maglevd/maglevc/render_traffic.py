"""VPP's traffic in maglevc's views: a frontend's packets/s per kind and its black-hole alarm,
a member's live flows, the black-hole events (docs/traffic.md explains each kind).

Pure: every function that needs the time takes `now`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from .human import local_time

KIND_ORDER = ("existing", "first", "untracked", "no_server")


def rate(value: float) -> str:
    """Packets per second as an operator reads them: `0`, `12.5`, `1,204`."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def traffic_lines(traffic: Optional[Mapping[str, Any]], now: float) -> List[str]:
    """The `traffic` lines of `show frontend` (aligned with its other header lines); none
    without VPP or before the first read."""
    if traffic is None:
        return []
    read = local_time(traffic.get("read_at"), now) if traffic.get("read_at") else "never"
    rates = traffic.get("rates")
    if rates is not None:
        text = ", ".join(f"{kind} {rate(rates.get(kind, 0.0))}" for kind in KIND_ORDER)
        lines = [f"packets/s      {text}  (read {read})"]
    else:
        why = traffic.get("error") or "one read so far: rates need two"
        lines = [f"packets/s      unknown: {why}  (read {read})"]
    blackhole = traffic.get("blackhole")
    if blackhole:
        lines.append(f"BLACK HOLE     {blackhole['kind']} rising at {rate(blackhole['rate'])} packets/s")
    return lines


def flows_cell(member: Mapping[str, Any]) -> str:
    flows = member.get("flows")
    return "-" if flows is None else f"{flows:,}"


def blackhole_event(when: str, event: Dict[str, Any]) -> Optional[str]:
    """One line for a black-hole event; None for any other event."""
    if event.get("type") == "frontend-blackhole":
        return f"{when} frontend {event['frontend']} BLACK HOLE: {event['kind']} at {rate(event['rate'])} packets/s"
    if event.get("type") == "frontend-blackhole-cleared":
        return f"{when} frontend {event['frontend']} black hole cleared ({event.get('reason') or 'stopped'})"
    return None
