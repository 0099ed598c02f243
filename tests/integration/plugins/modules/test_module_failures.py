"""How the modules fail: old VPP, no socket, VPP restarting between tasks, a connection dropped
or an error returned in the middle of an apply (and that the next run converges)."""

from __future__ import annotations

import json

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import PYTHON, run_playbook
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import sim_vip
from ansible_collections.vpp.maglev.vppsim.harness import VppSim

pytestmark = pytest.mark.integration

WEB = {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80}
FIVE = [{"address": "10.0.0.%d" % i} for i in range(1, 6)]
ALL_MODULES = [
    {"vpp.maglev.vpp_lb_conf": {"flow_timeout": 30}},
    {"vpp.maglev.vpp_lb_frontend": WEB},
    {"vpp.maglev.vpp_lb_backend": dict(WEB, address="10.0.0.1")},
    {"vpp.maglev.vpp_lb_info": {}},
]


def failing(tasks):
    return [dict(task, ignore_errors=True) for task in tasks]


def test_old_vpp_gets_one_clear_error(tmp_path):
    (tmp_path / "sim").mkdir()
    with VppSim(tmp_path / "sim", vpp_version="26.06") as sim:
        run = run_playbook(tmp_path, failing(ALL_MODULES), vpp=sim)
        assert [entry["status"] for entry in run.entries] == ["failed"] * 4, run.stdout
        for result in run.results:
            assert "VPP 26.06" in result["msg"]
            assert "lb_as_set_weight" in result["msg"] and "lb.api 1.2.0 or newer" in result["msg"]
        assert sim.stats()["writes"] == 0


def test_missing_socket_names_the_path(tmp_path):
    missing = str(tmp_path / "nowhere" / "api.sock")
    defaults = {"group/vpp.maglev.vpp": {"api_socket": missing}}
    run = run_playbook(tmp_path, failing(ALL_MODULES), module_defaults=defaults)
    assert [entry["status"] for entry in run.entries] == ["failed"] * 4, run.stdout
    for result in run.results:
        assert "VPP API socket %s does not exist" % missing in result["msg"]


def test_vpp_restart_between_two_tasks(tmp_path, vppsim):
    restart = [
        str(PYTHON),
        "-c",
        "import json, socket, sys\n"
        "s = socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
        "s.sendall(json.dumps({'cmd': 'restart'}).encode() + b'\\n')\n"
        "assert json.loads(s.makefile().readline())['ok']",
        vppsim.control_socket,
    ]
    task = {"vpp.maglev.vpp_lb_frontend": dict(WEB, backends=FIVE[:2])}
    tasks = [task, {"ansible.builtin.command": {"argv": restart}}, task, task]
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    assert run.ok, run.stdout
    first, restarted, after_restart, again = run.results
    assert restarted["rc"] == 0
    assert first["changed"] and after_restart["changed"] and not again["changed"]
    assert after_restart["before"] == {}  # the restarted VPP came back empty
    assert after_restart["after"] == first["after"] == sim_vip(vppsim, "192.0.2.1/32", 80)
    assert vppsim.state()["restarts"] == 1


def test_connection_dropped_mid_apply_reports_and_rerun_converges(tmp_path, vppsim):
    task = {"vpp.maglev.vpp_lb_frontend": dict(WEB, backends=FIVE)}
    # the module reads lb_conf_get and lb_vip_dump; VPP "crashes" on the third write
    vppsim.set_fault(drop_after=4)
    broken = run_playbook(tmp_path, [task], vpp=vppsim)
    assert not broken.ok
    result = broken.last
    assert result["connection_lost"] is True and result["error"] == "CONNECTION_LOST"
    # Writes are pipelined, and a crashing peer may take replies already written with it,
    # so the client reports the oldest unanswered op as in doubt and every op exactly once.
    plan_lines = [result["failed_op"], *result["applied"], *result["not_applied"]]
    assert sorted(plan_lines) == sorted(
        ["lb vip 192.0.2.1/32 protocol tcp port 80 encap gre4 new_len 1024"]
        + ["lb as 192.0.2.1/32 protocol tcp port 80 %s weight 100" % b["address"] for b in FIVE]
    )
    applied_in_vpp = vppsim.state()
    assert len(applied_in_vpp["vips"]) == 1  # VPP did take the VIP: the report said "in doubt", not "failed"
    assert "re-running the task converges" in result["msg"]
    assert result["changed"] is True  # something may have been applied

    vppsim.set_fault(drop_after=None)
    rerun = run_playbook(tmp_path, [task, task], vpp=vppsim)
    assert rerun.ok, rerun.stdout
    converge, again = rerun.results
    assert len(converge["commands"]) == 4 and not again["changed"]
    assert [b["address"] for b in sim_vip(vppsim, "192.0.2.1/32", 80)["backends"]] == [b["address"] for b in FIVE]


def test_vpp_error_mid_apply_names_the_op_and_the_error(tmp_path, vppsim):
    vppsim.set_fault(fail={"message": "lb_add_del_as_v2", "nth": 3, "retval": -97})
    task = {"vpp.maglev.vpp_lb_frontend": dict(WEB, backends=FIVE)}
    run = run_playbook(tmp_path, [task], vpp=vppsim)
    assert not run.ok
    result = run.last
    assert result["retval"] == -97 and result["error"] == "INVALID_ADDRESS_FAMILY"
    assert "operation 4 of 6 failed: lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.3 weight 100" in result["msg"]
    assert "VPP returned -97 (INVALID_ADDRESS_FAMILY)" in result["msg"]
    # Adds are pipelined: the two sent before the failure's reply arrived took effect too,
    # and the error says so (nothing that removes or zeroes an AS rides along; see vppclient).
    assert len(result["applied"]) == 5 and result["not_applied"] == []
    assert json.dumps(result)  # JSON-clean: nothing vpp_papi printed leaked into it


def test_a_timeout_of_zero_or_less_names_the_option(tmp_path, vppsim):
    tasks = [
        {name: dict(args, timeout=timeout)}
        for timeout in (0, -1)
        for task in ALL_MODULES + [{"vpp.maglev.vpp_lb_state": {"state": "gathered"}}]
        for name, args in task.items()
    ]
    run = run_playbook(tmp_path, failing(tasks), vpp=vppsim)
    assert [entry["status"] for entry in run.entries] == ["failed"] * 10, run.stdout
    for result, timeout in zip(run.results, [0.0] * 5 + [-1.0] * 5):
        assert (
            result["msg"]
            == "timeout: %s is not allowed; give the seconds to wait for VPP, above 0 and at most 3600" % timeout
        )
    assert vppsim.stats()["total"] == 0


def test_maglev_backend_checks_its_input_before_contacting_maglevd(tmp_path):
    # No maglevd runs on this socket: the input errors must come first.
    socket = str(tmp_path / "maglevd.sock")
    common = {"name": ["b1"], "maglevd_socket": socket}
    tasks = [
        {"vpp.maglev.maglev_backend": dict(common, frontend="web", pool="primary", weight=500)},
        {"vpp.maglev.maglev_backend": dict(common, state="paused", timeout=0)},
        {"vpp.maglev.maglev_backend": dict(common, state="paused")},
    ]
    run = run_playbook(tmp_path, failing(tasks))
    weight, timeout, no_daemon = (result["msg"] for result in run.results)
    assert weight == "weight: 500 is out of range 0..100"
    assert timeout == "timeout: 0.0 is not allowed; give the seconds to wait for maglevd, above 0 and at most 3600"
    assert no_daemon.startswith("maglevd on %s: " % socket), no_daemon
