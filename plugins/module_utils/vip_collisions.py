# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VPP's one rule between VIPs: an all-port VIP and a per-port VIP cannot share a prefix
(VPP answers -81, docs/vpp-lb-reference.md).

``collides`` states the rule for two VIPs; ``CollisionIndex`` finds the VIPs a new one
collides with by looking up its prefix, instead of comparing it with every VIP: a plan that
builds 1,000 VIPs from empty (a cold converge, maglevd's restore after a VPP restart) made
499,500 comparisons (docs/performance.md). Pure; no I/O.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Tuple

from .lb_model import VipKey


def collides(old: VipKey, new: VipKey) -> bool:
    """VPP refuses an all-port and a per-port VIP on one prefix (-81)."""
    return old.prefix == new.prefix and (old.port == 0) != (new.port == 0)


def _slot(key: VipKey, all_ports: bool) -> Tuple[int, int, int, bool]:
    """(family, network, prefix length, all-port?): sort_key's head, which is the prefix."""
    version, network, length = key.sort_key()[:3]
    return version, network, length, all_ports


class CollisionIndex:
    """A set of VIPs grouped by prefix and kind (all-port or per-port), in the order added."""

    def __init__(self, keys: Iterable[VipKey] = ()) -> None:
        self.slots: Dict[Tuple[int, int, int, bool], Dict[VipKey, None]] = {}
        for key in keys:
            self.add(key)

    def add(self, key: VipKey) -> None:
        self.slots.setdefault(_slot(key, key.port == 0), {})[key] = None

    def remove(self, key: VipKey) -> None:
        self.slots.get(_slot(key, key.port == 0), {}).pop(key, None)

    def colliding(self, new: VipKey) -> List[VipKey]:
        """The VIPs held that ``new`` collides with, in the order they were added."""
        return list(self.slots.get(_slot(new, new.port != 0), ()))
