"""Config + backend states -> desired LbState, through the truth table."""

from __future__ import annotations

import ipaddress

from ansible_collections.vpp.maglev.plugins.module_utils.config_model import (
    Backend,
    Config,
    Frontend,
    Pool,
    PoolMember,
    VppLbSettings,
)
from ansible_collections.vpp.maglev.plugins.module_utils.desired import backend_weights, desired_state
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState

A = ipaddress.ip_address
UP, DOWN, DISABLED = BackendState.UP, BackendState.DOWN, BackendState.DISABLED


def config(flush_on_down=True, enabled_b2=True):
    backends = {
        "b1": Backend("b1", A("10.0.0.1")),
        "b2": Backend("b2", A("10.0.0.2"), enabled=enabled_b2),
        "b10": Backend("b10", A("10.0.0.10")),
    }
    web = Frontend(
        "web",
        ipaddress.ip_network("192.0.2.1/32"),
        protocol=6,
        port=80,
        pools=(
            Pool("primary", (PoolMember("b10", 60), PoolMember("b2", 100))),
            Pool("backup", (PoolMember("b1", 100),)),
        ),
        attrs=VipAttrs(encap="gre4"),
        flush_on_down=flush_on_down,
    )
    lb = VppLbSettings(ipv4_src_address=A("10.255.0.1"))
    return Config(vpp_lb=lb, backends=backends, frontends={"web": web})


KEY = VipKey.make("192.0.2.1/32", "tcp", 80)


def test_assume_up_puts_pool0_in_service_in_numeric_order():
    state = desired_state(config())
    vip = state.vips[KEY]
    assert list(vip.ases.items()) == [(A("10.0.0.1"), 0), (A("10.0.0.2"), 100), (A("10.0.0.10"), 60)]
    assert state.conf.ip4_src_address == A("10.255.0.1") and state.conf.sticky_buckets_per_core == 65536


def test_primary_down_fails_over_to_backup_with_flush_on_down():
    vip = desired_state(config(), {"b1": UP, "b2": DOWN, "b10": DOWN}).vips[KEY]
    assert vip.ases == {A("10.0.0.1"): 100, A("10.0.0.2"): 0, A("10.0.0.10"): 0}
    assert vip.flush == {A("10.0.0.2"), A("10.0.0.10")}
    no_flush = desired_state(config(flush_on_down=False), {"b1": UP, "b2": DOWN, "b10": DOWN}).vips[KEY]
    assert no_flush.flush == frozenset()


def test_disabled_backend_in_config_is_weight_zero_with_flush():
    vip = desired_state(config(enabled_b2=False)).vips[KEY]
    assert vip.ases[A("10.0.0.2")] == 0 and A("10.0.0.2") in vip.flush
    assert vip.ases[A("10.0.0.10")] == 60


def test_missing_state_counts_as_unknown():
    vip = desired_state(config(), {"b1": UP}).vips[KEY]
    assert vip.ases == {A("10.0.0.1"): 100, A("10.0.0.2"): 0, A("10.0.0.10"): 0}


def test_backend_weights_view():
    rows = backend_weights(config(), {"b1": UP, "b2": UP, "b10": DOWN})["web"]
    assert [(r["pool"], r["backend"], r["state"], r["configured_weight"], r["weight"]) for r in rows] == [
        ("primary", "b10", "down", 60, 0),
        ("primary", "b2", "up", 100, 100),
        ("backup", "b1", "up", 100, 0),
    ]
