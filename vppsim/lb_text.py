"""The lb plugin's CLI text: ``format_lb_main``, ``format_lb_vip``, ``format_lb_vip_detailed``.

Pure functions of the tables, byte for byte as VPP master prints them, quirks included
(docs/vppsim.md#cli_inband-text): trailing spaces after the source addresses, ``#vips``
counting the placeholder VIP, the NAT line of the detailed block that has no newline of its
own, two spaces before ``removed`` on an AS line. ``legacy`` tables print the AS line of the
releases (26.06 and earlier). Counters and flows come from ``lb.traffic``.
"""

from __future__ import annotations

from typing import List

from .lb_tables import LbTables
from .lb_types import IP4_L3DSR, IP4_NAT4, IP6_NAT6, TYPE_NAMES, Vip, is_ip4_addr, swap16
from .traffic import COUNTER_NAMES

SRV_TYPE_NAMES = ("clusterip", "nodeport")  # lb_srv_type_t


def format_ip6(packed: bytes) -> str:
    """format_ip6_address: the longest run of two or more zero groups becomes ``::``.

    VPP's run search keeps counting across a shorter run that it did not take, so a later run
    can win with their sum; the printed address then drops groups (docs/vppsim.md)."""
    groups = [int.from_bytes(packed[i : i + 2], "big") for i in range(0, 16, 2)]
    best_start, best_len = 8, 0
    start, length = 8, 0
    for i, group in enumerate(groups):
        if group == 0 and start >= 8:
            start, length = i, 0
        length += group == 0
        if length > best_len and (group != 0 or i == 7):
            best_start, best_len = start, length
            start, length = 8, 0
    text = ""
    after_gap = False
    i = 0
    while i < 8:
        if i == best_start and best_len > 1:
            text += "::"
            i += best_len
            after_gap = True
            continue
        text += "%s%x" % ("" if after_gap or i == 0 else ":", groups[i])
        after_gap = False
        i += 1
    return text


def format_ip46(address: bytes) -> str:
    """format_ip46_address with IP46_TYPE_ANY: an IPv4 address if the first 12 bytes are 0."""
    if is_ip4_addr(address):
        return ".".join(str(byte) for byte in address[12:])
    return format_ip6(address)


def format_prefix(vip: Vip) -> str:
    """format_ip46_prefix: IPv4 when the internal length is 96 or more and the address is one."""
    if vip.plen >= 96 and is_ip4_addr(vip.prefix):
        return "%s/%d" % (format_ip46(vip.prefix), vip.plen - 96)
    return "%s/%d" % (format_ip6(vip.prefix), vip.plen)


def _nat_fields(vip: Vip) -> str:
    """``type:... port:... target_port:...``: lb.c prints ntohs() of the host-order port (so
    it reads byte-swapped) and of the network-order target port (so that one reads right)."""
    srv = SRV_TYPE_NAMES[1] if vip.encap_byte else SRV_TYPE_NAMES[0]
    return "type:%s port:%d target_port:%d" % (srv, swap16(vip.port), swap16(vip.target_port_raw))


def format_lb_main(lb: LbTables) -> str:
    """``show lb``: the summary, then per thread whose sticky table exists its timeout and use."""
    text = "lb_main ip4-src-address: %s \n ip6-src-address: %s \n #vips: %d\n #ass: %d\n" % (
        format_ip46(b"\x00" * 12 + lb.ip4_src),
        format_ip6(lb.ip6_src),
        len(lb.vips),
        len(lb.ass) - 1,
    )
    for thread, timeout, used, size in lb.traffic.sticky_tables(lb.now()):
        text += "core %d\n  timeout: %ds\n  usage: %d / %d\n" % (thread, timeout, used, size)
    return text


def format_lb_vip(lb: LbTables, vip: Vip) -> str:
    """One line of ``show lb vips`` (without its newline)."""
    text = "%s %s new_size:%d #as:%d%s" % (
        TYPE_NAMES[vip.type],
        format_prefix(vip),
        vip.table_length,
        len(vip.ases),
        "" if vip.used else " removed",
    )
    if vip.port != 0:
        text += "  protocol:%d port:%d " % (vip.protocol, vip.port)
    if vip.type == IP4_L3DSR:
        text += "  dscp:%d" % vip.encap_byte
    elif vip.type in (IP4_NAT4, IP6_NAT6):
        text += " " + _nat_fields(vip)
    return text


def format_lb_vip_detailed(lb: LbTables, index: int, vip: Vip) -> str:
    """One block of ``show lb vips verbose`` (ends with a newline)."""
    text = " %s [%d] %s%s%s\n  new_size:%d\n" % (
        TYPE_NAMES[vip.type],
        index,
        format_prefix(vip),
        " src_ip_sticky" if vip.sticky else "",
        "" if vip.used else " removed",
        vip.table_length,
    )
    if vip.port != 0:
        text += "  protocol:%d port:%d\n" % (vip.protocol, vip.port)
    if vip.type == IP4_L3DSR:
        text += "  dscp:%d\n" % vip.encap_byte
    elif vip.type in (IP4_NAT4, IP6_NAT6):
        text += "  " + _nat_fields(vip)  # no newline: "  counters:" follows on the same line
    text += "  counters:\n"
    text += "".join("    %s: %d\n" % (name, lb.traffic.counter(name, index)) for name in COUNTER_NAMES)
    text += "  #as:%d\n" % len(vip.ases)
    return text + "".join(_as_lines(lb, vip))


def _as_lines(lb: LbTables, vip: Vip) -> List[str]:
    """The AS lines in the VIP's AS pool order. ``dpo:`` is the AS's pool index here (VPP's
    is its DPO index: docs/vppsim.md)."""
    counts = lb.bucket_counts(vip)
    lines = []
    for slot, server in vip.ases.items():
        flows = lb.traffic.flows(server.global_index)
        state = "used" if server.used else " removed"
        if lb.legacy:
            lines.append(
                "    %s %d buckets   %d flows  dpo:%d %s\n"
                % (format_ip46(server.address), counts.get(slot, 0), flows, server.global_index, state)
            )
        else:
            lines.append(
                "    %s weight:%d buckets:%d flows:%d dpo:%d %s\n"
                % (format_ip46(server.address), server.weight, counts.get(slot, 0), flows, server.global_index, state)
            )
    return lines
