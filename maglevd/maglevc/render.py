"""The text maglevc prints for each API answer: tables, key/value blocks, event lines.

Pure but for the clock: `age` and the event times read the local time. Operators and
scripts read this output; tests pin it line for line.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional


def table(rows: List[List[Any]], header: List[str]) -> str:
    """Left-aligned columns two spaces apart; None prints as an empty cell."""
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells)


def age(when: Optional[float]) -> str:
    """Time since a Unix timestamp in the two largest units ("3m12s"), "now" or "-"."""
    if not when:
        return "-"
    seconds = max(0, int(time.time() - when))
    if seconds < 1:
        return "now"
    units = [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)]
    parts = []
    for name, size in units:
        if seconds >= size:
            parts.append(f"{seconds // size}{name}")
            seconds %= size
        if len(parts) == 2:
            break
    return "".join(parts)


def render_backends(data: List[Dict[str, Any]]) -> str:
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
                age(last),
            ]
        )
    return table(rows, ["BACKEND", "ADDRESS", "STATE", "ENABLED", "HEALTH", "CHECK", "CODE", "SINCE"])


def render_backend(backend: Dict[str, Any]) -> str:
    lines = [
        f"backend      {backend['name']}",
        f"address      {backend['address']}",
        f"state        {backend['state']}" + ("" if backend["enabled"] else "  [disabled]"),
        f"health       {backend['counter']} (rise {backend['rise']}, fall {backend['fall']})",
        f"healthcheck  {backend['healthcheck'] or '-'} ({backend['type']})",
        f"last probe   {backend['code'] or '-'} {backend['detail'] or ''}".rstrip(),
        f"frontends    {', '.join(backend['frontends']) or '-'}",
        "history",
    ]
    for change in backend.get("history", []):
        lines.append(f"  {age(change['time']):>7} ago  {change['from']:>8} -> {change['to']:<8}  {change['code']}")
    return "\n".join(lines)


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


def render_frontend(frontend: Dict[str, Any]) -> str:
    description = frontend.get("description")
    lines = [
        f"frontend       {frontend['name']}" + (f"  ({description})" if description else ""),
        f"vip            {frontend['address']} {frontend['protocol']} port {frontend['port']}",
        f"state          {frontend['state']}",
        f"src-ip-sticky  {'yes' if frontend['src_ip_sticky'] else 'no'}",
        f"flush-on-down  {'yes' if frontend['flush_on_down'] else 'no'}",
    ]
    for pool in frontend["pools"]:
        lines.append(f"pool {pool['name']}" + ("  (active)" if pool["active"] else ""))
        rows = [
            [
                "  " + member["backend"],
                member["address"],
                member["state"] + ("" if member["enabled"] is not False else " [disabled]"),
                member["configured_weight"],
                member["weight"],
            ]
            for member in pool["backends"]
        ]
        lines.append(table(rows, ["  BACKEND", "ADDRESS", "STATE", "WEIGHT", "EFFECTIVE"]))
    return "\n".join(lines)


def render_healthchecks(data: List[Dict[str, Any]]) -> str:
    rows = [
        [
            check["name"],
            check["type"],
            check["port"] or "-",
            f"{check['interval']:g}s",
            f"{check['fast_interval']:g}s",
            f"{check['down_interval']:g}s",
            f"{check['timeout']:g}s",
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


def render_kv(data: Any, indent: str = "") -> str:
    """YAML-like: a list item that is a mapping gets one "- " on its first key, the rest align."""
    if isinstance(data, dict):
        lines = []
        for key, value in data.items():
            if isinstance(value, (dict, list)) and value:
                lines.append(f"{indent}{key}:")
                lines.append(render_kv(value, indent + "  "))
            else:
                lines.append(f"{indent}{key}: {value}")
        return "\n".join(lines)
    if isinstance(data, list):
        items = []
        for value in data:
            if isinstance(value, (dict, list)) and value:
                # the indent string must not carry the dash: it would repeat on every line below
                body = render_kv(value, indent + "  ")
                items.append(f"{indent}- {body[len(indent) + 2 :]}")
            else:
                items.append(f"{indent}- {value}")
        return "\n".join(items)
    return f"{indent}{data}"


def render_vpp_info(data: Dict[str, Any]) -> str:
    """render_kv, with the Unix timestamps the API sends shown as UTC times and the age of
    the last successful VPP round trip as "N.Ns ago" ("never" before the first)."""
    shown = dict(data)
    for key, value in data.items():
        if (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and (key.endswith("_since") or key in ("time", "last_ok"))
        ):
            shown[key] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(value))
    if "last_ok_age" in data and data.get("enabled", True):
        ok_age = data["last_ok_age"]
        shown["last_ok_age"] = "never" if ok_age is None else "%.1fs ago" % ok_age
    return render_kv(shown)


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
