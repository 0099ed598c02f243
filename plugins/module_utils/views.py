# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Renderings of an LbState for people and for Ansible results.

- ``state_to_dict``: the JSON shape of ``before``/``after`` and ``vpp_lb_info``.
- ``state_to_config``: the same state as a maglev.yaml structure (``gathered``), which fed
  back into ``vpp_lb_state`` plans nothing.
- ``vip_to_text``/``conf_to_text``: the line-per-fact text that Ansible's diff shows.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from .lb_model import PROTOCOL_NAMES, LbConf, LbState, Vip, ip_sort_key


def _opt_str(value) -> Optional[str]:
    return None if value is None else str(value)


def conf_to_dict(conf: LbConf) -> dict:
    return {
        "ip4_src_address": _opt_str(conf.ip4_src_address),
        "ip6_src_address": _opt_str(conf.ip6_src_address),
        "sticky_buckets_per_core": conf.sticky_buckets_per_core,
        "flow_timeout": conf.flow_timeout,
    }


def vip_to_dict(vip: Vip) -> dict:
    key, attrs = vip.key, vip.attrs
    return {
        "vip": str(key.prefix),
        "protocol": PROTOCOL_NAMES.get(key.protocol, str(key.protocol)),
        "port": key.port,
        "encap": attrs.encap,
        "dscp": attrs.dscp,
        "type": attrs.srv_type,
        "target_port": attrs.target_port,
        "new_flows_table_length": attrs.new_flows_table_length,
        "src_ip_sticky": attrs.src_ip_sticky,
        "backends": [{"address": str(addr), "weight": vip.ases[addr]} for addr in sorted(vip.ases, key=ip_sort_key)],
    }


def state_to_dict(state: LbState) -> dict:
    return {
        "conf": conf_to_dict(state.conf),
        "vips": [vip_to_dict(state.vips[key]) for key in state.sorted_keys()],
    }


def conf_to_text(conf: LbConf) -> str:
    return "".join("%s: %s\n" % (name, value) for name, value in conf_to_dict(conf).items() if value is not None)


def vip_to_text(vip: Optional[Vip]) -> str:
    """One fact per line, so a diff shows exactly which attribute or backend changed."""
    if vip is None:
        return ""
    data = vip_to_dict(vip)
    backends = data.pop("backends")
    lines = [
        "%s: %s" % (name, str(value).lower() if isinstance(value, bool) else value) for name, value in data.items()
    ]
    lines.append("backends:" if backends else "backends: []")
    lines += ["  %s: weight %d" % (backend["address"], backend["weight"]) for backend in backends]
    return "\n".join(lines) + "\n"


def frontend_name(vip: Vip) -> str:
    """A stable, readable frontend name for a VIP read from VPP."""
    key = vip.key
    address = str(key.prefix.network_address).replace(":", "-")
    name = "vip-%s-%d" % (address, key.prefix.prefixlen)
    return name if key.port == 0 else "%s-%s-%d" % (name, key.protocol_name, key.port)


def state_to_config(state: LbState) -> dict:
    """The state as maglev.yaml (backends named by address, one pool per VIP)."""
    lb: Dict[str, object] = {}
    conf = state.conf
    if conf.ip4_src_address is not None:
        lb["ipv4-src-address"] = str(conf.ip4_src_address)
    if conf.ip6_src_address is not None:
        lb["ipv6-src-address"] = str(conf.ip6_src_address)
    if conf.sticky_buckets_per_core is not None:
        lb["sticky-buckets-per-core"] = conf.sticky_buckets_per_core
    if conf.flow_timeout is not None:
        lb["flow-timeout"] = "%ds" % conf.flow_timeout
    backends: Dict[str, dict] = {}
    frontends: Dict[str, dict] = {}
    for key in state.sorted_keys():
        vip = state.vips[key]
        attrs = vip.attrs
        frontend: Dict[str, object] = {"address": str(key.prefix), "protocol": key.protocol_name, "port": key.port}
        frontend["encap"] = attrs.encap
        if attrs.encap == "l3dsr":
            frontend["dscp"] = attrs.dscp
        if attrs.encap in ("nat4", "nat6"):
            frontend["type"] = attrs.srv_type
            frontend["target-port"] = attrs.target_port
        frontend["new-flows-table-length"] = attrs.new_flows_table_length
        frontend["src-ip-sticky"] = attrs.src_ip_sticky
        members: Dict[str, dict] = {}
        for addr in sorted(vip.ases, key=ip_sort_key):
            name = str(addr)
            backends.setdefault(name, {"address": name})
            members[name] = {"weight": vip.ases[addr]}
        pools: List[dict] = [{"name": "primary", "backends": members}] if members else []
        frontend["pools"] = pools
        frontends[frontend_name(vip)] = frontend
    return {"maglev": {"vpp": {"lb": lb}, "backends": backends, "frontends": frontends}}
