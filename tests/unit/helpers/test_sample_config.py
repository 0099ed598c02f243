"""The tests' own helpers: the one sample maglev.yaml (tests/helpers/sample_config.py) and the
local HTTP backends (tests/helpers/http_backends.py)."""

from __future__ import annotations

import http.client

import pytest
import yaml
from ansible_collections.vpp.maglev.plugins.module_utils.config import parse
from ansible_collections.vpp.maglev.tests.helpers import sample_config
from ansible_collections.vpp.maglev.tests.helpers.http_backends import start_backend, stop_backend
from ansible_collections.vpp.maglev.tests.helpers.sample_config import (
    DELETE,
    MINIMAL_CONFIG,
    ONE_BACKEND_CONFIG,
    RULES_CONFIG,
    SMALL_CONFIG,
    STATE_CONFIG,
    STATIC_CONFIG,
    changed_copy,
    probed_config,
    rig_config,
    sample_yaml,
    state_config,
)


@pytest.mark.parametrize(
    "data",
    [
        RULES_CONFIG,
        SMALL_CONFIG,
        STATE_CONFIG,
        rig_config(),
        yaml.safe_load(STATIC_CONFIG),
        yaml.safe_load(MINIMAL_CONFIG),
        yaml.safe_load(ONE_BACKEND_CONFIG),
        yaml.safe_load(probed_config(8080)),
    ],
    ids=["rules", "small", "state", "rig", "static", "minimal", "one-backend", "probed"],
)
def test_every_sample_is_a_valid_config(data):
    assert parse(data).frontends


def test_the_sample_is_frontend_web_with_its_pools_in_order():
    data = sample_config.sample_config(
        {"a": "10.0.0.1", "b": {"address": "10.0.0.2"}}, [("p", {"a": {}}), ("q", {"b": None})]
    )
    assert data == {
        "maglev": {
            "vpp": {"lb": {"ipv4-src-address": "192.0.2.254"}},
            "backends": {"a": {"address": "10.0.0.1"}, "b": {"address": "10.0.0.2"}},
            "frontends": {
                "web": {
                    "address": "192.0.2.10",
                    "protocol": "tcp",
                    "port": 80,
                    "pools": [{"name": "p", "backends": {"a": {}}}, {"name": "q", "backends": {"b": None}}],
                }
            },
        }
    }


def test_each_call_returns_a_new_structure():
    first = rig_config()
    first["maglev"]["frontends"]["dns"]["pools"][0]["backends"].clear()
    assert rig_config()["maglev"]["frontends"]["dns"]["pools"][0]["backends"] == {"s1": {}, "s2": {}}


def test_yaml_text_reads_back_as_the_structure():
    args = ({"x": {"address": "10.0.0.1", "healthcheck": "h"}}, [("main", {"x": {"weight": 5}})])
    kwargs = {"healthchecks": {"h": {"type": "http", "port": 80, "params": {"path": "/"}}}, "address": "2001:db8::1"}
    assert yaml.safe_load(sample_yaml(*args, **kwargs)) == sample_config.sample_config(*args, **kwargs)


def test_yaml_layout_is_one_line_per_backend_and_per_pool():
    # Tests edit these lines as text: drop a backend, point it at another check.
    text = probed_config(80)
    assert "    spare: {address: 127.0.0.3, healthcheck: dead}\n" in text
    assert "        - name: backup\n          backends: {spare: {}}\n" in text
    assert "    dead:\n      type: tcp\n" in text
    assert "    db-main: {address: 127.0.0.3}\n" in STATIC_CONFIG


def test_changed_copy_sets_deletes_and_creates_without_touching_the_base():
    changed = changed_copy(
        RULES_CONFIG,
        [
            ("maglev.frontends.web.pools[0].name", "first"),
            ("maglev.frontends.web.pools.1.name", "second"),
            ("maglev.backends.b3", DELETE),
            ("maglev.healthchecker.transition-history", 3),
        ],
    )
    assert [pool["name"] for pool in changed["maglev"]["frontends"]["web"]["pools"]] == ["first", "second"]
    assert "b3" not in changed["maglev"]["backends"]
    assert changed["maglev"]["healthchecker"] == {"transition-history": 3}
    assert [pool["name"] for pool in RULES_CONFIG["maglev"]["frontends"]["web"]["pools"]] == ["main", "backup"]
    assert "b3" in RULES_CONFIG["maglev"]["backends"]


def test_state_config_paths_start_under_maglev():
    changed = state_config(**{"frontends.dsr": DELETE, "vpp.lb.ipv6-src-address": "2001:db8::1"})
    assert set(changed["maglev"]["frontends"]) == {"web", "web6"}
    assert changed["maglev"]["vpp"]["lb"]["ipv6-src-address"] == "2001:db8::1"
    assert "dsr" in STATE_CONFIG["maglev"]["frontends"]


def test_a_backend_answers_200_until_it_is_made_unhealthy():
    server = start_backend("127.0.0.1")
    try:
        statuses = []
        for healthy in (True, False):
            server.healthy = healthy  # type: ignore[attr-defined]
            connection = http.client.HTTPConnection(*server.server_address, timeout=10)
            connection.request("GET", "/healthz")
            statuses.append(connection.getresponse().status)
            connection.close()
        assert statuses == [200, 503]
    finally:
        stop_backend(server)
