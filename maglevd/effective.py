"""Per-frontend effective weights and frontend states, from the config and backend states.

`backend_weights` is the core's (plugins/module_utils/desired.py, through weights.py, the one
truth table): nothing in maglevd derives a weight any other way.
"""

from __future__ import annotations

from typing import Dict, List, Mapping

from ..plugins.module_utils.config_model import Config
from ..plugins.module_utils.desired import backend_weights, frontend_active_pool
from ..plugins.module_utils.weights import BackendState, FrontendState, frontend_state

__all__ = ["active_pools", "backend_weights", "frontend_state", "frontend_states"]


def active_pools(config: Config, states: Mapping[str, BackendState]) -> Dict[str, int]:
    return {frontend.name: frontend_active_pool(frontend, states) for frontend in config.frontends.values()}


def frontend_states(weights: Mapping[str, List[dict]]) -> Dict[str, FrontendState]:
    return {
        name: frontend_state([row["state"] for row in rows], [row["weight"] for row in rows])
        for name, rows in weights.items()
    }
