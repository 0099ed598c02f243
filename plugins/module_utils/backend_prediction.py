# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the maglev_backend module does, worked out from maglevd's report before anything is
sent: each backend's state after the operator action (the one table maglevd applies,
operator_actions.py), the runtime weights, the frontends' effective weights before and after
(the truth table, weights.py), and the requests to send. Check mode returns this prediction;
a real run sends exactly its requests. Pure: no I/O (docs/state-machine.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils import weights
from ansible_collections.vpp.maglev.plugins.module_utils.common import ModuleFailure
from ansible_collections.vpp.maglev.plugins.module_utils.operator_actions import (
    BY_MODULE_STATE,
    ActionRefused,
    OperatorAction,
)
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState


@dataclass
class Prediction:
    """What the task does, worked out from maglevd's report before anything is sent; check
    mode returns it, a real run sends exactly its actions in its order."""

    before: Dict[str, str]  # every backend's state, as maglevd reports it
    after: Dict[str, str]
    acted: List[str] = field(default_factory=list)  # the backends the operator action changes
    overrides: Dict[Tuple[str, str], int] = field(default_factory=dict)  # (pool, backend) -> new weight
    actions: List[str] = field(default_factory=list)  # the requests, as the result lists them


def effective(
    frontend: Dict[str, Any], states: Dict[str, str], overrides: Dict[Tuple[str, str], int]
) -> Dict[str, int]:
    """{"pool/backend": effective weight} of one frontend, from the core's truth table."""
    pools = frontend["pools"]
    members = [
        [
            (states.get(m["backend"], m["state"]), overrides.get((pool["name"], m["backend"]), m["configured_weight"]))
            for m in pool["backends"]
        ]
        for pool in pools
    ]
    decided = weights.pool_weights(members, frontend.get("flush_on_down", True))
    return {
        "%s/%s" % (pool["name"], member["backend"]): weight
        for pool, rows in zip(pools, decided)
        for member, (weight, _flush) in zip(pool["backends"], rows)
    }


def some_names(names: List[str], limit: int = 10) -> str:
    """At most ``limit`` names, so a message stays one readable line."""
    more = len(names) - limit
    return ", ".join(names[:limit]) + (" and %d more" % more if more > 0 else "")


def wait_target(state: Optional[str]) -> Optional[str]:
    """The backend state that ``wait`` waits for after the action of module state ``state``:
    the action's target, or ``up`` after one that restarts health checks (its target is
    ``unknown``); None without an action: any verdict."""
    if not state:
        return None
    to = BY_MODULE_STATE[state].to
    return BackendState.UP.value if to is BackendState.UNKNOWN else to.value


def reached(target: Optional[str], state: str) -> bool:
    return state == target if target else state != BackendState.UNKNOWN.value


def check_names(names: List[str], backends: Dict[str, dict]) -> None:
    """ModuleFailure when one of ``names`` is not among maglevd's ``backends``."""
    unknown = [n for n in names if n not in backends]
    if unknown:
        raise ModuleFailure(
            "maglevd has no backend named %s; it has: %s"
            % (some_names(unknown), some_names(sorted(backends)) or "none")
        )


def predict(params: Dict[str, Any], backends: Dict[str, dict], frontends: Dict[str, dict]) -> Prediction:
    """The Prediction of the task ``params`` asks for; ModuleFailure when maglevd would refuse."""
    names: List[str] = list(params["name"])
    before = {n: backends[n]["state"] for n in backends}
    prediction = Prediction(before, dict(before))
    if params["state"]:
        predict_action(prediction, names, BY_MODULE_STATE[params["state"]])
    if params["weight"] is not None:
        predict_weight(prediction, params, names, frontends)
    return prediction


def predict_action(prediction: Prediction, names: List[str], action: OperatorAction) -> None:
    """The operator action's outcome for each backend, from the one table maglevd applies."""
    for name in names:
        current = prediction.before[name]
        try:
            new = action.outcome(name, current)
        except ActionRefused:
            hint = " (enable it first)" if current == BackendState.DISABLED.value else ""
            raise ModuleFailure("cannot %s backend %s: it is %s%s" % (action.name, name, current, hint)) from None
        if new is not None:
            prediction.after[name] = new.value
            prediction.acted.append(name)
            prediction.actions.append("backend %s %s" % (name, action.name))


def predict_weight(
    prediction: Prediction, params: Dict[str, Any], names: List[str], frontends: Dict[str, dict]
) -> None:
    """The runtime weight of ``names`` in the pool ``params`` names, where it differs."""
    frontend_name, pool_name, weight = params["frontend"], params["pool"], params["weight"]
    frontend = frontends.get(frontend_name)
    if frontend is None:
        raise ModuleFailure(
            "maglevd has no frontend named %s; it has: %s" % (frontend_name, ", ".join(sorted(frontends)))
        )
    pool = next((p for p in frontend["pools"] if p["name"] == pool_name), None)
    if pool is None:
        raise ModuleFailure(
            "frontend %s has no pool %s; it has: %s"
            % (frontend_name, pool_name, ", ".join(p["name"] for p in frontend["pools"]))
        )
    members = {m["backend"]: m for m in pool["backends"]}
    for name in names:
        if name not in members:
            raise ModuleFailure("backend %s is not in pool %s of frontend %s" % (name, pool_name, frontend_name))
        if members[name]["configured_weight"] != weight:
            prediction.overrides[(pool_name, name)] = weight
            prediction.actions.append(
                "frontend %s pool %s backend %s weight %d" % (frontend_name, pool_name, name, weight)
            )


def report(params: Dict[str, Any], frontends: Dict[str, dict], prediction: Prediction) -> Dict[str, Any]:
    """The result (before/after of the named backends and of the frontends that use them);
    ModuleFailure when a serving frontend would go dark without allow_empty."""
    names: List[str] = list(params["name"])
    touched = {
        f: fe for f, fe in frontends.items() if set(names) & {m["backend"] for p in fe["pools"] for m in p["backends"]}
    }
    before_fe = {f: effective(fe, prediction.before, {}) for f, fe in touched.items()}
    after_fe = {
        f: effective(fe, prediction.after, prediction.overrides if f == params["frontend"] else {})
        for f, fe in touched.items()
    }
    if not params["allow_empty"]:
        dark = [f for f in touched if any(before_fe[f].values()) and not any(after_fe[f].values())]
        if dark:
            raise ModuleFailure(
                "refusing: frontend %s would be left with no backend of weight above 0 (VPP would drop its new "
                "flows); set allow_empty=true to force it" % ", ".join(sorted(dark)),
                before=before_fe,
                after=after_fe,
            )
    return {
        "changed": bool(prediction.actions),
        "actions": prediction.actions,
        "before": {"backends": {n: prediction.before[n] for n in names}, "frontends": before_fe},
        "after": {"backends": {n: prediction.after[n] for n in names}, "frontends": after_fe},
    }
