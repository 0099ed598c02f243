"""maglevc's text rendering: what an operator reads must match the data, line for line."""

from __future__ import annotations

from ansible_collections.vpp.maglev.maglevd.maglevc import render_event, render_kv


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
