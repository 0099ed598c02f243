"""Durations: Go-style strings (2s, 500ms, 1m30s) or plain numbers of seconds."""

from __future__ import annotations

import math

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import config


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2s", 2.0),
        ("500ms", 0.5),
        ("1m", 60.0),
        ("1h", 3600.0),
        ("1m30s", 90.0),
        ("1h2m3s", 3723.0),
        ("1.5s", 1.5),
        (".25s", 0.25),
        ("250000us", 0.25),
        ("100µs", 0.0001),
        ("1000000ns", 0.001),
        (" 2s ", 2.0),
        ("0s", 0.0),
        (2, 2.0),
        (1.5, 1.5),
        (0, 0.0),
    ],
)
def test_valid_durations(value, seconds):
    assert math.isclose(config.parse_duration(value), seconds)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2", "add a unit, e.g. 2s"),
        ("2 s", "got a string ('2 s')"),
        ("1d", "got a string ('1d')"),
        ("fast", "expected a duration such as 2s, 500ms, 1m, 1h or a number of seconds"),
        ("-1s", "got a string ('-1s')"),
        ("s", "got a string"),
        ("", "got a string"),
        (-1, "not negative"),
        (float("inf"), "not negative"),
        (float("nan"), "not negative"),
        (True, "got a boolean"),
        (None, "got null"),
        ([1], "got a list"),
    ],
)
def test_invalid_durations(value, fragment):
    with pytest.raises(ValueError) as caught:
        config.parse_duration(value)
    assert fragment in str(caught.value)


def test_duration_errors_carry_the_path():
    data = {"maglev": {"healthchecks": {"h": {"type": "icmp", "interval": "2"}}}}
    with pytest.raises(config.ConfigError) as caught:
        config.parse(data)
    assert [str(issue) for issue in caught.value.errors] == [
        "maglev.healthchecks.h.interval: expected a duration such as 2s, 500ms, 1m, 1h or a number of seconds, "
        "got a string ('2'); add a unit, e.g. 2s"
    ]


def test_yaml_durations_in_all_forms():
    text = "maglev:\n  vpp:\n    lb:\n      sync-interval: 1m\n      startup-min-delay: 500ms\n      startup-max-delay: 2\n"
    lb = config.load_text(text).vpp_lb
    assert (lb.sync_interval, lb.startup_min_delay, lb.startup_max_delay) == (60.0, 0.5, 2.0)
