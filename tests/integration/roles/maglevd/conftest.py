"""Fixtures for the role tests: a local wheelhouse (tests/helpers/playbook.py runs the playbooks)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ansible_collections.vpp.maglev.tests.helpers.paths import PYTHON, ROOT


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
