# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Renderings of an LbState for people and for Ansible results.

- ``state_to_dict``: the JSON shape of ``before``/``after`` and ``vpp_lb_info``.
- ``state_to_config``: the same state as a maglev.yaml structure (``gathered``), which fed
  back into ``vpp_lb_state`` plans nothing.
- ``vip_to_text``/``conf_to_text``: the line-per-fact text that Ansible's diff shows.
- ``vip_change_line``/``with_vip_summaries``: one line per changed VIP (what changed, the
  share of new-flow buckets that move) under its diff block, so ``--check --diff`` shows it
  on the console without a callback plugin (docs/state-module.md).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from .lb_model import PROTOCOL_NAMES, LbConf, LbState, Vip, VipKey, ip_sort_key


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


def _count(number: int, noun: str) -> str:
    return "%d %s%s" % (number, noun, "" if number == 1 else "es")


def _as_changes(before: Vip, after: Vip) -> str:
    """'3 ASes changed (1 added, 2 reweighted)', or '' when no AS changed."""
    old, new = before.ases, after.ases
    counts = (
        ("added", sum(1 for addr in new if addr not in old)),
        ("removed", sum(1 for addr in old if addr not in new)),
        ("reweighted", sum(1 for addr, weight in new.items() if addr in old and old[addr] != weight)),
    )
    total = sum(number for _name, number in counts)
    if not total:
        return ""
    return "%s changed (%s)" % (_count(total, "AS"), ", ".join("%d %s" % (n, name) for name, n in counts if n))


def vip_change_line(
    key: VipKey,
    before: Optional[Vip],
    after: Optional[Vip],
    recreated: Sequence[str] = (),
    figures: Optional[Mapping[str, Any]] = None,
) -> str:
    """One line for one changed VIP: ``<vip>: <what changed>, <share> of new-flow buckets move``.

    ``figures`` is the VIP's entry of the ``disruption`` result (disruption.py); without it
    (estimate_disruption false) the share is left out rather than guessed."""
    share = None if figures is None else "%.1f%%" % (100 * float(figures["moved_share"]))
    if before is None and after is not None:
        return "%s: new VIP with %s, no existing flow moves" % (key, _count(len(after.ases), "AS"))
    if after is None and before is not None:
        what = "VIP removed with its %s" % _count(len(before.ases), "AS")
        return "%s: %s%s" % (key, what, "" if share is None else ", %s of new-flow buckets drop" % share)
    if before is None or after is None:
        return "%s: unchanged" % key
    parts = ["recreated (%s)" % ", ".join(recreated)] if recreated else []
    parts.append(_as_changes(before, after) or ("flush only" if not recreated else ""))
    what = ", ".join(part for part in parts if part)
    return "%s: %s%s" % (key, what, "" if share is None else ", %s of new-flow buckets move" % share)


def with_vip_summaries(blocks: List[dict], the_plan: Any, disruption: Optional[Mapping[str, Any]]) -> List[dict]:
    """Ansible's diff list with each VIP block's one-line summary as its ``prepared`` text.

    ``the_plan`` is a planner.Plan (before, after, recreated, changed_vips()); its VIP blocks
    follow the optional lb conf block in changed_vips() order (Plan.diff). Ansible's default
    callback prints ``prepared`` right after the block's diff (docs/state-module.md)."""
    vip_blocks = [block for block in blocks if block.get("before_header") != "lb conf"]
    keys = list(the_plan.changed_vips())
    if len(vip_blocks) != len(keys):  # not a diff of this plan: leave it as it is
        return blocks
    for block, key in zip(vip_blocks, keys):
        figures = None if disruption is None else disruption.get(str(key))
        line = vip_change_line(
            key,
            the_plan.before.vips.get(key),
            the_plan.after.vips.get(key),
            the_plan.recreated.get(key, ()),
            figures,
        )
        block["prepared"] = line + "\n"
    return blocks
