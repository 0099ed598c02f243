"""Filters vpp.maglev.effective_weights / active_pool: the core's failover logic for templates."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.vpp.maglev.plugins.filter.maglev import FilterModule, active_pool, effective_weights
from ansible_collections.vpp.maglev.tests.helpers.sample_config import SMALL_CONFIG as CONFIG


def test_registered_names():
    assert set(FilterModule().filters()) == {"effective_weights", "active_pool"}


def test_assume_up_primary_carries_traffic():
    weights = effective_weights(CONFIG, frontend="web")
    assert [(m["backend"], m["state"], m["weight"], m["flush"]) for m in weights] == [
        ("a", "up", 100, False),
        ("b", "disabled", 0, True),
        ("c", "up", 0, False),
    ]
    assert active_pool(CONFIG) == {"web": "primary"}


def test_failover_to_backup_when_primary_is_down():
    states = {"a": "down"}
    assert active_pool(CONFIG, states, frontend="web") == "backup"
    by_backend = {m["backend"]: m for m in effective_weights(CONFIG, states)["web"]}
    assert by_backend["c"]["weight"] == 40 and by_backend["a"]["flush"] is True


def test_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match=r"states\.x: no backend x"):
        effective_weights(CONFIG, {"x": "up"})
    with pytest.raises(AnsibleFilterError, match="no frontend 'api'"):
        active_pool(CONFIG, frontend="api")
    bad = copy.deepcopy(CONFIG)
    bad["maglev"]["backends"]["a"]["address"] = "bogus"
    with pytest.raises(AnsibleFilterError, match=r"maglev\.backends\.a\.address"):
        active_pool(bad)
