"""playbooks/drift.yml against vppsim: drift made behind Ansible's back is found in check mode,
and fail_on_drift fails the play with a table (VIP, what differs, buckets moved) and the
advice for the host's mode, which works as printed; nothing is ever written."""

from __future__ import annotations

import os
import shlex
import subprocess

import pytest
import yaml
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess, wait_until
from ansible_collections.vpp.maglev.tests.helpers.paths import COLLECTIONS, ROOT
from ansible_collections.vpp.maglev.tests.helpers.playbook import (
    DRIFT_PLAYBOOK,
    local_inventory,
    run_playbook,
    run_with_inventory,
)
from ansible_collections.vpp.maglev.tests.helpers.sample_config import MINIMAL_VPP_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATE_CONFIG as BASE_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import behind_the_back, writes

pytestmark = pytest.mark.integration


def drift(tmp_path, sim, src, *, fail_on_drift, check=False, **extra):
    extra_vars = {"drift_hosts": "lbs", "maglev_config_src": str(src), "fail_on_drift": fail_on_drift}
    extra_vars.update(extra)
    return run_with_inventory(tmp_path, DRIFT_PLAYBOOK, local_inventory(sim), extra_vars=extra_vars, check=check)


def task_result(run, name):
    for entry in run.entries:
        if entry["task"] == name:
            return entry["status"], entry["result"]
    raise AssertionError("no task %r in %s" % (name, [entry["task"] for entry in run.entries]))


def test_drift_playbook_detects_and_fails_on_drift(tmp_path, vppsim):
    src = tmp_path / "maglev.yaml"
    src.write_text(yaml.safe_dump(BASE_CONFIG))
    applied = run_playbook(
        tmp_path / "apply", [{"vpp.maglev.vpp_lb_state": {"src": str(src), "state": "replaced"}}], vpp=vppsim
    )
    assert applied.ok, applied.stdout

    clean = drift(tmp_path / "clean", vppsim, src, fail_on_drift=True)
    assert clean.ok, clean.stdout
    assert task_result(clean, "Compare VPP with the desired state (check mode, diff)")[1]["changed"] is False
    assert task_result(clean, "Fail on drift")[0] == "skipped"

    with behind_the_back(vppsim) as vpp:  # an operator "fixes" something by hand
        vpp.api.lb_as_set_weight(pfx="192.0.2.10/32", protocol=6, port=80, as_address="10.0.0.2", weight=100)
        vpp.api.lb_add_del_as_v2(
            pfx="192.0.2.20/32", protocol=255, port=0, as_address="10.1.0.2", weight=0, is_del=True, is_flush=False
        )
    vppsim.reset_stats()

    reported = drift(tmp_path / "report", vppsim, src, fail_on_drift=False)
    assert reported.ok, reported.stdout
    status, result = task_result(reported, "Compare VPP with the desired state (check mode, diff)")
    assert status == "ok" and result["changed"]
    assert [block["before_header"] for block in result["diff"]] == [
        "vip 192.0.2.10/32 tcp:80",
        "vip 192.0.2.20/32 all-ports",
    ]
    assert result["summary"]["ases_added"] == 1 and result["summary"]["ases_reweighted"] == 1
    assert "--- before: vip 192.0.2.10/32 tcp:80" in reported.stdout

    assert task_result(reported, "Report the drift")[1]["msg"][:4] == [
        "drift on lb1: 2 VIPs differ (2 commands to converge)",
        "VIP                      WHAT DIFFERS (VPP has, the config wants)  BUCKETS MOVED",
        "192.0.2.10/32 tcp:80     10.0.0.2 weight 100, want 50              229/1024 (22.4%)",
        "192.0.2.20/32 all-ports  10.1.0.2 missing                          1024/2048 (50.0%)",
    ]

    for check in (False, True):  # a plain run, and an AWX "Check" job (--check)
        failed = drift(tmp_path / ("fail-%s" % check), vppsim, src, fail_on_drift=True, check=check)
        assert not failed.ok
        status, result = task_result(failed, "Fail on drift")
        assert status == "failed"
        lines = result["msg"].splitlines()
        assert lines[0] == "drift on lb1: 2 VIPs differ (2 commands to converge)"
        assert lines[2].split() == ["192.0.2.10/32", "tcp:80", "10.0.0.2", "weight", "100,", "want", "50"] + [
            "229/1024",
            "(22.4%)",
        ]
        assert "{" not in result["msg"] and "maglevc" not in result["msg"]  # no dict; no daemon here
        assert lines[-2] == "To converge it (no maglevd on this host, Ansible programs VPP):"
        assert result["msg"] in failed.stdout  # the table is on the console, not only in the events
    assert task_result(failed, "Report the drift")[0] == "skipped"  # printed once, by the failure
    assert writes(vppsim) == 0  # detection never writes

    fixed = run_advice(tmp_path / "fix", lines[-1])  # the advice, as printed, converges
    assert fixed.returncode == 0 and "CHANGED" in fixed.stdout, fixed.stdout + fixed.stderr
    assert drift(tmp_path / "after-fix", vppsim, src, fail_on_drift=True).ok


def run_advice(workdir, line):
    """Run the converge command the report printed, as an operator pastes it."""
    argv = shlex.split(line)
    assert argv[:2] == ["ansible", "lb1"] and "vpp.maglev.vpp_lb_state" in argv, line
    workdir.mkdir(parents=True)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1")
    env.update(ANSIBLE_LOCAL_TEMP=str(workdir / "tmp"), ANSIBLE_REMOTE_TEMP=str(workdir / "remote-tmp"))
    argv[0] = str(ROOT / ".venv" / "bin" / "ansible")
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=workdir, timeout=120, check=False)


def test_overridden_drift_reports_unknown_vips_unless_protected(tmp_path, vppsim):
    src = tmp_path / "maglev.yaml"
    src.write_text(yaml.safe_dump(BASE_CONFIG))
    assert run_playbook(tmp_path / "apply", [{"vpp.maglev.vpp_lb_state": {"src": str(src)}}], vpp=vppsim).ok
    with behind_the_back(vppsim) as vpp:
        vpp.api.lb_add_del_vip_v2(
            pfx="198.51.100.7/32",
            protocol=255,
            port=0,
            encap=0,
            dscp=0,
            type=0,
            target_port=0,
            node_port=0,
            new_flows_table_length=1024,
            src_ip_sticky=False,
            is_del=False,
        )
    replaced = drift(tmp_path / "replaced", vppsim, src, fail_on_drift=True)
    assert replaced.ok  # replaced only looks at the config's VIPs
    overridden = drift(tmp_path / "overridden", vppsim, src, fail_on_drift=True, drift_state="overridden")
    assert not overridden.ok
    row = task_result(overridden, "Fail on drift")[1]["msg"].splitlines()[2]
    assert row.split() == ["198.51.100.7/32", "all-ports", "VIP", "not", "in", "the", "config", "0/1024", "(0.0%)"]
    assert "state=overridden" in task_result(overridden, "Fail on drift")[1]["msg"].splitlines()[-1]
    protected = drift(
        tmp_path / "protected",
        vppsim,
        src,
        fail_on_drift=True,
        drift_state="overridden",
        drift_protected=["198.51.100.7/32"],
    )
    assert protected.ok, protected.stdout


@pytest.mark.parametrize("playbook", ["vpp.maglev.drift", [{"ansible.builtin.import_playbook": "vpp.maglev.drift"}]])
def test_relative_config_src_is_found_in_the_working_directory(tmp_path, vppsim, playbook):
    # As documented for the command line and AWX (whose jobs run in the project's root):
    # maglev_config_src: files/maglev.yaml, with the playbook in the collection, not next to it.
    project = tmp_path / "project"
    (project / "files").mkdir(parents=True)
    (project / "files" / "maglev.yaml").write_text(yaml.safe_dump(BASE_CONFIG))
    extra_vars = {"drift_hosts": "lbs", "maglev_config_src": "files/maglev.yaml"}
    run = run_with_inventory(project, playbook, local_inventory(vppsim), extra_vars=extra_vars)
    assert run.ok, run.stdout
    status, result = task_result(run, "Compare VPP with the desired state (check mode, diff)")
    assert status == "ok" and result["changed"]  # an empty VPP differs from the config
    assert result["summary"]["vips_added"] == len(BASE_CONFIG["maglev"]["frontends"])
    assert writes(vppsim) == 0

    missing = run_with_inventory(
        project, playbook, local_inventory(vppsim), extra_vars=dict(extra_vars, maglev_config_src="files/nope.yaml")
    )
    status, result = task_result(missing, "Compare VPP with the desired state (check mode, diff)")
    assert status == "failed"
    assert result["msg"].startswith("src: Could not find or access 'files/nope.yaml'")
    assert result["msg"].endswith("Nor in the working directory: %s" % (project / "files" / "nope.yaml"))


def vpp_weights(sim):
    return {a["address"]: a["weight"] for vip in sim.state()["vips"] for a in vip["ases"]}


def test_with_maglevd_the_advice_is_the_daemon_not_a_converge(tmp_path, vppsim):
    (tmp_path / "maglevd").mkdir()
    # sync-interval 1h: the daemon's timer does not repair the drift before the check sees it
    daemon = MaglevdProcess(tmp_path / "maglevd", MINIMAL_VPP_CONFIG, "--vpp-api-addr", vppsim.socket)
    try:
        assert daemon.wait_ready()["event"] == "ready", daemon.seen
        wait_until(lambda: vpp_weights(vppsim) == {"10.0.0.1": 100, "10.0.0.2": 100}, what="maglevd to program VPP")
        wait_until(lambda: not daemon.client.vpp_info()["reconciler"]["pending"], what="no sync pending")
        with behind_the_back(vppsim) as vpp:
            vpp.api.lb_as_set_weight(pfx="192.0.2.1/32", protocol=6, port=80, as_address="10.0.0.2", weight=7)
        options = {"drift_health": "maglevd", "maglevd_socket": daemon.socket}
        failed = drift(tmp_path / "check", vppsim, daemon.config, fail_on_drift=True, **options)
        assert not failed.ok, failed.stdout
        message = task_result(failed, "Fail on drift")[1]["msg"]
        lines = message.splitlines()
        assert lines[0] == "drift on lb1: 1 VIP differs (1 command to converge)"
        assert lines[2].split()[:8] == ["192.0.2.1/32", "tcp:80", "10.0.0.2", "weight", "7,", "want", "100", "450/1024"]
        assert lines[3].startswith("maglevd on lb1 owns these weights and repairs VPP at its next full sync")
        assert "maglevc show vpp info" in message and "maglevc sync vpp lb state" in message
        assert "vpp_lb_state" not in message and "ansible lb1" not in message  # no converge that fights it

        synced = daemon.maglevc("sync", "vpp", "lb", "state")  # the advice, as printed, repairs it
        assert synced.returncode == 0 and "1 AS reweighted" in synced.stdout, synced.stdout + synced.stderr
        assert drift(tmp_path / "after", vppsim, daemon.config, fail_on_drift=True, **options).ok
    finally:
        daemon.stop()
