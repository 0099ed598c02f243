"""Fixtures for the role tests: a local wheelhouse; the playbook runner lives in ../playbooks/runner.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PYTHON = ROOT / ".venv" / "bin" / "python"
sys.path.insert(0, str(ROOT / "tests" / "integration" / "playbooks"))

from playbook_runner import Run, run_playbook_file  # noqa: E402  (re-exported for the tests)

__all__ = ["Run", "run_playbook_file"]


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    """The daemon's pinned requirements as wheels, so the role's pip runs with --no-index."""
    target = tmp_path_factory.mktemp("wheelhouse")
    proc = subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "download",
            "--quiet",
            "-r",
            str(ROOT / "requirements-daemon.txt"),
            "-d",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail("pip download of requirements-daemon.txt failed (a package index is needed):\n" + proc.stderr)
    return target
