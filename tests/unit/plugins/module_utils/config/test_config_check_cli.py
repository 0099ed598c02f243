"""`maglevd --check FILE` as a real process: exit 0 valid, 1 not YAML, 2 invalid; errors on
stderr, one per line."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from ansible_collections.vpp.maglev.tests.helpers.paths import ROOT

FILES = pathlib.Path(__file__).parent / "files"


def run_module(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / ".build" / "collections"))
    return subprocess.run(
        [sys.executable, "-m", "ansible_collections.vpp.maglev.maglevd", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_valid_file_exits_0_with_a_summary():
    result = run_module("--check", str(FILES / "minimal.yaml"))
    assert (result.returncode, result.stderr) == (0, "")
    assert "minimal.yaml: OK (1 frontends, 1 backends, 0 healthchecks)" in result.stdout


def test_syntax_error_exits_1_with_line_and_column():
    path = str(FILES / "bad_syntax.yaml.txt")
    result = run_module("--check", path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("%s:4:12: not valid YAML: " % path)
    assert result.stdout == ""


def test_semantic_errors_exit_2_one_per_line():
    path = str(FILES / "bad_semantic.yaml")
    result = run_module("--check", path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "%s:3: maglev.backends.web1.enabled: expected true or false, got a string ('yes')" % path,
        "%s:11: maglev.frontends.web.pools[0].backends.web1.weight: 150 is out of range; "
        "expected an integer from 0 to 100" % path,
        "%s:12: maglev.frontends.web.pools[0].backends.web2: backend 'web2' is not defined under maglev.backends"
        % path,
        "%s:1: maglev.vpp.lb.ipv4-src-address: required: frontend 'web' uses encap gre4, whose tunnels VPP "
        "sources from this address" % path,
    ]


def test_duplicate_keys_exit_2():
    result = run_module("--check", str(FILES / "duplicates.yaml.txt"))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 3
    assert all("duplicate key" in line for line in result.stderr.splitlines())


def test_missing_file_exits_1(tmp_path):
    result = run_module("--check", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1
    assert "cannot read the file" in result.stderr


def test_version():
    result = run_module("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("maglevd ")


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="needs scripts/setup.sh")
def test_bin_maglevd_checks_the_example():
    result = subprocess.run(
        [str(ROOT / "bin" / "maglevd"), "--check", str(ROOT / "examples" / "maglev.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert "OK" in result.stdout


def test_check_file_api_returns_code_and_lines():
    from ansible_collections.vpp.maglev.maglevd.check import check_file

    assert check_file(str(FILES / "minimal.yaml")) == (0, [])
    # full.yaml names a CA file that does not exist here: refused with the key and its line.
    assert check_file(str(FILES / "full.yaml")) == (
        2,
        [
            "%s:36: maglev.healthchecks.web.params.ca-file: cannot use '/etc/ssl/internal-ca.pem' as a CA bundle: "
            "No such file or directory" % (FILES / "full.yaml")
        ],
    )
    code, lines = check_file(str(FILES / "bad_syntax.yaml.txt"))
    assert (code, len(lines)) == (1, 1)
    code, lines = check_file(str(FILES / "bad_semantic.yaml"))
    assert (code, len(lines)) == (2, 4)
