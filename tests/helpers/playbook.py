"""Run a small playbook with the real ansible-playbook and read back each task's result.

    run = run_playbook(tmp_path, [{"vpp.maglev.vpp_lb_info": {}}], vpp=vppsim)
    assert run.ok and run.results[0]["lb"]["vips"] == []

- ``tasks`` are plain dicts (the playbook is written as JSON, which YAML reads).
- ``vpp=`` (a vppsim.harness.VppSim) sets ``api_socket``/``api_dir`` for every module of the
  ``group/vpp.maglev.vpp`` action group through ``module_defaults``.
- Each task's result comes from tests/helpers/callback_plugins/result_log.py, so failed
  tasks are readable too (the play stops at the first failure, as usual).
- ``run_playbook_file`` runs a playbook of the repository; ``run_with_inventory`` and
  ``local_inventory`` run against an inventory instead of localhost.
- Every path lives under ``tmp_path``: safe with pytest-xdist.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from ansible_collections.vpp.maglev.tests.helpers.paths import COLLECTIONS, PYTHON, ROOT

ANSIBLE_PLAYBOOK = ROOT / ".venv" / "bin" / "ansible-playbook"
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
DRIFT_PLAYBOOK = ROOT / "playbooks" / "drift.yml"


@dataclass
class PlaybookRun:
    returncode: int
    stdout: str
    stderr: str
    entries: List[Dict[str, Any]] = field(default_factory=list)  # {"task", "status", "result"}

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def results(self) -> List[Dict[str, Any]]:
        """The module results, in task order."""
        return [entry["result"] for entry in self.entries]

    @property
    def last(self) -> Dict[str, Any]:
        return self.entries[-1]["result"]

    def failed(self) -> List[Dict[str, Any]]:
        return [entry["result"] for entry in self.entries if entry["status"] == "failed"]

    def failed_entries(self) -> List[Dict[str, Any]]:
        return [entry for entry in self.entries if entry["status"] == "failed"]

    def changed_tasks(self) -> List[str]:
        return [e["task"] for e in self.entries if e["status"] == "ok" and e["result"].get("changed")]

    def text(self) -> str:
        return self.stdout + self.stderr


def playbook_env(workdir: Path, log: Path) -> Dict[str, str]:
    """ansible-playbook's environment: this checkout's collection, the result_log callback
    writing each task's result to ``log``, temporary files under ``workdir`` (also used by
    bench/bench_state.py)."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
        ANSIBLE_CALLBACKS_ENABLED="result_log",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-tmp"),
        ANSIBLE_REMOTE_TEMP=str(workdir / "ansible-remote-tmp"),
        RESULT_LOG=str(log),
    )
    return env


def run_ansible_playbook(
    workdir: Path,
    playbook: Any,
    *,
    inventory: Optional[str] = None,
    extra_vars: Optional[Dict[str, Any]] = None,
    check: bool = False,
    diff: bool = False,
    extra_args: List[str] = (),  # type: ignore[assignment]
    timeout: float = 120,
) -> PlaybookRun:
    """The one way tests run ansible-playbook.

    ``playbook`` is a path or a list of plays (written as JSON). ``inventory`` is the text of
    an inventory file; without one the play runs on localhost with the local connection and
    this checkout's venv Python. Every file lives under ``workdir`` (xdist-safe)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    index = len(list(workdir.glob("results-*.jsonl")))
    log = workdir / ("results-%d.jsonl" % index)
    if not isinstance(playbook, (str, Path)):
        path = workdir / ("playbook-%d.json" % index)
        path.write_text(json.dumps(playbook, indent=1))
        playbook = path
    env = playbook_env(workdir, log)
    command = [str(ANSIBLE_PLAYBOOK)]
    if inventory is None:
        command += ["-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=%s" % PYTHON]
    else:
        inventory_file = workdir / ("inventory-%d.ini" % index)
        inventory_file.write_text(inventory)
        command += ["-i", str(inventory_file)]
    if extra_vars:
        vars_file = workdir / ("vars-%d.json" % index)
        vars_file.write_text(json.dumps(extra_vars))
        command += ["-e", "@%s" % vars_file]
    command.append(str(playbook))
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    command.extend(extra_args)
    proc = subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, timeout=timeout, cwd=str(workdir)
    )
    entries = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, entries)


def run_playbook(
    tmp_path: Path,
    tasks: List[Dict[str, Any]],
    *,
    vpp: Any = None,
    module_defaults: Optional[Dict[str, Any]] = None,
    check: bool = False,
    diff: bool = False,
    extra_args: List[str] = (),  # type: ignore[assignment]
    timeout: float = 120,
) -> PlaybookRun:
    """Write ``tasks`` into a one-play playbook on localhost and run it."""
    defaults = dict(module_defaults or {})
    if vpp is not None:
        group = defaults.setdefault("group/vpp.maglev.vpp", {})
        group.setdefault("api_socket", vpp.socket)
        group.setdefault("api_dir", vpp.api_dir)
    play = {"hosts": "localhost", "gather_facts": False, "module_defaults": defaults, "tasks": tasks}
    return run_ansible_playbook(tmp_path, [play], check=check, diff=diff, extra_args=extra_args, timeout=timeout)


def run_playbook_file(
    workdir: Path,
    playbook: Path,
    extra_vars: Dict[str, Any],
    *,
    inventory: Optional[Path] = None,
    check: bool = False,
    timeout: float = 240,
) -> PlaybookRun:
    """ansible-playbook PLAYBOOK with extra vars; localhost unless an inventory file is given
    (its hosts run with this checkout's venv Python). ``check`` also shows the diff."""
    return run_ansible_playbook(
        workdir,
        playbook,
        inventory=None if inventory is None else Path(inventory).read_text(),
        extra_vars=extra_vars,
        check=check,
        diff=check,
        extra_args=[] if inventory is None else ["-e", "ansible_python_interpreter=%s" % PYTHON],
        timeout=timeout,
    )


def run_with_inventory(tmp_path: Path, playbook: Any, inventory: str, **options: Any) -> PlaybookRun:
    """run_ansible_playbook against an inventory (not localhost); ``playbook`` is a path or a
    list of plays, ``options`` its keyword arguments (extra_vars, check, diff, timeout)."""
    return run_ansible_playbook(tmp_path, playbook, inventory=inventory, **options)


def local_inventory(sim: Any, group: str = "lbs", host: str = "lb1") -> str:
    """An inventory whose one host runs modules locally, pointed at ``sim``."""
    return "[%s]\n%s ansible_connection=local ansible_python_interpreter=%s vpp_api_socket=%s vpp_api_dir=%s\n" % (
        group,
        host,
        PYTHON,
        sim.socket,
        sim.api_dir,
    )


# A host that cannot be reached: ssh to a closed loopback port (traffic never leaves this machine). A task that
# contacted it would come back "unreachable", never with a config error.
UNREACHABLE_INVENTORY = (
    "[lbs]\nghost ansible_host=127.0.0.1 ansible_port=9 ansible_connection=ssh ansible_ssh_timeout=3 "
    "ansible_python_interpreter=/nonexistent/python\n"
)
