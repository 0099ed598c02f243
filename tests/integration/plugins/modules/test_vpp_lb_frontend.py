"""vpp.maglev.vpp_lb_frontend end to end: ansible-playbook -> module -> vpp_papi -> vppsim."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import sim_vip, sim_vips

pytestmark = pytest.mark.integration

WEB = {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80}


def frontend(**args):
    return {"vpp.maglev.vpp_lb_frontend": dict(WEB, **args)}


def backends(*spec):
    return [{"address": address, "weight": weight} for address, weight in spec]


def test_check_mode_predicts_apply_and_rerun_sends_no_write(tmp_path, vppsim):
    task = frontend(backends=backends(("10.0.0.1", 100), ("10.0.0.2", 50)))
    run = run_playbook(tmp_path, [dict(task, check_mode=True), task, task], vpp=vppsim, diff=True)
    assert run.ok, run.stdout
    check, apply, again = run.results
    assert check["changed"] and apply["changed"] and not again["changed"]
    # what check mode predicted is what VPP holds after the apply, and what apply reports
    assert check["after"] == sim_vip(vppsim, "192.0.2.1/32", 80) == apply["after"] == again["after"]
    assert check["after"]["backends"] == backends(("10.0.0.1", 100), ("10.0.0.2", 50))
    assert (
        check["commands"]
        == apply["commands"]
        == [
            "lb vip 192.0.2.1/32 protocol tcp port 80 encap gre4 new_len 1024",
            "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.1 weight 100",
            "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.2 weight 50",
        ]
    )
    assert again["commands"] == [] and again["api_calls"] == []
    # only the apply wrote: check mode and the second run sent nothing that changes VPP
    assert vppsim.stats()["writes"] == len(apply["api_calls"]) == 3
    # diff: one block for the VIP, new backends shown line by line
    (block,) = check["diff"]
    assert block["before_header"] == "vip 192.0.2.1/32 tcp:80"
    assert block["before"] == ""
    assert "  10.0.0.2: weight 50\n" in block["after"]
    assert "+  10.0.0.2: weight 50" in run.stdout


def test_recreate_when_encap_changes_keeps_backends(tmp_path, vppsim):
    first = frontend(backends=backends(("10.0.0.1", 100), ("10.0.0.2", 100)))
    change = frontend(encap="l3dsr", dscp=10)
    run = run_playbook(tmp_path, [first, dict(change, check_mode=True), change, change], vpp=vppsim, diff=True)
    assert run.ok, run.stdout
    check, apply, again = run.results[1:]
    assert check["recreated"] and apply["recreated"] and not again["recreated"]
    assert check["recreate_reasons"] == ["dscp", "encap"]
    assert "recreated: " in check["diff"][0]["before_header"]
    assert check["after"] == apply["after"] == sim_vip(vppsim, "192.0.2.1/32", 80)
    assert apply["after"]["encap"] == "l3dsr" and apply["after"]["dscp"] == 10
    assert apply["after"]["backends"] == backends(("10.0.0.1", 100), ("10.0.0.2", 100))
    assert not again["changed"]


def test_merge_keeps_unlisted_backends_and_purge_removes_them(tmp_path, vppsim):
    tasks = [
        frontend(backends=backends(("10.0.0.1", 100), ("10.0.0.2", 100))),
        frontend(backends=backends(("10.0.0.3", 20))),  # merge
        frontend(backends=backends(("10.0.0.2", 70), ("10.0.0.3", 20)), purge=True, flush=True),
    ]
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    assert run.ok, run.stdout
    merged, purged = run.results[1:]
    assert [b["address"] for b in merged["after"]["backends"]] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert purged["after"] == sim_vip(vppsim, "192.0.2.1/32", 80)
    assert purged["after"]["backends"] == backends(("10.0.0.2", 70), ("10.0.0.3", 20))
    assert purged["commands"] == [
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.2 weight 70",
        "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.1 del flush",
    ]
    assert [(f["as"], f["message"]) for f in vppsim.state()["flushes"]] == [("10.0.0.1", "lb_add_del_as_v2")]


def test_attributes_not_given_are_kept(tmp_path, vppsim):
    six = {"vip": "2001:db8::/64", "protocol": "udp", "port": 53}
    tasks = [
        {"vpp.maglev.vpp_lb_frontend": dict(six, encap="gre6", new_flows_table_length=65536, src_ip_sticky=True)},
        {"vpp.maglev.vpp_lb_frontend": dict(six, backends=backends(("2001:db8:1::1", 100)))},
    ]
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    assert run.ok, run.stdout
    after = run.results[1]["after"]
    assert not run.results[1]["recreated"]
    assert (after["encap"], after["new_flows_table_length"], after["src_ip_sticky"]) == ("gre6", 65536, True)
    assert sim_vips(vppsim) == [after]


def test_absent_deletes_the_vip_and_is_idempotent(tmp_path, vppsim):
    tasks = [
        frontend(backends=backends(("10.0.0.1", 100))),
        dict(frontend(state="absent"), check_mode=True),
        frontend(state="absent"),
        frontend(state="absent"),
    ]
    run = run_playbook(tmp_path, tasks, vpp=vppsim, diff=True)
    assert run.ok, run.stdout
    check, apply, again = run.results[1:]
    assert check["changed"] and check["after"] == {} and check["diff"][0]["after"] == ""
    assert apply["changed"] and apply["after"] == {}
    assert not again["changed"] and again["commands"] == []
    assert sim_vips(vppsim) == []


BAD = [
    ({"vip": "192.0.2.300/32"}, "vip: '192.0.2.300/32' is not an IPv4/IPv6 address or prefix"),
    ({"vip": "192.0.2.1/24"}, "vip: 192.0.2.1/24 has host bits set; did you mean 192.0.2.0/24?"),
    ({"port": 0}, "protocol: tcp needs a port"),
    ({"protocol": None}, "protocol: a per-port VIP (port 80) needs protocol tcp or udp"),
    ({"backends": [{"address": "10.0.0.1", "weight": 300}]}, "backends[0].weight: 300 is out of range 0..100"),
    ({"backends": [{"address": "2001:db8::1"}]}, "address family mismatch: 2001:db8::1 is IPv6 but encap gre4"),
    ({"backends": [{"address": "10.0.0.1"}, {"address": "10.0.0.1"}]}, "backends[1].address: 10.0.0.1 is listed twice"),
    ({"backends": [{"address": "10.0.0.x"}]}, "backends[0].address: '10.0.0.x' is not an IPv4 or IPv6 address"),
    ({"dscp": 10}, "dscp: only applies to encap l3dsr"),
    ({"encap": "l3dsr", "dscp": 64}, "dscp: 64 is out of range 0..63"),
    ({"encap": "nat4", "type": "nodeport"}, "type: nodeport cannot be set through VPP's binary API"),
    ({"target_port": 8080}, "target_port: only applies to encap nat4/nat6"),
    ({"new_flows_table_length": 1000}, "new_flows_table_length: 1000 is not a power of two"),
    ({"vip": "2001:db8::1", "protocol": "tcp", "encap": "l3dsr"}, "encap: l3dsr cannot be used with the IPv6 vip"),
    ({"state": "absent", "backends": []}, "state absent deletes the VIP: backends cannot be used with it"),
    ({"purge": True}, "purge: true needs backends"),
    ({"encap": "gre5"}, "value of encap must be one of"),
]


def test_bad_input_fails_clearly_and_leaves_vpp_untouched(tmp_path, vppsim):
    tasks = [dict(frontend(**args), ignore_errors=True) for args, _message in BAD]
    for task in tasks:  # None means "omit the option"
        module_args = task["vpp.maglev.vpp_lb_frontend"]
        for name in [name for name, value in module_args.items() if value is None]:
            del module_args[name]
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    assert [entry["status"] for entry in run.entries] == ["failed"] * len(BAD), run.stdout
    for (args, expected), result in zip(BAD, run.results):
        assert expected in result["msg"], (args, result["msg"])
        assert "Traceback" not in result["msg"]
    assert vppsim.stats()["writes"] == 0
    assert sim_vips(vppsim) == []


def test_refuses_a_vip_managed_by_a_running_maglevd_unless_forced(tmp_path, vppsim, maglevd):
    managed = dict(backends=backends(("10.0.0.1", 100)), maglevd_socket=maglevd.socket)
    other = dict(managed, vip="192.0.2.2")
    tasks = [dict(frontend(**managed), ignore_errors=True), frontend(**other), frontend(force=True, **managed)]
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    refused, unmanaged, forced = run.entries
    assert refused["status"] == "failed"
    assert "vip 192.0.2.1/32 tcp:80 is managed by the maglevd" in refused["result"]["msg"]
    assert "vpp.maglev.maglev_backend" in refused["result"]["msg"]
    assert "force: true" in refused["result"]["msg"]
    assert unmanaged["status"] == "ok" and unmanaged["result"]["changed"]  # not one of maglevd's VIPs
    assert forced["status"] == "ok" and forced["result"]["changed"]
    assert sim_vip(vppsim, "192.0.2.1/32", 80) == forced["result"]["after"]
