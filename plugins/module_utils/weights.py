# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover truth table: backend state -> (effective weight, flush).

This is the single source of truth (docs/state-machine.md). maglevd, the state module,
the filters and the docs all call these functions; nobody re-derives a weight.

| backend state                  | weight                          | flush          |
|--------------------------------|---------------------------------|----------------|
| up, in the active pool         | configured weight, clamped 0..100 | no           |
| up, in a standby pool          | 0                               | no             |
| down                           | 0                               | flush-on-down  |
| disabled                       | 0                               | always         |
| removed (AS is deleted)        | 0                               | always         |
| unknown                        | 0                               | never          |
| paused                         | 0                               | never          |

The active pool is the first pool with at least one backend that is up; 0 when none is.
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable, List, Sequence, Tuple

from .rules.pool import MAX_WEIGHT


class BackendState(str, Enum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"
    PAUSED = "paused"
    DISABLED = "disabled"
    REMOVED = "removed"

    def __str__(self) -> str:
        return self.value


class FrontendState(str, Enum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"

    def __str__(self) -> str:
        return self.value


def clamp_weight(weight: int) -> int:
    return max(0, min(MAX_WEIGHT, int(weight)))


def effective_weight(
    state: BackendState, pool_index: int, active_pool: int, configured_weight: int, flush_on_down: bool
) -> Tuple[int, bool]:
    """(weight VPP should have, whether moving to that weight evicts established flows)."""
    state = BackendState(state)
    if state is BackendState.UP:
        return (clamp_weight(configured_weight) if pool_index == active_pool else 0), False
    if state is BackendState.DOWN:
        return 0, bool(flush_on_down)
    if state in (BackendState.DISABLED, BackendState.REMOVED):
        return 0, True
    return 0, False  # unknown, paused: drain gracefully, never flush


def active_pool(pool_states: Sequence[Iterable[BackendState]]) -> int:
    """Index of the first pool with a backend that is up; 0 when nothing is up."""
    for index, states in enumerate(pool_states):
        if any(BackendState(state) is BackendState.UP for state in states):
            return index
    return 0


def pool_weights(
    pools: Sequence[Sequence[Tuple[BackendState, int]]], flush_on_down: bool
) -> List[List[Tuple[int, bool]]]:
    """Every member's (effective weight, flush) for a frontend's ordered pools, each member
    given as (state, configured weight): the active pool, then the table row by row."""
    active = active_pool([[state for state, _weight in pool] for pool in pools])
    return [
        [effective_weight(state, index, active, weight, flush_on_down) for state, weight in pool]
        for index, pool in enumerate(pools)
    ]


def frontend_state(states: Iterable[BackendState], weights: Iterable[int]) -> FrontendState:
    """up: some backend gets new flows; unknown: no backend has a real state yet; else down."""
    if any(weight > 0 for weight in weights):
        return FrontendState.UP
    states = [BackendState(state) for state in states]
    if not states or all(state is BackendState.UNKNOWN for state in states):
        return FrontendState.UNKNOWN
    return FrontendState.DOWN
