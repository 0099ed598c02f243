"""The daemon's overall state (pure): ``ok`` unless a component says it is degraded.

Each component with a ``health()`` method reports ``{"state": "ok"|"degraded", "reason": ...}``
(the VPP side: vpp/health.py). ``/v1/status`` carries the verdict as ``state`` and the
reasons, one per degraded component, as ``degraded``.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping


def daemon_state(health: Mapping[str, Mapping[str, Any]]) -> Dict[str, Any]:
    """{"state": "ok"|"degraded", "degraded": {component: reason}} from the components' health."""
    degraded = {
        name: str(report.get("reason") or "degraded")
        for name, report in sorted(health.items())
        if report.get("state") != "ok"
    }
    return {"state": "degraded" if degraded else "ok", "degraded": degraded}
