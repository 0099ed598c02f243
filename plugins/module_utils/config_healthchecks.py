# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""maglev.healthchecks: each probe's type, port, timing and http/tcp params, read through
the rules of rules/healthcheck.py (docs/config-reference.md)."""

from __future__ import annotations

import re
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from .config_errors import join_path as _join
from .config_model import HealthCheck, HttpParams, TcpParams
from .config_reader import Reader
from .rules.healthcheck import (
    check_probe_port,
    check_read_limit,
    check_rise_fall,
    check_timeout,
    check_type,
    read_status_codes,
)
from .rules.issue import Issue, describe
from .rules.values import is_int

_METHOD_RE = re.compile(r"^[A-Z]+$")
_CODE_RANGE_RE = re.compile(r"^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$")
HTTP_KEYS = ("method", "path", "host", "response-codes", "body", "body-limit", "server-name", "insecure", "ca-file")
HTTPS_ONLY_KEYS = ("server-name", "insecure", "ca-file")
TCP_KEYS = ("send", "expect", "read-limit")
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


def _body_limit(value: Any) -> List[Issue]:
    return check_read_limit("body_limit", value)


def _read_limit(value: Any) -> List[Issue]:
    return check_read_limit("read_limit", value)


def _read_response_codes(r: Reader, m: Dict[str, Any], path: str) -> Optional[Tuple[Tuple[int, int], ...]]:
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
        match = _CODE_RANGE_RE.match(item) if isinstance(item, str) else None
        if is_int(item):
            low = high = item
        elif match is not None:
            low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        else:
            r.error(where, "expected %s, got %s" % (allowed, describe(item)))
            continue
        codes, issues = read_status_codes(item, low, high)
        if r.report(where, issues, ""):
            ranges.append(codes)
    return tuple(ranges) if len(ranges) == len(items) else None


def _read_http_params(r: Reader, raw: Any, path: str, kind: str) -> HttpParams:
    m = r.mapping(raw, path, HTTP_KEYS, what="a mapping of %s params (%s)" % (kind, ", ".join(HTTP_KEYS)))
    if m is None:
        return HttpParams()
    if kind == "http":
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
        body_limit=r.checked(m, "body-limit", path, defaults.body_limit, _body_limit) or defaults.body_limit,
        server_name=r.string(m, "server-name", path, pattern=re.compile(r"^\S+$"), allowed="a TLS server name"),
        insecure=bool(insecure),
        ca_file=ca_file,
    )


def _read_tcp_params(r: Reader, raw: Any, path: str) -> TcpParams:
    m = r.mapping(raw, path, TCP_KEYS, what="a mapping of tcp params (%s)" % ", ".join(TCP_KEYS))
    if m is None:
        return TcpParams()
    limit = r.checked(m, "read-limit", path, TcpParams().read_limit, _read_limit)
    return TcpParams(
        send=r.string(m, "send", path),
        expect=r.regex(m, "expect", path),
        read_limit=limit or TcpParams().read_limit,
    )


def _read_params(r: Reader, m: Dict[str, Any], path: str, kind: Optional[str]) -> Tuple[Any, Any]:
    """(http params, tcp params) of a check: only its type's kind may be given."""
    if "params" not in m:
        return (HttpParams() if kind in ("http", "https") else None), None
    params_path = _join(path, "params")
    if kind in ("http", "https"):
        return _read_http_params(r, m["params"], params_path, kind), None
    if kind == "tcp":
        return None, _read_tcp_params(r, m["params"], params_path)
    if kind is not None:
        r.error(params_path, "type %s takes no params; remove it" % kind)
    return None, None


def _read_healthcheck(r: Reader, name: str, raw: Any, path: str) -> Optional[HealthCheck]:
    m = r.mapping(raw, path, HEALTHCHECK_KEYS, required=("type",))
    if m is None:
        return None
    kind = r.checked(m, "type", path, None, check_type)
    port = m.get("port") if r.report(path, check_probe_port(kind, m.get("port"), "port" in m), "port") else None
    http, tcp = _read_params(r, m, path, kind)
    defaults = HealthCheck(name=name, type="static")
    interval = r.duration(m, "interval", path, defaults.interval, positive=True)
    timeout = r.duration(m, "timeout", path, defaults.timeout, positive=True)
    if interval is not None and timeout is not None:
        r.report(path, check_timeout(timeout, interval), "timeout")
    return HealthCheck(
        name=name,
        type=kind or "static",
        port=port,
        interval=interval or defaults.interval,
        fast_interval=r.duration(m, "fast-interval", path, None, positive=True),
        down_interval=r.duration(m, "down-interval", path, None, positive=True),
        timeout=timeout or defaults.timeout,
        rise=r.checked(m, "rise", path, defaults.rise, lambda v: check_rise_fall("rise", v)) or defaults.rise,
        fall=r.checked(m, "fall", path, defaults.fall, lambda v: check_rise_fall("fall", v)) or defaults.fall,
        http=http,
        tcp=tcp,
        probe_ipv4_src=r.address(m, "probe-ipv4-src", path, family=4),
        probe_ipv6_src=r.address(m, "probe-ipv6-src", path, family=6),
    )


def read_healthchecks(r: Reader, raw: Any, path: str) -> Tuple[Dict[str, HealthCheck], FrozenSet[str]]:
    """The valid healthchecks, and every name defined (valid or not) for reference checks."""
    checks: Dict[str, HealthCheck] = {}
    named = r.named_mapping(raw, path, "healthchecks")
    for name, item in named.items():
        check = _read_healthcheck(r, name, item, _join(path, name))
        if check is not None:
            checks[name] = check
    return checks, frozenset(named)
