# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner: (current, desired, state) -> an ordered Plan of VPP lb API operations.

Pure and deterministic. The order of a plan is its safety argument (after vppcfg's
prune/create/sync phases, reordered so traffic keeps flowing):

1. ``lb_conf`` when the global settings differ.
2. Deletes that must come first: a VIP whose create-time attributes changed is deleted and
   re-added (VPP cannot modify them), and a stale VIP that would collide with a new one on
   the same prefix (per-port vs all-port) is removed before the new one is added.
3. Per VIP, in numeric order (IPv4 before IPv6): create, then add ASes, then raise weights,
   then lower weights, then delete ASes - so a VIP never passes through "no AS serving".
4. Stale VIPs (``overridden``/``deleted``) last.

Within a VIP, ASes go in numeric IP order: two load balancers given the same config send the
same calls in the same order. Nothing is emitted for what already matches, so planning
again after applying a plan yields an empty plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from .lb_model import (
    ENCAPS,
    SRV_TYPES,
    VPP_DEFAULT_CONF,
    IPAddress,
    LbConf,
    LbState,
    Vip,
    VipAttrs,
    VipKey,
    ip_sort_key,
)
from .views import conf_to_text, vip_to_text
from .vip_collisions import CollisionIndex

STATES = ("merged", "replaced", "overridden", "deleted")
# lb_conf fields that keep VPP's current value when sent as ~0.
KEEP = 0xFFFFFFFF


def message_names(ops: Iterable[Any]) -> List[str]:
    """The API message of each op. A planner op's message depends on its kind only, so each
    kind's call is built once (building all 11,001 calls of a full restore again cost ~55 ms,
    and ~30 ms of VPP waiting before the first request: docs/performance.md); any other object
    has its own call built."""
    by_kind: Dict[Any, str] = {}
    names = []
    for op in ops:
        key = op.kind if isinstance(op, Op) else id(op)
        name = by_kind.get(key)
        if name is None:
            name = by_kind[key] = op.api_call()[0]
        names.append(name)
    return names


class PlanError(ValueError):
    """The request cannot be planned safely (e.g. it would leave a VIP with nothing serving)."""


@dataclass(frozen=True)
class Op:
    """One VPP lb API call."""

    kind: str  # conf, vip_add, vip_del, vip_flush, as_add, as_del, as_weight
    vip: Optional[VipKey] = None
    address: Optional[IPAddress] = None
    weight: int = 0
    flush: bool = False
    attrs: Optional[VipAttrs] = None
    conf: Optional[LbConf] = None
    reason: str = ""

    def _vip_args(self) -> dict:
        vip = self.vip
        return {"pfx": str(vip.prefix), "protocol": vip.protocol, "port": vip.port}

    def api_call(self) -> Tuple[str, dict]:
        """(message name, arguments) for ``getattr(vpp.api, name)(**arguments)``."""
        kind = self.kind
        if kind == "as_weight":
            args = self._vip_args()
            args.update(as_address=str(self.address), weight=self.weight, is_flush=self.flush)
            return "lb_as_set_weight", args
        if kind in ("as_add", "as_del"):
            args = self._vip_args()
            deleting = kind == "as_del"
            args.update(
                as_address=str(self.address),
                weight=0 if deleting else self.weight,
                is_del=deleting,
                is_flush=self.flush and deleting,
            )
            return "lb_add_del_as_v2", args
        if kind in ("vip_add", "vip_del"):
            attrs = self.attrs
            args = self._vip_args()
            args.update(
                encap=ENCAPS.index(attrs.encap),
                dscp=attrs.dscp,
                type=SRV_TYPES.index(attrs.srv_type),
                target_port=attrs.target_port,
                node_port=0,
                new_flows_table_length=attrs.new_flows_table_length,  # never 0: VPP would crash
                src_ip_sticky=attrs.src_ip_sticky,
                is_del=kind == "vip_del",
            )
            return "lb_add_del_vip_v2", args
        if kind == "vip_flush":
            return "lb_flush_vip", self._vip_args()
        if kind == "conf":
            conf = self.conf
            # lb_conf always overwrites both addresses, so both are always sent.
            return "lb_conf", {
                "ip4_src_address": str(conf.ip4_src_address or VPP_DEFAULT_CONF.ip4_src_address),
                "ip6_src_address": str(conf.ip6_src_address or VPP_DEFAULT_CONF.ip6_src_address),
                "sticky_buckets_per_core": KEEP
                if conf.sticky_buckets_per_core is None
                else conf.sticky_buckets_per_core,
                "flow_timeout": KEEP if conf.flow_timeout is None else conf.flow_timeout,
            }
        raise ValueError("unknown op kind %r" % kind)

    def cli(self) -> str:
        """The same operation as a vppctl line (for review, `rendered`, and startup.conf exec files)."""
        kind = self.kind
        if kind == "conf":
            conf = self.conf
            parts = ["lb conf"]
            if conf.ip4_src_address is not None:
                parts.append("ip4-src-address %s" % conf.ip4_src_address)
            if conf.ip6_src_address is not None:
                parts.append("ip6-src-address %s" % conf.ip6_src_address)
            if conf.sticky_buckets_per_core is not None:
                parts.append("buckets %d" % conf.sticky_buckets_per_core)
            if conf.flow_timeout is not None:
                parts.append("timeout %d" % conf.flow_timeout)
            return " ".join(parts)
        vip = self.vip
        where = (
            str(vip.prefix) if vip.port == 0 else "%s protocol %s port %d" % (vip.prefix, vip.protocol_name, vip.port)
        )
        flush = " flush" if self.flush else ""
        if kind == "vip_add":
            attrs = self.attrs
            line = "lb vip %s encap %s" % (where, attrs.encap)
            if attrs.encap == "l3dsr":
                line += " dscp %d" % attrs.dscp
            if attrs.encap in ("nat4", "nat6"):
                line += " type %s target_port %d" % (attrs.srv_type, attrs.target_port)
            line += " new_len %d" % attrs.new_flows_table_length
            return line + (" src_ip_sticky" if attrs.src_ip_sticky else "")
        if kind == "vip_del":
            return "lb vip %s del" % where
        if kind == "vip_flush":
            return "lb flush vip %s" % where
        if kind == "as_add":
            return "lb as %s %s weight %d" % (where, self.address, self.weight)
        if kind == "as_del":
            return "lb as %s %s del%s" % (where, self.address, flush)
        if kind == "as_weight":
            return "lb as %s %s weight %d%s" % (where, self.address, self.weight, flush)
        raise ValueError("unknown op kind %r" % kind)

    def __str__(self) -> str:
        text = self.cli()
        return "%s (%s)" % (text, self.reason) if self.reason else text


@dataclass
class Plan:
    ops: List[Op]
    before: LbState
    after: LbState
    recreated: Dict[VipKey, List[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.ops)

    def changed_vips(self) -> List[VipKey]:
        keys = {op.vip for op in self.ops if op.vip is not None}
        return sorted(keys, key=VipKey.sort_key)

    def commands(self) -> List[str]:
        return [op.cli() for op in self.ops]

    def api_calls(self) -> List[dict]:
        calls = []
        for op in self.ops:
            name, args = op.api_call()
            calls.append({"msg": name, "args": args})
        return calls

    def diff(self) -> List[dict]:
        """Ansible's diff list: one block per changed VIP (and one for the global conf)."""
        blocks = []
        if any(op.kind == "conf" for op in self.ops):
            blocks.append(
                {
                    "before_header": "lb conf",
                    "after_header": "lb conf",
                    "before": conf_to_text(self.before.conf),
                    "after": conf_to_text(self.after.conf),
                }
            )
        for key in self.changed_vips():
            header = "vip %s" % key
            if key in self.recreated:
                header += " (recreated: %s)" % ", ".join(self.recreated[key])
            blocks.append(
                {
                    "before_header": header,
                    "after_header": header,
                    "before": vip_to_text(self.before.vips.get(key)),
                    "after": vip_to_text(self.after.vips.get(key)),
                }
            )
        return blocks

    def summary(self) -> dict:
        counts = dict.fromkeys(
            (
                "vips_added",
                "vips_removed",
                "vips_recreated",
                "ases_added",
                "ases_removed",
                "ases_reweighted",
                "flushes",
            ),
            0,
        )
        for op in self.ops:
            if op.kind == "vip_add" and op.vip not in self.recreated:
                counts["vips_added"] += 1
            elif op.kind == "vip_del" and op.vip not in self.recreated:
                counts["vips_removed"] += 1
            elif op.kind == "as_add":
                counts["ases_added"] += 1
            elif op.kind == "as_del":
                counts["ases_removed"] += 1
            elif op.kind == "as_weight":
                counts["ases_reweighted"] += 1
            if op.flush or op.kind == "vip_flush":
                counts["flushes"] += 1
        counts["vips_recreated"] = len(self.recreated)
        counts["conf_changed"] = any(op.kind == "conf" for op in self.ops)
        counts["api_calls"] = len(self.ops)
        return counts


def _sorted_addresses(addresses: Iterable[IPAddress]) -> List[IPAddress]:
    return sorted(addresses, key=ip_sort_key)


def _vip_ops(
    have: Optional[Vip],
    want: Vip,
    prune: bool,
    force_flush: Set[Tuple[VipKey, IPAddress]],
    flush_removed: bool,
) -> Tuple[List[Op], List[Op], List[str]]:
    """(early ops, ops, recreate reasons) that turn ``have`` into ``want`` for one VIP."""
    key = want.key
    if have is None:
        ops = [Op("vip_add", key, attrs=want.attrs)]
        ops += [Op("as_add", key, addr, want.ases[addr]) for addr in _sorted_addresses(want.ases)]
        return [], ops, []

    if have.attrs != want.attrs:
        reasons = have.attrs.differences(want.attrs)
        reason = "recreate: %s changed" % ", ".join(reasons)
        early = []
        if flush_removed or "src_ip_sticky" in reasons:
            early.append(Op("vip_flush", key, attrs=have.attrs, reason=reason))
        early.append(Op("vip_del", key, attrs=have.attrs, reason=reason))
        ases = dict(want.ases)
        if not prune:  # merged keeps the ASes it does not know about
            for addr, weight in have.ases.items():
                ases.setdefault(addr, weight)
        early.append(Op("vip_add", key, attrs=want.attrs, reason=reason))
        early += [Op("as_add", key, addr, ases[addr], reason=reason) for addr in _sorted_addresses(ases)]
        return early, [], reasons

    adds, raises, lowers, deletes = [], [], [], []
    have_ases, want_ases = have.ases, want.ases
    if have_ases != want_ases or force_flush:
        for addr in _sorted_addresses(want_ases):
            weight = want_ases[addr]
            current = have_ases.get(addr)
            if current is None:
                adds.append(Op("as_add", key, addr, weight))
            elif current != weight:
                flush = weight == 0 and addr in want.flush
                (lowers if weight < current else raises).append(Op("as_weight", key, addr, weight, flush))
            elif weight == 0 and (key, addr) in force_flush:
                lowers.append(Op("as_weight", key, addr, 0, True, reason="flush"))
        if prune:
            gone = [addr for addr in have_ases if addr not in want_ases]
            deletes = [Op("as_del", key, addr, flush=flush_removed) for addr in _sorted_addresses(gone)]
    return [], adds + raises + lowers + deletes, []


def _merged_matches(have: Dict[IPAddress, int], want: Dict[IPAddress, int]) -> bool:
    """merged: every wanted AS is there with its weight (extra ASes are left alone)."""
    return all(have.get(addr) == weight for addr, weight in want.items())


def _delete_vip_ops(vip: Vip, flush: bool, reason: str) -> List[Op]:
    ops = [Op("vip_flush", vip.key, attrs=vip.attrs, reason=reason)] if flush else []
    return ops + [Op("vip_del", vip.key, attrs=vip.attrs, reason=reason)]


def plan(
    current: LbState,
    desired: LbState,
    state: str = "merged",
    *,
    protected: Iterable[VipKey] = (),
    force_flush: Iterable[Tuple[VipKey, IPAddress]] = (),
    flush_removed: bool = False,
    allow_empty: bool = False,
) -> Plan:
    if state not in STATES:
        raise PlanError("state must be one of %s, got %r" % (", ".join(STATES), state))
    recreated: Dict[VipKey, List[str]] = {}
    if state == "deleted":
        ops = _deleted_ops(current, desired, set(protected), flush_removed)
    else:
        ops, recreated = _converge_ops(current, desired, state, set(protected), set(force_flush), flush_removed)
    after = apply_ops(current, ops) if ops else current
    result = Plan(ops, current, after, recreated)
    if not allow_empty:
        _guard_empty(result)
    return result


def _deleted_ops(current: LbState, desired: LbState, protected: Set[VipKey], flush_removed: bool) -> List[Op]:
    """state deleted: the desired VIPs, or every unprotected VIP when none is named."""
    targets = desired.vips if desired.vips else [key for key in current.vips if key not in protected]
    ops: List[Op] = []
    for key in sorted(targets, key=VipKey.sort_key):
        if key in current.vips:
            ops += _delete_vip_ops(current.vips[key], flush_removed, "deleted")
    return ops


def _converge_ops(
    current: LbState,
    desired: LbState,
    state: str,
    protected: Set[VipKey],
    force_flush: Set[Tuple[VipKey, IPAddress]],
    flush_removed: bool,
) -> Tuple[List[Op], Dict[VipKey, List[str]]]:
    """merged/replaced/overridden: the ops in the order VPP needs - conf, then the deletes
    that must come first (recreated VIPs, colliding stale ones), then the VIPs' changes, then
    the other deletes - and each recreated VIP's reasons."""
    conf_ops: List[Op] = []
    if not desired.conf.is_empty():
        want_conf = desired.conf.merged_over(current.conf)
        if want_conf != current.conf:
            conf_ops.append(Op("conf", conf=want_conf))
    prune = state in ("replaced", "overridden")
    differing, new_keys = _differing(current, desired, prune, force_flush)
    early: List[Op] = []
    body: List[Op] = []
    recreated: Dict[VipKey, List[str]] = {}
    for key in sorted(differing, key=VipKey.sort_key):
        vip_early, ops, reasons = _vip_ops(current.vips.get(key), desired.vips[key], prune, force_flush, flush_removed)
        early += vip_early
        body += ops
        if reasons:
            recreated[key] = reasons
    late: List[Op] = []
    if state == "overridden":
        stale = [key for key in current.vips if key not in desired.vips and key not in protected]
        new_index = CollisionIndex(new_keys)
        for key in sorted(stale, key=VipKey.sort_key):
            ops = _delete_vip_ops(current.vips[key], flush_removed, "not in the desired state")
            if new_index.colliding(key):
                early += ops
            else:
                late += ops
    _guard_collisions(current, new_keys, {op.vip for op in early if op.kind == "vip_del"})
    return conf_ops + early + body + late, recreated


def _differing(
    current: LbState, desired: LbState, prune: bool, force_flush: Set[Tuple[VipKey, IPAddress]]
) -> Tuple[List[VipKey], List[VipKey]]:
    """(desired VIPs that need ops, the new ones among them). Fast path: most VIPs match, and
    sorting only the rest keeps a no-op run cheap."""
    current_vips = current.vips
    new_keys: List[VipKey] = []
    differing: List[VipKey] = []
    for key, want in desired.vips.items():
        have = current_vips.get(key)
        if have is None:
            new_keys.append(key)
        elif (
            have.attrs == want.attrs
            and not force_flush
            and (have.ases == want.ases or (not prune and _merged_matches(have.ases, want.ases)))
        ):
            continue
        differing.append(key)
    return differing, new_keys


def _guard_collisions(current: LbState, new_keys: List[VipKey], deleted_first: Set[VipKey]) -> None:
    if not new_keys:
        return
    index = CollisionIndex(current.vips)
    for new in new_keys:
        for old in index.colliding(new):
            if old not in deleted_first:
                raise PlanError(
                    "vip %s cannot be added while vip %s exists: VPP refuses an all-port and a per-port VIP "
                    "on the same prefix; delete it first (or use state overridden)" % (new, old)
                )


def _guard_empty(result: Plan) -> None:
    """Refuse a plan that stops a VIP from serving new flows (it would black-hole them)."""
    for key in result.changed_vips():
        after = result.after.vips.get(key)
        if after is None or after.serving():
            continue
        before = result.before.vips.get(key)
        if after.ases or (before is not None and before.serving()):
            raise PlanError(
                "vip %s would be left with no backend of weight > 0, so VPP would drop its new flows; "
                "set allow_empty: true if that is intended" % key
            )


def apply_ops(state: LbState, ops: Iterable[Op]) -> LbState:
    """Apply ops to a copy of ``state`` in memory, failing as VPP would on an impossible op."""
    result = LbState(state.conf, dict(state.vips))
    copied: Set[VipKey] = set()
    index = CollisionIndex(result.vips)

    def vip_for(key: VipKey) -> Vip:
        vip = result.vips.get(key)
        if vip is None:
            raise PlanError("no such vip %s (VPP: -6 NO_SUCH_ENTRY)" % key)
        if key not in copied:
            vip = result.vips[key] = vip.copy()
            copied.add(key)
        return vip

    for op in ops:
        kind = op.kind
        if kind == "conf":
            result.conf = op.conf.merged_over(result.conf)
        elif kind == "vip_add":
            if op.vip in result.vips or index.colliding(op.vip):
                raise PlanError("vip %s exists or collides (VPP: -81 VALUE_EXIST)" % op.vip)
            result.vips[op.vip] = Vip(op.vip, op.attrs)
            index.add(op.vip)
            copied.add(op.vip)
        elif kind == "vip_del":
            vip_for(op.vip)
            del result.vips[op.vip]
            index.remove(op.vip)
        elif kind == "vip_flush":
            pass  # evicts established flows; configuration is unchanged
        else:
            vip = vip_for(op.vip)
            if kind == "as_add":
                if op.address in vip.ases:
                    raise PlanError("as %s exists in vip %s (VPP: -81 VALUE_EXIST)" % (op.address, op.vip))
                vip.ases[op.address] = op.weight
            elif op.address not in vip.ases:
                raise PlanError("no as %s in vip %s (VPP: -6 NO_SUCH_ENTRY)" % (op.address, op.vip))
            elif kind == "as_del":
                del vip.ases[op.address]
            elif kind == "as_weight":
                vip.ases[op.address] = op.weight
            else:
                raise ValueError("unknown op kind %r" % kind)
    return result
