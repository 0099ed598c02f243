# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""maglev.frontends: each VIP's address, protocol, port, pools, encap and attributes, read
through the VIP rules of rules/frontend.py and the family rule of rules/backend.py
(docs/config-reference.md)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from .config_backends import check_pool_members, member_path, pool_members, read_pools, shared_addresses
from .config_errors import join_path as _join
from .config_model import Backend, Frontend, Pool
from .config_reader import Reader, yaml_key
from .lb_model import VipAttrs, VipKey
from .rules.backend import check_backend_family
from .rules.frontend import (
    DEFAULT_TABLE_LENGTH,
    NAT_ENCAPS,
    PROTOCOLS,
    check_dscp,
    check_encap,
    check_encap_options,
    check_nat_target_port,
    check_port,
    check_protocol,
    check_protocol_port,
    check_srv_type,
    check_table_length,
    check_target_port,
    check_vip_encap,
)
from .rules.issue import describe

ENCAP_OPTIONS = ("dscp", "type", "target_port")  # the rule fields only some encaps use
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
class VipInfo:
    """What the cross-frontend rules need to know about one frontend."""

    name: str
    path: str
    key: VipKey
    encap: Optional[str]


def _read_vip_prefix(r: Reader, m: Dict[str, Any], path: str) -> Any:
    if "address" not in m:
        return None
    value, where = m["address"], _join(path, "address")
    if not isinstance(value, str):
        r.error(where, "expected an IPv4/IPv6 address or prefix, got %s" % describe(value))
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


def _read_protocol_port(r: Reader, m: Dict[str, Any], path: str) -> Tuple[Optional[int], Optional[int]]:
    """(protocol number, port), applying the all-port rules VPP would otherwise apply silently."""
    port = r.checked(m, "port", path, 0, check_port)
    protocol = r.checked(m, "protocol", path, "any" if not port else "tcp", check_protocol)
    if port is None or protocol is None:
        return None, None
    if not r.report(path, check_protocol_port(protocol, port)):
        return None, None
    return PROTOCOLS[protocol], port


def _read_frontend(
    r: Reader,
    name: str,
    raw: Any,
    path: str,
    backends: Dict[str, Backend],
    defined: FrozenSet[str],
    shared: Dict[str, Any],
) -> Tuple[Optional[Frontend], Optional[VipInfo]]:
    m = r.mapping(raw, path, FRONTEND_KEYS, required=("address", "pools"))
    if m is None:
        return None, None
    prefix = _read_vip_prefix(r, m, path)
    protocol, port = _read_protocol_port(r, m, path)
    pools = read_pools(r, m["pools"], _join(path, "pools"), defined) if "pools" in m else ()
    check_pool_members(r, pools, _join(path, "pools"), backends, shared)
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
    return frontend, VipInfo(name, path, VipKey.make(prefix, protocol, port or 0), encap)


def _implied_encap(r: Reader, path: str, members: List[Tuple[int, Backend]]) -> str:
    """The encap the backends' family implies (gre4 or gre6): all of one family."""
    first = members[0][1]
    version = first.address.version
    for index, backend in members[1:]:
        if backend.address.version != version:
            r.error(
                member_path(path, index, backend),
                "address family mix: backend %r is IPv%d but %r is IPv%d; all backends of a frontend "
                "(in every pool) must be of one family"
                % (backend.name, backend.address.version, first.name, first.address.version),
            )
    return "gre4" if first.address.version == 4 else "gre6"


def _resolve_encap(
    r: Reader, m: Dict[str, Any], path: str, prefix: Any, pools: Tuple[Pool, ...], backends: Dict[str, Backend]
) -> Optional[str]:
    """The explicit encap, or the one the backends' family implies; checks every family rule."""
    members = list(pool_members(pools, backends))
    explicit = r.checked(m, "encap", path, None, check_encap)
    if "encap" in m and explicit is None:
        return None
    if explicit is not None:
        for index, backend in members:
            issues = check_backend_family(backend.address, explicit, "backend %r" % backend.name)
            if issues:
                r.report(member_path(path, index, backend), issues, "")
        encap = explicit
    elif members:
        encap = _implied_encap(r, path, members)
    else:
        return None
    if prefix is not None:
        r.report(
            path, check_vip_encap(encap, prefix.version, "set" if explicit else "implied by the backends' family and")
        )
    return encap


def _read_vip_attrs(r: Reader, m: Dict[str, Any], path: str, encap: Optional[str], port: Optional[int]) -> VipAttrs:
    """dscp (l3dsr), type and target-port (nat), table length and src-ip-sticky."""
    dscp = r.checked(m, "dscp", path, 0, check_dscp)
    srv_type = r.checked(m, "type", path, "clusterip", check_srv_type)
    target_port = r.checked(m, "target-port", path, None, check_target_port)
    if encap is not None:
        r.report(path, check_encap_options(encap, [field for field in ENCAP_OPTIONS if yaml_key(field) in m]))
        if port == 0:
            r.report(path, check_nat_target_port(encap, port, "target-port" in m))
    length = r.checked(m, "new-flows-table-length", path, DEFAULT_TABLE_LENGTH, check_table_length)
    nat = encap in NAT_ENCAPS
    return VipAttrs(
        encap=encap or "gre4",
        dscp=dscp or 0,
        srv_type=(srv_type or "clusterip") if nat else "clusterip",
        target_port=(target_port or port or 0) if nat else 0,
        new_flows_table_length=length or DEFAULT_TABLE_LENGTH,
        src_ip_sticky=r.boolean(m, "src-ip-sticky", path, False) is True,
    )


def read_frontends(
    r: Reader, raw: Any, path: str, backends: Dict[str, Backend], defined: FrozenSet[str]
) -> Tuple[Dict[str, Frontend], List[VipInfo]]:
    frontends: Dict[str, Frontend] = {}
    vips: List[VipInfo] = []
    shared = shared_addresses(backends)
    for name, item in r.named_mapping(raw, path, "frontends").items():
        frontend, vip = _read_frontend(r, name, item, _join(path, name), backends, defined, shared)
        if frontend is not None:
            frontends[name] = frontend
        if vip is not None:
            vips.append(vip)
    return frontends, vips
