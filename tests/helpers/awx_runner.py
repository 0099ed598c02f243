"""Run a playbook the way AWX runs a job template, and read back what AWX records (docs/awx.md).

    project = awx_project(tmp_path / "job", {"files/maglev.yaml": text})
    job = run_job(tmp_path / "job", "playbooks/drift.yml", inventory, extra_vars={...}, job_type="check")
    assert job.status == "failed" and job.rc == 2
    job.results("Fail on drift")          # {host: (event, res)} of that task's runner_on_* events
    job.artifacts                         # set_stats data, as AWX reads it for a workflow's next node

AWX hands ansible-runner a private data directory: the project checked out in ``project/``
(the job's working directory; this checkout's ``playbooks/`` is linked there, as when AWX
clones this repository), the inventory in ``inventory/hosts``, the survey answers and extra
vars in ``env/extravars``, and the job template's options as ansible-playbook arguments in
``env/cmdline``: ``--check`` for a Check job, ``--diff`` for *Show Changes*, ``--limit``. Runner
writes ``artifacts/<ident>/`` (``rc``, ``status``, ``stdout``, ``job_events/*.json``); AWX
stores those events and shows them. Everything lives under the given directory (xdist-safe).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.vpp.maglev.tests.helpers.paths import COLLECTIONS, ROOT

BIN = ROOT / ".venv" / "bin"


@dataclass
class AwxJob:
    rc: int
    status: str  # successful, failed, timeout, canceled
    artifact_dir: Path

    @property
    def events(self) -> List[Dict[str, Any]]:
        """The job events in order, as AWX stores them (``/api/v2/jobs/N/job_events/``)."""
        files = (self.artifact_dir / "job_events").glob("*.json")
        return sorted((json.loads(path.read_text()) for path in files), key=lambda event: event["counter"])

    @property
    def command(self) -> List[str]:
        """The ansible-playbook command line runner ran (``artifacts/<ident>/command``)."""
        return json.loads((self.artifact_dir / "command").read_text())["command"]

    @property
    def stdout(self) -> str:
        return (self.artifact_dir / "stdout").read_text()

    def results(self, task: str) -> Dict[str, Tuple[str, Dict[str, Any]]]:
        """{host: (event name, module result)} of ``task``'s per-host events (its last run per host)."""
        found = {}
        for event in self.events:
            data = event.get("event_data", {})
            if event["event"].startswith("runner_on_") and data.get("task") == task and "res" in data:
                found[data["host"]] = (event["event"], data["res"])
        return found

    def hosts_with(self, event_name: str) -> List[str]:
        """Hosts that had at least one ``event_name`` event (runner_on_failed, ...), in order."""
        hosts = [e["event_data"]["host"] for e in self.events if e["event"] == event_name]
        return list(dict.fromkeys(hosts))

    def tasks_of(self, host: str, event_name: str = "runner_on_ok") -> List[str]:
        """The task names of ``host``'s ``event_name`` events, in order."""
        return [
            e["event_data"]["task"]
            for e in self.events
            if e["event"] == event_name and e["event_data"].get("host") == host
        ]

    @property
    def stats(self) -> Dict[str, Any]:
        """The ``playbook_on_stats`` event's data: per-host ok/changed/failures/..., artifact_data."""
        found = [e["event_data"] for e in self.events if e["event"] == "playbook_on_stats"]
        assert len(found) == 1, [e["event"] for e in self.events]
        return found[0]

    @property
    def artifacts(self) -> Dict[str, Any]:
        """What ``set_stats`` published: AWX saves it as the job's artifacts, and a workflow
        passes it to the next node as extra vars."""
        return self.stats.get("artifact_data") or {}


def awx_project(private_data_dir: Path, files: Optional[Dict[str, str]] = None) -> Path:
    """``private_data_dir/project``: this checkout's playbooks plus ``files`` {relative path: text}."""
    project = Path(private_data_dir) / "project"
    project.mkdir(parents=True, exist_ok=True)
    if not (project / "playbooks").exists():
        (project / "playbooks").symlink_to(ROOT / "playbooks")
    for name, text in (files or {}).items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    return project


def run_job(
    private_data_dir: Path,
    playbook: str,
    inventory: str,
    *,
    extra_vars: Dict[str, Any],
    job_type: str = "run",
    diff: bool = True,
    limit: Optional[str] = None,
    ident: str = "1",
    timeout: int = 240,
) -> AwxJob:
    """One job: ``playbook`` relative to the project, ``inventory`` the text of an INI
    inventory, ``extra_vars`` the survey answers and template extra vars, ``job_type`` run or
    check, ``diff`` *Show Changes*, ``limit`` the job's limit. A job that outlives ``timeout``
    ends as status ``timeout`` (AWX's job timeout)."""
    private_data_dir = Path(private_data_dir)
    awx_project(private_data_dir)
    (private_data_dir / "inventory").mkdir(exist_ok=True)
    (private_data_dir / "inventory" / "hosts").write_text(inventory)
    args = ["--check"] if job_type == "check" else []
    args += ["--diff"] if diff else []
    args += ["--limit", limit] if limit else []
    temp = private_data_dir / "tmp"
    envvars = {
        "PATH": "%s:%s" % (BIN, os.environ.get("PATH", "/usr/bin:/bin")),
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_LOCAL_TEMP": str(temp / "local"),
        "ANSIBLE_REMOTE_TEMP": str(temp / "remote"),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
    }
    env = private_data_dir / "env"
    env.mkdir(exist_ok=True)
    (env / "extravars").write_text(json.dumps(extra_vars))
    (env / "envvars").write_text(json.dumps(envvars))
    (env / "cmdline").write_text(shlex.join(args))
    (env / "settings").write_text(json.dumps({"job_timeout": timeout, "suppress_ansible_output": True}))
    # The CLI in its own process (AWX's worker runs it out of the web process too).
    command = [str(BIN / "ansible-runner"), "run", str(private_data_dir), "-p", playbook, "--ident", ident, "-q"]
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=timeout + 60, env=dict(os.environ, **envvars)
    )
    artifact_dir = private_data_dir / "artifacts" / ident
    assert (artifact_dir / "rc").exists(), "ansible-runner did not run the job: %s%s" % (done.stdout, done.stderr)
    rc = int((artifact_dir / "rc").read_text())
    return AwxJob(rc=rc, status=(artifact_dir / "status").read_text().strip(), artifact_dir=artifact_dir)
