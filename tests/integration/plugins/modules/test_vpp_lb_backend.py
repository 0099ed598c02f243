"""vpp.maglev.vpp_lb_backend end to end against vppsim."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import sim_vip

pytestmark = pytest.mark.integration

VIP = "192.0.2.1/32"


def setup_vip(*addresses, **extra):
    args = {"vip": VIP, "protocol": "tcp", "port": 80, "backends": [{"address": a} for a in addresses]}
    args.update(extra)
    return {"name": "setup", "vpp.maglev.vpp_lb_frontend": args}


def backend(**args):
    return {"vpp.maglev.vpp_lb_backend": dict({"vip": VIP}, **args)}


def weights(result):
    return {b["address"]: b["weight"] for b in result["after"]["backends"]}


def test_drain_disable_enable_remove_lifecycle(tmp_path, vppsim):
    drained = backend(address="10.0.0.2", state="drained")
    tasks = [
        setup_vip("10.0.0.1", "10.0.0.2", "10.0.0.3"),
        dict(drained, check_mode=True),
        drained,
        drained,
        backend(address="10.0.0.3", state="disabled"),
        backend(address="10.0.0.2", state="enabled", weight=50),
        backend(address="10.0.0.3", state="absent", flush=True),
        backend(address="10.0.0.4", weight=30),  # present adds
        backend(address="10.0.0.4"),  # present keeps the weight
    ]
    run = run_playbook(tmp_path, tasks, vpp=vppsim, diff=True)
    assert run.ok, run.stdout
    check, drain, drain_again, disable, enable, remove, add, keep = run.results[1:]
    assert check["after"] == drain["after"]
    assert (
        check["api_calls"]
        == drain["api_calls"]
        == [
            {
                "msg": "lb_as_set_weight",
                "args": {
                    "pfx": VIP,
                    "protocol": 6,
                    "port": 80,
                    "as_address": "10.0.0.2",
                    "weight": 0,
                    "is_flush": False,
                },
            }
        ]
    )
    assert "-  10.0.0.2: weight 100\n+  10.0.0.2: weight 0" in run.stdout
    assert not drain_again["changed"] and drain_again["api_calls"] == []
    assert disable["api_calls"][0]["args"]["is_flush"] is True
    assert weights(disable) == {"10.0.0.1": 100, "10.0.0.2": 0, "10.0.0.3": 0}
    assert weights(enable)["10.0.0.2"] == 50
    assert remove["commands"] == ["lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.3 del flush"]
    assert weights(add) == {"10.0.0.1": 100, "10.0.0.2": 50, "10.0.0.4": 30}
    assert not keep["changed"]
    assert keep["after"] == sim_vip(vppsim, VIP, 80)
    assert keep["vip"] == {"vip": VIP, "protocol": "tcp", "port": 80}
    flushed = [(f["message"], f["as"]) for f in vppsim.state()["flushes"]]
    assert flushed == [("lb_as_set_weight", "10.0.0.3"), ("lb_add_del_as_v2", "10.0.0.3")]


def test_second_run_sends_no_write(tmp_path, vppsim):
    first = run_playbook(tmp_path, [setup_vip("10.0.0.1", "10.0.0.2")], vpp=vppsim)
    assert first.ok, first.stdout
    vppsim.reset_stats()
    tasks = [backend(address="10.0.0.2", state=state) for state in ("present", "enabled")]
    tasks.append(backend(address="10.0.0.9", state="absent"))
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    assert run.ok, run.stdout
    assert [r["changed"] for r in run.results] == [False, False, False]
    assert vppsim.stats()["writes"] == 0


def test_guard_refuses_to_stop_the_last_serving_backend(tmp_path, vppsim):
    tasks = [
        setup_vip("10.0.0.1", "10.0.0.2"),
        backend(address="10.0.0.2", state="drained"),
        dict(backend(address="10.0.0.1", state="drained"), ignore_errors=True),
        dict(backend(address="10.0.0.1", state="absent"), ignore_errors=True),
        backend(address="10.0.0.1", state="disabled", allow_empty=True),
    ]
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    assert run.ok, run.stdout
    statuses = [entry["status"] for entry in run.entries]
    assert statuses == ["ok", "ok", "failed", "failed", "ok"]
    assert "refusing to drain 10.0.0.1: it is the last backend with weight > 0" in run.results[2]["msg"]
    assert "allow_empty: true" in run.results[3]["msg"]
    assert weights(run.results[4]) == {"10.0.0.1": 0, "10.0.0.2": 0}


def test_vip_lookup_by_prefix_unknown_and_ambiguous(tmp_path, vppsim):
    udp = {"name": "udp", "vpp.maglev.vpp_lb_frontend": {"vip": VIP, "protocol": "udp", "port": 53}}
    tasks = [
        dict(backend(vip="198.51.100.1", address="10.0.0.1"), ignore_errors=True),
        backend(vip="198.51.100.1", address="10.0.0.1", state="absent"),
        setup_vip("10.0.0.1"),
        backend(address="10.0.0.2"),  # the only VIP on the prefix
        udp,
        dict(backend(address="10.0.0.3"), ignore_errors=True),
        backend(address="10.0.0.3", protocol="udp", port=53),
    ]
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    assert run.ok, run.stdout
    unknown, absent, found, ambiguous, explicit = (run.results[i] for i in (0, 1, 3, 5, 6))
    assert [entry["status"] for entry in run.entries] == ["failed", "ok", "ok", "ok", "ok", "failed", "ok"]
    assert "vip 198.51.100.1/32 does not exist in VPP" in unknown["msg"]
    assert "vpp.maglev.vpp_lb_frontend" in unknown["msg"]
    assert not absent["changed"]
    assert found["vip"]["port"] == 80 and weights(found)["10.0.0.2"] == 100
    assert "is ambiguous: VPP has 192.0.2.1/32 udp:53, 192.0.2.1/32 tcp:80; give protocol and port" in ambiguous["msg"]
    assert explicit["vip"] == {"vip": VIP, "protocol": "udp", "port": 53}
    assert sim_vip(vppsim, VIP, 53)["backends"] == [{"address": "10.0.0.3", "weight": 100}]


def test_wait_reports_what_vpp_shows(tmp_path, vppsim):
    tasks = [
        setup_vip("10.0.0.1", "10.0.0.2"),
        backend(address="10.0.0.2", state="drained", wait=True, wait_timeout=5),
        backend(address="10.0.0.2", state="enabled", wait=True),
        dict(backend(address="10.0.0.2", state="drained", wait=True), check_mode=True),
    ]
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    assert run.ok, run.stdout
    drained, enabled, check = run.results[1:]
    assert drained["wait"]["confirmed"] and drained["wait"]["weight"] == 0 and drained["wait"]["num_buckets"] == 0
    assert enabled["wait"]["weight"] == 100 and enabled["wait"]["num_buckets"] == 512
    assert "wait" not in check


BAD = [
    ({"address": "10.0.0.1", "weight": 300}, "weight: 300 is out of range 0..100"),
    ({"address": "10.0.0.1", "state": "drained", "weight": 10}, "weight: cannot be used with state drained"),
    ({"address": "10.0.0.1", "state": "drained", "flush": True}, "state disabled is weight 0 with flush"),
    ({"address": "10.0.0.256"}, "address: '10.0.0.256' is not an IPv4 or IPv6 address"),
    ({"address": "2001:db8::1"}, "address family mismatch: 2001:db8::1 is IPv6 but encap gre4"),
    ({"address": "10.0.0.1", "vip": "192.0.2.1/31"}, "vip: 192.0.2.1/31 has host bits set"),
    ({"address": "10.0.0.1", "port": 80}, "protocol: a per-port VIP (port 80) needs protocol tcp or udp"),
    (
        {"address": "10.0.0.1", "state": "drained", "wait": True, "wait_timeout": -1},
        "wait_timeout: -1.0 is out of range 0..86400 (seconds)",
    ),
]


def test_bad_input_fails_clearly_and_leaves_vpp_untouched(tmp_path, vppsim):
    setup = run_playbook(tmp_path, [setup_vip("10.0.0.1", "10.0.0.2")], vpp=vppsim)
    assert setup.ok, setup.stdout
    before = sim_vip(vppsim, VIP, 80)
    vppsim.reset_stats()
    run = run_playbook(tmp_path, [dict(backend(**args), ignore_errors=True) for args, _message in BAD], vpp=vppsim)
    assert [entry["status"] for entry in run.entries] == ["failed"] * len(BAD), run.stdout
    for (args, expected), result in zip(BAD, run.results):
        assert expected in result["msg"], (args, result["msg"])
    assert vppsim.stats()["writes"] == 0
    assert sim_vip(vppsim, VIP, 80) == before
