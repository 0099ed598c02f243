# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters vpp.maglev.effective_weights and vpp.maglev.active_pool: maglevd's failover logic
(desired.backend_weights over weights.py's truth table) for templates and asserts. They run on
the controller and take a maglev.yaml structure (the dict under the key ``maglev`` included)
plus, optionally, backend states (name -> up/down/paused/disabled/unknown/removed; backends not
given are assumed up when enabled, as vpp_lb_state's health: assume_up does)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ansible.errors import AnsibleFilterError
from ansible_collections.vpp.maglev.plugins.module_utils import config as config_mod
from ansible_collections.vpp.maglev.plugins.module_utils import vpp_lb_state_input
from ansible_collections.vpp.maglev.plugins.module_utils.desired import backend_weights, frontend_active_pool


def _load(config: Any, states: Optional[Mapping[str, Any]], name: str) -> tuple:
    try:
        cfg = vpp_lb_state_input.parse_config(config)
    except config_mod.ConfigError as exc:
        raise AnsibleFilterError("%s: %s" % (name, vpp_lb_state_input.config_failure(exc, "the config")["msg"]))
    try:
        resolved = vpp_lb_state_input.backend_states(cfg, vpp_lb_state_input.plain(states) if states else None)
    except vpp_lb_state_input.ModuleInputError as exc:
        raise AnsibleFilterError("%s: %s" % (name, exc))
    return cfg, resolved


def _pick(result: Dict[str, Any], frontend: Optional[str], name: str) -> Any:
    if frontend is None:
        return result
    if frontend not in result:
        raise AnsibleFilterError(
            "%s: no frontend %r in the config (frontends: %s)" % (name, frontend, ", ".join(result) or "none")
        )
    return result[frontend]


def effective_weights(config: Any, states: Optional[Mapping[str, Any]] = None, frontend: Optional[str] = None) -> Any:
    """{frontend: [{pool, backend, address, configured_weight, state, weight, flush}, ...]}
    (or that frontend's list when ``frontend`` is given): the weights maglevd would program."""
    cfg, resolved = _load(config, states, "effective_weights")
    return _pick(backend_weights(cfg, resolved), frontend, "effective_weights")


def active_pool(config: Any, states: Optional[Mapping[str, Any]] = None, frontend: Optional[str] = None) -> Any:
    """{frontend: name of the pool carrying its traffic} (or that frontend's pool name): the
    first pool with a backend that is up; the first pool when none is; None without pools."""
    cfg, resolved = _load(config, states, "active_pool")
    result: Dict[str, Optional[str]] = {}
    for name, front in cfg.frontends.items():
        pools: List[Any] = list(front.pools)
        if not pools:
            result[name] = None
            continue
        result[name] = pools[frontend_active_pool(front, resolved)].name
    return _pick(result, frontend, "active_pool")


class FilterModule:
    def filters(self) -> Dict[str, Any]:
        return {"effective_weights": effective_weights, "active_pool": active_pool}
