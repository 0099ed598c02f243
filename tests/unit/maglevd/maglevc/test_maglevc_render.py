"""maglevc's text rendering: what an operator reads must match the data, line for line."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.maglevd.maglevc.command_parser import UsageError, parse
from ansible_collections.vpp.maglev.maglevd.maglevc.render import render_event, render_kv, render_vpp_info


def test_list_of_mappings_renders_as_yaml_items_not_a_dash_per_key():
    state = {
        "vips": [
            {"vip": "192.0.2.1/32", "port": 80, "backends": [{"address": "10.0.0.1", "weight": 100}]},
            {"vip": "192.0.2.2/32", "port": 53, "backends": []},
        ],
        "names": ["a", "b"],
    }
    assert render_kv(state).splitlines() == [
        "vips:",
        "  - vip: 192.0.2.1/32",
        "    port: 80",
        "    backends:",
        "      - address: 10.0.0.1",
        "        weight: 100",
        "  - vip: 192.0.2.2/32",
        "    port: 53",
        "    backends: []",
        "names:",
        "  - a",
        "  - b",
    ]


def test_replayed_current_state_is_not_shown_as_a_transition():
    base = {"type": "backend-transition", "time": 0, "backend": "web1", "from": "up", "to": "up", "code": "L7OK"}
    replay = render_event({**base, "replay": True})
    assert replay.endswith("backend web1 is up (current state, L7OK)") and "->" not in replay
    frontend = render_event(
        {"type": "frontend-transition", "replay": True, "frontend": "web", "from": "up", "to": "up"}
    )
    assert frontend.endswith("frontend web is up (current state)")
    live = render_event({**base, "from": "down"})
    assert live.endswith("backend web1 down -> up (L7OK)")


def test_vpp_info_shows_unix_timestamps_as_utc_times():
    text = render_vpp_info({"version": "26.10", "connected_since": 0, "time": 86400.5, "pid": 7})
    assert "connected_since: 1970-01-01 00:00:00 UTC" in text
    assert "time: 1970-01-02 00:00:00 UTC" in text
    assert "pid: 7" in text and "version: 26.10" in text


def test_incomplete_command_lists_what_a_slot_takes():
    with pytest.raises(UsageError) as caught:
        parse(["set", "backend", "web1"])
    assert "expected <action> (pause|resume|enable|disable)" in str(caught.value)
