"""The drift and rollout job templates of docs/awx.md, run the way AWX runs them: ansible-runner
with a private data directory, the survey answers as extra vars, ``--check`` for a Check job,
``--limit``; the assertions read what AWX records (rc, status, the job events per host, the
set_stats artifacts a workflow's next node receives). Real vppsim load balancers, and for the
rollout a real maglevd on each, probing real local servers."""

from __future__ import annotations

import pytest
import yaml
from ansible_collections.vpp.maglev.tests.helpers.awx_runner import awx_project, run_job
from ansible_collections.vpp.maglev.tests.helpers.fleet import Fleet
from ansible_collections.vpp.maglev.tests.helpers.http_backends import start_backend, stop_backend
from ansible_collections.vpp.maglev.tests.helpers.paths import PYTHON
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATE_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import behind_the_back, writes
from ansible_collections.vpp.maglev.tests.helpers.waiting import wait_until
from ansible_collections.vpp.maglev.tests.integration.playbooks.test_fleet_rollout import (
    NAMES,
    maglev_yaml,
    weights,
)
from ansible_collections.vpp.maglev.tests.integration.playbooks.test_rollout import WEIGHTS

pytestmark = pytest.mark.integration

COMPARE = "Compare VPP with the desired state (check mode, diff)"
# The "LB — drift check" template's extra vars (docs/awx.md), the config relative to the project.
DRIFT_VARS = {"drift_hosts": "vpp_lbs", "maglev_config_src": "files/maglev.yaml", "fail_on_drift": True}

# The user's deploy task file in the AWX project: it says which host it deployed, and fails
# on the hosts the test names in broken_release.
DEPLOY = """\
- name: Deploy the new release
  ansible.builtin.debug:
    msg: "deployed {{ inventory_hostname }}"
  changed_when: true
  failed_when: inventory_hostname in (broken_release | default([]))
"""


def test_a_drift_check_job_fails_with_a_one_line_reason_and_publishes_the_drift(tmp_path):
    project = {"files/maglev.yaml": yaml.safe_dump(STATE_CONFIG)}
    with Fleet(tmp_path / "fleet", 2) as fleet:
        src = awx_project(tmp_path / "clean", project) / "files" / "maglev.yaml"
        assert fleet.converge(tmp_path / "converge", src).ok
        for sim in fleet.sims.values():
            sim.reset_stats()

        clean = run_job(
            tmp_path / "clean", "playbooks/drift.yml", fleet.inventory, extra_vars=DRIFT_VARS, job_type="check"
        )
        assert (clean.rc, clean.status) == (0, "successful"), clean.stdout
        assert {host: (event, res["changed"]) for host, (event, res) in clean.results(COMPARE).items()} == {
            "lb1": ("runner_on_ok", False),
            "lb2": ("runner_on_ok", False),
        }
        assert clean.artifacts == {"drift": {"hosts": ["lb1", "lb2"], "drifted": [], "not_checked": []}}

        with behind_the_back(fleet.sims["lb2"]) as vpp:  # someone "fixes" lb2 by hand
            vpp.api.lb_as_set_weight(pfx="192.0.2.10/32", protocol=6, port=80, as_address="10.0.0.2", weight=100)
        fleet.sims["lb2"].reset_stats()
        awx_project(tmp_path / "drift", project)
        job = run_job(
            tmp_path / "drift", "playbooks/drift.yml", fleet.inventory, extra_vars=DRIFT_VARS, job_type="check"
        )
        assert (job.rc, job.status) == (2, "failed"), job.stdout
        assert {"--check", "--diff"} <= set(job.command)  # a Check job with Show Changes
        assert {host: (event, res["changed"]) for host, (event, res) in job.results(COMPARE).items()} == {
            "lb1": ("runner_on_ok", False),
            "lb2": ("runner_on_ok", True),
        }
        # One failed host, one failed task; its message opens with the reason, on one line.
        assert job.hosts_with("runner_on_failed") == ["lb2"]
        event, result = job.results("Fail on drift")["lb2"]
        assert event == "runner_on_failed"
        reason = result["msg"].splitlines()[0]
        assert reason == "drift on lb2: 1 VIP differs (1 command to converge)"
        assert reason in job.stdout
        # AWX's host summary: the drifted host counts as changed (check mode) and failed.
        assert (job.stats["changed"], job.stats["failures"]) == ({"lb2": 1}, {"lb2": 1})
        # The workflow's next node (a converge, a ticket) gets which LB drifted.
        assert job.artifacts == {"drift": {"hosts": ["lb1", "lb2"], "drifted": ["lb2"], "not_checked": []}}

        # The same template limited to lb1 (AWX's limit): a successful job; the artifact still
        # comes, for one host, so a workflow can branch on it whatever the limit.
        awx_project(tmp_path / "limited", project)
        limited = run_job(
            tmp_path / "limited",
            "playbooks/drift.yml",
            fleet.inventory,
            extra_vars=DRIFT_VARS,
            job_type="check",
            limit="lb1",
        )
        assert (limited.rc, limited.status) == (0, "successful"), limited.stdout
        assert sorted(limited.results(COMPARE)) == ["lb1"]
        assert limited.artifacts == {"drift": {"hosts": ["lb1"], "drifted": [], "not_checked": []}}
        assert all(writes(sim) == 0 for sim in fleet.sims.values())  # a Check job never writes


@pytest.fixture
def fleet(tmp_path):
    """Two load balancers, each with its maglevd probing three local HTTP servers b1, b2, b3."""
    servers = [start_backend("127.0.0.%d" % last) for last in (2, 3, 4)]
    backends = [(server.server_address[0], server.server_address[1], server) for server in servers]
    try:
        with Fleet(tmp_path / "fleet", 2, maglevd_config=maglev_yaml(backends)) as lbs:
            serving = {address: WEIGHTS[name] for name, (address, _port, _server) in zip(NAMES, backends)}
            for host in lbs.hosts:
                wait_until(lambda host=host: weights(lbs, host) == serving, what="maglevd on %s to program VPP" % host)
            yield lbs, serving
    finally:
        for server in servers:
            stop_backend(server)


def rollout_inventory(fleet: Fleet) -> str:
    backends = "".join("%s ansible_connection=local ansible_python_interpreter=%s\n" % (n, PYTHON) for n in NAMES)
    return fleet.inventory + "\n[backends]\n" + backends


def rollout_survey(project) -> dict:
    """The "LB — rollout" survey's answers (docs/awx.md); the deploy file is in the project,
    which AWX mounts at /runner/project in the execution environment."""
    return {
        "rollout_hosts": "backends",
        "rollout_batch_size": "1",
        "rollout_action": "drain",
        "rollout_via": "maglevd",
        "rollout_flows_timeout": 0,
        "rollout_on_busy": "deploy",
        "rollout_deploy_tasks": str(project / "deploy.yml"),
        "fleet_hosts": "vpp_lbs",
        "rollout_wait_timeout": 30,
    }


def operator_changes(fleet: Fleet, host: str, backend: str) -> list:
    history = fleet.daemons[host].client.backend(backend)["history"]
    return [entry["to"] for entry in reversed(history) if entry["reason"] == "operator"]


def test_a_rollout_job_limited_to_one_backend_deploys_it_alone_or_names_the_lb_that_refuses(tmp_path, fleet):
    lbs, serving = fleet
    project = awx_project(tmp_path / "job", {"deploy.yml": DEPLOY})
    survey = rollout_survey(project)
    job = run_job(tmp_path / "job", "playbooks/rollout.yml", rollout_inventory(lbs), extra_vars=survey, limit="b2")
    assert (job.rc, job.status) == (0, "successful"), job.stdout
    deployed = job.results("Deploy the new release")
    assert {host: (event, res["changed"]) for host, (event, res) in deployed.items()} == {"b2": ("runner_on_ok", True)}
    assert job.hosts_with("runner_on_failed") == []
    assert sorted(job.stats["changed"]) == ["b2"] and not job.stats["failures"]
    assert job.artifacts == {"rollout_deployed": ["b2"]}  # for the workflow's next node
    for host in lbs.hosts:  # taken out and put back on every LB; the others never touched
        assert [operator_changes(lbs, host, name) for name in NAMES] == [[], ["paused", "unknown"], []]
        wait_until(lambda host=host: weights(lbs, host) == serving, what="b2 serving again on %s" % host)

    # Then on lb2 only b1 serves (b2 and b3 paused there): a job limited to b1 must refuse.
    for name in ("b2", "b3"):
        lbs.daemons["lb2"].client.pause(name)
    survey = rollout_survey(awx_project(tmp_path / "refused", {"deploy.yml": DEPLOY}))
    job = run_job(tmp_path / "refused", "playbooks/rollout.yml", rollout_inventory(lbs), extra_vars=survey, limit="b1")
    assert (job.rc, job.status) == (2, "failed"), job.stdout
    assert job.hosts_with("runner_on_failed") == ["b1"]
    event, result = job.results("Stop the rollout and name the load balancer that refused")["b1"]
    assert event == "runner_on_failed"
    assert result["msg"].startswith("rollout stopped before deploying b1: lb2 refused to take the batch out: refusing")
    assert "Put back on lb1." in result["msg"]
    assert job.results("Deploy the new release") == {}
    assert job.stats["failures"] == {"b1": 1}
    assert "rollout_deployed" not in job.artifacts  # nothing deployed, nothing published
    assert operator_changes(lbs, "lb1", "b1") == ["paused", "unknown"]
    assert [lbs.daemons["lb2"].client.backend(name)["state"] for name in NAMES] == ["up", "paused", "paused"]


def test_a_rollout_job_stopped_by_a_failed_deploy_tells_the_workflow_what_was_deployed(tmp_path, fleet):
    lbs, _serving = fleet
    project = awx_project(tmp_path / "job", {"deploy.yml": DEPLOY})
    survey = dict(rollout_survey(project), broken_release=["b2"])
    job = run_job(tmp_path / "job", "playbooks/rollout.yml", rollout_inventory(lbs), extra_vars=survey)
    assert (job.rc, job.status) == (2, "failed"), job.stdout
    deployed = job.results("Deploy the new release")
    assert {host: event for host, (event, _res) in deployed.items()} == {"b1": "runner_on_ok", "b2": "runner_on_failed"}
    assert job.hosts_with("runner_on_failed") == ["b2"]
    # The workflow's failure path learns that b1 runs the new release (b2 stays out of service
    # on every LB for inspection, b3 was never touched).
    assert job.artifacts == {"rollout_deployed": ["b1"]}
    for host in lbs.hosts:
        assert [operator_changes(lbs, host, name) for name in NAMES] == [["paused", "unknown"], ["paused"], []]
