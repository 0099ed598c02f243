"""The role vpp.maglev.maglevd applied to localhost in a temporary prefix (no systemd)."""

from __future__ import annotations

import grp
import hashlib
import http.client
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest
from ansible_collections.vpp.maglev.tests.helpers.paths import ROOT
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook_file

pytestmark = pytest.mark.integration

PLAYBOOK = """\
- name: Apply the role
  hosts: localhost
  gather_facts: false
  roles:
    - role: vpp.maglev.maglevd
"""

ICMP_CONFIG = {
    "maglev": {
        "vpp": {"lb": {"ipv4-src-address": "192.0.2.254"}},
        "healthchecks": {
            "http": {"type": "http", "port": 8080, "interval": "2s", "params": {"path": "/healthz"}},
            "ping": {"type": "icmp", "interval": "2s"},
        },
        "backends": {
            "b1": {"address": "127.0.0.1", "healthcheck": "http"},
            "b2": {"address": "127.0.0.2", "healthcheck": "ping"},
        },
        "frontends": {
            "web": {
                "address": "192.0.2.1",
                "protocol": "tcp",
                "port": 80,
                "pools": [{"name": "main", "backends": {"b1": {}, "b2": {"weight": 50}}}],
            }
        },
    }
}


def plain_config(**healthchecker):
    """Same frontend, http checks only (no CAP_NET_RAW needed)."""
    config = {
        "maglev": {
            "vpp": {"lb": {"ipv4-src-address": "192.0.2.254"}},
            "healthchecks": {"http": {"type": "http", "port": 8080, "params": {"path": "/healthz"}}},
            "backends": {"b1": {"address": "127.0.0.1", "healthcheck": "http"}},
            "frontends": {
                "web": {
                    "address": "192.0.2.1",
                    "protocol": "tcp",
                    "port": 80,
                    "pools": [{"name": "main", "backends": {"b1": {}}}],
                }
            },
        }
    }
    if healthchecker:
        config["maglev"]["healthchecker"] = healthchecker
    return config


def base_vars(prefix: Path, wheelhouse: Path) -> dict:
    return {
        "maglevd_prefix": str(prefix),
        "maglevd_manage_service": False,
        "maglevd_manage_user": False,
        "maglevd_user": pwd.getpwuid(os.getuid()).pw_name,
        "maglevd_group": grp.getgrgid(os.getgid()).gr_name,
        "maglevd_python": str(Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / "python")
        if os.environ.get("VIRTUAL_ENV")
        else str(ROOT / ".venv" / "bin" / "python"),
        "maglevd_pip_extra_args": "--no-index --find-links %s" % wheelhouse,
    }


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def unit_lines(unit: Path) -> list:
    return [line.strip() for line in unit.read_text().splitlines()]


def systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        # The systemd package provides it; install it rather than skip (apt works here).
        subprocess.run(["apt-get", "install", "-y", "-q", "systemd"], capture_output=True, timeout=300, check=False)
        tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is missing and the systemd package could not be installed")
    return tool


def code_digest() -> str:
    """Digest of the sources the role ships (maglevd/, plugins/module_utils/)."""
    root = ROOT
    digest = hashlib.sha256()
    for directory in ("maglevd", "plugins/module_utils"):
        for path in sorted((root / directory).rglob("*.py")):
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def http_get_unix(socket_path: Path, path: str) -> tuple:
    """GET path over the daemon's Unix control socket: (status, parsed JSON body)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(str(socket_path))
    connection = http.client.HTTPConnection("localhost")
    connection.sock = sock
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, json.loads(body)


def wait_for_socket(process: subprocess.Popen, socket_path: Path, timeout: float = 30) -> None:
    """Until the daemon accepts connections (or exits, which fails the test with its output)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("maglevd exited with %s:\n%s" % (process.returncode, process.stdout.read()))
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(socket_path))
                return
            except OSError:
                time.sleep(0.05)
    pytest.fail("maglevd did not open %s within %ss" % (socket_path, timeout))


def assert_daemon_answers(bindir: Path, config: Path, socket_path: Path) -> None:
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [str(bindir / "maglevd"), "--config", str(config), "--control-socket", str(socket_path), "--vpp-api-addr", ""],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_socket(process, socket_path)
        assert mode(socket_path) == 0o660
        status, backends = http_get_unix(socket_path, "/v1/backends")
        assert status == 200, backends
        names = {b["name"] for b in (backends["backends"] if isinstance(backends, dict) else backends)}
        assert names == {"b1", "b2"}
        maglevc = subprocess.run(
            [str(bindir / "maglevc"), "--socket", str(socket_path), "--json", "show", "backends"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert maglevc.returncode == 0, maglevc.stdout + maglevc.stderr
        assert "b1" in maglevc.stdout and "b2" in maglevc.stdout
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_install_reconfigure_and_remove(tmp_path, wheelhouse):
    prefix = tmp_path / "root"
    playbook = tmp_path / "role.yml"
    playbook.write_text(PLAYBOOK)
    variables = {**base_vars(prefix, wheelhouse), "maglevd_config": ICMP_CONFIG}

    # 1. Fresh install.
    run = run_playbook_file(tmp_path / "run1", playbook, variables)
    assert run.ok, run.stdout + run.stderr
    opt = prefix / "opt" / "vpp-maglev"
    etc = prefix / "etc" / "vpp-maglev"
    bindir = prefix / "usr" / "local" / "bin"
    unit = prefix / "etc" / "systemd" / "system" / "maglevd.service"
    code = opt / "lib" / "ansible_collections" / "vpp" / "maglev"
    config = etc / "maglev.yaml"

    for path in (bindir / "maglevd", bindir / "maglevc"):
        assert mode(path) == 0o755, path
    assert mode(etc) == 0o750
    assert mode(config) == 0o640
    assert mode(etc / "maglevd.env") == 0o640
    assert mode(unit) == 0o644
    assert (code / "maglevd" / "__main__.py").is_file()
    assert (code / "plugins" / "module_utils" / "weights.py").is_file()
    assert not list(code.rglob("__pycache__")), "bytecode must not be shipped"
    # The venv has every pinned dependency.
    venv_python = opt / "venv" / "bin" / "python"
    probe = subprocess.run(
        [str(venv_python), "-c", "import vpp_papi, aiohttp, yaml, h11, prometheus_client"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    # The rendered file passes the installed daemon's own check.
    check = subprocess.run(
        [str(bindir / "maglevd"), "--check", str(config)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # The man pages are the installed code's own output, and the completion scripts its files.
    pages = {
        "maglevd": prefix / "usr/local/share/man/man8/maglevd.8",
        "maglevc": prefix / "usr/local/share/man/man1/maglevc.1",
    }
    for name, page in pages.items():
        printed = subprocess.run([str(bindir / name), "--man"], capture_output=True, text=True, check=True).stdout
        assert page.read_text() == printed and mode(page) == 0o644, page
    scripts = {
        prefix / "usr/share/bash-completion/completions/maglevc": code / "maglevd/completion/maglevc.bash",
        prefix / "usr/local/share/zsh/site-functions/_maglevc": code / "maglevd/completion/_maglevc",
    }
    for installed, shipped in scripts.items():
        assert installed.read_text() == shipped.read_text() and "__complete" in shipped.read_text(), installed
    # icmp check configured: CAP_NET_RAW and nothing else.
    lines = unit_lines(unit)
    assert "CapabilityBoundingSet=CAP_NET_RAW" in lines
    assert "AmbientCapabilities=CAP_NET_RAW" in lines
    assert "RestrictNamespaces=yes" in lines
    for wanted in (
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "RuntimeDirectory=maglevd",
        "RuntimeDirectoryMode=0750",
        "SystemCallFilter=@system-service",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "RestartPreventExitStatus=64",  # a usage error: a restart cannot fix it
    ):
        assert wanted in lines, wanted
    verify = subprocess.run(
        [systemd_analyze(), "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=120, check=False
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "maglevd.service" not in verify.stderr, verify.stderr  # no warnings about our unit

    # 2. Same variables again: nothing changes (unless someone edited the code meanwhile,
    # which happens in a shared working tree: then only the code copy may change).
    source_before = code_digest()
    run = run_playbook_file(tmp_path / "run2", playbook, variables)
    assert run.ok, run.stdout + run.stderr
    changed = run.changed_tasks()
    if code_digest() != source_before:
        changed = [task for task in changed if "Unpack the collection's code" not in task]
    assert changed == []

    # 2b. The installed daemon starts from the installed files and answers on its control socket.
    assert_daemon_answers(bindir, config, tmp_path / "run" / "maglevd.sock")

    # 3. A broken config fails the play at the template's --check and keeps the old file.
    before = config.read_bytes()
    broken = {"maglev": {**ICMP_CONFIG["maglev"], "backends": {"b1": {"address": "not-an-ip"}}}}
    run = run_playbook_file(tmp_path / "run3", playbook, {**variables, "maglevd_config": broken})
    assert not run.ok
    failed = run.failed_entries()
    assert failed and "Render maglev.yaml" in failed[0]["task"], run.stdout
    assert "not-an-ip" in str(failed[0]["result"]), failed[0]["result"]
    assert config.read_bytes() == before

    # 4. No icmp but a probe namespace: CAP_SYS_ADMIN only, and setns allowed.
    run = run_playbook_file(tmp_path / "run4", playbook, {**variables, "maglevd_config": plain_config(netns="probes")})
    assert run.ok, run.stdout + run.stderr
    lines = unit_lines(unit)
    assert "CapabilityBoundingSet=CAP_SYS_ADMIN" in lines
    assert "RestrictNamespaces=net" in lines
    assert b"netns: probes" in config.read_bytes()

    # 5. Neither: an empty capability set.
    run = run_playbook_file(tmp_path / "run5", playbook, {**variables, "maglevd_config": plain_config()})
    assert run.ok, run.stdout + run.stderr
    lines = unit_lines(unit)
    assert "CapabilityBoundingSet=" in lines
    assert "AmbientCapabilities=" in lines
    assert not [line for line in lines if line.startswith("CapabilityBoundingSet=CAP")]

    # 6. absent removes what the role installed.
    run = run_playbook_file(tmp_path / "run6", playbook, {**variables, "maglevd_state": "absent"})
    assert run.ok, run.stdout + run.stderr
    for path in (opt, etc, unit, bindir / "maglevd", bindir / "maglevc", *pages.values(), *scripts):
        assert not path.exists(), path


def test_tcp_listener_without_token_is_refused_before_any_change(tmp_path, wheelhouse):
    prefix = tmp_path / "root"
    playbook = tmp_path / "role.yml"
    playbook.write_text(PLAYBOOK)
    variables = {
        **base_vars(prefix, wheelhouse),
        "maglevd_config": plain_config(),
        "maglevd_control_addr": "127.0.0.1:0",
    }
    run = run_playbook_file(tmp_path / "run", playbook, variables)
    assert not run.ok
    assert "maglevd_control_token" in run.stdout + run.stderr
    assert not prefix.exists()


def test_unknown_variable_value_is_refused_by_argument_specs(tmp_path, wheelhouse):
    playbook = tmp_path / "role.yml"
    playbook.write_text(PLAYBOOK)
    variables = {**base_vars(tmp_path / "root", wheelhouse), "maglevd_config": plain_config(), "maglevd_state": "gone"}
    run = run_playbook_file(tmp_path / "run", playbook, variables)
    assert not run.ok
    assert "maglevd_state" in run.stdout and "present" in run.stdout
    assert not (tmp_path / "root").exists()
