# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module arguments -> the desired LbState handed to the planner (vpp_lb_conf,
vpp_lb_frontend, vpp_lb_backend), checked by the rules of rules/*.py. Pure: no I/O and no
Ansible imports, so it is unit-tested directly.

Validation happens in two steps, both before anything is sent to VPP: ``*_request`` checks
what can be checked from the arguments alone; ``*_want`` checks what needs VPP's current
state (does the VIP exist, which encap does it use) and builds the desired state.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .lb_model import LbConf, LbState, Vip, VipAttrs, VipKey
from .module_input import ModuleInputError, fail_on_issues, quote
from .rules import frontend as vip_rules
from .rules.backend import check_backend_family
from .rules.frontend import DEFAULT_TABLE_LENGTH, NAT_ENCAPS, PROTOCOLS, VIP_FAMILY_ENCAPS
from .rules.lb_conf import check_flow_timeout, check_sticky_buckets, read_src_address
from .rules.pool import DEFAULT_WEIGHT
from .rules.pool import check_weight as weight_issues

__all__ = ["ModuleInputError"]

# The rules each VIP attribute option is checked by (rules/frontend.py), before any VPP I/O.
ATTR_RULES = {
    "dscp": vip_rules.check_dscp,
    "type": vip_rules.check_srv_type,
    "target_port": vip_rules.check_target_port,
    "new_flows_table_length": vip_rules.check_table_length,
}


def parse_vip(params: dict, *, protocol_optional: bool = False) -> Tuple[Any, Optional[int], Optional[int]]:
    """(network, protocol number or None, port or None) from vip/protocol/port.

    A bare address is a host prefix; host bits set is an error (VPP would silently mask them
    and the task would manage another VIP than the one written). With ``protocol_optional``
    (vpp_lb_backend) protocol and port may be omitted, to be looked up: then (net, None, None)."""
    text = str(params["vip"])
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        if "has host bits set" in str(exc):
            masked = ipaddress.ip_network(text, strict=False)
            raise ModuleInputError("vip: %s has host bits set; did you mean %s?" % (text, masked))
        raise ModuleInputError("vip: %s is not an IPv4/IPv6 address or prefix (e.g. 192.0.2.1/32)" % quote(text))
    protocol, port = params.get("protocol"), params.get("port")
    if port is not None:
        fail_on_issues(vip_rules.check_port(port))
    if protocol_optional and protocol is None and port is None:
        return network, None, None
    port = port or 0
    if protocol is None:
        # Unlike maglev.yaml, a task does not default a per-port VIP to tcp: it names one VIP.
        if port:
            raise ModuleInputError("protocol: a per-port VIP (port %d) needs protocol tcp or udp" % port)
        protocol = "any"
    fail_on_issues(vip_rules.check_protocol_port(protocol, port))
    return network, PROTOCOLS[protocol], port


def parse_address(value: Any, name: str) -> Any:
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        raise ModuleInputError("%s: %s is not an IPv4 or IPv6 address" % (name, quote(value)))


def check_weight(value: Any, name: str) -> int:
    """A backend's weight (rules/pool.py), named ``name`` in the message."""
    fail_on_issues(weight_issues(value, name))
    return value


def _check_family(address: Any, encap: str, where: str) -> None:
    for issue in check_backend_family(address, encap):
        raise ModuleInputError(
            "%s: address family mismatch: %s (VPP checks the backend family against the encap, not the VIP)"
            % (where, issue.message)
        )


# --- vpp_lb_conf -------------------------------------------------------------------------


def conf_request(params: Mapping[str, Any]) -> LbConf:
    """vpp_lb_conf's desired conf, by the rules of rules/lb_conf.py; None = keep."""
    addresses = []
    for family in (4, 6):
        value = params.get("ip%d_src_address" % family)
        address, issues = (None, []) if value is None else read_src_address(value, family)
        fail_on_issues(issues, "ip%d_src_address" % family)
        addresses.append(address)
    buckets, timeout = params.get("sticky_buckets_per_core"), params.get("flow_timeout")
    if buckets is not None:
        fail_on_issues(check_sticky_buckets(buckets))
    if timeout is not None:
        fail_on_issues(check_flow_timeout(timeout))
    return LbConf(addresses[0], addresses[1], buckets, timeout)


# --- vpp_lb_frontend ---------------------------------------------------------------------


@dataclass
class FrontendRequest:
    key: VipKey
    present: bool
    attrs: Dict[str, Any]  # only the attributes given
    backends: Optional[Dict[Any, int]]  # None: the AS set is not managed
    purge: bool


# The options only some encaps use, and the encaps that use them (rules/frontend.py).
ENCAP_OPTIONS = {"dscp": "l3dsr", "type": "nat4/nat6", "target_port": "nat4/nat6"}
ATTR_OPTIONS = {
    "encap": "encap",
    "dscp": "dscp",
    "type": "srv_type",
    "target_port": "target_port",
    "new_flows_table_length": "new_flows_table_length",
    "src_ip_sticky": "src_ip_sticky",
}


def frontend_request(params: dict) -> FrontendRequest:
    network, protocol, port = parse_vip(params)
    key = VipKey.make(network, protocol, port)
    present = params.get("state", "present") == "present"
    attrs = {attr: params[option] for option, attr in ATTR_OPTIONS.items() if params.get(option) is not None}
    backends = params.get("backends")
    purge = bool(params.get("purge"))
    if not present:
        given = sorted(option for option in ATTR_OPTIONS if params.get(option) is not None)
        if backends is not None or purge:
            given += ["backends"] if backends is not None else []
            given += ["purge"] if purge else []
        if given:
            raise ModuleInputError("state absent deletes the VIP: %s cannot be used with it" % ", ".join(given))
        return FrontendRequest(key, False, {}, None, False)
    if purge and backends is None:
        raise ModuleInputError("purge: true needs backends (the list of backends to keep; [] removes all)")
    encap = attrs.get("encap")
    if encap is not None and vip_rules.check_vip_encap(encap, key.family):
        raise ModuleInputError(
            "encap: %s cannot be used with the IPv%d vip %s (allowed: %s)"
            % (encap, key.family, key.prefix, ", ".join(VIP_FAMILY_ENCAPS[key.family]))
        )
    for option, rule in ATTR_RULES.items():
        if params.get(option) is not None:
            fail_on_issues(rule(params[option]))
    wanted: Optional[Dict[Any, int]] = None
    if backends is not None:
        wanted = {}
        for index, backend in enumerate(backends):
            where = "backends[%d]" % index
            address = parse_address(backend.get("address"), where + ".address")
            weight = backend.get("weight")
            weight = check_weight(DEFAULT_WEIGHT if weight is None else weight, where + ".weight")
            if address in wanted:
                raise ModuleInputError("%s.address: %s is listed twice" % (where, address))
            wanted[address] = weight
    return FrontendRequest(key, True, attrs, wanted, purge)


def frontend_want(request: FrontendRequest, current: LbState) -> Tuple[LbState, str]:
    """(desired state, planner state). Attributes not given keep the existing VIP's values
    (or VPP's defaults for a new VIP), so omitting an option never recreates a VIP."""
    key = request.key
    have = current.vips.get(key)
    if not request.present:
        return LbState(LbConf(), {key: have or Vip(key)}), "deleted"
    base = have.attrs if have is not None else VipAttrs(new_flows_table_length=DEFAULT_TABLE_LENGTH)
    merged = {name: getattr(base, name) for name in base.__dataclass_fields__}
    merged.update(request.attrs)
    encap = merged["encap"]
    given = [option for option in ENCAP_OPTIONS if ATTR_OPTIONS[option] in request.attrs]
    for issue in vip_rules.check_encap_options(encap, given):
        raise ModuleInputError(
            "%s: only applies to encap %s (this VIP's encap is %s)" % (issue.field, ENCAP_OPTIONS[issue.field], encap)
        )
    if vip_rules.check_vip_encap(encap, key.family):
        raise ModuleInputError("encap: %s cannot be used with the IPv%d vip %s" % (encap, key.family, key.prefix))
    if encap in NAT_ENCAPS and (have is None or have.attrs.encap not in NAT_ENCAPS):
        merged["target_port"] = _nat_target_port(request, key, encap)
    attrs = VipAttrs(**merged).normalised()
    ases: Dict[Any, int] = dict(request.backends or {})
    for address in ases:
        _check_family(address, encap, "backends")
    if have is not None and request.backends is not None and not request.purge and have.attrs.encap != encap:
        # merged keeps the ASes not listed; they must suit the new encap too
        for address in have.ases:
            _check_family(address, encap, "existing backend")
    state = "replaced" if request.purge else "merged"
    return LbState(LbConf(), {key: Vip(key, attrs, ases)}), state


def _nat_target_port(request: FrontendRequest, key: VipKey, encap: str) -> int:
    """The target port of a VIP that becomes NAT: as given, else the VIP's port (as in
    maglev.yaml); an all-port VIP has no port to default to, and 0 would send to port 0."""
    given = request.attrs.get("target_port")
    if not vip_rules.check_nat_target_port(encap, key.port, bool(given)):
        return given or key.port
    raise ModuleInputError(
        "target_port: required for encap %s on the all-port vip %s (the backends' port, 1..65535)" % (encap, key)
    )


# --- vpp_lb_backend ----------------------------------------------------------------------

# The choices of vpp_lb_backend's `state` option (not maglevd's health states: vpp_lb_state_input.HEALTH_STATE_NAMES).
LB_BACKEND_STATE_CHOICES = ("present", "absent", "enabled", "drained", "disabled")


@dataclass
class BackendRequest:
    network: Any
    protocol: Optional[int]
    port: Optional[int]
    address: Any
    state: str
    weight: Optional[int]
    flush: bool
    allow_empty: bool
    notes: List[str] = field(default_factory=list)


def backend_request(params: dict) -> BackendRequest:
    network, protocol, port = parse_vip(params, protocol_optional=True)
    address = parse_address(params["address"], "address")
    state = params.get("state") or "present"
    weight = params.get("weight")
    if weight is not None:
        check_weight(weight, "weight")
        if state in ("absent", "drained", "disabled"):
            raise ModuleInputError(
                "weight: cannot be used with state %s (%s)"
                % (state, "the AS is deleted" if state == "absent" else "the weight is 0")
            )
    flush = bool(params.get("flush"))
    if flush and state not in ("absent", "disabled"):
        hint = "; state disabled is weight 0 with flush" if state == "drained" else ""
        raise ModuleInputError("flush: only applies to state absent or disabled, not %s%s" % (state, hint))
    return BackendRequest(network, protocol, port, address, state, weight, flush, bool(params.get("allow_empty")))


class UnknownVip(ModuleInputError):
    """The VIP a backend task names does not exist in VPP."""


def resolve_vip(request: BackendRequest, current: LbState) -> VipKey:
    """The VIP key: as given, or the only VIP on that prefix when protocol/port are omitted."""
    if request.protocol is not None:
        key = VipKey.make(request.network, request.protocol, request.port or 0)
        if key not in current.vips:
            raise UnknownVip(
                "vip %s does not exist in VPP; create it with vpp.maglev.vpp_lb_frontend%s"
                % (key, _others(request.network, current))
            )
        return key
    candidates = sorted((key for key in current.vips if key.prefix == request.network), key=VipKey.sort_key)
    if not candidates:
        raise UnknownVip("vip %s does not exist in VPP; create it with vpp.maglev.vpp_lb_frontend" % request.network)
    if len(candidates) > 1:
        raise ModuleInputError(
            "vip %s is ambiguous: VPP has %s; give protocol and port"
            % (request.network, ", ".join(str(key) for key in candidates))
        )
    return candidates[0]


def _others(network: Any, current: LbState) -> str:
    others = [str(key) for key in sorted(current.vips, key=VipKey.sort_key) if key.prefix == network]
    return " (VPP has %s)" % ", ".join(others) if others else ""


@dataclass
class BackendWant:
    key: VipKey
    desired: LbState
    state: str  # planner state
    weight: Optional[int]  # the weight the AS ends with; None when deleted
    flush_removed: bool


def backend_want(request: BackendRequest, current: LbState) -> Optional[BackendWant]:
    """The desired state for one AS; None when there is nothing to do (absent on a VIP that
    does not exist). Refuses to stop the last serving AS of a VIP unless allow_empty."""
    try:
        key = resolve_vip(request, current)
    except UnknownVip:
        if request.state == "absent":
            return None  # the AS is certainly absent
        raise
    have = current.vips[key]
    address = request.address
    _check_family(address, have.attrs.encap, "address")
    existing = have.ases.get(address)
    if request.state == "absent":
        ases = {addr: weight for addr, weight in have.ases.items() if addr != address}
        desired = Vip(key, have.attrs, ases)
        want = BackendWant(key, LbState(LbConf(), {key: desired}), "replaced", None, request.flush)
    else:
        if request.state == "present":
            default = existing if existing is not None else DEFAULT_WEIGHT
            weight = default if request.weight is None else request.weight
        elif request.state == "enabled":
            weight = DEFAULT_WEIGHT if request.weight is None else request.weight
        else:  # drained / disabled
            weight = 0
        flush = frozenset([address]) if request.state == "disabled" else frozenset()
        ases = dict(have.ases)
        ases[address] = weight
        desired = Vip(key, have.attrs, {address: weight}, flush)
        want = BackendWant(key, LbState(LbConf(), {key: desired}), "merged", weight, False)
    if have.serving() and not any(w > 0 for w in ases.values()) and not request.allow_empty:
        verb = {"absent": "delete", "drained": "drain", "disabled": "disable"}.get(request.state, "set weight 0 on")
        raise ModuleInputError(
            "refusing to %s %s: it is the last backend with weight > 0 of vip %s, which would then drop every "
            "new flow; set allow_empty: true to do it anyway" % (verb, address, key)
        )
    return want
