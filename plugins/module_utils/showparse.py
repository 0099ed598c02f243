# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for VPP's lb CLI text (``show lb vips verbose``, ``show lb``). Pure functions.

vppclient uses them to read what no binary-API dump reports (``src_ip_sticky``, the exact
new-flow table length, each VIP's pool index and each AS's live flows); vpp_lb_state's
``parsed`` state turns saved output into an LbState.

``show lb vips verbose`` prints, per VIP, this block and an empty line (VPP master's
format_lb_vip_detailed; docs/vppsim.md#cli_inband-text has the byte-exact rules)::

     ip4-gre4 [1] 192.0.2.1/32 src_ip_sticky          <- type, pool index, prefix, flags
      new_size:1024
      protocol:6 port:80                              <- only for per-port VIPs
      dscp:10                                         <- only for l3dsr
      type:clusterip port:20480 target_port:3307  counters:   <- nat4/nat6: no newline
      counters:                                       <- (the other types)
        packet from existing sessions: 0
        ...
      #as:2
        10.0.0.1 weight:100 buckets:512 flows:3 dpo:5 used
        10.0.0.2 weight:0 buckets:0 flows:1 dpo:6  removed

Flags after the prefix are ``src_ip_sticky`` and ``removed`` (a deleted, lingering VIP). The
released VPP versions (26.06 and every release before it) print the AS line without the
weight, as ``10.0.0.1 512 buckets   3 flows  dpo:5 used``; that line is parsed too (weight
None). Unknown lines are ignored and each VIP section starts at a line whose first word is an
internal VIP type (``ip4-gre4``, ``ip6-nat6``, ...).
"""

from __future__ import annotations

import functools
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
# The lb plugin's per-VIP counters, in the order the block prints them.
COUNTER_NAMES = (
    "packet from existing sessions",
    "first session packet",
    "untracked packet",
    "no server configured",
)

_HEADER = re.compile(r"^\s*(ip[46]-[a-z0-9]+)\s+\[(\d+)\]\s+(\S+)(.*)$")
_NEW_SIZE = re.compile(r"new_size:(\d+)")
_PROTO_PORT = re.compile(r"protocol:(\d+)\s+port:(\d+)")
_DSCP = re.compile(r"dscp:(\d+)")
_NAT = re.compile(r"type:(clusterip|nodeport)\b.*?target_port:(\d+)")
_COUNTER = re.compile(r"^\s+(%s):\s*(\d+)\s*$" % "|".join(COUNTER_NAMES))
_ADDRESS = r"^\s+([0-9A-Fa-f:.]+)\s+"
_STATE = r"\s+(used|removed)\s*$"
# VPP master: "ADDR weight:W buckets:B flows:F dpo:D used|removed".
_AS = re.compile(_ADDRESS + r"weight:(\d+)\s+buckets:(\d+)\s+flows:(\d+)\s+dpo:\d+" + _STATE)
# VPP 26.06 and the releases before it: "ADDR B buckets   F flows  dpo:D used|removed".
_AS_RELEASED = re.compile(_ADDRESS + r"(\d+)\s+buckets\s+(\d+)\s+flows\s+dpo:\d+" + _STATE)


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
            row = _as_row(line)
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
        "counters": {},
        "ases": [],
    }


# maglevd parses this text every few seconds, and the same few thousand AS addresses recur on
# each read: normalising each once keeps a read of 1,000 VIPs x 16 ASes cheap (docs/traffic.md).
@functools.lru_cache(maxsize=65536)
def _address_text(text: str) -> str:
    """An AS address as lb_model prints it (compressed); ValueError when it is not one."""
    return str(ipaddress.ip_address(text))


def _as_row(line: str) -> Optional[dict]:
    """An AS line (either format) as a row; None when the line is not one."""
    weight: Optional[int] = None
    match = _AS.match(line)
    if match:
        address, weight_text, buckets, flows, state = match.groups()
        weight = int(weight_text)
    else:
        match = _AS_RELEASED.match(line)
        if not match:
            return None
        address, buckets, flows, state = match.groups()
    try:
        address = _address_text(address)
    except ValueError:
        return None
    return {
        "address": address,
        "buckets": int(buckets),
        "flows": int(flows),
        "weight": weight,
        "used": state == "used",
    }


def _read_detail(record: dict, line: str) -> None:
    """The detail lines of a VIP section (new_size, protocol/port, dscp, NAT type, counters)."""
    match = _COUNTER.match(line)
    if match:
        record["counters"][match.group(1)] = int(match.group(2))
        return
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


_SRC = re.compile(r"(ip[46])-src-address:\s*(\S+)")
_COUNT = re.compile(r"^\s*#(vips|ass):\s*(\d+)\s*$", re.MULTILINE)
# One thread's sticky table, three lines (printed once the lb node has allocated it).
_CORE = re.compile(r"^core (\d+)\n\s+timeout: (\d+)s\n\s+usage: (\d+) / (\d+)\s*$", re.MULTILINE)


def parse_show_lb(text: str) -> LbConf:
    """The global conf from ``show lb``: the source addresses and, once a thread's sticky table
    exists, the flow timeout it was made with (None before: VPP prints no other timeout, and
    never the sticky buckets)."""
    addresses = dict(_SRC.findall(text))
    cores = parse_show_lb_summary(text)["cores"]
    return LbConf(
        ip4_src_address=ipaddress.IPv4Address(addresses["ip4"]) if "ip4" in addresses else None,
        ip6_src_address=ipaddress.IPv6Address(addresses["ip6"]) if "ip6" in addresses else None,
        flow_timeout=cores[0]["timeout"] if cores else None,
    )


def parse_show_lb_summary(text: str) -> dict:
    """The counts and sticky tables of ``show lb``: ``vips`` (VPP's count, which includes its
    placeholder VIP: one more than the VIPs configured, lingering ones included), ``ases`` (the
    ``#ass`` line: ASes in the pool, lingering ones included; None when either is missing) and
    ``cores``: one ``{core, timeout, used, size}`` per thread whose sticky table exists, where
    ``used`` counts the entries whose timeout has not passed."""
    counts = {name: int(value) for name, value in _COUNT.findall(text)}
    return {
        "vips": counts.get("vips"),
        "ases": counts.get("ass"),
        "cores": [
            {"core": int(core), "timeout": int(timeout), "used": int(used), "size": int(size)}
            for core, timeout, used, size in _CORE.findall(text)
        ],
    }


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
