"""Run a playbook file with the real ansible-playbook and read back each task's result."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".build" / "collections"
PYTHON = ROOT / ".venv" / "bin" / "python"
ANSIBLE_PLAYBOOK = ROOT / ".venv" / "bin" / "ansible-playbook"
CALLBACKS = ROOT / "tests" / "integration" / "callback_plugins"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    entries: List[Dict[str, Any]]

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def changed_tasks(self) -> List[str]:
        return [e["task"] for e in self.entries if e["status"] == "ok" and e["result"].get("changed")]

    def failed(self) -> List[Dict[str, Any]]:
        return [e for e in self.entries if e["status"] == "failed"]

    def text(self) -> str:
        return self.stdout + self.stderr


def run_playbook_file(
    workdir: Path,
    playbook: Path,
    extra_vars: Dict[str, Any],
    *,
    inventory: Optional[Path] = None,
    check: bool = False,
    timeout: float = 240,
) -> Run:
    """ansible-playbook PLAYBOOK with extra vars (a JSON file); localhost unless an inventory is given."""
    workdir.mkdir(parents=True, exist_ok=True)
    index = len(list(workdir.glob("vars-*.json")))
    vars_file = workdir / ("vars-%d.json" % index)
    vars_file.write_text(json.dumps(extra_vars))
    log = workdir / ("results-%d.jsonl" % index)
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
    command = [str(ANSIBLE_PLAYBOOK)]
    if inventory is None:
        command += ["-i", "localhost,", "-c", "local"]
    else:
        command += ["-i", str(inventory)]
    command += ["-e", "ansible_python_interpreter=%s" % PYTHON, "-e", "@%s" % vars_file, str(playbook)]
    if check:
        command += ["--check", "--diff"]
    proc = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, cwd=str(workdir), check=False
    )
    entries = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return Run(proc.returncode, proc.stdout, proc.stderr, entries)


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll predicate() until it returns something truthy; fail the test after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(0.1)
