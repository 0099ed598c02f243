"""Help that answers, through the real programs: `--help` built from the flag tables, exit 64
for usage errors (while `--check` keeps 0/1/2), man pages that `man -l` renders, and bash and
zsh completing a hyphenated backend name from a running maglevd (docs/maglevd.md)."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Set

import pytest
from ansible_collections.vpp.maglev.maglevd.__main__ import build_parser as maglevd_parser
from ansible_collections.vpp.maglev.maglevd.__main__ import environment_only, maglevd_flags
from ansible_collections.vpp.maglev.maglevd.exit_codes import EX_USAGE, exit_codes
from ansible_collections.vpp.maglev.maglevd.maglevc.command_tree import command_lines
from ansible_collections.vpp.maglev.maglevd.maglevc.main import build_parser as maglevc_parser
from ansible_collections.vpp.maglev.maglevd.maglevc.main import maglevc_flags
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import ENV, PKG, MaglevdProcess, check_exit
from ansible_collections.vpp.maglev.tests.helpers.paths import ROOT
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATIC_CONFIG, sample_yaml

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

MODULES = {"maglevd": PKG, "maglevc": f"{PKG}.maglevc"}
BACKENDS = {"web-fra-1": "127.0.0.2", "web-fra-2": "127.0.0.3", "web-ams-1": "127.0.0.4"}
FLEET = sample_yaml(BACKENDS, [("main", {name: {} for name in BACKENDS})])


def run(program: str, *args: str, env: Dict[str, str] = ENV) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", MODULES[program], *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def flat(text: str) -> str:
    """Whitespace as one space: argparse wraps help lines where the terminal width says."""
    return " ".join(text.split())


def variables_read_in(files: List[Path]) -> Set[str]:
    """Every MAGLEV_* name the code spells as a whole string literal (what it reads)."""
    return {name for path in files for name in re.findall(r"""["'](MAGLEV_[A-Z0-9_]+)["']""", path.read_text())}


def test_maglevd_help_names_every_flag_its_default_and_its_variable():
    result = run("maglevd", "--help", env={**ENV, "MAGLEV_CONFIG": "/somewhere/else.yaml"})
    assert result.returncode == 0, result.stderr
    text = flat(result.stdout)
    for flag in maglevd_flags():
        assert flat(flag.help_line()) in text, flag.name
        if flag.env:
            assert f"default: {flag.default_text()}; env: {flag.env})" in text, flag.name
    assert "default: /etc/vpp-maglev/maglev.yaml; env: MAGLEV_CONFIG" in text  # the built-in one, not the env's
    # Every variable the daemon reads is in its help, flag or no flag (found in the code, not a list).
    daemon_files = [p for p in (ROOT / "maglevd").rglob("*.py") if "maglevc" not in p.parts]
    read = variables_read_in(daemon_files + [ROOT / "plugins" / "module_utils" / "maglevd_client.py"])
    assert read >= {"MAGLEV_CONFIG", "MAGLEV_API_MAX_BODY", "MAGLEV_VPP_PING_INTERVAL"}, read
    assert not {name for name in read if name not in text}, read
    assert "MAGLEV_API_MAX_BODY API max body, 1024 to 16777216 (default: 65536)" in text
    assert [name for name, _text in environment_only()] == re.findall(r"^  (MAGLEV_\w+)", result.stdout, re.M)
    for code, meaning in exit_codes("maglevd"):
        assert f"{code} {flat(meaning)}" in text


def test_maglevc_help_lists_every_command_and_the_exit_codes():
    result = run("maglevc", "--help")
    assert result.returncode == 0, result.stderr
    text = flat(result.stdout)
    lines = command_lines()
    assert len(lines) > 20 and (
        "set backend <backend> pause|resume|enable|disable|drain [--force] [--wait-flows N [--timeout S]]"
    ) in dict(lines)
    for syntax, what in lines:
        assert f"{syntax} {what}" in text, syntax
    for flag in maglevc_flags():
        assert flat(flag.help_line()) in text, flag.name
    read = variables_read_in(list((ROOT / "maglevd" / "maglevc").rglob("*.py")))
    assert not {name for name in read if name not in text}, read
    for code, meaning in exit_codes("maglevc"):
        assert f"{code} {flat(meaning)}" in text
    assert "64 usage error" in text and "3 maglevd not reachable" in text


def test_usage_errors_exit_64_and_check_keeps_0_1_2(tmp_path):
    for args in (["--bogus"], ["--completion", "fish"], ["--timeout", "soon", "show", "status"]):
        result = run("maglevc", *args)
        assert result.returncode == EX_USAGE, (args, result.stderr)
        assert result.stderr.startswith("usage: maglevc") and "maglevc: error:" in result.stderr
    # A command maglevc cannot parse is a usage error too, before any daemon is asked.
    result = run("maglevc", "--socket", str(tmp_path / "none.sock"), "show", "bogus")
    assert result.returncode == EX_USAGE and "unknown word 'bogus'" in result.stderr

    proc = MaglevdProcess(tmp_path, STATIC_CONFIG, "--no-such-flag")
    code, records = proc.finish(sig=None)
    check_exit(code, records)
    assert code == EX_USAGE and "--no-such-flag" in records[0]["error"], records

    files = {0: STATIC_CONFIG, 1: "maglev: [unclosed\n", 2: "maglev:\n  backends:\n    b-1: {address: nope}\n"}
    for expected, text in files.items():
        path = tmp_path / f"check-{expected}.yaml"
        path.write_text(text)
        assert run("maglevd", "--check", str(path)).returncode == expected, text


@pytest.mark.parametrize("program, section", [("maglevd", 8), ("maglevc", 1)])
def test_man_pages_render_with_man_l(tmp_path, program, section):
    if shutil.which("man") is None or shutil.which("groff") is None:
        pytest.skip("man or groff is not installed (scripts/setup.sh installs man-db and groff-base)")
    generated = run(program, "--man")
    assert generated.returncode == 0, generated.stderr
    page = tmp_path / f"{program}.{section}"
    page.write_text(generated.stdout)
    shown = subprocess.run(
        ["man", "--warnings", "-l", str(page)],
        check=False,
        capture_output=True,
        text=True,
        env={**ENV, "MANWIDTH": "80", "MAN_KEEP_FORMATTING": "", "LANG": "C.UTF-8"},
        timeout=60,
    )
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr  # groff's warnings land on stderr
    text = flat(shown.stdout)
    assert f"{program.upper()}({section})" in text and "EXIT STATUS" in text
    parser = maglevd_parser() if program == "maglevd" else maglevc_parser()
    for action in parser._actions:
        for option in action.option_strings:
            assert option in text, option
    for code, meaning in exit_codes(program):
        assert f"{code} {flat(meaning)}" in text, code
    if program == "maglevc":
        for syntax, what in command_lines():
            assert f"{syntax} {what}" in text, syntax


# -- completion: the shells, a pty, and a running maglevd ----------------------------------------


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """A maglevd whose backends share prefixes, and a `maglevc` command on PATH that reaches it."""
    root = tmp_path_factory.mktemp("completion")
    proc = MaglevdProcess(root, FLEET)
    assert proc.wait_ready()["event"] == "ready", proc.seen
    bindir = root / "bin"
    bindir.mkdir()
    command = bindir / "maglevc"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {MODULES["maglevc"]} "$@"\n')
    command.chmod(0o755)
    proc.shell_env = {**ENV, "PATH": f"{bindir}:{ENV['PATH']}", "MAGLEV_SOCKET": proc.socket, "TERM": "dumb"}
    yield proc
    code, records = proc.finish()
    check_exit(code, records)


class Terminal:
    """An interactive shell in a pty: type, then read until a marker appears (or the shell ends)."""

    def __init__(self, argv: List[str], env: Dict[str, str]) -> None:
        import pty

        self.fd, child = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=child, stdout=child, stderr=child, env=env, start_new_session=True)
        os.close(child)
        self.output = b""

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def read_until(self, marker: bytes, timeout: float = 30) -> bytes:
        start = len(self.output)
        deadline = time.monotonic() + timeout
        while marker not in self.output[start:] and time.monotonic() < deadline:
            if not select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                break
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # the shell is gone
                break
            if not chunk:
                break
            self.output += chunk
        assert marker in self.output[start:], (marker, self.output[-2000:])
        return self.output[start:]

    def setup(self, *lines: str) -> None:
        """Run `lines`, then wait for a marker only their completion can print (not the echo)."""
        self.type("".join(line + "\n" for line in lines) + "echo SET-$((40+2))-UP\n")
        self.read_until(b"SET-42-UP")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        os.close(self.fd)


def complete_and_run(terminal: Terminal, fleet) -> None:
    """`set backend web-fra<TAB>` lists both hyphenated names (and no other); `web-a<TAB>`
    completes the whole name, and the command then runs against the daemon."""
    terminal.type("maglevc set backend web-fra\t\t")
    listed = terminal.read_until(b"web-fra-2")
    assert b"web-fra-1" in listed and b"web-ams-1" not in listed, listed
    terminal.type("\x15")  # Ctrl-U: a fresh line
    terminal.type("maglevc set backend web-a\t")
    terminal.read_until(b"ms-1 ")  # the shell inserted the rest of the name (maglevc would take "web-a" too)
    terminal.type("pause\n")
    terminal.read_until(b"paused")  # maglevc's answer (the typed line says "pause")
    assert fleet.client.backend("web-ams-1")["state"] == "paused"
    assert run("maglevc", "--socket", fleet.socket, "set", "backend", "web-ams-1", "resume").returncode == 0


def test_complete_prints_the_shells_candidates(fleet):
    result = run("maglevc", "__complete", "set", "backend", "web-fra", env=fleet.shell_env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "web-fra-1\nweb-fra-2\n", "")
    assert run("maglevc", "__complete", "sh", env=fleet.shell_env).stdout == "show\n"
    assert run("maglevc", "__complete", "--js", env=fleet.shell_env).stdout == "--json\n"
    # A daemon that is not there completes nothing, quietly.
    away = run("maglevc", "__complete", "--socket", "/nonexistent.sock", "show", "backend", "w", env=fleet.shell_env)
    assert (away.returncode, away.stdout, away.stderr) == (0, "", "")


def test_bash_completes_a_hyphenated_backend_name(fleet, tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    script = tmp_path / "maglevc.bash"
    script.write_text(run("maglevc", "--completion", "bash").stdout)
    assert script.read_text() == (ROOT / "maglevd" / "completion" / "maglevc.bash").read_text()
    terminal = Terminal(["bash", "--norc", "--noprofile", "-i"], {**fleet.shell_env, "PS1": "$ "})
    try:
        terminal.setup(f"source {script}", "bind 'set show-all-if-ambiguous on'", "complete -p maglevc")
        assert b"complete -F _maglevc maglevc" in terminal.output
        complete_and_run(terminal, fleet)
    finally:
        terminal.close()


def test_zsh_completes_a_hyphenated_backend_name(fleet, tmp_path):
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed (scripts/setup.sh installs it)")
    functions = tmp_path / "site-functions"  # as the role installs it: a directory of fpath
    functions.mkdir()
    (functions / "_maglevc").write_text(run("maglevc", "--completion", "zsh").stdout)
    terminal = Terminal(["zsh", "-f", "-i"], {**fleet.shell_env, "PS1": "%% "})
    try:
        terminal.setup(f"fpath=({functions} $fpath)", "autoload -Uz compinit", "compinit -u -D")
        complete_and_run(terminal, fleet)
    finally:
        terminal.close()
