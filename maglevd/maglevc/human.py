"""Values as an operator reads them: durations (`3m12s`, `4.2ms`), local times with their age,
`yes`/`no`, `-` for nothing, counters as `2 up, 1 disabled`, and aligned key/value lines.

Pure: every function that needs the time takes `now` (a Unix timestamp). The API sends
seconds as floats and times as Unix timestamps (docs/api.md); `--json` keeps them so.
"""

from __future__ import annotations

import json
import time
from typing import Any, Collection, Iterable, List, Mapping, Optional, Tuple

Row = Tuple[str, str]

# Field names whose numbers are Unix timestamps, and those whose numbers are seconds.
TIME_KEYS = frozenset({"time", "started", "last_ok", "connected_since"})
DURATION_KEYS = frozenset({"uptime", "seconds", "elapsed", "timeout", "interval", "last", "max"})
DURATION_SUFFIXES = ("_age", "_interval", "_delay", "_timeout")
HIDDEN_KEYS = frozenset({"mono"})  # a monotonic clock reading means nothing outside the daemon


def duration(seconds: Optional[float]) -> str:
    """`850us`, `4.2ms`, `156ms`, `1.5s`, `42s`, `3m12s`, `2h5m`, `3d4h`; `-` for none."""
    if seconds is None:
        return "-"
    seconds = max(0.0, float(seconds))
    if seconds == 0:
        return "0s"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f}us"
    if seconds < 1:
        return _trim(seconds * 1000) + "ms"
    if seconds < 60:
        return _trim(seconds) + "s"
    whole, parts = int(seconds), []
    for name, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size or parts:
            parts.append(f"{whole // size}{name}")
            whole %= size
        if len(parts) == 2:
            break
    return "".join(parts)


def _trim(number: float) -> str:
    """One decimal below 10, none above; no trailing `.0`."""
    text = f"{number:.1f}" if number < 10 else f"{number:.0f}"
    return text[:-2] if text.endswith(".0") else text


def ago(when: Optional[float], now: float) -> str:
    """`0.4s ago`; `-` for no time."""
    return "-" if not when else duration(now - when) + " ago"


def local_time(when: Optional[float], now: float) -> str:
    """`2026-11-26 17:02:11 (3m12s ago)` in local time; `-` for no time."""
    if not when:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)) + f" ({ago(when, now)})"


def counts(data: Mapping[str, Any]) -> str:
    """`{"up": 2, "disabled": 1}` → `2 up, 1 disabled`; `-` when empty."""
    return ", ".join(f"{value} {label(key)}" for key, value in data.items()) or "-"


def flat(value: Any) -> bool:
    """Whether `plain` writes the value on one line: a scalar, a list of scalars or of ranges,
    counters (a mapping of integers). Anything else a view expands, key by key."""
    if isinstance(value, list):
        return all(_scalar(item) or (isinstance(item, list) and all(map(_scalar, item))) for item in value)
    if isinstance(value, dict):
        return all(isinstance(item, int) and not isinstance(item, bool) for item in value.values())
    return True


def _scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def plain(value: Any) -> str:
    """A value without a known unit: yes/no, `-` for none or empty, numbers rounded."""
    if value is None or value == {} or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if not flat(value):  # nested: JSON, never Python's repr (True, None)
        return json.dumps(value, default=str, separators=(", ", ": "))
    if isinstance(value, dict):
        return counts(value)
    if isinstance(value, list):  # names on one line; [[200, 399]] is the range 200-399
        return ", ".join(plain(item) if _scalar(item) else "-".join(map(plain, item)) for item in value)
    return str(value)


def field(key: str, value: Any, now: float) -> str:
    """`value` as the field `key` means it: a time, a duration or a plain value."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number and (key in TIME_KEYS or key.endswith("_since")):
        return local_time(value, now)
    if number and (key in DURATION_KEYS or key.endswith(DURATION_SUFFIXES)):
        return duration(value) + (" ago" if key.endswith("_age") else "")
    return plain(value)


def label(key: str) -> str:
    return key.replace("_", " ")


def aligned(rows: Iterable[Row]) -> str:
    """`key  value` lines, values in one column (the key's width + 2)."""
    rows = list(rows)
    width = max((len(key) for key, _value in rows), default=0)
    return "\n".join(f"{key.ljust(width)}  {value}".rstrip() for key, value in rows)


def rest(data: Mapping[str, Any], shown: Collection[str], now: float, prefix: str = "") -> List[Row]:
    """Rows for the fields a curated view did not show, so a new API field is never hidden;
    a nested mapping of mixed values becomes `parent child` rows."""
    rows: List[Row] = []
    for key, value in data.items():
        if key in shown or key in HIDDEN_KEYS:
            continue
        if isinstance(value, dict) and value and not flat(value):
            rows.extend(rest(value, (), now, prefix + label(key) + " "))
        else:
            rows.append((prefix + label(key), field(key, value, now)))
    return rows
