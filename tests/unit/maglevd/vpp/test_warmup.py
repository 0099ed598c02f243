"""Restart warmup phases (docs/reconciler.md#restart-warmup), on an explicit clock."""

from __future__ import annotations

from ansible_collections.vpp.maglev.maglevd.vpp.warmup import Phase, Warmup
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState

UP, DOWN, UNKNOWN = BackendState.UP, BackendState.DOWN, BackendState.UNKNOWN


def test_hands_off_before_min_delay_even_when_everything_is_known():
    warmup = Warmup(started=100.0, min_delay=5, max_delay=30)
    assert warmup.phase(104.9) is Phase.HANDS_OFF
    assert not warmup.may_sync(104.9, "web", [UP, UP])
    assert not warmup.final_sync_due(104.9)


def test_per_frontend_release_once_every_backend_is_known():
    warmup = Warmup(started=0.0, min_delay=5, max_delay=30)
    assert warmup.phase(5.0) is Phase.RELEASING
    assert not warmup.may_sync(6.0, "web", [UP, UNKNOWN])
    assert warmup.may_sync(6.0, "dns", [DOWN, UP])
    assert warmup.may_sync(7.0, "web", [UP, DOWN])
    # once released, a frontend stays released whatever its backends do
    assert warmup.may_sync(8.0, "web", [UNKNOWN, UNKNOWN])
    assert warmup.released == {"web", "dns"}


def test_final_sync_at_max_delay_exactly_once():
    warmup = Warmup(started=0.0, min_delay=5, max_delay=30)
    assert not warmup.may_sync(29.9, "slow", [UNKNOWN])
    assert warmup.final_sync_due(30.0)
    assert not warmup.final_sync_due(31.0)
    assert warmup.phase(31.0) is Phase.DONE
    assert warmup.may_sync(31.0, "slow", [UNKNOWN])


def test_zero_delays_disable_warmup():
    warmup = Warmup(started=0.0, min_delay=0, max_delay=0)
    assert warmup.finished and warmup.phase(0.0) is Phase.DONE
    assert warmup.may_sync(0.0, "web", [UNKNOWN])
    assert not warmup.final_sync_due(0.0)


def test_deadline_tells_the_next_phase_change():
    warmup = Warmup(started=10.0, min_delay=5, max_delay=30)
    assert warmup.deadline(11.0) == 4.0
    assert warmup.deadline(20.0) == 20.0
    warmup.final_sync_due(40.0)
    assert warmup.deadline(41.0) == 0.0


def test_status_lists_released_and_waiting():
    warmup = Warmup(started=0.0, min_delay=1, max_delay=10)
    warmup.may_sync(2.0, "web", [UP])
    status = warmup.status(2.0, {"web": [UP], "dns": [UNKNOWN]})
    assert status["phase"] == "releasing" and status["released"] == ["web"] and status["waiting"] == ["dns"]
