"""maglevd as a real process in each way it ends: every line it writes (stdout and stderr) is
a JSON log line, the last one is `stopped` with the process's real exit code, and nothing
moves after `stopping`."""

from __future__ import annotations

import signal
import socket

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.maglevd_client import MaglevdClient
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess, check_exit
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATIC_CONFIG

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def events(records):
    return [r["event"] for r in records]


def test_sigterm_stops_everything_before_stopped(tmp_path):
    proc = MaglevdProcess(tmp_path)
    assert proc.wait_ready()["event"] == "ready"
    client = MaglevdClient(proc.socket, timeout=10)
    stream = client.events(log=True, level="debug")
    assert next(stream)["replay"]  # subscribed: shutdown has a live event stream to end
    code, records = proc.finish(signal.SIGTERM)
    assert code == 0
    check_exit(code, records)
    assert events(records).count("stopping") == 1


def test_sigint_is_a_clean_stop_too(tmp_path):
    proc = MaglevdProcess(tmp_path)
    proc.wait_ready()
    code, records = proc.finish(signal.SIGINT)
    assert code == 0
    check_exit(code, records)


def test_control_socket_in_use_fails_before_anything_runs(tmp_path):
    first = MaglevdProcess(tmp_path)
    try:
        first.wait_ready()
        second = MaglevdProcess(tmp_path)
        code, records = second.finish(sig=None)
        assert code == 1
        check_exit(code, records)
        failed = [r for r in records if r["event"] == "startup-failed"]
        assert len(failed) == 1 and "in use" in failed[0]["error"]
        # The listener is taken first: no probe ran, so no backend or frontend moved at all.
        assert not [e for e in events(records) if e.endswith("-transition")], events(records)
        assert MaglevdClient(first.socket, timeout=10).version()["pid"] == first.proc.pid
    finally:
        code, records = first.finish()
    assert code == 0
    check_exit(code, records)


@pytest.mark.parametrize(
    "name, text",
    [
        ("missing", None),
        ("not-yaml", "maglev: [unclosed\n"),
        ("invalid", "maglev:\n  backends:\n    b-1: {address: not-an-address}\n"),
        ("empty", ""),
    ],
)
def test_a_bad_config_exits_2_and_says_2(tmp_path, name, text):
    if text is not None:
        (tmp_path / "maglev.yaml").write_text(text)
    proc = MaglevdProcess(tmp_path, text)
    code, records = proc.finish(sig=None)
    assert code == 2
    check_exit(code, records)
    invalid = [r for r in records if r["event"] == "config-invalid"]
    assert len(invalid) == 1 and invalid[0]["exit_code"] == 2 and invalid[0]["errors"], records
    assert invalid[0]["kind"] in ("parse", "semantic")


def test_a_missing_token_file_exits_1_and_says_1(tmp_path):
    proc = MaglevdProcess(tmp_path, STATIC_CONFIG, "--control-token-file", str(tmp_path / "nope"))
    code, records = proc.finish(sig=None)
    assert code == 1
    check_exit(code, records)
    assert "--control-token-file" in next(r for r in records if r["event"] == "startup-failed")["error"]


@pytest.mark.parametrize(
    "flag, value", [("--metrics-addr", "nonsense"), ("--log-level", "x" * 100_000), ("--control-addr", "y" * 100_000)]
)
def test_a_bad_flag_is_a_json_line_too(tmp_path, flag, value):
    proc = MaglevdProcess(tmp_path, STATIC_CONFIG, flag, value)
    code, records = proc.finish(sig=None)
    assert code == 64  # EX_USAGE: not 2, which means an invalid configuration
    check_exit(code, records)
    error = next(r for r in records if r["event"] == "startup-failed")["error"]
    assert flag in error and len(error) < 400  # a huge value is quoted short


def test_a_client_that_goes_away_mid_request_leaves_no_traceback(tmp_path):
    proc = MaglevdProcess(tmp_path, STATIC_CONFIG, "--log-level", "debug")
    proc.wait_ready()
    # A body announced and never sent, then the connection drops (as a killed curl does).
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(proc.socket)
        sock.sendall(
            b"PUT /v1/frontends/web-fe/pools/primary/backends/web-one/weight HTTP/1.1\r\n"
            b"Host: maglevd\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
    gone = proc.wait_for("client-disconnected")
    code, records = proc.finish()
    assert code == 0
    check_exit(code, records)
    assert gone is not None and gone["level"] == "debug" and gone["path"].startswith("/v1/frontends/"), records
    assert not [r for r in records if "Traceback" in str(r.get("error", ""))], records


@pytest.mark.parametrize("variable, deprecated", [("MAGLEV_SOCKET", False), ("MAGLEV_CONTROL_SOCKET", True)])
def test_the_socket_variable_and_its_deprecated_alias(tmp_path, variable, deprecated):
    proc = MaglevdProcess(
        tmp_path, STATIC_CONFIG, env={variable: str(tmp_path / "run" / "maglevd.sock")}, socket_flag=False
    )
    ready = proc.wait_ready()
    assert ready["event"] == "ready" and ready["socket"] == proc.socket, proc.seen
    assert MaglevdClient(proc.socket, timeout=10).version()["pid"] == proc.proc.pid
    warned = [r for r in proc.seen if r["event"] == "deprecated-variable"]
    if deprecated:
        assert len(warned) == 1 and warned[0]["level"] == "warn"
        assert (warned[0]["variable"], warned[0]["use"]) == ("MAGLEV_CONTROL_SOCKET", "MAGLEV_SOCKET")
    else:
        assert not warned
    code, records = proc.finish()
    check_exit(code, records)


def test_the_new_socket_variable_wins_over_the_old_one(tmp_path):
    new, old = str(tmp_path / "run" / "maglevd.sock"), str(tmp_path / "old.sock")
    proc = MaglevdProcess(tmp_path, env={"MAGLEV_SOCKET": new, "MAGLEV_CONTROL_SOCKET": old}, socket_flag=False)
    assert proc.wait_ready()["socket"] == new
    warned = [r for r in proc.seen if r["event"] == "deprecated-variable"]
    assert len(warned) == 1 and "ignored" in warned[0]["message"]
    code, records = proc.finish()
    check_exit(code, records)
