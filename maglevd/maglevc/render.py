"""The text maglevc prints for each API answer: tables, key/value blocks, event lines.

Pure but for the clock: `age` and the event times read the local time. Operators and
scripts read this output; tests pin it line for line.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional

from .human import HIDDEN_KEYS, duration, field, flat, plain
from .render_traffic import blackhole_event, flows_cell, traffic_lines


def table(rows: List[List[Any]], header: List[str]) -> str:
    """Left-aligned columns two spaces apart; None prints as an empty cell."""
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells)


def age(when: Optional[float], now: Optional[float] = None) -> str:
    """Time since a Unix timestamp: "0.4s", "3m12s" (human.duration); "-" for none."""
    if not when:
        return "-"
    return duration((time.time() if now is None else now) - when)


def render_backends(data: List[Dict[str, Any]], now: Optional[float] = None) -> str:
    now = time.time() if now is None else now
    rows = []
    for backend in data:
        last = backend["history"][0]["time"] if backend.get("history") else None
        rows.append(
            [
                backend["name"],
                backend["address"],
                backend["state"],
                "yes" if backend["enabled"] else "no",
                f"{backend['counter']}/{backend['rise'] + backend['fall'] - 1}",
                backend["type"],
                backend["code"] or "-",
                age(last, now),
            ]
        )
    return table(rows, ["BACKEND", "ADDRESS", "STATE", "ENABLED", "HEALTH", "CHECK", "CODE", "SINCE"])


def render_backend(backend: Dict[str, Any], now: Optional[float] = None) -> str:
    now = time.time() if now is None else now
    lines = [
        f"backend      {backend['name']}",
        f"address      {backend['address']}",
        f"state        {_state(backend['state'], backend['enabled'])}",
        f"health       {backend['counter']} (rise {backend['rise']}, fall {backend['fall']})",
        f"healthcheck  {backend['healthcheck'] or '-'} ({backend['type']})",
        f"last probe   {backend['code'] or '-'} {backend['detail'] or ''}".rstrip(),
        f"frontends    {', '.join(backend['frontends']) or '-'}",
        "history",
    ]
    for change in backend.get("history", []):
        lines.append(
            f"  {age(change['time'], now) + ' ago':>9}  {change['from']:>8} -> {change['to']:<8}  {change['code']}"
        )
    return "\n".join(lines)


def _state(state: str, enabled: bool) -> str:
    """The state once; "(disabled)" only when the state does not already say so (paused, down)."""
    return state if enabled or state == "disabled" else f"{state} (disabled)"


def render_frontends(data: List[Dict[str, Any]]) -> str:
    rows = []
    for frontend in data:
        members = [member for pool in frontend["pools"] for member in pool["backends"]]
        serving = sum(1 for member in members if member["weight"] > 0)
        rows.append(
            [
                frontend["name"],
                frontend["address"],
                frontend["protocol"],
                frontend["port"],
                frontend["state"],
                frontend["pools"][frontend["active_pool"]]["name"] if frontend["pools"] else "-",
                f"{serving}/{len(members)}",
            ]
        )
    return table(rows, ["FRONTEND", "ADDRESS", "PROTO", "PORT", "STATE", "ACTIVE POOL", "SERVING"])


def render_frontend(frontend: Dict[str, Any], now: Optional[float] = None) -> str:
    now = time.time() if now is None else now
    description = frontend.get("description")
    lines = [
        f"frontend       {frontend['name']}" + (f"  ({description})" if description else ""),
        f"vip            {frontend['address']} {frontend['protocol']} port {frontend['port']}",
        f"state          {frontend['state']}",
        f"src-ip-sticky  {'yes' if frontend['src_ip_sticky'] else 'no'}",
        f"flush-on-down  {'yes' if frontend['flush_on_down'] else 'no'}",
        *traffic_lines(frontend.get("traffic"), now),
    ]
    traffic = frontend.get("traffic") is not None  # a FLOWS column only where VPP was read
    for pool in frontend["pools"]:
        lines.append(f"pool {pool['name']}" + ("  (active)" if pool["active"] else ""))
        rows = [
            [
                "  " + member["backend"],
                member["address"],
                _state(member["state"], member["enabled"] is not False),
                member["configured_weight"],
                member["weight"],
                *([flows_cell(member)] if traffic else []),
            ]
            for member in pool["backends"]
        ]
        header = ["  BACKEND", "ADDRESS", "STATE", "WEIGHT", "EFFECTIVE"] + (["FLOWS"] if traffic else [])
        lines.append(table(rows, header))
    return "\n".join(lines)


def render_healthchecks(data: List[Dict[str, Any]]) -> str:
    rows = [
        [
            check["name"],
            check["type"],
            check["port"] or "-",
            duration(check["interval"]),
            duration(check["fast_interval"]),
            duration(check["down_interval"]),
            duration(check["timeout"]),
            check["rise"],
            check["fall"],
            len(check["backends"]),
        ]
        for check in data
    ]
    text = table(
        rows, ["HEALTHCHECK", "TYPE", "PORT", "INTERVAL", "FAST", "DOWN", "TIMEOUT", "RISE", "FALL", "BACKENDS"]
    )
    errors = [f"error: {check['name']}: {check['error']}" for check in data if check.get("error")]
    return "\n".join([text, *errors])


def render_kv(data: Any, indent: str = "", now: Optional[float] = None) -> str:
    """YAML-like, values in human units (human.field): a list item that is a mapping gets one
    "- " on its first key, the rest align."""
    now = time.time() if now is None else now
    if isinstance(data, dict):
        lines = []
        for key, value in data.items():
            if key in HIDDEN_KEYS:
                continue
            if isinstance(value, (dict, list)) and value and not flat(value):
                lines.append(f"{indent}{key}:")
                lines.append(render_kv(value, indent + "  ", now))
            else:
                lines.append(f"{indent}{key}: {field(key, value, now)}")
        return "\n".join(lines)
    if isinstance(data, list):
        items = []
        for value in data:
            if isinstance(value, (dict, list)) and value:
                # the indent string must not carry the dash: it would repeat on every line below
                body = render_kv(value, indent + "  ", now)
                items.append(f"{indent}- {body[len(indent) + 2 :]}")
            else:
                items.append(f"{indent}- {plain(value)}")
        return "\n".join(items)
    return f"{indent}{plain(data)}"


def render_event(event: Dict[str, Any]) -> str:
    when = time.strftime("%H:%M:%S", time.localtime(event.get("time") or time.time()))
    kind = event.get("type")
    if event.get("replay"):  # the state when the watch started, not a change: say so, no "up -> up"
        what = f"backend {event['backend']}" if kind == "backend-transition" else f"frontend {event.get('frontend')}"
        code = f", {event['code']}" if event.get("code") else ""
        return f"{when} {what} is {event['to']} (current state{code})"
    if kind == "backend-transition":
        return f"{when} backend {event['backend']} {event['from']} -> {event['to']} ({event.get('code', '')})"
    if kind == "frontend-transition":
        return f"{when} frontend {event['frontend']} {event['from']} -> {event['to']}"
    blackhole = blackhole_event(when, event)
    if blackhole is not None:
        return blackhole
    rest = {k: v for k, v in event.items() if k not in ("type", "seq", "time")}
    return f"{when} {kind} {json.dumps(rest, default=str, separators=(',', ':'))}"


def render_reload(result: Dict[str, Any]) -> str:
    if not result["ok"]:
        return "reload refused, running config kept:\n" + "\n".join(result["errors"])
    summary = result.get("summary", {})
    parts = [f"{kind} {len(names)}" for kind, names in summary.items() if names]
    return "reloaded" + (": " + ", ".join(parts) if parts else "")


def render_action(result: Dict[str, Any]) -> str:
    """The answer to `set backend NAME ACTION`."""
    return f"backend {result['name']}: {result['state']}" + ("" if result["changed"] else " (unchanged)")


def render_config_check(result: Dict[str, Any]) -> str:
    return f"{result['path']}: OK" if result["ok"] else "\n".join(result["errors"])
