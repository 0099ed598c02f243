# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of a VIP (a maglev.yaml frontend, a vpp_lb_frontend task): what values VPP's lb
plugin accepts for its prefix, protocol, port, encap, NAT and table attributes, and which go
together (docs/config-reference.md, docs/vpp-lb-reference.md).

Pure functions of plain values; each returns the issues it finds (empty = valid).
"""

from __future__ import annotations

from typing import Any, Iterable, List

from .issue import Issue
from .values import check_choice, check_int, is_power_of_two

# IANA protocol numbers as VPP's lb plugin stores them; 255 means "any" (all-port VIPs).
PROTOCOLS = {"tcp": 6, "udp": 17, "any": 255}
# The position in this tuple is the value of VPP's vl_api_lb_encap_type_t.
ENCAPS = ("gre4", "gre6", "l3dsr", "nat4", "nat6")
ENCAP_FAMILY = {"gre4": 4, "gre6": 6, "l3dsr": 4, "nat4": 4, "nat6": 6}
# Encaps a VIP of each family accepts (VPP silently coerces or rejects the others).
VIP_FAMILY_ENCAPS = {4: ("gre4", "gre6", "l3dsr", "nat4"), 6: ("gre4", "gre6", "nat6")}
NAT_ENCAPS = ("nat4", "nat6")
SRV_TYPES = ("clusterip", "nodeport")

MAX_PORT = 65535
MAX_DSCP = 63
DEFAULT_TABLE_LENGTH = 1024
# The one limit of a VIP's new-flow table length, for maglev.yaml and vpp_lb_frontend alike.
# lb_vip_details reports the length as a u16, so 65536 reads back as 0 - unambiguous, as 0 is
# no valid length - while any larger power of two would read as 0 too and could not be told
# apart (VPP master's CLI shows the exact value, but it is not always readable).
MAX_TABLE_LENGTH = 65536


def check_port(value: Any, field: str = "port") -> List[Issue]:
    """A VIP's port: 0..65535, 0 meaning every port (an all-port VIP)."""
    return check_int(field, value, 0, MAX_PORT)


def check_protocol(value: Any) -> List[Issue]:
    return check_choice("protocol", value, tuple(PROTOCOLS))


def check_protocol_port(protocol: str, port: int) -> List[Issue]:
    """The all-port rules VPP would otherwise apply silently: port 0 is protocol any, and
    protocol any is port 0 only."""
    if port == 0 and protocol != "any":
        return [
            Issue(
                "protocol",
                "%s needs a port (1-%d); an all-port VIP (port 0 or no port) is protocol any "
                "(VPP would silently turn %s port 0 into any)" % (protocol, MAX_PORT, protocol),
            )
        ]
    if port != 0 and protocol == "any":
        return [
            Issue(
                "protocol",
                "any is only for all-port VIPs (port 0 or no port); use tcp or udp with port %d" % port,
            )
        ]
    return []


def check_encap(value: Any) -> List[Issue]:
    return check_choice("encap", value, ENCAPS)


def check_vip_encap(encap: str, vip_family: int, how: str = "set") -> List[Issue]:
    """The encaps VPP accepts for a VIP of one family (``how``: set, or implied by the backends)."""
    if encap in VIP_FAMILY_ENCAPS[vip_family]:
        return []
    return [
        Issue(
            "encap",
            "encap %s (%s) is not possible for an IPv%d VIP; allowed: %s"
            % (encap, how, vip_family, ", ".join(VIP_FAMILY_ENCAPS[vip_family])),
        )
    ]


def check_dscp(value: Any) -> List[Issue]:
    return check_int("dscp", value, 0, MAX_DSCP)


def check_srv_type(value: Any) -> List[Issue]:
    """clusterip only: VPP copies the 4-byte enum into one byte without swapping it, so every
    VIP created through the API is clusterip; asking for nodeport would be permanent drift."""
    issues = check_choice("type", value, SRV_TYPES)
    if not issues and value == "nodeport":
        issues.append(
            Issue(
                "type",
                "nodeport cannot be set through VPP's binary API (VPP stores every NAT VIP as clusterip); "
                "allowed: clusterip",
            )
        )
    return issues


def check_target_port(value: Any) -> List[Issue]:
    """A NAT VIP's backend port: 1..65535 (0 would send every flow to port 0)."""
    return check_int("target_port", value, 1, MAX_PORT)


def check_table_length(value: Any) -> List[Issue]:
    """The new-flow table length: a power of two from 1 to MAX_TABLE_LENGTH."""
    issues = check_int("new_flows_table_length", value, 1, MAX_TABLE_LENGTH)
    if not issues and not is_power_of_two(value):
        issues.append(
            Issue(
                "new_flows_table_length",
                "%d is not a power of two; expected a power of two from 1 to %d (default %d)"
                % (value, MAX_TABLE_LENGTH, DEFAULT_TABLE_LENGTH),
            )
        )
    return issues


def check_encap_options(encap: str, given: Iterable[str]) -> List[Issue]:
    """Options that only one encap uses (``given``: the fields that were set): dscp is l3dsr's,
    type and target_port are NAT's."""
    issues = []
    for field in given:
        if field == "dscp" and encap != "l3dsr":
            issues.append(Issue(field, "only used with encap l3dsr; this frontend's encap is %s" % encap))
        elif field in ("type", "target_port") and encap not in NAT_ENCAPS:
            issues.append(Issue(field, "only used with encap nat4 or nat6; this frontend's encap is %s" % encap))
    return issues


def check_nat_target_port(encap: str, port: int, given: bool) -> List[Issue]:
    """A NAT VIP needs a target port; only a per-port VIP has one to default to (its port)."""
    if encap in NAT_ENCAPS and not given and port == 0:
        return [Issue("target_port", "required for encap %s on an all-port VIP (1-%d)" % (encap, MAX_PORT))]
    return []
