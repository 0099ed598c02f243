"""The rise/fall counter and operator actions as tables (docs/state-machine.md)."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.maglevd.backend_health import BackendHealth
from ansible_collections.vpp.maglev.plugins.module_utils.operator_actions import ActionRefused
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState

U, D, UNK = "up", "down", "unknown"


def feed(health: BackendHealth, results: str) -> list:
    """Apply 'P'/'F' results; return the state after each one."""
    states = []
    for i, r in enumerate(results):
        health.record(r == "P", "L7OK" if r == "P" else "L4CON", float(i), 1000.0 + i)
        states.append(health.state.value)
    return states


def at(counter: int, rise: int = 2, fall: int = 3) -> BackendHealth:
    """A backend with the given counter and the state that counter implies."""
    health = BackendHealth("b", rise, fall)
    health.counter = counter
    health.state = BackendState.UP if counter >= rise else BackendState.DOWN
    return health


@pytest.mark.parametrize(
    ("rise", "fall", "results", "expected", "counter"),
    [
        # fast path from unknown: one pass decides up, one failure decides down
        (2, 3, "P", [U], 2),
        (2, 3, "F", [D], 0),
        (3, 3, "F", [D], 1),
        (1, 1, "P", [U], 1),
        (1, 1, "F", [D], 0),
        (5, 2, "P", [U], 5),
        # from unknown then on: plain counter, capped at rise+fall-1 = 4
        (2, 3, "PPPP", [U, U, U, U], 4),
        (2, 3, "PF", [U, D], 1),  # just up (counter == rise): one failure is enough (TestFallToDown)
        (2, 3, "FPP", [D, D, U], 2),  # after the fast fail (counter 0): rise passes to come up
        (2, 3, "FP", [D, D], 1),
        (2, 2, "PPFF", [U, U, U, D], 1),
        (1, 1, "PFPF", [U, D, U, D], 0),
    ],
)
def test_sequences_from_unknown(rise, fall, results, expected, counter):
    health = BackendHealth("b", rise, fall)
    assert health.state is BackendState.UNKNOWN and health.counter == rise - 1
    assert feed(health, results) == expected
    assert health.counter == counter


@pytest.mark.parametrize(
    ("start", "results", "expected"),
    [
        (4, "FFF", [U, U, D]),  # fully up: fall=3 failures to go down
        (4, "FFPFF", [U, U, U, U, D]),  # a pass in between buys one more failure
        (0, "PP", [D, U]),  # fully down: rise=2 passes to come up
        (0, "PFP", [D, D, D]),  # flapping from down stays down
        (2, "PFPFPF", [U, U, U, U, U, U]),  # flapping around the middle never flips
        (4, "PPP", [U, U, U]),  # capped at max
        (0, "FFF", [D, D, D]),  # floored at 0
    ],
)
def test_sequences_from_a_known_counter(start, results, expected):
    assert feed(at(start), results) == expected


def test_transitions_recorded_with_code_and_bounded_history():
    health = BackendHealth("b", 1, 1, history=3)
    feed(health, "PFPFP")
    assert len(health.history) == 3
    last = health.history[-1]
    assert (last.from_state, last.to_state, last.code, last.reason) == (
        BackendState.DOWN,
        BackendState.UP,
        "L7OK",
        "probe",
    )
    assert [t["to"] for t in health.to_dict()["history"]] == ["up", "down", "up"]  # newest first


def test_settled_only_at_the_extremes():
    health = BackendHealth("b", 2, 3)
    feed(health, "P")
    assert not health.settled
    feed(health, "PP")
    assert health.settled and health.counter == 4
    feed(health, "FFFF")
    assert health.state is BackendState.DOWN and health.settled


def test_pause_stops_recording_and_resume_returns_to_unknown():
    health = BackendHealth("b", 2, 3)
    feed(health, "PPP")
    assert health.pause(1.0, 1.0).to_state is BackendState.PAUSED
    assert not health.probing
    assert health.record(False, "L4CON", 2.0, 2.0) is None and health.state is BackendState.PAUSED
    assert health.pause(3.0, 3.0) is None  # idempotent
    transition = health.resume(4.0, 4.0)
    assert (transition.from_state, transition.to_state) == (BackendState.PAUSED, BackendState.UNKNOWN)
    assert health.counter == 1  # rise - 1: one probe decides
    assert feed(health, "F") == [D]


def test_resume_when_not_paused_is_a_noop():
    health = BackendHealth("b", 2, 3)
    feed(health, "P")
    assert health.resume(1.0, 1.0) is None and health.state is BackendState.UP


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_pause_resume_on_disabled_is_an_error(action):
    health = BackendHealth("b", 2, 3)
    health.disable(1.0, 1.0)
    with pytest.raises(ActionRefused) as info:
        getattr(health, action)(2.0, 2.0)
    assert info.value.code == "disabled"
    assert health.state is BackendState.DISABLED and not health.enabled  # never "paused" with enabled=false


def test_disable_enable_cycle():
    health = BackendHealth("b", 2, 3)
    feed(health, "PPP")
    transition = health.disable(1.0, 1.0)
    assert transition.to_state is BackendState.DISABLED and transition.code == "disabled"
    assert health.record(True, "L7OK", 2.0, 2.0) is None  # a health pass cannot override a disable
    assert health.disable(3.0, 3.0) is None
    transition = health.enable(4.0, 4.0)
    assert (transition.from_state, transition.to_state) == (BackendState.DISABLED, BackendState.UNKNOWN)
    assert health.enabled
    # enabling never bypasses health: a failing backend goes down on its first probe
    assert feed(health, "F") == [D]


def test_disable_a_paused_backend():
    health = BackendHealth("b", 2, 3)
    health.pause(1.0, 1.0)
    assert health.disable(2.0, 2.0).to_state is BackendState.DISABLED


@pytest.mark.parametrize(
    ("state", "enabled", "action", "to", "changed"),
    [
        # enable/disable decide by the state and repair the flag (docs/state-machine.md#states)
        (BackendState.DISABLED, True, "enable", BackendState.UNKNOWN, True),
        (BackendState.UP, False, "disable", BackendState.DISABLED, True),
        (BackendState.UP, False, "enable", BackendState.UP, False),
        (BackendState.DISABLED, True, "disable", BackendState.DISABLED, False),
    ],
)
def test_enable_disable_on_inconsistent_flag(state, enabled, action, to, changed):
    health = BackendHealth("b", 2, 3)
    health.state, health.enabled = state, enabled
    transition = getattr(health, action)(1.0, 1.0)
    assert health.state is to
    assert (transition is not None) == changed
    assert health.enabled is (action == "enable")


def test_removed_is_distinct_from_disabled_and_refuses_actions():
    health = BackendHealth("b", 2, 3)
    assert health.disable(1.0, 1.0).to_state is BackendState.DISABLED
    assert health.remove(2.0, 2.0).to_state is BackendState.REMOVED
    for action in ("pause", "resume", "enable", "disable"):
        with pytest.raises(ActionRefused, match="removed"):
            getattr(health, action)(3.0, 3.0)
    assert health.record(True, "L7OK", 4.0, 4.0) is None


def test_initially_disabled_from_config():
    health = BackendHealth("b", 2, 3, enabled=False)
    assert health.state is BackendState.DISABLED and not health.probing


def test_restart_goes_to_unknown_keeps_pause_and_applies_yaml_enabled():
    health = BackendHealth("b", 2, 3)
    feed(health, "PPP")
    assert health.restart(3, 2, True, 1.0, 1.0).to_state is BackendState.UNKNOWN
    assert (health.rise, health.fall, health.counter) == (3, 2, 2)
    health.pause(2.0, 2.0)
    assert health.restart(2, 2, True, 3.0, 3.0) is None and health.state is BackendState.PAUSED
    assert health.restart(2, 2, False, 4.0, 4.0).to_state is BackendState.DISABLED


def test_invalid_rise_fall():
    with pytest.raises(ValueError):
        BackendHealth("b", 0, 1)
