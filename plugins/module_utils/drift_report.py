# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The text a failed drift check prints (docs/drift.md): one row per VIP that differs (what
VPP has against what the config wants, and the share of new-flow buckets a repair moves),
then the advice that fits the host.

Pure: it reads a `vpp_lb_state` check-mode result (`diff`, `before`, `after`, `disruption`,
`commands`). With maglevd the daemon owns the weights and repairs drift itself at every full
sync, so a converge run from Ansible is not the advice there: it would fight the daemon.
"""

from __future__ import annotations

import shlex
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

# The VIP fields that are not its ASes, in the order `show lb vips` prints them.
VIP_FIELDS = ("encap", "dscp", "type", "target_port", "new_flows_table_length", "src_ip_sticky")
HEADER = ("VIP", "WHAT DIFFERS (VPP has, the config wants)", "BUCKETS MOVED")


def _key(vip: Mapping[str, Any]) -> str:
    """The module's VIP key: `192.0.2.10/32 tcp:80` or `192.0.2.20/32 all-ports`."""
    if vip.get("protocol") in (None, "any") and not vip.get("port"):
        return f"{vip['vip']} all-ports"
    return f"{vip['vip']} {vip['protocol']}:{vip['port']}"


def _vips(state: Optional[Mapping[str, Any]]) -> Dict[str, Mapping[str, Any]]:
    return {_key(vip): vip for vip in (state or {}).get("vips", [])}


def vip_differences(have: Optional[Mapping[str, Any]], want: Optional[Mapping[str, Any]]) -> List[str]:
    """What differs on one VIP, shortest first: `10.0.0.2 weight 100, want 50`, `10.1.0.2 missing`."""
    if have is None:
        return ["VIP missing in VPP"]
    if want is None:
        return ["VIP not in the config"]
    found = [
        f"{name} {have.get(name)}, want {want.get(name)}" for name in VIP_FIELDS if have.get(name) != want.get(name)
    ]
    had = {member["address"]: member["weight"] for member in have.get("backends", [])}
    wanted = {member["address"]: member["weight"] for member in want.get("backends", [])}
    for address, weight in wanted.items():
        if address not in had:
            found.append(f"{address} missing")
        elif had[address] != weight:
            found.append(f"{address} weight {had[address]}, want {weight}")
    found.extend(f"{address} extra" for address in had if address not in wanted)
    return found or ["flush pending"]


def _moved(figures: Optional[Mapping[str, Any]]) -> str:
    if not figures or figures.get("change") == "added":
        return "-"
    return f"{figures['moved_buckets']}/{figures['table_length']} ({figures['moved_share'] * 100:.1f}%)"


def drift_rows(result: Mapping[str, Any]) -> List[Tuple[str, str, str]]:
    """(VIP, what differs, buckets moved) per diff block, in the diff's order; `lb conf` too."""
    before, after = _vips(result.get("before")), _vips(result.get("after"))
    disruption = result.get("disruption") or {}
    rows = []
    for block in result.get("diff") or []:
        header = str(block.get("before_header") or block.get("after_header") or "")
        if not header.startswith("vip "):
            rows.append((header or "lb conf", _conf_differences(result), "-"))
            continue
        key = header[len("vip ") :]
        rows.append((key, "; ".join(vip_differences(before.get(key), after.get(key))), _moved(disruption.get(key))))
    return rows


def _conf_differences(result: Mapping[str, Any]) -> str:
    have = (result.get("before") or {}).get("conf") or {}
    want = (result.get("after") or {}).get("conf") or {}
    found = [f"{name} {have.get(name)}, want {want[name]}" for name in want if have.get(name) != want[name]]
    return "; ".join(found) or "differs"


def table(rows: Sequence[Sequence[str]]) -> List[str]:
    """Left-aligned columns two spaces apart, with the header."""
    cells = [HEADER, *rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]


def converge_command(host: str, inventory: Optional[str], args: Mapping[str, Any]) -> str:
    """The ad-hoc command that runs the same `vpp_lb_state` task for real, on this host only."""
    words = []
    for name, value in args.items():
        if value in (None, "", []):
            continue
        text = ",".join(str(item) for item in value) if isinstance(value, (list, tuple)) else str(value)
        words.append(f"{name}={shlex.quote(text)}")
    module_args = shlex.quote(" ".join(words))
    return f"ansible {shlex.quote(host)} -i {shlex.quote(inventory or 'INVENTORY')} -m vpp.maglev.vpp_lb_state -a {module_args}"


def advice(host: str, with_maglevd: bool, converge: str) -> List[str]:
    """What to do about it on this host (docs/drift.md, "Repairing drift")."""
    if with_maglevd:
        return [
            f"maglevd on {host} owns these weights and repairs VPP at its next full sync",
            "(every vpp.lb sync-interval, 30s by default). If the drift stays, ask it why on the host:",
            "  maglevc show vpp info      (state, last error, last sync)",
            "  maglevc sync vpp lb state  (sync now)",
        ]
    return ["To converge it (no maglevd on this host, Ansible programs VPP):", f"  {converge}"]


def drift_report(
    result: Mapping[str, Any],
    host: str,
    with_maglevd: bool = False,
    args: Optional[Mapping[str, Any]] = None,
    inventory: Optional[str] = None,
) -> str:
    """The whole message: a headline, the table, the advice (`args`: the check's module
    arguments, for the converge command)."""
    converge = converge_command(host, inventory, args or {})
    rows = drift_rows(result)
    calls = len(result.get("commands") or [])
    vips = sum(1 for row in rows if row[0] != "lb conf")
    headline = f"drift on {host}: {vips} VIP{' differs' if vips == 1 else 's differ'}"
    headline += f" ({calls} command{'' if calls == 1 else 's'} to converge)"
    return "\n".join([headline, *table(rows), *advice(host, with_maglevd, converge)])
