"""Run a small playbook with the real ansible-playbook and read back each task's result.

    run = run_playbook(tmp_path, [{"vpp.maglev.vpp_lb_info": {}}], vpp=vppsim)
    assert run.ok and run.results[0]["lb"]["vips"] == []

- ``tasks`` are plain dicts (the playbook is written as JSON, which YAML reads).
- ``vpp=`` (a vppsim.harness.VppSim) sets ``api_socket``/``api_dir`` for every module of the
  ``group/vpp.maglev.vpp`` action group through ``module_defaults``.
- Each task's result comes from tests/integration/callback_plugins/result_log.py, so failed
  tasks are readable too (the play stops at the first failure, as usual).
- Every path lives under ``tmp_path``: safe with pytest-xdist.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".build" / "collections"
PYTHON = ROOT / ".venv" / "bin" / "python"
ANSIBLE_PLAYBOOK = ROOT / ".venv" / "bin" / "ansible-playbook"
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"


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
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    index = len(list(tmp_path.glob("playbook-*.json")))
    playbook = tmp_path / ("playbook-%d.json" % index)
    log = tmp_path / ("results-%d.jsonl" % index)
    defaults = dict(module_defaults or {})
    if vpp is not None:
        group = defaults.setdefault("group/vpp.maglev.vpp", {})
        group.setdefault("api_socket", vpp.socket)
        group.setdefault("api_dir", vpp.api_dir)
    play = {"hosts": "localhost", "gather_facts": False, "module_defaults": defaults, "tasks": tasks}
    playbook.write_text(json.dumps([play], indent=1))
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
        str(playbook),
    ]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    command.extend(extra_args)
    proc = subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, timeout=timeout, cwd=str(tmp_path)
    )
    entries = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, entries)
