"""The last-serving guard looks only at the frontends of the acted-on backend (guard.py); its
verdicts are the same as a check of every frontend against a full copy of the states."""

from __future__ import annotations

import dataclasses
import random

from ansible_collections.vpp.maglev.maglevd import guard
from ansible_collections.vpp.maglev.maglevd.checker import Checker
from ansible_collections.vpp.maglev.plugins.module_utils.operator_actions import ACTIONS, ActionRefused
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.tests.helpers.checker_fakes import make_config

STATES = (BackendState.UP, BackendState.DOWN, BackendState.PAUSED, BackendState.DISABLED, BackendState.UNKNOWN)


def scale_config(frontends: int = 250):
    """Frontends with a main and a backup pool; backends shared between neighbouring frontends."""
    names = [f"b{i}" for i in range(frontends * 3)]
    pools = {
        f"f{f}": [[names[3 * f], names[3 * f + 1]], [names[(3 * f + 2) % len(names)], names[(3 * f + 3) % len(names)]]]
        for f in range(frontends)
    }
    return make_config({n: f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i, n in enumerate(names)}, pools)


def by_scanning_all(config, states, backend, action):
    """The rule as written first: every frontend, against a full copy of the states."""
    target = ACTIONS[action].outcome(backend, states[backend])
    after = dict(states)
    after[backend] = target
    return sorted(
        fe.name
        for fe in config.frontends.values()
        if backend in fe.backend_names() and guard.serving(fe, states) and not guard.serving(fe, after)
    )


def test_the_verdict_at_scale_is_the_one_of_a_scan_of_every_frontend():
    config = scale_config()
    checker = Checker(config)
    rng = random.Random(7)
    for health in checker.health.values():
        health.state = rng.choice(STATES)
    states, index = checker.states_view, checker.frontends.frontends_of
    refused = 0
    for backend in config.backends:
        for action in ACTIONS:
            try:
                changes = ACTIONS[action].outcome(backend, states[backend]) is not None
            except ActionRefused:
                changes = False  # refused in this state: nothing to guard
            expected = by_scanning_all(config, states, backend, action) if changes else []
            assert guard.emptied_by_action(config, states, backend, action, index) == expected, (backend, action)
            assert guard.emptied_by_action(config, states, backend, action) == expected, (backend, action)
            refused += bool(expected)
    assert refused > 20  # the sample has verdicts to compare, not only empty ones


class NoScan(dict):
    """The frontends, readable one by one; a scan of them all fails the test."""

    def __iter__(self):
        raise AssertionError("the guard scanned every frontend")

    def values(self):
        raise AssertionError("the guard scanned every frontend")

    def items(self):
        raise AssertionError("the guard scanned every frontend")


def test_the_guard_reads_only_the_frontends_of_the_backend():
    config = scale_config()
    checker = Checker(config)
    for health in checker.health.values():
        health.state = BackendState.UP
    checker.health["b4"].state = BackendState.DOWN  # f1: main pool b3 + b4, backup b5 + b6
    checker.health["b5"].state = BackendState.DOWN
    checker.health["b6"].state = BackendState.DOWN
    index = checker.frontends.frontends_of
    unscannable = dataclasses.replace(config, frontends=NoScan(config.frontends))
    assert guard.emptied_by_action(unscannable, checker.states_view, "b3", "pause", index) == ["f1"]
    assert guard.emptied_by_action(unscannable, checker.states_view, "b0", "pause", index) == []
