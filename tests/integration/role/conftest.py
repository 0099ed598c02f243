"""Fixtures for the role tests: a local wheelhouse and a runner for real ansible-playbook runs."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

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


def run_playbook_file(tmp_path: Path, playbook: Path, extra_vars: Dict[str, Any], timeout: float = 240) -> Run:
    """ansible-playbook PLAYBOOK on localhost with extra vars (as a JSON file) and a result log."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    index = len(list(tmp_path.glob("vars-*.json")))
    vars_file = tmp_path / ("vars-%d.json" % index)
    vars_file.write_text(json.dumps(extra_vars))
    log = tmp_path / ("results-%d.jsonl" % index)
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
        ANSIBLE_CALLBACKS_ENABLED="result_log",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_REMOTE_TEMP=str(tmp_path / "ansible-remote-tmp"),
        RESULT_LOG=str(log),
    )
    command = [
        str(ANSIBLE_PLAYBOOK),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        "ansible_python_interpreter=%s" % PYTHON,
        "-e",
        "@%s" % vars_file,
        str(playbook),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, cwd=str(tmp_path))
    entries = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return Run(proc.returncode, proc.stdout, proc.stderr, entries)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    """The daemon's pinned requirements as wheels, so the role's pip runs with --no-index."""
    target = tmp_path_factory.mktemp("wheelhouse")
    proc = subprocess.run(
        [str(PYTHON), "-m", "pip", "download", "--quiet", "-r", str(ROOT / "requirements-daemon.txt"), "-d", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail("pip download of requirements-daemon.txt failed (a package index is needed):\n" + proc.stderr)
    return target
