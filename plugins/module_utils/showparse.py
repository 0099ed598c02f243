# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for VPP's lb CLI text (``show lb vips verbose``, ``show lb``). Pure functions.

vppclient uses them to read what no binary-API dump reports (``src_ip_sticky``, the exact
new-flow table length); vpp_lb_state's ``parsed`` state turns saved output into an LbState.

``show lb vips verbose`` prints, per VIP (format_lb_vip_detailed in VPP's lb.c)::

     ip4-gre4 [1] 192.0.2.1/32 src_ip_sticky          <- type, pool index, prefix, flags
       new_size:1024
       protocol:6 port:80                              <- only for per-port VIPs
       dscp:10                                         <- only for l3dsr
       type:clusterip port:20480 target_port:3307      <- only for nat4/nat6 (port byte-swapped)
       counters:
         packet from existing sessions: 0
         ...
       #as:2
         10.0.0.1 512 buckets   0 flows  dpo:5 used
         10.0.0.2 0 buckets   0 flows  dpo:6  removed

Flags after the prefix are ``src_ip_sticky`` and ``removed`` (a deleted, lingering VIP). An
AS line may carry ``weight:N`` (VPP master with AS weights). Unknown lines are ignored and
each VIP section starts at a line whose first word is an internal VIP type (``ip4-gre4``,
``ip6-nat6``, ...), so the parser tolerates the small format differences between releases.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Dict, List, Optional

from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import (
    LbConf,
    LbState,
    Vip,
    VipAttrs,
    VipKey,
)
from ansible_collections.vpp.maglev.plugins.module_utils.weights import MAX_WEIGHT

# Internal VIP type (family-encap) -> the API's encap name.
VIP_TYPES = {
    "ip4-gre4": "gre4",
    "ip4-gre6": "gre6",
    "ip4-l3dsr": "l3dsr",
    "ip4-nat4": "nat4",
    "ip6-gre4": "gre4",
    "ip6-gre6": "gre6",
    "ip6-nat6": "nat6",
}

_HEADER = re.compile(r"^\s*(ip[46]-[a-z0-9]+)\s+\[(\d+)\]\s+(\S+)(.*)$")
_NEW_SIZE = re.compile(r"new_size:(\d+)")
_PROTO_PORT = re.compile(r"protocol:(\d+)\s+port:(\d+)")
_DSCP = re.compile(r"dscp:(\d+)")
_NAT = re.compile(r"type:(clusterip|nodeport)\b.*?target_port:(\d+)")
_AS = re.compile(r"^\s+([0-9A-Fa-f:.]+)\s+(\d+)\s+buckets\b(.*)$")
_FLOWS = re.compile(r"(\d+)\s+flows")
_WEIGHT = re.compile(r"weight:(\d+)")


def parse_show_lb_vips(text: str) -> List[dict]:
    """Records, one per VIP section, in output order. Raises ValueError on a malformed
    header (a prefix that is not one)."""
    records: List[dict] = []
    current: Optional[dict] = None
    for line in text.splitlines():
        if not line.strip():
            continue
        header = _HEADER.match(line)
        if header:
            current = _vip_record(header, line)
            records.append(current)
        elif current is not None:
            as_line = _AS.match(line)
            if as_line:
                row = _as_row(as_line)
                if row is not None:
                    current["ases"].append(row)
            else:
                _read_detail(current, line)
    return records


def _vip_record(header: re.Match[str], line: str) -> dict:
    """A VIP section's record from its header line (details and ASes filled in later)."""
    vip_type, index, prefix, rest = header.groups()
    flags = rest.split()
    try:
        network = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        raise ValueError("show lb vips: bad VIP prefix %r in line %r" % (prefix, line.strip()))
    return {
        "index": int(index),
        "type": vip_type,
        "encap": VIP_TYPES.get(vip_type, "gre6"),
        "prefix": str(network),
        "protocol": 255,
        "port": 0,
        "src_ip_sticky": "src_ip_sticky" in flags,
        "removed": "removed" in flags,
        "new_flows_table_length": None,
        "dscp": 0,
        "srv_type": "clusterip",
        "target_port": 0,
        "ases": [],
    }


def _as_row(as_line: re.Match[str]) -> Optional[dict]:
    """An AS line as a row; None when its address is not one (the line is ignored)."""
    address, count, rest = as_line.groups()
    try:
        parsed_address = ipaddress.ip_address(address)
    except ValueError:
        return None
    flows = _FLOWS.search(rest)
    weight = _WEIGHT.search(rest)
    return {
        "address": str(parsed_address),
        "buckets": int(count),
        "flows": int(flows.group(1)) if flows else None,
        "weight": int(weight.group(1)) if weight else None,
        "used": not rest.rstrip().endswith("removed"),
    }


def _read_detail(record: dict, line: str) -> None:
    """The detail lines of a VIP section (new_size, protocol/port, dscp, NAT type)."""
    match = _NEW_SIZE.search(line)
    if match:
        record["new_flows_table_length"] = int(match.group(1))
    match = _PROTO_PORT.search(line)
    if match:
        record["protocol"], record["port"] = int(match.group(1)), int(match.group(2))
    match = _DSCP.search(line)
    if match:
        record["dscp"] = int(match.group(1))
    match = _NAT.search(line)
    if match:
        record["srv_type"], record["target_port"] = match.group(1), int(match.group(2))


def parse_show_lb(text: str) -> LbConf:
    """The global conf from ``show lb``: source addresses, and the flow timeout and sticky
    buckets when the release prints them (older ones do not: those stay None)."""
    values: Dict[str, str] = {}
    for key, value in re.findall(r"([a-z0-9_-]+):\s*(\S+)", text):
        values.setdefault(key, value)

    def number(*names: str) -> Optional[int]:
        for name in names:
            if name in values:
                return int(values[name].rstrip("s"))
        return None

    ip4 = values.get("ip4-src-address")
    ip6 = values.get("ip6-src-address")
    return LbConf(
        ip4_src_address=ipaddress.IPv4Address(ip4) if ip4 else None,
        ip6_src_address=ipaddress.IPv6Address(ip6) if ip6 else None,
        sticky_buckets_per_core=number("sticky_buckets_per_core", "sticky-buckets-per-core", "buckets"),
        flow_timeout=number("flow_timeout", "flow-timeout", "timeout"),
    )


def records_to_state(records: List[dict], conf: Optional[LbConf] = None) -> LbState:
    """An LbState from parse_show_lb_vips records: removed VIPs and ASes are skipped. AS
    weights are taken from ``weight:N`` when printed, else MAX_WEIGHT (full) for a used AS."""
    vips: Dict[VipKey, Vip] = {}
    for record in records:
        if record["removed"]:
            continue
        key = VipKey.make(record["prefix"], record["protocol"], record["port"])
        attrs = VipAttrs(
            encap=record["encap"],
            dscp=record["dscp"],
            srv_type=record["srv_type"],
            target_port=record["target_port"],
            new_flows_table_length=record["new_flows_table_length"] or 1024,
            src_ip_sticky=record["src_ip_sticky"],
        ).normalised()
        ases = {
            ipaddress.ip_address(row["address"]): (MAX_WEIGHT if row["weight"] is None else row["weight"])
            for row in record["ases"]
            if row["used"]
        }
        vips[key] = Vip(key, attrs, ases)
    return LbState(conf or LbConf(), vips)


def parse_lb_state(vips_text: str, lb_text: Optional[str] = None) -> LbState:
    """``show lb vips verbose`` (+ optionally ``show lb``) text -> LbState."""
    return records_to_state(parse_show_lb_vips(vips_text), parse_show_lb(lb_text) if lb_text else None)
