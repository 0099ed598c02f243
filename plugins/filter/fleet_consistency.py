# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter vpp.maglev.fleet_consistency: whether the LBs of a fleet program the same Maglev
tables, and the share of new flows an ECMP rehash breaks where they do not
(module_utils/fleet_consistency.py; docs/fleet.md)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from ansible.errors import AnsibleFilterError
from ansible_collections.vpp.maglev.plugins.module_utils.fleet_consistency import FleetInputError
from ansible_collections.vpp.maglev.plugins.module_utils.fleet_consistency import fleet_consistency as build


def fleet_consistency(lbs: Any, max_share: Any = 0.0, health: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    if isinstance(max_share, str):
        # Inventory and extra vars arrive as text (-e fleet_max_share=0.05).
        try:
            max_share = float(max_share)
        except ValueError:
            raise AnsibleFilterError("fleet_consistency: max_share must be a number from 0 to 1, got %r" % max_share)
    try:
        return build(lbs, max_share, health)
    except FleetInputError as exc:
        raise AnsibleFilterError("fleet_consistency: %s" % exc)


class FilterModule:
    def filters(self) -> Dict[str, Any]:
        return {"fleet_consistency": fleet_consistency}
