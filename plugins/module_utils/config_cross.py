# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The maglev.yaml rules that span sections: what VPP refuses between VIPs, and the lb_conf
source address GRE tunnels need (docs/config-reference.md, docs/vpp-lb-reference.md)."""

from __future__ import annotations

from typing import Any, Dict, List

from .config_errors import join_path as _join
from .config_frontends import VipInfo
from .config_model import VppLbSettings
from .config_reader import Reader
from .lb_model import VipKey

# The lb_conf key of the source address each tunnelling encap needs (l3dsr/nat rewrite in place).
SRC_ADDRESS_KEY = {"gre4": "ipv4-src-address", "gre6": "ipv6-src-address"}


def _check_prefix_mates(r: Reader, vip: VipInfo, others: List[VipInfo]) -> None:
    for other in others:
        if (vip.key.port == 0) != (other.key.port == 0):
            r.error(
                _join(vip.path, "port"),
                "%s and frontend %r (%s) share prefix %s; VPP does not allow an all-port VIP next to "
                "per-port VIPs on one prefix" % (vip.key, other.name, other.key, vip.key.prefix),
            )
            return
        if vip.encap and other.encap and vip.encap != other.encap:
            r.error(
                _join(vip.path, "encap"),
                "encap %s differs from frontend %r (encap %s) on the same prefix %s; per-port VIPs of one "
                "prefix must share one encap" % (vip.encap, other.name, other.encap, vip.key.prefix),
            )
            return


def check_vips(r: Reader, vips: List[VipInfo]) -> None:
    """What VPP refuses between VIPs: the same key (-81), all-port next to per-port on one
    prefix (-81), and per-port VIPs of one prefix with different encaps (-73)."""
    by_key: Dict[VipKey, VipInfo] = {}
    by_prefix: Dict[Any, List[VipInfo]] = {}
    for vip in vips:
        if vip.key in by_key:
            r.error(
                vip.path,
                "same VIP as frontend %r (%s); VPP identifies a VIP by prefix, protocol and port"
                % (by_key[vip.key].name, vip.key),
            )
            continue
        by_key[vip.key] = vip
        _check_prefix_mates(r, vip, by_prefix.get(vip.key.prefix, []))
        by_prefix.setdefault(vip.key.prefix, []).append(vip)


def check_src_addresses(r: Reader, vips: List[VipInfo], lb: VppLbSettings, path: str) -> None:
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
