# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter vpp.maglev.drift_report: a drift check's result as a short table and the advice that
fits the host (module_utils/drift_report.py; docs/drift.md)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from ansible.errors import AnsibleFilterError
from ansible_collections.vpp.maglev.plugins.module_utils.drift_report import drift_report as build


def drift_report(
    result: Any,
    host: str,
    maglevd: bool = False,
    args: Optional[Mapping[str, Any]] = None,
    inventory: Optional[str] = None,
) -> str:
    if not isinstance(result, Mapping):
        raise AnsibleFilterError(
            "drift_report: expected a vpp_lb_state result (a dict), got %s" % type(result).__name__
        )
    return build(result, str(host), bool(maglevd), dict(args or {}), inventory)


class FilterModule:
    def filters(self) -> Dict[str, Any]:
        return {"drift_report": drift_report}
