"""Run a playbook file with the real ansible-playbook and read back each task's result."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import pytest

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
