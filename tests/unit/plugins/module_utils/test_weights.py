"""The failover truth table, row by row (docs/state-machine.md)."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.weights import (
    BackendState,
    FrontendState,
    active_pool,
    clamp_weight,
    effective_weight,
    frontend_state,
    pool_weights,
)

UP, DOWN, UNKNOWN, PAUSED, DISABLED, REMOVED = (
    BackendState.UP,
    BackendState.DOWN,
    BackendState.UNKNOWN,
    BackendState.PAUSED,
    BackendState.DISABLED,
    BackendState.REMOVED,
)

# (state, pool_index, active_pool, configured_weight, flush_on_down) -> (weight, flush)
TRUTH_TABLE = [
    # up in the active pool: configured weight, clamped
    (UP, 0, 0, 100, True, (100, False)),
    (UP, 0, 0, 42, False, (42, False)),
    (UP, 0, 0, 150, True, (100, False)),
    (UP, 0, 0, -5, True, (0, False)),
    (UP, 0, 0, 0, True, (0, False)),
    (UP, 1, 1, 70, True, (70, False)),
    # up but standby
    (UP, 1, 0, 100, True, (0, False)),
    (UP, 0, 1, 100, True, (0, False)),
    (UP, 2, 1, 100, False, (0, False)),
    # down: flush follows flush-on-down
    (DOWN, 0, 0, 100, True, (0, True)),
    (DOWN, 0, 0, 100, False, (0, False)),
    (DOWN, 1, 0, 100, True, (0, True)),
    # disabled and removed always flush
    (DISABLED, 0, 0, 100, False, (0, True)),
    (DISABLED, 1, 0, 100, True, (0, True)),
    (REMOVED, 0, 0, 100, False, (0, True)),
    # unknown and paused never flush
    (UNKNOWN, 0, 0, 100, True, (0, False)),
    (UNKNOWN, 0, 0, 100, False, (0, False)),
    (PAUSED, 0, 0, 100, True, (0, False)),
    (PAUSED, 1, 0, 100, False, (0, False)),
]


@pytest.mark.parametrize("state,pool,active,weight,flush_on_down,expected", TRUTH_TABLE)
def test_truth_table(state, pool, active, weight, flush_on_down, expected):
    assert effective_weight(state, pool, active, weight, flush_on_down) == expected


def test_states_accept_their_string_names():
    assert effective_weight("up", 0, 0, 80, True) == (80, False)
    assert effective_weight("disabled", 0, 0, 80, False) == (0, True)


@pytest.mark.parametrize("weight,clamped", [(150, 100), (100, 100), (-5, 0), (0, 0), (37, 37)])
def test_clamp(weight, clamped):
    assert clamp_weight(weight) == clamped


@pytest.mark.parametrize(
    "pools,expected",
    [
        ([[UP, DOWN], [UP]], 0),  # pool[0] wins while one member is up
        ([[DOWN, DOWN], [UP, UP]], 1),  # pool[1] takes over
        ([[DOWN], [UNKNOWN], [UP]], 2),  # three-tier failover
        ([[DISABLED, PAUSED], [DOWN], [UP, DOWN]], 2),
        ([[DOWN], [DOWN]], 0),  # nothing up anywhere: 0 (every weight is 0 anyway)
        ([], 0),
        ([[UNKNOWN, UNKNOWN], [UP]], 1),  # unknown does not hold a pool active
    ],
)
def test_active_pool(pools, expected):
    assert active_pool(pools) == expected


def test_three_tier_failover_weights():
    pools = [[DOWN, DOWN], [DOWN], [UP, UP]]
    active = active_pool(pools)
    weights = [
        [effective_weight(state, index, active, 100, True)[0] for state in pool] for index, pool in enumerate(pools)
    ]
    assert weights == [[0, 0], [0], [100, 100]]


def test_nothing_up_means_all_zero():
    pools = [[DOWN, UNKNOWN], [PAUSED, DISABLED]]
    active = active_pool(pools)
    assert all(
        effective_weight(state, index, active, 100, True)[0] == 0 for index, pool in enumerate(pools) for state in pool
    )


@pytest.mark.parametrize(
    "states,weights,expected",
    [
        ([UP, DOWN], [100, 0], FrontendState.UP),
        ([DOWN, UP], [0, 100], FrontendState.UP),  # served by a fallback pool: up
        ([UP, UP], [0, 0], FrontendState.DOWN),  # every effective weight 0: down
        ([DOWN, DOWN], [0, 0], FrontendState.DOWN),
        ([UNKNOWN, UNKNOWN], [0, 0], FrontendState.UNKNOWN),
        ([UNKNOWN, DOWN], [0, 0], FrontendState.DOWN),
        ([], [], FrontendState.UNKNOWN),
    ],
)
def test_frontend_state(states, weights, expected):
    assert frontend_state(states, weights) is expected


def test_pool_weights_applies_the_table_to_every_member_of_ordered_pools():
    pools = [[(DOWN, 100), (PAUSED, 100)], [(UP, 70), (UP, 150)], [(UP, 100)]]
    assert pool_weights(pools, flush_on_down=True) == [
        [(0, True), (0, False)],
        [(70, False), (100, False)],  # pool[1] is active; weights clamp
        [(0, False)],  # up but standby
    ]
    assert pool_weights([[(DOWN, 100)]], flush_on_down=False) == [[(0, False)]]
    assert pool_weights([], flush_on_down=True) == []
