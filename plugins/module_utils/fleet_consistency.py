# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a fleet of Maglev LBs agrees: per VIP, which LBs differ from the majority, how, and
the share of new flows that break on an ECMP rehash between them (docs/fleet.md). Pure; no I/O.

THE CONTRACT (the filter vpp.maglev.fleet_consistency and playbooks/fleet_check.yml rely on it):

``fleet_consistency(lbs, max_share=0.0, health=None)`` — module_utils function and the filter
``vpp.maglev.fleet_consistency`` (filter:
``{{ lbs | vpp.maglev.fleet_consistency(max_share=0.0, health=health_map) }}``).

- ``lbs``: ``{host: <the lb value returned by vpp.maglev.vpp_lb_info>}``
  (``{"conf": {...}, "vips": [{"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80, "encap": ...,
  "new_flows_table_length": 1024, "backends": [{"address": "10.0.0.1", "weight": 100,
  "num_buckets": N}]}]}``).
- ``health`` (optional): ``{host: {backend_name: state}}`` — each LB's maglevd view
  (maglevd_client ``states()`` / maglev_backend-style ``{name: "up"|"down"|...}``).
- Returns a dict:

  - ``consistent``: bool — true when no VIP's worst share exceeds ``max_share`` and (with
    max_share 0) no difference at all, and no health divergence.
  - ``hosts``: sorted host list; ``vips``: list (VIP order: numeric IP then proto/port) of
    ``{"vip": "192.0.2.1/32 tcp:80", "majority": [hosts], "differing": [{"host": h,
    "differences": ["AS 10.0.0.3 missing", "AS 10.0.0.9 extra", "weight of 10.0.0.2 is 0,
    majority 100", "table length 2048, majority 1024", "VIP missing"]}], "pairs": [{"hosts":
    [a, b], "share": 0.125}], "share": <worst pair share>}`` — only VIPs with a difference are
    listed; ``pairs`` covers each differing host against the majority AND each pair of
    differing hosts; ``share`` is the fraction of the VIP's new-flow buckets that map to a
    different AS between the two (from the project's Maglev table: maglev_table.py, the same
    one disruption.py uses; a missing VIP on one side = share 1.0).
  - ``health``: list of ``{"host": h, "backends": {name: {"state": s, "majority": m}}}`` for
    hosts whose maglevd view differs from the majority view.
  - ``failures``: one line per differing host and VIP (and per host with health divergence),
    e.g. ``lb2: 192.0.2.1/32 tcp:80: weight of 10.0.0.2 is 0, majority 100; 12.5% of new flows
    break on an ECMP rehash`` — only those above ``max_share`` (health lines always).
  - ``table``: a readable text table (VIP, host, what differs, share) for a debug ``msg``
    (list of lines is fine: ``table_lines``).

- Majority: hosts grouped by identical VIP content; the largest group wins; ties break
  deterministically (the group holding the alphabetically first host) and the report says
  ``tie: true`` for that VIP.

Details the contract leaves open, as built:

- Each ``lbs`` value may also be a whole registered vpp_lb_info result (its ``lb`` is used).
- VIP content = table length, the AS set with weights, and the attributes encap, dscp, type,
  target_port and src_ip_sticky (those present on both sides); ``num_buckets`` is derived and
  ignored. A VIP the majority lacks reads ``VIP extra`` on the hosts that have it.
- Every VIP entry has ``tie`` (bool) and each ``differing`` entry also has ``share`` (against
  the majority). A pair against the majority is ``{"hosts": [h, first majority host],
  "share": s, "majority": true}``; a pair of differing hosts has ``"majority": false``.
- A (host, VIP) fails on any difference when ``max_share`` is 0, else when its worst share is
  above it: its share against the majority, or against another differing host when those two
  are further apart than either is from the majority (its line then names that host). So
  ``consistent`` is exactly "no failure line". ``table`` is ``table_lines`` joined.
- A backend a host's view lacks has state None (``absent`` in the text).
- Maglev tables are built only for VIPs that differ, once per distinct AS set and length.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from operator import ne
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from .fleet_report import failure_lines, table_lines
from .lb_model import VipKey
from .maglev_table import build_table_ip46, ip46

ATTRS = ("encap", "dscp", "type", "target_port", "src_ip_sticky")

# (table length, {(address, weight), ...}, ((attr, value), ...))
Content = Tuple[int, FrozenSet[Tuple[str, int]], Tuple[Tuple[str, Any], ...]]


class FleetInputError(ValueError):
    """The gathered states are not in vpp_lb_info's shape; the message says where."""


class _Addresses:
    """Canonical text and ip46 form of every address, each parsed once: 20 LBs share the same
    16,000 addresses."""

    def __init__(self) -> None:
        self.canon: Dict[Any, str] = {}
        self.order: Dict[str, tuple] = {}
        self.packed: Dict[str, bytes] = {}

    def add(self, text: Any, where: Callable[[], str]) -> str:
        try:
            if not isinstance(text, str):
                raise ValueError(text)
            address = ipaddress.ip_address(text)
        except ValueError:
            raise FleetInputError("%s: %r is not an IP address" % (where(), text)) from None
        canon = self.canon[text] = str(address)
        self.order[canon] = (address.version, int(address))
        self.packed[canon] = ip46(address)
        return canon


def _lb_vips(lb: Any, host: str) -> Sequence[Any]:
    if isinstance(lb, Mapping) and "vips" not in lb and isinstance(lb.get("lb"), Mapping):
        lb = lb["lb"]  # a whole registered vpp_lb_info result
    if not isinstance(lb, Mapping) or not isinstance(lb.get("vips"), list):
        raise FleetInputError("%s: expected the lb value of vpp.maglev.vpp_lb_info (a dict with vips)" % host)
    return lb["vips"]


def _check_backends(backends: Any, where: Callable[[], str]) -> None:
    """Say which backend is malformed (only called once the fast path has failed)."""
    for backend in backends:
        if not isinstance(backend, Mapping) or "address" not in backend:
            raise FleetInputError("%s: a backend without an address: %r" % (where(), backend))
        weight = backend.get("weight", 0)
        if not isinstance(weight, int) or isinstance(weight, bool):
            raise FleetInputError("%s: weight %r is not an integer" % (where(), weight))
        if not isinstance(backend["address"], str):
            raise FleetInputError("%s: %r is not an IP address" % (where(), backend["address"]))


def _backends(vip: Mapping[str, Any], where: Callable[[], str], addresses: _Addresses) -> FrozenSet[Tuple[str, int]]:
    """The AS set as a frozenset: equal whatever order VPP dumped it in, and hashed in C. This
    is the hot loop of a 20 x 16,000 AS check: comprehensions, no per-AS isinstance or sort."""
    backends = vip.get("backends") or ()
    try:
        raw = [(backend["address"], backend.get("weight", 0)) for backend in backends]
        known = addresses.canon.get
        pairs = [(known(text) or addresses.add(text, where), weight) for text, weight in raw]
    except (TypeError, KeyError, AttributeError):
        _check_backends(backends, where)
        raise
    if not all(weight.__class__ is int for _text, weight in pairs):
        _check_backends(backends, where)
    return frozenset(pairs)


def _content(vip: Mapping[str, Any], where: Callable[[], str], addresses: _Addresses) -> Content:
    length = vip.get("new_flows_table_length", 1024)
    if not isinstance(length, int) or length <= 0 or length & (length - 1):
        raise FleetInputError("%s: new_flows_table_length %r is not a power of two" % (where(), length))
    attrs = tuple((name, vip[name]) for name in ATTRS if name in vip)
    return (length, _backends(vip, where, addresses), attrs)


def _vip_key(host: str, ident: tuple) -> VipKey:
    try:
        return VipKey.make(ident[0], ident[1], ident[2])
    except (KeyError, TypeError, ValueError) as exc:
        raise FleetInputError("%s: VIP %r: %s" % (host, ident, exc)) from None


# The first LB's reading of each VIP: (its key, its dict, its content).
Seen = Dict[tuple, Tuple[VipKey, Mapping[str, Any], Content]]


def _host_vips(host: str, lb: Any, addresses: _Addresses, seen: Seen) -> Dict[VipKey, Content]:
    result: Dict[VipKey, Content] = {}
    for vip in _lb_vips(lb, host):
        if not isinstance(vip, Mapping):
            raise FleetInputError("%s: a VIP is not a dict: %r" % (host, vip))
        ident = (str(vip.get("vip")), str(vip.get("protocol")), vip.get("port", 0))
        first = seen.get(ident)
        if first is None:
            key = _vip_key(host, ident)
            content = _content(vip, lambda key=key: "%s: %s" % (host, key), addresses)
            seen[ident] = (key, vip, content)
        else:
            # An LB that agrees reads the very same dict: one comparison in C, no AS parsed.
            key = first[0]
            same = vip == first[1]
            content = first[2] if same else _content(vip, lambda key=key: "%s: %s" % (host, key), addresses)
        result[key] = content
    return result


def _majority(groups: Dict[Optional[Content], List[str]]) -> Tuple[Optional[Content], bool]:
    """The largest group's content; on a tie, the one holding the alphabetically first host."""
    biggest = max(len(hosts) for hosts in groups.values())
    tied = [content for content, hosts in groups.items() if len(hosts) == biggest]
    winner = min(tied, key=lambda content: groups[content][0])
    return winner, len(tied) > 1


def _differences(mine: Optional[Content], major: Optional[Content], addresses: _Addresses) -> List[str]:
    if mine is None:
        return ["VIP missing"]
    if major is None:
        return ["VIP extra"]
    have, want = dict(mine[1]), dict(major[1])
    lines = []
    for address in sorted(set(have) | set(want), key=addresses.order.__getitem__):
        if address not in have:
            lines.append("AS %s missing" % address)
        elif address not in want:
            lines.append("AS %s extra" % address)
        elif have[address] != want[address]:
            lines.append("weight of %s is %d, majority %d" % (address, have[address], want[address]))
    if mine[0] != major[0]:
        lines.append("table length %d, majority %d" % (mine[0], major[0]))
    mine_attrs, major_attrs = dict(mine[2]), dict(major[2])
    for name in ATTRS:
        if name in mine_attrs and name in major_attrs and mine_attrs[name] != major_attrs[name]:
            lines.append("%s %s, majority %s" % (name, mine_attrs[name], major_attrs[name]))
    return lines


class _Shares:
    """Maglev tables (one per distinct AS set and length) and the share between two contents."""

    def __init__(self, addresses: _Addresses) -> None:
        self.addresses = addresses
        self.ids: Dict[str, int] = {}
        self.tables: Dict[tuple, List[int]] = {}

    def table(self, content: Content) -> List[int]:
        key = (content[0], content[1])
        table = self.tables.get(key)
        if table is None:
            live = [(address, weight) for address, weight in content[1] if weight > 0]
            owners = [self.ids.setdefault(address, len(self.ids)) for address, _w in live]
            packed = [(self.addresses.packed[address], weight) for address, weight in live]
            table = [owners[i] if i >= 0 else -1 for i in build_table_ip46(packed, content[0])]
            self.tables[key] = table
        return table

    def share(self, one: Optional[Content], other: Optional[Content]) -> float:
        if one is None or other is None:
            return 1.0
        if one[:2] == other[:2]:
            return 0.0
        first, second = self.table(one), self.table(other)
        if len(first) == len(second):
            moved = sum(map(ne, first, second))
        else:
            # A flow hash h lands in bucket h & (length - 1): compare over the longer length.
            mask1, mask2 = len(first) - 1, len(second) - 1
            moved = sum(1 for i in range(max(len(first), len(second))) if first[i & mask1] != second[i & mask2])
        return round(moved / max(len(first), len(second)), 6)


def _vip_report(key: VipKey, by_host: Dict[str, Optional[Content]], shares: _Shares) -> Optional[dict]:
    groups: Dict[Optional[Content], List[str]] = {}
    for host in sorted(by_host):
        groups.setdefault(by_host[host], []).append(host)
    if len(groups) < 2:
        return None
    major, tie = _majority(groups)
    majority = groups[major]
    differing = [host for content, hosts in groups.items() if content != major for host in hosts]
    differing.sort()
    pairs = []
    for host in differing:
        pairs.append({"hosts": [host, majority[0]], "share": shares.share(by_host[host], major), "majority": True})
    for i, one in enumerate(differing):
        for other in differing[i + 1 :]:
            share = shares.share(by_host[one], by_host[other])
            pairs.append({"hosts": [one, other], "share": share, "majority": False})
    return {
        "vip": str(key),
        "majority": majority,
        "tie": tie,
        "differing": [
            {
                "host": host,
                "differences": _differences(by_host[host], major, shares.addresses),
                "share": shares.share(by_host[host], major),
            }
            for host in differing
        ],
        "pairs": pairs,
        "share": max(pair["share"] for pair in pairs),
    }


def vip_reports(lbs: Mapping[str, Any]) -> List[dict]:
    """The ``vips`` list of the report: one entry per VIP on which the hosts differ."""
    addresses, seen = _Addresses(), {}  # type: _Addresses, Seen
    per_host = {str(host): _host_vips(str(host), lb, addresses, seen) for host, lb in lbs.items()}
    all_keys = set()
    for vips in per_host.values():
        all_keys.update(vips)
    shares = _Shares(addresses)
    reports = []
    for key in sorted(all_keys, key=VipKey.sort_key):
        report = _vip_report(key, {host: vips.get(key) for host, vips in per_host.items()}, shares)
        if report is not None:
            reports.append(report)
    return reports


def _state(value: Any) -> Optional[str]:
    if isinstance(value, Mapping):
        value = value.get("state")
    return None if value is None else str(value)


def health_divergence(health: Mapping[str, Any]) -> List[dict]:
    """The ``health`` list of the report: per host, the backends its maglevd sees otherwise
    than most LBs do (majority per backend; a tie goes to the alphabetically first host's)."""
    views: Dict[str, Dict[str, Optional[str]]] = {}
    for host, view in health.items():
        if not isinstance(view, Mapping):
            raise FleetInputError("health of %s: expected {backend: state}, got %r" % (host, view))
        views[str(host)] = {str(name): _state(value) for name, value in view.items()}
    hosts = sorted(views)
    names = sorted({name for view in views.values() for name in view})
    majority: Dict[str, Optional[str]] = {}
    for name in names:
        holders: Dict[Optional[str], List[str]] = {}
        for host in hosts:
            holders.setdefault(views[host].get(name), []).append(host)
        biggest = max(len(group) for group in holders.values())
        majority[name] = min((s for s, g in holders.items() if len(g) == biggest), key=lambda s: holders[s][0])
    result = []
    for host in hosts:
        backends = {
            name: {"state": views[host].get(name), "majority": majority[name]}
            for name in names
            if views[host].get(name) != majority[name]
        }
        if backends:
            result.append({"host": host, "backends": backends})
    return result


def _check_share(max_share: Any) -> float:
    if isinstance(max_share, bool) or not isinstance(max_share, (int, float)):
        raise FleetInputError("max_share must be a number from 0 to 1, got %r" % (max_share,))
    if not 0 <= max_share <= 1:
        raise FleetInputError("max_share is a fraction from 0 to 1 (5%% is 0.05), got %r" % (max_share,))
    return float(max_share)


def fleet_consistency(
    lbs: Mapping[str, Any], max_share: float = 0.0, health: Optional[Mapping[str, Any]] = None
) -> dict:
    """The fleet report (the contract at the top of this module)."""
    if not isinstance(lbs, Mapping):
        raise FleetInputError("expected {host: lb state from vpp_lb_info}, got %s" % type(lbs).__name__)
    threshold = _check_share(max_share)
    vips = vip_reports(lbs)
    divergence = health_divergence(health) if health else []
    failures = failure_lines(vips, divergence, threshold)
    lines = table_lines(sorted(str(host) for host in lbs), vips, divergence, threshold)
    return {
        "consistent": not failures,
        "hosts": sorted(str(host) for host in lbs),
        "max_share": threshold,
        "vips": vips,
        "health": divergence,
        "failures": failures,
        "table_lines": lines,
        "table": "\n".join(lines),
    }
