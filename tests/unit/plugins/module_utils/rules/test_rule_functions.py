"""rules/*.py: pure functions of plain values that return the issues they find."""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import lb_model, weights
from ansible_collections.vpp.maglev.plugins.module_utils.rules import backend, frontend, healthcheck, lb_conf, pool
from ansible_collections.vpp.maglev.plugins.module_utils.rules.issue import Issue
from ansible_collections.vpp.maglev.plugins.module_utils.rules.values import check_name, read_address


@pytest.mark.parametrize("value", [0, 1, 50, 100])
def test_check_weight_accepts_0_to_100(value):
    assert pool.check_weight(value) == []


@pytest.mark.parametrize(
    "value, message",
    [
        (101, "101 is out of range; expected an integer from 0 to 100"),
        (-1, "-1 is out of range; expected an integer from 0 to 100"),
        (True, "expected an integer from 0 to 100, got a boolean (true)"),
        ("50", "expected an integer from 0 to 100, got a string ('50'); write it without quotes"),
        (None, "expected an integer from 0 to 100, got null (an empty value)"),
        (1.5, "expected an integer from 0 to 100, got a number (1.5)"),
        ([], "expected an integer from 0 to 100, got a list"),
    ],
)
def test_check_weight_refuses_with_the_allowed_range(value, message):
    assert pool.check_weight(value) == [Issue("weight", message)]
    assert pool.check_weight(value, "backends[0].weight")[0].field == "backends[0].weight"


def test_each_limit_is_defined_once():
    assert weights.MAX_WEIGHT is pool.MAX_WEIGHT
    assert pool.MAX_WEIGHT == 100
    assert lb_model.MAX_TABLE_LENGTH is frontend.MAX_TABLE_LENGTH
    assert frontend.MAX_TABLE_LENGTH == 65536
    assert lb_model.PROTOCOLS is frontend.PROTOCOLS and lb_model.ENCAPS is frontend.ENCAPS


@pytest.mark.parametrize(
    "value, fragment",
    [(1, None), (65536, None), (131072, "out of range"), (1000, "not a power of two"), (0, "out of range")],
)
def test_table_length(value, fragment):
    issues = frontend.check_table_length(value)
    if fragment is None:
        assert issues == []
    else:
        assert fragment in issues[0].message
    assert all(issue.field == "new_flows_table_length" for issue in issues)


def test_vip_rules():
    assert frontend.check_target_port(0)[0].field == "target_port"
    assert frontend.check_port(0) == [] and frontend.check_port(65536)
    assert frontend.check_protocol_port("tcp", 0)[0].message.startswith("tcp needs a port (1-65535)")
    assert frontend.check_protocol_port("any", 80)[0].message.startswith("any is only for all-port VIPs")
    assert frontend.check_protocol_port("any", 0) == frontend.check_protocol_port("udp", 53) == []
    assert frontend.check_vip_encap("nat6", 4)[0].message.endswith("allowed: gre4, gre6, l3dsr, nat4")
    assert frontend.check_srv_type("nodeport")[0].field == "type" and frontend.check_srv_type("clusterip") == []
    assert [i.field for i in frontend.check_encap_options("gre4", ["dscp", "type", "target_port"])] == [
        "dscp",
        "type",
        "target_port",
    ]
    assert frontend.check_encap_options("l3dsr", ["dscp"]) == []
    assert frontend.check_nat_target_port("nat4", 0, False)[0].field == "target_port"
    assert frontend.check_nat_target_port("nat4", 80, False) == []


def test_backend_rules():
    v4, v6 = ipaddress.ip_address("10.0.0.1"), ipaddress.ip_address("2001:db8::1")
    assert backend.check_backend_family(v4, "gre4") == backend.check_backend_family(v6, "gre6") == []
    assert backend.check_backend_family(v4, "gre6")[0].message == "10.0.0.1 is IPv4 but encap gre6 needs IPv6 backends"
    named = backend.check_backend_family(v6, "l3dsr", "backend 'b1'")[0].message
    assert named == "backend 'b1' is IPv6 (2001:db8::1) but encap l3dsr needs IPv4 backends"
    assert backend.read_backend_address("10.0.0.0/24")[1][0].message.endswith("(a single address, not a prefix)")
    assert read_address("a", "2001:db8::1", 4)[1][0].message.endswith("expected an IPv4 address")
    assert check_name("a b") and check_name("") and check_name("web-1") == []


def test_lb_conf_rules():
    assert lb_conf.check_sticky_buckets(1 << 31) == [] and lb_conf.check_sticky_buckets(1000)
    assert lb_conf.check_flow_timeout(120) == [] and lb_conf.check_flow_timeout(1.5)
    assert lb_conf.check_flow_timeout(True)[0].message.startswith("expected a whole number of seconds")
    assert lb_conf.read_src_address("192.0.2.1", 6)[1][0].field == "ipv6_src_address"


def test_healthcheck_rules():
    assert healthcheck.check_probe_port("tcp", None, False)[0].message == "required for type tcp (1-65535)"
    assert [i.message for i in healthcheck.check_probe_port("icmp", 0, True)] == [
        "0 is out of range; expected an integer from 1 to 65535",
        "not used by type icmp; remove it",
    ]
    assert healthcheck.check_timeout(1.0, 2.0) == [] and healthcheck.check_timeout(2.0, 2.0)
    assert (
        healthcheck.read_status_codes("300-200", 300, 200)[1][0].message == "range 300-200 is reversed; write 200-300"
    )
    assert healthcheck.check_rise_fall("rise", 1001)[0].field == "rise"
