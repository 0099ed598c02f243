"""wants: what vpp_lb_frontend/vpp_lb_backend accepted but must not (NAT ports, booleans,
table length), and the one table-length rule shared with maglev.yaml."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import config
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import (
    MAX_TABLE_LENGTH,
    LbConf,
    LbState,
    Vip,
    VipAttrs,
    VipKey,
)
from ansible_collections.vpp.maglev.plugins.module_utils.rules import frontend as frontend_rules
from ansible_collections.vpp.maglev.plugins.module_utils.wants import (
    ModuleInputError,
    backend_request,
    check_weight,
    frontend_request,
    frontend_want,
)


def fe(**params):
    base = {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80, "state": "present", "purge": False}
    base.update(params)
    return frontend_request(base)


def test_nat_target_port_zero_is_refused():
    with pytest.raises(ModuleInputError, match=r"^target_port: 0 is out of range; expected an integer from 1 to 65535"):
        fe(encap="nat4", target_port=0)


def test_an_all_port_nat_vip_needs_a_target_port():
    request = fe(protocol=None, port=0, encap="nat4")
    with pytest.raises(ModuleInputError, match=r"^target_port: required for encap nat4 on the all-port vip"):
        frontend_want(request, LbState())
    desired, _state = frontend_want(fe(protocol=None, port=0, encap="nat4", target_port=8080), LbState())
    assert next(iter(desired.vips.values())).attrs.target_port == 8080


def test_a_per_port_nat_vip_defaults_its_target_port_to_its_port_as_maglev_yaml_does():
    desired, _state = frontend_want(fe(encap="nat4"), LbState())
    assert next(iter(desired.vips.values())).attrs.target_port == 80


def test_an_existing_nat_vip_keeps_its_target_port_when_none_is_given():
    key = VipKey.make("192.0.2.1/32", "tcp", 80)
    have = LbState(LbConf(), {key: Vip(key, VipAttrs(encap="nat4", target_port=8443), {})})
    desired, _state = frontend_want(fe(), have)
    assert desired.vips[key].attrs.target_port == 8443  # omitting an option never recreates


@pytest.mark.parametrize("value", [True, False, 1.0, "1"])
def test_a_weight_must_be_an_integer_not_a_boolean(value):
    with pytest.raises(ModuleInputError, match="expected an integer from 0 to 100, got"):
        check_weight(value, "weight")
    base = {"vip": "192.0.2.1/32", "protocol": None, "port": None, "address": "10.0.0.1", "state": "present"}
    with pytest.raises(ModuleInputError, match=r"^weight: "):
        backend_request(dict(base, weight=value))


def maglev_yaml(length):
    return {
        "maglev": {
            "vpp": {"lb": {"ipv4-src-address": "192.0.2.254"}},
            "backends": {"b1": {"address": "10.0.0.1"}},
            "frontends": {
                "web": {
                    "address": "192.0.2.1",
                    "protocol": "tcp",
                    "port": 80,
                    "new-flows-table-length": length,
                    "pools": [{"name": "main", "backends": {"b1": {}}}],
                }
            },
        }
    }


def test_one_table_length_limit_for_maglev_yaml_and_vpp_lb_frontend():
    assert MAX_TABLE_LENGTH == 65536 == frontend_rules.MAX_TABLE_LENGTH  # one constant, in rules/frontend.py
    fe(new_flows_table_length=MAX_TABLE_LENGTH)
    config.parse(maglev_yaml(MAX_TABLE_LENGTH))
    with pytest.raises(
        ModuleInputError, match=r"^new_flows_table_length: 131072 is out of range; expected an integer from 1 to 65536"
    ):
        fe(new_flows_table_length=MAX_TABLE_LENGTH * 2)
    with pytest.raises(config.ConfigError, match="new-flows-table-length"):
        config.parse(maglev_yaml(MAX_TABLE_LENGTH * 2))
