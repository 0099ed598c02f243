"""`show status`, `show vpp info` and `sync vpp lb state` as aligned key/value lines, in the
manner of HAProxy's `show info`: one fact per line, human units (human.py), and every field
the API adds later still shown below the curated ones (docs/api.md has the JSON).
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .human import Row, aligned, counts, duration, field, local_time, plain, rest

# The plan summary of a sync (planner.Plan.summary), in the order an operator reads it:
# field -> (one, many).
SYNC_COUNTS = {
    "vips_added": ("VIP added", "VIPs added"),
    "vips_removed": ("VIP removed", "VIPs removed"),
    "vips_recreated": ("VIP recreated", "VIPs recreated"),
    "ases_added": ("AS added", "ASes added"),
    "ases_removed": ("AS removed", "ASes removed"),
    "ases_reweighted": ("AS reweighted", "ASes reweighted"),
    "flushes": ("flush", "flushes"),
    "api_calls": ("API call", "API calls"),
}
SYNC_SHOWN = ("scope", "result", "reason", "time", "seconds", "error", "connection_lost", "frontend_names")
SYNC_SHOWN += tuple(SYNC_COUNTS) + ("conf_changed", "frontends")


def render_status(data: Mapping[str, Any], now: Optional[float] = None) -> str:
    now = time.time() if now is None else now
    lag = data.get("event_loop_lag") or {}
    rows: List[Tuple[str, str, Any]] = [  # (API field, label, text): a field the daemon did not send is not shown
        ("version", "maglevd", lambda: f"{data['version']}, pid {data.get('pid', '?')}"),
        ("state", "state", lambda: plain(data["state"])),
        ("config", "config", lambda: plain(data["config"])),
        ("started", "started", lambda: _started(data, now)),
        ("backends", "backends", lambda: counts(data["backends"])),
        ("frontends", "frontends", lambda: ", ".join(f"{k} {v}" for k, v in data["frontends"].items()) or "-"),
        ("probe_workers", "probe workers", lambda: plain(data["probe_workers"])),
        ("event_loop_lag", "event loop lag", lambda: f"{duration(lag.get('last'))} (max {duration(lag.get('max'))})"),
        ("events", "events", lambda: counts(data["events"])),
        ("reloads", "reloads", lambda: counts(data["reloads"])),
    ]
    shown = [key for key, _label, _text in rows] + ["pid", "degraded", "uptime", "vpp", "api", "vpp_api_addr"]
    lines: List[Row] = [(name, text()) for key, name, text in rows if key in data]
    degraded = [(f"  {name}", reason) for name, reason in (data.get("degraded") or {}).items()]
    at = next((i + 1 for i, (name, _text) in enumerate(lines) if name == "state"), len(lines))
    lines[at:at] = degraded  # each reason under the state line
    if isinstance(data.get("vpp"), dict):
        lines.extend(_vpp_summary(data["vpp"], now))
    api = data.get("api") or {}
    for name, listener in (api.get("listeners") or {}).items():
        lines.append((f"api {name}", _listener(listener)))
    nofile = api.get("nofile") or {}
    if nofile:
        lines.append(("open files", f"limit {nofile.get('limit')}, {nofile.get('needed')} needed" + _low(nofile)))
    lines.extend(rest(data, shown, now))
    return aligned(lines)


def _started(data: Mapping[str, Any], now: float) -> str:
    """The start time and the uptime (monotonic: right even after a clock step)."""
    started = data.get("started")
    if not started:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) + f" (up {duration(data.get('uptime'))})"


def _low(nofile: Mapping[str, Any]) -> str:
    return "" if nofile.get("ok", True) else " (too low)"


def _listener(listener: Mapping[str, Any]) -> str:
    text = f"{listener.get('connections')}/{listener.get('max_connections')} connections"
    text += ", " + counts({k: listener[k] for k in ("accepted", "refused", "write_stalls") if k in listener})
    return text + (" (saturated)" if listener.get("saturated") else "")


def _vpp_summary(vpp: Mapping[str, Any], now: float) -> List[Row]:
    if not vpp.get("enabled", True):
        return [("vpp", "disabled (maglevd only probes)")]
    link = "connected" if vpp.get("connected") else "not connected"
    version = f", version {vpp['version']}" if vpp.get("version") else ""
    rows: List[Row] = [("vpp", f"{link} to {plain(vpp.get('api_socket'))}{version}")]
    if "state" in vpp:
        rows.append(("vpp state", _state(vpp)))
    if "last_ok_age" in vpp:
        age = vpp["last_ok_age"]
        rows.append(("vpp last ok", "never" if age is None else field("last_ok_age", age, now)))
    if "warmup" in vpp:
        rows.append(("vpp warmup", plain(vpp["warmup"])))
    if "syncs" in vpp:
        rows.append(("vpp syncs", counts(vpp["syncs"])))
    if vpp.get("errors"):
        rows.append(("vpp errors", counts(vpp["errors"])))
    if vpp.get("traffic"):
        rows.append(("vpp traffic", _traffic(vpp["traffic"], now)))
    shown = ("enabled", "connected", "api_socket", "version", "state", "degraded_reason", "last_ok_age", "errors")
    return rows + rest(vpp, shown + ("warmup", "syncs", "traffic"), now, "vpp ")


def _traffic_rows(data: Mapping[str, Any], now: float) -> List[Row]:
    """VPP's build directory and boot time, the stats socket and the traffic reads: the rows
    of the fields the daemon sent (an older maglevd sends none of them)."""
    rows: List[Row] = []
    if data.get("build_directory"):
        rows.append(("build directory", plain(data["build_directory"])))
    if data.get("boot_time"):
        rows.append(("booted", local_time(data["boot_time"], now)))
    if "stats_socket" in data:
        rows.append(("stats socket", plain(data["stats_socket"] or "off (--vpp-stats-addr '')")))
    if data.get("traffic"):
        rows.append(("traffic", _traffic(data["traffic"], now)))
    return rows


def _traffic(traffic: Mapping[str, Any], now: float) -> str:
    """`ok every 5s, last read 12:00:01 (2s ago), 120 reads, 0 failed` and the error, if any."""
    if not traffic:
        return "-"
    last = local_time(traffic["last_read"], now) if traffic.get("last_read") else "never"
    text = f"{plain(traffic.get('state'))} every {duration(traffic.get('interval'))}, last read {last}"
    text += f", {plain(traffic.get('reads'))} reads, {plain(traffic.get('failures'))} failed"
    if traffic.get("blackholes"):
        text += f", BLACK HOLE: {', '.join(traffic['blackholes'])}"
    return text + (f": {traffic['error']}" if traffic.get("error") else "")


def _state(data: Mapping[str, Any]) -> str:
    reason = data.get("degraded_reason")
    return plain(data.get("state")) + (f": {reason}" if reason else "")


def render_vpp_info(data: Mapping[str, Any], now: Optional[float] = None) -> str:
    now = time.time() if now is None else now
    if not data.get("enabled", True):
        # nothing else applies to a VPP side that never connects: no "-" rows for each of it
        rows: List[Row] = [("vpp", "disabled (maglevd only probes: --vpp-api-addr is empty)")]
        return aligned(rows + [("maglevd pid", plain(data.get("maglevd_pid")))])
    connected = bool(data.get("connected"))
    vpp = f"connected, pid {plain(data.get('vpp_pid'))}" if connected else "not connected"
    if data.get("version"):
        vpp += f", version {data['version']}" + (f" (built {data['build_date']})" if data.get("build_date") else "")
    rows = [
        ("vpp", vpp),
        ("api socket", plain(data.get("api_socket"))),
        *_traffic_rows(data, now),
        ("state", _state(data)),
        ("connected since", local_time(data.get("connected_since"), now) if connected else "-"),
        ("connects", plain(data.get("connects"))),
        ("last ok", local_time(data.get("last_ok"), now) if data.get("last_ok") else "never"),
        ("ping interval", duration(data.get("ping_interval"))),
        ("last error", plain(data.get("last_error"))),
        ("errors", counts(data.get("errors") or {})),
        ("maglevd pid", plain(data.get("maglevd_pid"))),
    ]
    shown = ("enabled", "connected", "vpp_pid", "version", "build_date", "api_socket", "state", "degraded_reason")
    shown += ("connected_since", "connects", "last_ok", "last_ok_age", "ping_interval", "last_error", "errors")
    shown += ("maglevd_pid", "uptime", "reconciler", "build_directory", "boot_time", "stats_socket", "traffic")
    shown += ("found_on_connect",)
    rows.extend(rest(data, shown, now))
    reconciler = data.get("reconciler")
    if isinstance(reconciler, dict):
        rows.extend(_reconciler(reconciler, now))
    return aligned(rows)


def _reconciler(data: Mapping[str, Any], now: float) -> List[Row]:
    warmup = data.get("warmup") or {}
    rows: List[Row] = [
        ("sync interval", duration(data.get("sync_interval"))),
        ("warmup", _warmup(warmup)),
        ("syncs", counts(data.get("counts") or {})),
        ("pending", plain(data.get("pending"))),
        ("retired vips", plain(data.get("retired_vips"))),
        ("last sync", render_sync(data.get("last_sync"), now)),
        ("last full sync", render_sync(data.get("last_full_sync"), now)),
    ]
    if not data.get("cache_valid", True):
        rows.append(("cache", "invalid (the next sync reads VPP first)"))
    shown = ("connected", "cache_valid", "sync_interval", "warmup", "counts", "pending", "retired_vips")
    return rows + rest(data, shown + ("last_sync", "last_full_sync"), now)


def _warmup(warmup: Mapping[str, Any]) -> str:
    phase = plain(warmup.get("phase"))
    # Once done, `elapsed` keeps counting from the start: it is not how long the warmup took.
    text = phase if phase == "done" else f"{phase} after {duration(warmup.get('elapsed'))}"
    text += f" (min {duration(warmup.get('min_delay'))}, max {duration(warmup.get('max_delay'))})"
    if warmup.get("waiting"):
        text += f", waiting: {plain(warmup['waiting'])}"
    return text


def render_sync(result: Optional[Mapping[str, Any]], now: Optional[float] = None) -> str:
    """One sync on one line: `vip ok (web) 2026-11-26 17:02:11 (3s ago) in 16ms: 1 ases reweighted`."""
    if not result:
        return "never"
    now = time.time() if now is None else now
    what = f"{result.get('scope', '?')} {result.get('result', '?')}"
    names = result.get("frontend_names")
    what += f" ({plain(names)})" if names else (f" ({result['reason']})" if result.get("reason") else "")
    text = f"{what} {local_time(result.get('time'), now)} in {duration(result.get('seconds'))}"
    if result.get("error"):
        lost = " (connection lost, the reconnect retries)" if result.get("connection_lost") else ""
        return f"{text}: {result['error']}{lost}"
    return f"{text}: {_changes(result)}"


def _changes(result: Mapping[str, Any]) -> str:
    parts = [_count(result[key], key) for key in SYNC_COUNTS if result.get(key) and key != "api_calls"]
    if result.get("conf_changed"):
        parts.append("lb conf changed")
    if not parts:
        return "nothing to change"
    calls = result.get("api_calls")
    return ", ".join(parts) + (f" ({_count(calls, 'api_calls')})" if calls else "")


def _count(number: int, key: str) -> str:
    one, many = SYNC_COUNTS[key]
    return f"{number} {one if number == 1 else many}"


def render_sync_now(result: Dict[str, Any]) -> str:
    """The answer to `sync vpp lb state`."""
    extra = aligned(rest(result, SYNC_SHOWN, time.time()))
    return "sync " + render_sync(result) + (f"\n{extra}" if extra else "")
