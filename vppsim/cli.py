"""The few CLI commands ``cli_inband`` answers, in the text format of VPP's lb.c.

``show lb vips verbose`` follows ``format_lb_vip_detailed`` (master, without the VRF line);
docs/vppsim.md documents the exact format because the collection parses it.
"""

from __future__ import annotations

import ipaddress
from typing import List

from .lb_tables import LbTables
from .lb_types import IP4_L3DSR, IP4_NAT4, IP6_NAT6, TYPE_NAMES, Vip, fmt_ip46, swap16

COUNTERS = ("packet from existing sessions", "first session packet", "untracked packet", "no server configured")


def format_vip_detailed(lb: LbTables, index: int, vip: Vip) -> str:
    lines = [
        " %s [%d] %s%s%s"
        % (
            TYPE_NAMES[vip.type],
            index,
            vip.prefix_text(),
            " src_ip_sticky" if vip.sticky else "",
            "" if vip.used else " removed",
        ),
        "  new_size:%d" % vip.table_length,
    ]
    if vip.port != 0:
        lines.append("  protocol:%d port:%d" % (vip.protocol, vip.port))
    if vip.type == IP4_L3DSR:
        lines.append("  dscp:%d" % vip.encap_byte)
    elif vip.type in (IP4_NAT4, IP6_NAT6):
        # lb.c prints ntohs() of the host-order port (so it reads swapped) and of the
        # network-order target_port (so that one reads right).
        lines.append(
            "  type:%s port:%d target_port:%d"
            % ("clusterip" if vip.encap_byte == 0 else "nodeport", swap16(vip.port), swap16(vip.target_port_raw))
        )
    lines.append("  counters:")
    lines.extend("    %s: 0" % name for name in COUNTERS)
    lines.append("  #as:%d" % len(vip.ases))
    counts = lb.bucket_counts(vip)
    for slot, server in vip.ases.items():
        lines.append(
            "    %s %d buckets   0 flows dpo:%d weight:%d %s"
            % (
                fmt_ip46(server.address),
                counts.get(slot, 0),
                server.global_index,
                server.weight,
                "used" if server.used else " removed",
            )
        )
    return "\n".join(lines) + "\n"


def format_vip(lb: LbTables, index: int, vip: Vip) -> str:
    text = "%s %s new_size:%d #as:%d%s" % (
        TYPE_NAMES[vip.type],
        vip.prefix_text(),
        vip.table_length,
        len(vip.ases),
        "" if vip.used else " removed",
    )
    if vip.port != 0:
        text += "  protocol:%d port:%d " % (vip.protocol, vip.port)
    return text


def run(lb: LbTables, command: str, version: str) -> str:
    words = command.split()
    if words[:2] == ["show", "version"]:
        return "vpp v%s built by vppsim on localhost\n" % version
    if words[:2] == ["show", "lb"] and len(words) >= 3 and "vips".startswith(words[2]) and len(words[2]) >= 3:
        verbose = len(words) > 3 and "verbose".startswith(words[3])
        out: List[str] = []
        for index, vip in lb.vips.items():
            if index == 0:
                continue
            out.append(format_vip_detailed(lb, index, vip) + "\n" if verbose else format_vip(lb, index, vip) + "\n")
        return "".join(out)
    if words[:2] == ["show", "lb"] and len(words) == 2:
        return "lb_main ip4-src-address: %s \n ip6-src-address: %s \n #vips: %d\n" % (
            ipaddress.IPv4Address(lb.ip4_src),
            ipaddress.IPv6Address(lb.ip6_src),
            len(lb.vips) - 1,
        )
    return "unknown input `%s'\n" % command.strip()
