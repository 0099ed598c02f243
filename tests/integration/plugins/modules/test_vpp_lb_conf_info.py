"""vpp.maglev.vpp_lb_conf and vpp.maglev.vpp_lb_info end to end against vppsim."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import sim_conf, sim_vips

pytestmark = pytest.mark.integration


def conf(**args):
    return {"vpp.maglev.vpp_lb_conf": args}


def test_conf_check_apply_idempotent_and_only_given_options(tmp_path, vppsim):
    first = conf(ip4_src_address="192.0.2.254", flow_timeout=30)
    second = conf(ip6_src_address="2001:db8::fe")
    tasks = [dict(first, check_mode=True), first, first, second]
    run = run_playbook(tmp_path, tasks, vpp=vppsim, diff=True)
    assert run.ok, run.stdout
    check, apply, again, other = run.results
    assert check["after"] == apply["after"]
    assert check["diff"][0]["before_header"] == "lb conf"
    assert "+flow_timeout: 30" in run.stdout
    assert not again["changed"]
    # lb_conf overwrites both addresses: the one not given is sent with its current value
    assert other["api_calls"][0]["args"]["ip4_src_address"] == "192.0.2.254"
    assert (
        other["after"]
        == sim_conf(vppsim)
        == {
            "ip4_src_address": "192.0.2.254",
            "ip6_src_address": "2001:db8::fe",
            "sticky_buckets_per_core": 1024,
            "flow_timeout": 30,
        }
    )
    assert vppsim.stats()["writes"] == 2


BAD = [
    ({"flow_timeout": 0}, "flow_timeout: 0 is out of range 1..120 (seconds)"),
    ({"flow_timeout": 121}, "flow_timeout: 121 is out of range 1..120 (seconds)"),
    ({"sticky_buckets_per_core": 1000}, "sticky_buckets_per_core: 1000 is not a power of two"),
    ({"sticky_buckets_per_core": 0}, "sticky_buckets_per_core: 0 is out of range 1..2147483648 (a power of two)"),
    ({"ip4_src_address": "2001:db8::1"}, "ip4_src_address: 2001:db8::1 is an IPv6 address; expected an IPv4 address"),
    ({"ip6_src_address": "192.0.2.1"}, "ip6_src_address: 192.0.2.1 is an IPv4 address; expected an IPv6 address"),
    ({}, "one of the following is required: ip4_src_address, ip6_src_address"),
]


def test_conf_bad_input_fails_clearly_and_leaves_vpp_untouched(tmp_path, vppsim):
    run = run_playbook(tmp_path, [dict(conf(**args), ignore_errors=True) for args, _message in BAD], vpp=vppsim)
    assert [entry["status"] for entry in run.entries] == ["failed"] * len(BAD), run.stdout
    for (args, expected), result in zip(BAD, run.results):
        assert expected in result["msg"], (args, result["msg"])
    assert vppsim.stats()["writes"] == 0


def test_info_reports_everything_in_the_modules_schema(tmp_path, vppsim):
    tasks = [
        {
            "vpp.maglev.vpp_lb_frontend": {
                "vip": "192.0.2.1/32",
                "protocol": "tcp",
                "port": 80,
                "encap": "nat4",
                "target_port": 8080,
                "src_ip_sticky": True,
                "backends": [
                    {"address": "10.0.0.1"},
                    {"address": "10.0.0.2", "weight": 50},
                    {"address": "10.0.0.3", "weight": 0},
                ],
            }
        },
        {
            "vpp.maglev.vpp_lb_frontend": {
                "vip": "2001:db8::1",
                "encap": "gre6",
                "backends": [{"address": "2001:db8:1::1"}],
            }
        },
        {"vpp.maglev.vpp_lb_frontend": {"vip": "198.51.100.0/24", "encap": "l3dsr", "dscp": 34}},
        {"vpp.maglev.vpp_lb_info": {}, "check_mode": True},
    ]
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    assert run.ok, run.stdout
    info = run.last
    assert not info["changed"]
    assert info["lb_api_version"] == "1.2.0"
    assert info["vpp"]["version"].startswith("26.10")
    assert info["src_ip_sticky_readable"] is True
    without_buckets = [
        dict(vip, backends=[{k: v for k, v in b.items() if k != "num_buckets"} for b in vip["backends"]])
        for vip in info["lb"]["vips"]
    ]
    assert without_buckets == sim_vips(vppsim)
    assert [vip["vip"] for vip in info["lb"]["vips"]] == ["192.0.2.1/32", "198.51.100.0/24", "2001:db8::1/128"]
    nat = info["lb"]["vips"][0]
    assert (nat["target_port"], nat["src_ip_sticky"]) == (8080, True)  # dump quirks undone, CLI read
    buckets = [b["num_buckets"] for b in nat["backends"]]
    assert sum(buckets) == 1024 and buckets[2] == 0 and buckets[0] > buckets[1] > 0
    assert info["lb"]["vips"][1]["dscp"] == 34
    assert info["lb"]["conf"] == sim_conf(vppsim)
    frontends = info["config"]["maglev"]["frontends"]
    assert {f["address"] for f in frontends.values()} == {"192.0.2.1/32", "198.51.100.0/24", "2001:db8::1/128"}
