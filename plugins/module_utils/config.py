# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and validate maglev.yaml into the value types of config_model.

Public API:
    parse(data) -> Config              plain data (dicts/lists from YAML or module args)
    load_text(text, source) -> Config  YAML text
    load_file(path) -> Config          a file
    parse_duration(value) -> float     '2s', '500ms', '1m30s', 1.5 -> seconds
    ConfigError(issues)                semantic errors; .errors lists every ConfigIssue
    ConfigSyntaxError                  the text is not YAML (with line/column)
    MissingDependencyError             PyYAML is not installed (parse() does not need it)

Every issue carries the YAML path (``maglev.frontends.web.pools[1].backends.b3.weight``)
and says what is allowed. Nothing stops at the first error: each section is read in full,
then the rules that span sections run on whatever was readable, so one run reports all.

Only the stdlib is imported at module level; PyYAML is imported when text is loaded, so
modules on target hosts can import this file to validate data they already have.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from .config_errors import ConfigError, ConfigIssue, ConfigSyntaxError, MissingDependencyError
from .config_errors import join_path as _join
from .config_model import (
    HEALTHCHECK_TYPES,
    Backend,
    Config,
    Frontend,
    HealthCheck,
    HealthCheckerSettings,
    HttpParams,
    Pool,
    PoolMember,
    TcpParams,
    VppLbSettings,
)
from .config_yaml import LIMITS, load_yaml, with_lines
from .lbstate import (
    DEFAULT_TABLE_LENGTH,
    ENCAP_FAMILY,
    ENCAPS,
    MAX_TABLE_LENGTH,
    MAX_WEIGHT,
    PROTOCOLS,
    SRV_TYPES,
    VIP_FAMILY_ENCAPS,
    VipAttrs,
    VipKey,
    is_power_of_two,
)

ROOT = "(top level)"
MAX_READ_LIMIT = 1 << 20
NAT_ENCAPS = ("nat4", "nat6")
# Source address VPP needs in lb_conf for each encap that tunnels (l3dsr/nat rewrite in place).
SRC_ADDRESS_KEY = {"gre4": "ipv4-src-address", "gre6": "ipv6-src-address"}

_NAME_RE = re.compile(r"^[^\s/\x00-\x1f\x7f]+$")
_NETNS_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_METHOD_RE = re.compile(r"^[A-Z]+$")
_DURATION_RE = re.compile(r"^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$")
_DURATION_PART_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_CODE_RANGE_RE = re.compile(r"^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$")
DURATION_HELP = "a duration such as 2s, 500ms, 1m, 1h or a number of seconds"


# --------------------------------------------------------------------------- small helpers


def _describe(value: Any) -> str:
    """How a wrong value is named in a message: its YAML kind and a short rendering."""
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return "a boolean (%s)" % ("true" if value else "false")
    if isinstance(value, int):
        return "an integer (%d)" % value
    if isinstance(value, float):
        return "a number (%s)" % value
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return "a string (%r)" % shown
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a %s" % type(value).__name__


def _suggest(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.8)
    return " (did you mean %r?)" % close[0] if close else ""


def _is_int(value: Any) -> bool:
    """A real integer: bool is an int subclass in Python but a different thing in YAML.
    (Subclasses are fine: Ansible hands modules tagged ints.)"""
    return isinstance(value, int) and not isinstance(value, bool)


def parse_duration(value: Any) -> float:
    """Seconds from a number (seconds) or a Go-style duration string: 2s, 500ms, 1m30s, 1h.

    Raises ValueError (with DURATION_HELP) for anything else, negatives and non-finite values.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("expected %s, got %s" % (DURATION_HELP, _describe(value)))
    if isinstance(value, str):
        text = value.strip()
        if not _DURATION_RE.match(text):
            hint = "; add a unit, e.g. %ss" % text if re.match(r"^\d+(\.\d*)?$", text) else ""
            raise ValueError("expected %s, got %s%s" % (DURATION_HELP, _describe(value), hint))
        seconds = sum(float(number) * _DURATION_UNITS[unit] for number, unit in _DURATION_PART_RE.findall(text))
    else:
        seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("expected %s (not negative), got %s" % (DURATION_HELP, _describe(value)))
    return seconds


def _format_seconds(seconds: float) -> str:
    return ("%g" % seconds) + "s"


# --------------------------------------------------------------------------- the reader


class _Reader:
    """Reads raw YAML values into typed ones, collecting every issue instead of raising.

    Each typed reader returns the value, the default when the key is absent, or None when
    the value was wrong (and records the issue). ``failed`` remembers the paths that had an
    issue so later rules do not pile a second error onto the same mistake.
    """

    # A near-miss search costs ~20 ms against 10,000 names: a config where every reference
    # is wrong would take minutes, so only the first few misses get a suggestion.
    SUGGESTION_BUDGET = 20

    def __init__(self) -> None:
        self.issues: List[ConfigIssue] = []
        self.failed: set = set()
        self.suggestions_left = self.SUGGESTION_BUDGET

    def suggest(self, word: str, candidates: Iterable[str]) -> str:
        """' (did you mean ...?)' for a near miss, or ''."""
        if self.suggestions_left <= 0:
            return ""
        self.suggestions_left -= 1
        return _suggest(word, candidates)

    def error(self, path: str, message: str) -> None:
        self.issues.append(ConfigIssue(path or ROOT, message))
        self.failed.add(path)

    def mapping(
        self, value: Any, path: str, allowed: Sequence[str], required: Sequence[str] = (), what: str = "a mapping"
    ) -> Optional[Dict[str, Any]]:
        """The known keys of a mapping; unknown and missing keys are reported. null = {}."""
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.error(path, "expected %s, got %s" % (what, _describe(value)))
            return None
        known: Dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                self.error(_join(path, key), "unknown key %s; allowed keys: %s" % (_describe(key), ", ".join(allowed)))
            elif key not in allowed:
                self.error(
                    _join(path, key),
                    "unknown key%s; allowed keys: %s" % (_suggest(key, allowed), ", ".join(allowed)),
                )
            else:
                known[key] = item
        for key in required:
            if key not in value:
                self.error(_join(path, key), "required key is missing")
        return known

    def named_mapping(self, value: Any, path: str, what: str) -> Dict[str, Any]:
        """A section keyed by name (healthchecks, backends, frontends): names are checked."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, "expected a mapping of %s by name, got %s" % (what, _describe(value)))
            return {}
        named: Dict[str, Any] = {}
        for name, item in value.items():
            if self.name(name, _join(path, name)):
                named[name] = item
        return named

    def name(self, name: Any, path: str) -> bool:
        if not isinstance(name, str) or not name:
            self.error(path, "a name must be a non-empty string, got %s" % _describe(name))
            return False
        if not _NAME_RE.match(name):
            self.error(path, "a name must not contain spaces, '/' or control characters")
            return False
        return True

    def integer(
        self, m: Dict[str, Any], key: str, path: str, default: Any, low: int, high: Optional[int] = None
    ) -> Optional[int]:
        if key not in m:
            return default
        value, where = m[key], _join(path, key)
        allowed = "an integer from %d to %d" % (low, high) if high is not None else "an integer >= %d" % low
        if not _is_int(value):
            hint = "; write it without quotes" if isinstance(value, str) and value.strip().isdigit() else ""
            self.error(where, "expected %s, got %s%s" % (allowed, _describe(value), hint))
            return None
        if value < low or (high is not None and value > high):
            self.error(where, "%d is out of range; expected %s" % (value, allowed))
            return None
        return value

    def boolean(self, m: Dict[str, Any], key: str, path: str, default: Any) -> Optional[bool]:
        if key not in m:
            return default
        value = m[key]
        if not isinstance(value, bool):
            self.error(_join(path, key), "expected true or false, got %s" % _describe(value))
            return None
        return value

    def string(
        self,
        m: Dict[str, Any],
        key: str,
        path: str,
        default: Any = None,
        pattern: Optional[re.Pattern] = None,
        allowed: str = "a string",
    ) -> Optional[str]:
        if key not in m:
            return default
        value, where = m[key], _join(path, key)
        if not isinstance(value, str):
            self.error(where, "expected %s, got %s" % (allowed, _describe(value)))
            return None
        if pattern is not None and not pattern.match(value):
            self.error(where, "%r is not valid; expected %s" % (value, allowed))
            return None
        return value

    def choice(self, m: Dict[str, Any], key: str, path: str, default: Any, choices: Sequence[str]) -> Optional[str]:
        if key not in m:
            return default
        value, where = m[key], _join(path, key)
        if not isinstance(value, str) or value not in choices:
            self.error(where, "expected one of %s, got %s" % (", ".join(choices), _describe(value)))
            return None
        return value

    def duration(self, m: Dict[str, Any], key: str, path: str, default: Any, positive: bool = False) -> Optional[float]:
        if key not in m:
            return default
        where = _join(path, key)
        try:
            seconds = parse_duration(m[key])
        except ValueError as exc:
            self.error(where, str(exc))
            return None
        if positive and seconds <= 0:
            self.error(where, "must be greater than 0; expected %s" % DURATION_HELP)
            return None
        return seconds

    def address(self, m: Dict[str, Any], key: str, path: str, family: Optional[int] = None) -> Any:
        """A single IP address (no prefix), optionally of one family."""
        if key not in m:
            return None
        value, where = m[key], _join(path, key)
        kind = {None: "an IPv4 or IPv6 address", 4: "an IPv4 address", 6: "an IPv6 address"}[family]
        if not isinstance(value, str):
            self.error(where, "expected %s, got %s" % (kind, _describe(value)))
            return None
        try:
            address = ipaddress.ip_address(value.strip())
        except ValueError:
            extra = " (a single address, not a prefix)" if "/" in value else ""
            self.error(where, "%r is not %s%s" % (value, kind, extra))
            return None
        if family is not None and address.version != family:
            self.error(where, "%s is an IPv%d address; expected %s" % (address, address.version, kind))
            return None
        return address

    def regex(self, m: Dict[str, Any], key: str, path: str) -> Optional[str]:
        pattern = self.string(m, key, path, allowed="a regular expression (Python re syntax)")
        if pattern is None:
            return None
        try:
            re.compile(pattern)
        except re.error as exc:
            self.error(_join(path, key), "invalid regular expression: %s" % exc)
            return None
        return pattern


# --------------------------------------------------------------------------- sections


def _read_healthchecker(r: _Reader, raw: Any, path: str) -> HealthCheckerSettings:
    m = r.mapping(raw, path, ("transition-history", "netns"))
    if m is None:
        return HealthCheckerSettings()
    history = r.integer(m, "transition-history", path, 5, 1, 10000)
    netns = r.string(
        m, "netns", path, pattern=_NETNS_RE, allowed="a network namespace name (letters, digits, '_', '.', '-'; 1-64)"
    )
    return HealthCheckerSettings(transition_history=history or 5, netns=netns or None)


def _read_vpp(r: _Reader, raw: Any, path: str) -> VppLbSettings:
    m = r.mapping(raw, path, ("lb",))
    if m is None:
        return VppLbSettings()
    path = _join(path, "lb")
    lb = r.mapping(
        m.get("lb"),
        path,
        (
            "ipv4-src-address",
            "ipv6-src-address",
            "sticky-buckets-per-core",
            "flow-timeout",
            "sync-interval",
            "startup-min-delay",
            "startup-max-delay",
        ),
    )
    if lb is None:
        return VppLbSettings()
    defaults = VppLbSettings()
    buckets = r.integer(lb, "sticky-buckets-per-core", path, defaults.sticky_buckets_per_core, 1, 1 << 31)
    if buckets is not None and not is_power_of_two(buckets):
        r.error(_join(path, "sticky-buckets-per-core"), "%d is not a power of two (e.g. 1024, 65536)" % buckets)
    flow_timeout = r.duration(lb, "flow-timeout", path, defaults.flow_timeout)
    if flow_timeout is not None and (flow_timeout < 1 or flow_timeout > 120 or flow_timeout != int(flow_timeout)):
        r.error(
            _join(path, "flow-timeout"),
            "%s is out of range; expected a whole number of seconds from 1s to 120s" % _format_seconds(flow_timeout),
        )
    min_delay = r.duration(lb, "startup-min-delay", path, defaults.startup_min_delay)
    max_delay = r.duration(lb, "startup-max-delay", path, defaults.startup_max_delay)
    if min_delay is not None and max_delay is not None and min_delay > max_delay:
        r.error(
            _join(path, "startup-min-delay"),
            "must not exceed startup-max-delay (%s); both 0 turns the warmup off" % _format_seconds(max_delay),
        )
    return VppLbSettings(
        ipv4_src_address=r.address(lb, "ipv4-src-address", path, family=4),
        ipv6_src_address=r.address(lb, "ipv6-src-address", path, family=6),
        sticky_buckets_per_core=buckets or defaults.sticky_buckets_per_core,
        flow_timeout=flow_timeout or defaults.flow_timeout,
        sync_interval=r.duration(lb, "sync-interval", path, defaults.sync_interval, positive=True)
        or defaults.sync_interval,
        startup_min_delay=min_delay if min_delay is not None else defaults.startup_min_delay,
        startup_max_delay=max_delay if max_delay is not None else defaults.startup_max_delay,
    )


HTTP_KEYS = ("method", "path", "host", "response-codes", "body", "body-limit", "server-name", "insecure", "ca-file")
HTTPS_ONLY_KEYS = ("server-name", "insecure", "ca-file")
TCP_KEYS = ("send", "expect", "read-limit")


def _read_response_codes(r: _Reader, m: Dict[str, Any], path: str) -> Optional[Tuple[Tuple[int, int], ...]]:
    if "response-codes" not in m:
        return HttpParams().response_codes
    path = _join(path, "response-codes")
    raw = m["response-codes"]
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        r.error(path, "must list at least one status code or range, e.g. [200, '300-399']")
        return None
    ranges: List[Tuple[int, int]] = []
    allowed = "a status code (100-599) or a range such as '200-299'"
    for index, item in enumerate(items):
        where = "%s[%d]" % (path, index) if isinstance(raw, list) else path
        if _is_int(item):
            low = high = item
        elif isinstance(item, str) and _CODE_RANGE_RE.match(item):
            match = _CODE_RANGE_RE.match(item)
            low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        else:
            r.error(where, "expected %s, got %s" % (allowed, _describe(item)))
            continue
        if not (100 <= low <= 599 and 100 <= high <= 599):
            r.error(where, "%s is outside 100-599" % item)
        elif low > high:
            r.error(where, "range %s is reversed; write %d-%d" % (item, high, low))
        else:
            ranges.append((low, high))
    return tuple(ranges) if len(ranges) == len(items) else None


def _read_http_params(r: _Reader, raw: Any, path: str, check_type: str) -> HttpParams:
    m = r.mapping(raw, path, HTTP_KEYS, what="a mapping of %s params (%s)" % (check_type, ", ".join(HTTP_KEYS)))
    if m is None:
        return HttpParams()
    if check_type == "http":
        for key in HTTPS_ONLY_KEYS:
            if key in m:
                r.error(_join(path, key), "only for type https (TLS settings); this check is http")
    defaults = HttpParams()
    uri_path = r.string(
        m, "path", path, defaults.path, pattern=re.compile(r"^/\S*$"), allowed="a path starting with '/'"
    )
    host = r.string(m, "host", path, pattern=re.compile(r"^\S+$"), allowed="a host name (no spaces)")
    insecure = r.boolean(m, "insecure", path, False)
    ca_file = r.string(m, "ca-file", path, pattern=re.compile(r"^\S.*$"), allowed="a file name")
    if insecure and ca_file is not None:
        r.error(_join(path, "ca-file"), "not used with insecure: true (certificates are not verified)")
    return HttpParams(
        method=r.string(m, "method", path, "GET", _METHOD_RE, "an HTTP method in capitals, e.g. GET or HEAD") or "GET",
        path=uri_path or "/",
        host=host,
        response_codes=_read_response_codes(r, m, path) or defaults.response_codes,
        body=r.regex(m, "body", path),
        body_limit=r.integer(m, "body-limit", path, defaults.body_limit, 1, MAX_READ_LIMIT) or defaults.body_limit,
        server_name=r.string(m, "server-name", path, pattern=re.compile(r"^\S+$"), allowed="a TLS server name"),
        insecure=bool(insecure),
        ca_file=ca_file,
    )


def _read_tcp_params(r: _Reader, raw: Any, path: str) -> TcpParams:
    m = r.mapping(raw, path, TCP_KEYS, what="a mapping of tcp params (%s)" % ", ".join(TCP_KEYS))
    if m is None:
        return TcpParams()
    limit = r.integer(m, "read-limit", path, TcpParams().read_limit, 1, MAX_READ_LIMIT)
    return TcpParams(
        send=r.string(m, "send", path),
        expect=r.regex(m, "expect", path),
        read_limit=limit or TcpParams().read_limit,
    )


HEALTHCHECK_KEYS = (
    "type",
    "port",
    "params",
    "interval",
    "fast-interval",
    "down-interval",
    "timeout",
    "rise",
    "fall",
    "probe-ipv4-src",
    "probe-ipv6-src",
)


def _read_healthcheck(r: _Reader, name: str, raw: Any, path: str) -> Optional[HealthCheck]:
    m = r.mapping(raw, path, HEALTHCHECK_KEYS, required=("type",))
    if m is None:
        return None
    check_type = r.choice(m, "type", path, None, HEALTHCHECK_TYPES)
    port = r.integer(m, "port", path, None, 1, 65535)
    if check_type in ("tcp", "http", "https") and "port" not in m:
        r.error(_join(path, "port"), "required for type %s (1-65535)" % check_type)
    elif check_type in ("icmp", "static") and "port" in m:
        r.error(_join(path, "port"), "not used by type %s; remove it" % check_type)
    http = tcp = None
    if "params" in m:
        params_path = _join(path, "params")
        if check_type in ("http", "https"):
            http = _read_http_params(r, m["params"], params_path, check_type)
        elif check_type == "tcp":
            tcp = _read_tcp_params(r, m["params"], params_path)
        elif check_type is not None:
            r.error(params_path, "type %s takes no params; remove it" % check_type)
    elif check_type in ("http", "https"):
        http = HttpParams()
    defaults = HealthCheck(name=name, type="static")
    interval = r.duration(m, "interval", path, defaults.interval, positive=True)
    timeout = r.duration(m, "timeout", path, defaults.timeout, positive=True)
    if interval is not None and timeout is not None and timeout >= interval:
        r.error(
            _join(path, "timeout"),
            "%s must be shorter than interval (%s), or probes would overlap"
            % (_format_seconds(timeout), _format_seconds(interval)),
        )
    return HealthCheck(
        name=name,
        type=check_type or "static",
        port=port,
        interval=interval or defaults.interval,
        fast_interval=r.duration(m, "fast-interval", path, None, positive=True),
        down_interval=r.duration(m, "down-interval", path, None, positive=True),
        timeout=timeout or defaults.timeout,
        rise=r.integer(m, "rise", path, defaults.rise, 1, 1000) or defaults.rise,
        fall=r.integer(m, "fall", path, defaults.fall, 1, 1000) or defaults.fall,
        http=http,
        tcp=tcp,
        probe_ipv4_src=r.address(m, "probe-ipv4-src", path, family=4),
        probe_ipv6_src=r.address(m, "probe-ipv6-src", path, family=6),
    )


def _read_healthchecks(r: _Reader, raw: Any, path: str) -> Tuple[Dict[str, HealthCheck], FrozenSet[str]]:
    """The valid healthchecks, and every name defined (valid or not) for reference checks."""
    checks: Dict[str, HealthCheck] = {}
    named = r.named_mapping(raw, path, "healthchecks")
    for name, item in named.items():
        check = _read_healthcheck(r, name, item, _join(path, name))
        if check is not None:
            checks[name] = check
    return checks, frozenset(named)


def _read_backends(
    r: _Reader, raw: Any, path: str, healthchecks: FrozenSet[str]
) -> Tuple[Dict[str, Backend], FrozenSet[str]]:
    """The valid backends, and every name defined (valid or not) for reference checks."""
    backends: Dict[str, Backend] = {}
    named = r.named_mapping(raw, path, "backends")
    for name, item in named.items():
        where = _join(path, name)
        m = r.mapping(item, where, ("address", "healthcheck", "enabled"), required=("address",))
        if m is None:
            continue
        address = r.address(m, "address", where)
        check = r.string(m, "healthcheck", where, allowed="the name of a healthcheck")
        if check is not None and check not in healthchecks:
            r.error(
                _join(where, "healthcheck"),
                "healthcheck %r is not defined under maglev.healthchecks%s" % (check, r.suggest(check, healthchecks)),
            )
        enabled = r.boolean(m, "enabled", where, True)
        if address is not None:
            backends[name] = Backend(name=name, address=address, healthcheck=check, enabled=enabled is not False)
    return backends, frozenset(named)


# --------------------------------------------------------------------------- frontends


def _read_pools(r: _Reader, raw: Any, path: str, defined: FrozenSet[str]) -> Tuple[Pool, ...]:
    if not isinstance(raw, list):
        r.error(path, "expected a list of pools ({name, backends}) in priority order, got %s" % _describe(raw))
        return ()
    if not raw:
        r.error(path, "at least one pool is needed")
        return ()
    pools: List[Pool] = []
    seen: Dict[str, int] = {}
    for index, item in enumerate(raw):
        where = "%s[%d]" % (path, index)
        m = r.mapping(item, where, ("name", "backends"), required=("name", "backends"), what="a pool {name, backends}")
        if m is None:
            continue
        name = r.string(m, "name", where, allowed="a non-empty pool name")
        if name is not None and not name.strip():
            r.error(_join(where, "name"), "a pool name must not be empty")
        elif name is not None and name in seen:
            r.error(_join(where, "name"), "duplicate pool name %r (also pools[%d])" % (name, seen[name]))
        elif name is not None:
            seen[name] = index
        members = _read_members(r, m["backends"], _join(where, "backends"), defined) if "backends" in m else ()
        pools.append(Pool(name=name or "", members=members))
    return tuple(pools)


def _read_members(r: _Reader, raw: Any, path: str, defined: FrozenSet[str]) -> Tuple[PoolMember, ...]:
    if not isinstance(raw, dict):
        r.error(path, "expected a mapping of backend name to {weight: 0-100}, got %s" % _describe(raw))
        return ()
    if not raw:
        r.error(path, "a pool needs at least one backend")
        return ()
    members: List[PoolMember] = []
    for name, spec in raw.items():
        where = _join(path, name)
        if not r.name(name, where):
            continue
        if name not in defined:
            r.error(where, "backend %r is not defined under maglev.backends%s" % (name, r.suggest(name, defined)))
        m = r.mapping(spec, where, ("weight",), what="{weight: 0-100} or {} for the default 100")
        weight = r.integer(m, "weight", where, MAX_WEIGHT, 0, MAX_WEIGHT) if m is not None else None
        members.append(PoolMember(backend=name, weight=MAX_WEIGHT if weight is None else weight))
    return tuple(members)


def _read_vip_prefix(r: _Reader, m: Dict[str, Any], path: str) -> Any:
    if "address" not in m:
        return None
    value, where = m["address"], _join(path, "address")
    if not isinstance(value, str):
        r.error(where, "expected an IPv4/IPv6 address or prefix, got %s" % _describe(value))
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        r.error(where, "%r is not an IPv4/IPv6 address or prefix (e.g. 192.0.2.1, 2001:db8::/64)" % value)
        return None
    r.error(where, "%s has host bits set; write %s (or a single address)" % (value, loose))
    return None


def _read_protocol_port(r: _Reader, m: Dict[str, Any], path: str) -> Tuple[Optional[int], Optional[int]]:
    """(protocol number, port), applying the all-port rules VPP would otherwise apply silently."""
    port = r.integer(m, "port", path, 0, 0, 65535)
    default = "any" if not port else "tcp"
    protocol = r.choice(m, "protocol", path, default, tuple(PROTOCOLS))
    if port is None or protocol is None:
        return None, None
    if port == 0 and protocol != "any":
        r.error(
            _join(path, "protocol"),
            "protocol %s needs a port (1-65535); an all-port VIP (port 0 or no port) is protocol any "
            "(VPP would silently turn %s port 0 into any)" % (protocol, protocol),
        )
        return None, None
    if port != 0 and protocol == "any":
        r.error(
            _join(path, "protocol"),
            "protocol any is only for all-port VIPs (port 0 or no port); use tcp or udp with port %d" % port,
        )
        return None, None
    return PROTOCOLS[protocol], port


FRONTEND_KEYS = (
    "description",
    "address",
    "protocol",
    "port",
    "pools",
    "src-ip-sticky",
    "flush-on-down",
    "encap",
    "dscp",
    "type",
    "target-port",
    "new-flows-table-length",
)


@dataclass
class _VipInfo:
    """What the cross-frontend rules need to know about one frontend."""

    name: str
    path: str
    key: VipKey
    encap: Optional[str]


def _read_frontend(
    r: _Reader, name: str, raw: Any, path: str, backends: Dict[str, Backend], defined: FrozenSet[str]
) -> Tuple[Optional[Frontend], Optional[_VipInfo]]:
    m = r.mapping(raw, path, FRONTEND_KEYS, required=("address", "pools"))
    if m is None:
        return None, None
    prefix = _read_vip_prefix(r, m, path)
    protocol, port = _read_protocol_port(r, m, path)
    pools = _read_pools(r, m["pools"], _join(path, "pools"), defined) if "pools" in m else ()
    _check_pool_members(r, pools, _join(path, "pools"), backends)
    encap = _resolve_encap(r, m, path, prefix, pools, backends)
    attrs = _read_vip_attrs(r, m, path, encap, port)
    frontend = Frontend(
        name=name,
        address=prefix,
        protocol=protocol if protocol is not None else 255,
        port=port or 0,
        pools=pools,
        description=r.string(m, "description", path, "") or "",
        attrs=attrs or VipAttrs(),
        flush_on_down=r.boolean(m, "flush-on-down", path, True) is not False,
    )
    if prefix is None or protocol is None:
        return frontend, None
    return frontend, _VipInfo(name, path, VipKey.make(prefix, protocol, port or 0), encap)


def _check_pool_members(r: _Reader, pools: Tuple[Pool, ...], path: str, backends: Dict[str, Backend]) -> None:
    """A backend in one pool only; one backend per address (VPP keys ASes by address)."""
    pool_of: Dict[str, int] = {}
    owner_of: Dict[Any, str] = {}
    for index, pool in enumerate(pools):
        for member in pool.members:
            where = "%s[%d].backends.%s" % (path, index, member.backend)
            if member.backend in pool_of:
                r.error(
                    where,
                    "backend %r is already in pools[%d]; a backend may be in one pool of a frontend"
                    % (member.backend, pool_of[member.backend]),
                )
                continue
            pool_of[member.backend] = index
            backend = backends.get(member.backend)
            if backend is None:
                continue
            if backend.address in owner_of:
                r.error(
                    where,
                    "backend %r has the same address (%s) as backend %r in this frontend; VPP identifies an "
                    "application server by its address" % (member.backend, backend.address, owner_of[backend.address]),
                )
            else:
                owner_of[backend.address] = member.backend


def _member_paths(pools: Tuple[Pool, ...], path: str, backends: Dict[str, Backend]) -> Iterable[Tuple[str, Backend]]:
    for index, pool in enumerate(pools):
        for member in pool.members:
            if member.backend in backends:
                yield "%s.pools[%d].backends.%s" % (path, index, member.backend), backends[member.backend]


def _resolve_encap(
    r: _Reader, m: Dict[str, Any], path: str, prefix: Any, pools: Tuple[Pool, ...], backends: Dict[str, Backend]
) -> Optional[str]:
    """The explicit encap, or the one the backends' family implies; checks every family rule."""
    members = list(_member_paths(pools, path, backends))
    explicit = r.choice(m, "encap", path, None, ENCAPS)
    if "encap" in m and explicit is None:
        return None
    if explicit is not None:
        needed = ENCAP_FAMILY[explicit]
        for where, backend in members:
            if backend.address.version != needed:
                r.error(
                    where,
                    "backend %r is IPv%d (%s) but encap %s needs IPv%d backends"
                    % (backend.name, backend.address.version, backend.address, explicit, needed),
                )
        encap = explicit
    elif members:
        first = members[0][1]
        for where, backend in members[1:]:
            if backend.address.version != first.address.version:
                r.error(
                    where,
                    "address family mix: backend %r is IPv%d but %r is IPv%d; all backends of a frontend "
                    "(in every pool) must be of one family"
                    % (backend.name, backend.address.version, first.name, first.address.version),
                )
        encap = "gre4" if first.address.version == 4 else "gre6"
    else:
        return None
    if prefix is not None and encap not in VIP_FAMILY_ENCAPS[prefix.version]:
        how = "set" if explicit else "implied by the backends' family and"
        r.error(
            _join(path, "encap"),
            "encap %s (%s) is not possible for an IPv%d VIP; allowed: %s"
            % (encap, how, prefix.version, ", ".join(VIP_FAMILY_ENCAPS[prefix.version])),
        )
    return encap


def _read_vip_attrs(r: _Reader, m: Dict[str, Any], path: str, encap: Optional[str], port: Optional[int]) -> VipAttrs:
    """dscp (l3dsr), type and target-port (nat), table length and src-ip-sticky."""
    dscp = r.integer(m, "dscp", path, 0, 0, 63)
    srv_type = r.choice(m, "type", path, "clusterip", SRV_TYPES)
    if srv_type == "nodeport":
        # VPP copies the 4-byte enum into one byte without swapping it, so every VIP created
        # through the API is clusterip; asking for nodeport would be permanent drift.
        r.error(
            _join(path, "type"),
            "nodeport cannot be set through VPP's binary API (VPP stores every NAT VIP as clusterip); "
            "allowed: clusterip",
        )
    target_port = r.integer(m, "target-port", path, None, 1, 65535)
    if encap is not None:
        if "dscp" in m and encap != "l3dsr":
            r.error(_join(path, "dscp"), "only used with encap l3dsr; this frontend's encap is %s" % encap)
        for key in ("type", "target-port"):
            if key in m and encap not in NAT_ENCAPS:
                r.error(_join(path, key), "only used with encap nat4 or nat6; this frontend's encap is %s" % encap)
        if encap in NAT_ENCAPS and "target-port" not in m and port == 0:
            r.error(_join(path, "target-port"), "required for encap %s on an all-port VIP (1-65535)" % encap)
    length = r.integer(m, "new-flows-table-length", path, DEFAULT_TABLE_LENGTH, 1, MAX_TABLE_LENGTH)
    if length is not None and not is_power_of_two(length):
        r.error(
            _join(path, "new-flows-table-length"),
            "%d is not a power of two; expected a power of two from 1 to %d (default %d)"
            % (length, MAX_TABLE_LENGTH, DEFAULT_TABLE_LENGTH),
        )
    nat = encap in NAT_ENCAPS
    return VipAttrs(
        encap=encap or "gre4",
        dscp=dscp or 0,
        srv_type=(srv_type or "clusterip") if nat else "clusterip",
        target_port=(target_port or port or 0) if nat else 0,
        new_flows_table_length=length or DEFAULT_TABLE_LENGTH,
        src_ip_sticky=r.boolean(m, "src-ip-sticky", path, False) is True,
    )


def _read_frontends(
    r: _Reader, raw: Any, path: str, backends: Dict[str, Backend], defined: FrozenSet[str]
) -> Tuple[Dict[str, Frontend], List[_VipInfo]]:
    frontends: Dict[str, Frontend] = {}
    vips: List[_VipInfo] = []
    for name, item in r.named_mapping(raw, path, "frontends").items():
        frontend, vip = _read_frontend(r, name, item, _join(path, name), backends, defined)
        if frontend is not None:
            frontends[name] = frontend
        if vip is not None:
            vips.append(vip)
    return frontends, vips


# --------------------------------------------------------------------------- rules across sections


def _check_vips(r: _Reader, vips: List[_VipInfo]) -> None:
    """What VPP refuses between VIPs: the same key (-81), all-port next to per-port on one
    prefix (-81), and per-port VIPs of one prefix with different encaps (-73)."""
    by_key: Dict[VipKey, _VipInfo] = {}
    by_prefix: Dict[Any, List[_VipInfo]] = {}
    for vip in vips:
        if vip.key in by_key:
            r.error(
                vip.path,
                "same VIP as frontend %r (%s); VPP identifies a VIP by prefix, protocol and port"
                % (by_key[vip.key].name, vip.key),
            )
            continue
        by_key[vip.key] = vip
        for other in by_prefix.get(vip.key.prefix, ()):
            if (vip.key.port == 0) != (other.key.port == 0):
                r.error(
                    _join(vip.path, "port"),
                    "%s and frontend %r (%s) share prefix %s; VPP does not allow an all-port VIP next to "
                    "per-port VIPs on one prefix" % (vip.key, other.name, other.key, vip.key.prefix),
                )
                break
            if vip.encap and other.encap and vip.encap != other.encap:
                r.error(
                    _join(vip.path, "encap"),
                    "encap %s differs from frontend %r (encap %s) on the same prefix %s; per-port VIPs of one "
                    "prefix must share one encap" % (vip.encap, other.name, other.encap, vip.key.prefix),
                )
                break
        by_prefix.setdefault(vip.key.prefix, []).append(vip)


def _check_src_addresses(r: _Reader, vips: List[_VipInfo], lb: VppLbSettings, path: str) -> None:
    """GRE tunnels need lb_conf's source address of the tunnel's family."""
    have = {"gre4": lb.ipv4_src_address, "gre6": lb.ipv6_src_address}
    for encap, key in SRC_ADDRESS_KEY.items():
        where = _join(path, key)
        if have[encap] is not None or where in r.failed:
            continue
        users = [vip.name for vip in vips if vip.encap == encap]
        if users:
            shown = ", ".join(repr(name) for name in users[:3]) + (
                " and %d more" % (len(users) - 3) if len(users) > 3 else ""
            )
            r.error(
                where,
                "required: frontend%s %s use%s encap %s, whose tunnels VPP sources from this address"
                % ("s" if len(users) > 1 else "", shown, "" if len(users) > 1 else "s", encap),
            )


# --------------------------------------------------------------------------- entry points

SECTIONS = ("healthchecker", "vpp", "healthchecks", "backends", "frontends")


# A rule that needs more than the data (e.g. maglevd's check that the files a config names
# can be read): called with the valid Config, it returns issues that get the YAML line too.
Rule = Callable[[Config], Iterable[ConfigIssue]]


def _parse(
    data: Any,
    source: str,
    issues: Sequence[ConfigIssue] = (),
    lines: Optional[Dict[str, int]] = None,
    rules: Sequence[Rule] = (),
) -> Config:
    r = _Reader()
    r.issues.extend(issues)
    r.failed.update(issue.path for issue in issues)
    top = r.mapping(data, "", ("maglev",), required=("maglev",), what="a mapping with the key 'maglev'")
    if top and "maglev" in top and top["maglev"] in (None, {}):
        # Everything under maglev: commented out reads as null: running that would remove
        # every VIP (vpp_lb_state overridden) or every backend (a reload), so it is refused.
        what = "null: nothing under it, or all of it commented out" if top["maglev"] is None else "{}"
        r.error("maglev", "is empty (%s); it needs at least one of %s" % (what, ", ".join(SECTIONS)))
    root = r.mapping(top["maglev"], "maglev", SECTIONS) if top and "maglev" in top else None
    root = root or {}
    healthchecker = _read_healthchecker(r, root.get("healthchecker"), "maglev.healthchecker")
    lb = _read_vpp(r, root.get("vpp"), "maglev.vpp")
    healthchecks, check_names = _read_healthchecks(r, root.get("healthchecks"), "maglev.healthchecks")
    backends, backend_names = _read_backends(r, root.get("backends"), "maglev.backends", check_names)
    frontends, vips = _read_frontends(r, root.get("frontends"), "maglev.frontends", backends, backend_names)
    _check_vips(r, vips)
    _check_src_addresses(r, vips, lb, "maglev.vpp.lb")
    if r.issues:
        raise ConfigError(with_lines(r.issues, lines), source)
    config = Config(
        healthchecker=healthchecker, vpp_lb=lb, healthchecks=healthchecks, backends=backends, frontends=frontends
    )
    issues = [issue for rule in rules for issue in rule(config)]
    if issues:
        raise ConfigError(with_lines(issues, lines), source)
    return config


def parse(data: Any) -> Config:
    """Validate plain data (as yaml.safe_load returns it) and build the Config.

    Raises ConfigError listing every issue.
    """
    return _parse(data, "<data>")


def load_text_data(text: str, source: str = "<string>", rules: Sequence[Rule] = ()) -> Tuple[Any, Config]:
    """Parse YAML text; return the plain data and the Config validated from it (for callers
    that forward exactly the validated data, e.g. the state module's action plugin)."""
    data, duplicates, lines = load_yaml(text, source)
    return data, _parse(data, source, duplicates, lines, rules)


def load_text(text: str, source: str = "<string>", rules: Sequence[Rule] = ()) -> Config:
    """Parse YAML text. ConfigSyntaxError if it is not YAML (or a loader limit refuses it);
    ConfigError if it is not valid."""
    return load_text_data(text, source, rules)[1]


def read_text(path: str, max_bytes: int = LIMITS.max_bytes) -> str:
    """A config file's text; an unreadable or too large file raises ConfigSyntaxError.

    At most max_bytes + 1 bytes are read, so neither a huge file nor an endless one
    (/dev/zero) is ever held in memory."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise ConfigSyntaxError(
                "the file is larger than the limit of %d MiB for a maglev.yaml" % (max_bytes >> 20), path
            )
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigSyntaxError("cannot read the file: %s" % (exc.strerror if isinstance(exc, OSError) else exc), path)


def load_file(path: str, rules: Sequence[Rule] = ()) -> Config:
    """Read and parse a maglev.yaml. An unreadable file raises ConfigSyntaxError too."""
    return load_text(read_text(path), str(path), rules)


__all__ = [
    "ConfigError",
    "ConfigIssue",
    "ConfigSyntaxError",
    "MissingDependencyError",
    "load_file",
    "load_text",
    "load_text_data",
    "parse",
    "parse_duration",
    "read_text",
]
