"""JSON views of the checker's state for the control API (and so for maglevc and Ansible).

Read-only and synchronous: each view is one consistent snapshot. The active pool and the
weights come from the core's one rule (plugins/module_utils/desired.py, weights.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence

from ..plugins.module_utils.config_model import HealthCheck
from ..plugins.module_utils.desired import frontend_active_pool, frontend_weights
from ..plugins.module_utils.lb_model import PROTOCOLS
from .checker import Checker
from .control_errors import NotFound
from .traffic_state import TrafficState

PROTOCOL_NAMES = {number: name for name, number in PROTOCOLS.items()}


def _plain(value: Any) -> Any:
    """Dataclass / tuples / addresses -> JSON-safe values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def backend_info(
    checker: Checker,
    name: str,
    frontends: Optional[Mapping[str, Sequence[str]]] = None,
    traffic: Optional[TrafficState] = None,
) -> Dict[str, Any]:
    """One backend's view; `frontends` (backend -> the frontends that use it) defaults to the
    checker's index of the running config (Config.frontends_by_backend); `traffic` (the VPP
    side's last read, None without VPP) adds its live flows per frontend."""
    health = checker.get_health(name)
    backend = checker.config.backends.get(name)
    check: Optional[HealthCheck] = None
    if backend is not None and backend.healthcheck:
        check = checker.config.healthchecks.get(backend.healthcheck)
    info = {
        "name": name,
        "address": checker.addresses.get(name),
        "healthcheck": backend.healthcheck if backend is not None else None,
        "type": check.type if check is not None else "static",
        "probing": health.probing and (worker := checker._worker_of(name)) is not None and worker.running(),
        "frontends": list((frontends if frontends is not None else checker.frontends.frontends_of).get(name, ())),
    }
    info.update(health.to_dict())
    address, used_by = info["address"], info["frontends"]
    flows, read_at = traffic.backend_flows(address, used_by) if traffic is not None and address else ({}, None)
    info["flows"], info["flows_read_at"] = flows, read_at
    return info


def backends(checker: Checker, traffic: Optional[TrafficState] = None) -> List[Dict[str, Any]]:
    return [backend_info(checker, name, traffic=traffic) for name in checker.health]


def frontend_info(
    checker: Checker, name: str, weights=None, states=None, traffic: Optional[TrafficState] = None
) -> Dict[str, Any]:
    """One frontend's view; `traffic` (None without VPP) adds its packets, rates and alarm
    (docs/api.md) and each member's live flows."""
    frontend = checker.config.frontends.get(name)
    if frontend is None:
        raise NotFound("frontend", name)
    states = states if states is not None else checker.frontend_states()
    if weights is not None:
        rows = weights.get(name, [])
    else:  # one frontend's rows, not every frontend's (the dashboard reads frontends one by one)
        rows = [member.as_dict() for member in frontend_weights(checker.config, frontend, checker.states_view)]
    pools = []
    active = frontend_active_pool(frontend, checker.states_view)
    for index, pool in enumerate(frontend.pools):
        members = []
        for row in rows:
            if row["pool"] != pool.name:
                continue
            health = checker.health.get(row["backend"])
            members.append(
                {
                    "backend": row["backend"],
                    "address": row["address"],
                    "state": str(row["state"]),
                    "enabled": health.enabled if health is not None else None,
                    "configured_weight": row["configured_weight"],
                    "weight": row["weight"],
                    "flush": row["flush"],
                    "flows": traffic.member_flows(name, row["address"]) if traffic is not None else None,
                }
            )
        pools.append({"name": pool.name, "index": index, "backends": members, "active": index == active})
    attrs = frontend.attrs
    return {
        "name": frontend.name,
        "description": frontend.description,
        "address": str(frontend.address),
        "protocol": PROTOCOL_NAMES.get(frontend.protocol, str(frontend.protocol)),
        "port": frontend.port,
        "state": str(states.get(name, "unknown")),
        "active_pool": active,
        "flush_on_down": frontend.flush_on_down,
        "src_ip_sticky": getattr(attrs, "src_ip_sticky", False),
        "encap": _plain(getattr(attrs, "encap", None)),
        "pools": pools,
        "traffic": traffic.frontend_view(name) if traffic is not None else None,
    }


def frontends(checker: Checker, traffic: Optional[TrafficState] = None) -> List[Dict[str, Any]]:
    weights, states = checker.weights(), checker.frontend_states()
    return [frontend_info(checker, name, weights, states, traffic) for name in checker.config.frontends]


def healthcheck_info(checker: Checker, name: str) -> Dict[str, Any]:
    check = checker.config.healthchecks.get(name)
    if check is None:
        raise NotFound("healthcheck", name)
    info = _plain(check)
    info["fast_interval"] = check.effective_fast_interval
    info["down_interval"] = check.effective_down_interval
    info["backends"] = [b.name for b in checker.config.backends.values() if b.healthcheck == name]
    info["error"] = checker.check_errors.get(name)
    return info


def healthchecks(checker: Checker) -> List[Dict[str, Any]]:
    return [healthcheck_info(checker, name) for name in checker.config.healthchecks]


def frontend_members(checker: Checker, name: str) -> FrozenSet[str]:
    frontend = checker.config.frontends.get(name)
    if frontend is None:
        raise NotFound("frontend", name)
    return frozenset(frontend.backend_names())


def replay_events(checker: Checker, backend: Optional[str], frontend: Optional[str]) -> Iterable[Dict[str, Any]]:
    """Current states as from == to events, so a watcher starts from the truth."""
    for name, state in checker.frontend_states().items():
        if (frontend is None or name == frontend) and backend is None:
            yield {
                "type": "frontend-transition",
                "replay": True,
                "frontend": name,
                "from": state.value,
                "to": state.value,
            }
    members = set(checker.config.frontends[frontend].backend_names()) if frontend else None
    for name, health in checker.health.items():
        if (backend is None or name == backend) and (members is None or name in members):
            yield {
                "type": "backend-transition",
                "replay": True,
                "backend": name,
                "address": checker.addresses.get(name),
                "from": health.state.value,
                "to": health.state.value,
                "code": health.last_code,
            }
