"""Frontend states: recomputed for the frontends a backend change touches, published on change."""

from __future__ import annotations

from ansible_collections.vpp.maglev.maglevd.events import EventBus
from ansible_collections.vpp.maglev.maglevd.frontend_tracker import FrontendTracker
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState, FrontendState
from ansible_collections.vpp.maglev.tests.helpers.checker_fakes import make_config

UP, DOWN = BackendState.UP, BackendState.DOWN
CONFIG = make_config({"a": "10.0.0.1", "b": "10.0.0.2"}, frontends={"web": [["a"], ["b"]], "solo": [["b"]]}, checks=[])


def tracker():
    bus = EventBus()
    events = []
    bus.add_listener(events.append)
    return FrontendTracker(bus, CONFIG.frontends_by_backend()), events


def test_affected_frontends_follow_the_config_index():
    frontends, _events = tracker()
    assert frontends.affected(["a"]) == ["web"]
    assert frontends.affected(["b", "a"]) == ["web", "solo"]
    assert frontends.affected(["nope"]) == []


def test_a_change_is_published_once_and_only_when_the_state_moves():
    frontends, events = tracker()
    states = {"a": UP, "b": UP}
    frontends.update(CONFIG, states, publish=False)  # the start: no events
    assert frontends.current(CONFIG, states) == {"web": FrontendState.UP, "solo": FrontendState.UP}
    states["b"] = DOWN
    frontends.backends_changed(CONFIG, states, ["b"])
    moved = [(e.data["frontend"], e.data["from"], e.data["to"]) for e in events]
    assert moved == [("solo", "up", "down")]  # web still has a


def test_deferred_changes_are_recomputed_once_at_the_flush():
    frontends, events = tracker()
    states = {"a": UP, "b": UP}
    frontends.update(CONFIG, states, publish=False)
    frontends.defer()
    states["a"] = states["b"] = DOWN
    frontends.backends_changed(CONFIG, states, ["a"])
    frontends.backends_changed(CONFIG, states, ["b"])
    assert events == [] and list(frontends.deferred or {}) == ["web", "solo"]
    frontends.end_defer(CONFIG, states)
    assert sorted(e.data["frontend"] for e in events) == ["solo", "web"] and frontends.deferred is None
