"""Run a playbook file with the real ansible-playbook and read back each task's result."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, Optional

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from ansible_helpers import PYTHON, PlaybookRun, run_ansible_playbook  # noqa: E402

Run = PlaybookRun


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
