"""A config file cannot crash or stall the running daemon (the real process, its socket and
real HTTP servers): hostile files are refused on reload with the running config kept, the
reload and the API's check read and parse off the event loop, and checks run one at a time.

Where a test needs "the reload is in progress", the config path is a FIFO: the daemon's
reader blocks in open()/read() until the test writes, so the test knows, without any
timing, that a read is under way while it looks at the daemon.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.maglevd_client import MaglevdError
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import ENV, PKG, MaglevdProcess
from ansible_collections.vpp.maglev.tests.helpers.sample_config import probed_config

pytestmark = pytest.mark.integration


@pytest.fixture
def daemon(tmp_path, web):
    d = MaglevdProcess(tmp_path, probed_config(web.server_address[1]))
    d.wait_ready()
    assert d.ready.get("event") == "ready", d.ready
    yield d
    d.stop()


def _next_of(stream, *types: str) -> dict:
    for event in stream:
        if event["type"] in types:
            return event
    raise AssertionError("stream ended")


def subscribed(daemon: MaglevdProcess, probes: bool = False):
    """An event stream already subscribed (the first replayed state has arrived), so no event
    published after this returns can be missed."""
    stream = daemon.client.events(probes=probes)
    assert next(stream)["replay"]
    return stream


def _to_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


class FifoWriter:
    """Opens the FIFO for writing in a thread: open() returns only once the daemon has opened
    it for reading, which is the proof that a read is under way."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.opened = threading.Event()
        self.handle = None
        self.thread = threading.Thread(target=self._open, daemon=True)
        self.thread.start()

    def _open(self) -> None:
        self.handle = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 (closed in finish)
        self.opened.set()

    def finish(self, text: str) -> None:
        assert self.handle is not None
        self.handle.write(text)
        self.handle.close()


def test_reload_with_a_missing_ca_file_is_refused_and_keeps_the_config(daemon, web, tmp_path):
    daemon.wait_state("web1", "up")
    good = daemon.config.read_text()
    missing = tmp_path / "no-such-ca.pem"
    daemon.config.write_text(
        good.replace(
            "    dead:\n",
            "    tls:\n      type: https\n      port: 443\n      params: {ca-file: %s}\n    dead:\n" % missing,
        ).replace("spare: {address: 127.0.0.3, healthcheck: dead}", "spare: {address: 127.0.0.3, healthcheck: tls}")
    )
    events = subscribed(daemon)
    daemon.proc.send_signal(signal.SIGHUP)
    failed = _next_of(events, "config-reload-failed", "config-reload")
    assert failed["type"] == "config-reload-failed"
    line = next(n for n, text in enumerate(daemon.config.read_text().splitlines(), 1) if "ca-file" in text)
    assert failed["errors"] == [
        "%s:%d: maglev.healthchecks.tls.params.ca-file: cannot use %r as a CA bundle: No such file or directory"
        % (daemon.config, line, str(missing))
    ]
    # The running config is kept: spare still probes with its old check, every backend has a worker.
    assert daemon.client.backend("spare")["healthcheck"] == "dead"
    status = daemon.client.status()
    assert status["reloads"] == {"ok": 0, "failed": 1}
    assert status["state"] == "degraded" and "ca-file" in status["degraded"]["config"]
    assert status["probe_workers"] == 3
    assert "maglev_config_last_reload_success 0.0" in daemon.client.metrics()

    # The API's check says the same; a good file then reloads and clears the degraded state.
    check = daemon.client.config_check()
    assert check["exit_code"] == 2 and "ca-file" in check["errors"][0]
    daemon.config.write_text(good)
    assert daemon.client.config_reload()["ok"] is True
    status = daemon.client.status()
    assert status["state"] == "ok" and status["reloads"] == {"ok": 1, "failed": 1}
    code, _out, err = daemon.stop()
    assert code == 0
    assert "exception was never retrieved" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("bomb", "fragment"),
    [
        ("maglev: " + "[" * 40000 + "]" * 40000 + "\n", "nesting deeper than 64 levels"),
        (
            "m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n"
            + "".join("m%d: &m%d {<<: [%s]}\n" % (i, i, ", ".join(["*m%d" % (i - 1)] * 8)) for i in range(1, 9))
            + "maglev: *m8\n",
            "more than 5,000,000 values",
        ),
    ],
    ids=["deep-nesting", "merge-bomb"],
)
def test_sighup_with_a_bomb_is_refused_and_the_daemon_keeps_serving(daemon, web, bomb, fragment):
    daemon.wait_state("web1", "up")
    daemon.config.write_text(bomb)
    events = subscribed(daemon)
    daemon.proc.send_signal(signal.SIGHUP)
    failed = _next_of(events, "config-reload-failed", "config-reload")
    assert failed["type"] == "config-reload-failed" and failed["kind"] == "parse"
    assert len(failed["errors"]) == 1 and failed["errors"][0].startswith("%s:" % daemon.config)
    assert fragment in failed["errors"][0]
    assert daemon.client.backend("web1")["state"] == "up"
    # SIGTERM is not held up by a parse still running.
    code, _out, err = daemon.stop()
    assert code == 0 and "Traceback" not in err


def test_reload_reads_and_parses_off_the_event_loop(daemon, web):
    daemon.wait_state("web1", "up")
    good = daemon.config.read_text()
    _to_fifo(daemon.config)
    events = subscribed(daemon, probes=True)
    daemon.proc.send_signal(signal.SIGHUP)
    writer = FifoWriter(daemon.config)
    assert writer.opened.wait(30), "the daemon never opened the config for its reload"
    # The reload's thread is blocked reading the file; the loop still probes and answers.
    # (a probe event's type is the check's type: http for web1/web2, tcp for spare)
    probes = [_next_of(events, "http", "tcp", "config-reload", "config-reload-failed") for _probe in range(3)]
    assert all("code" in event and event["type"] in ("http", "tcp") for event in probes), probes
    assert daemon.client.status()["reloads"] == {"ok": 0, "failed": 0}
    writer.finish(good)
    done = _next_of(events, "config-reload", "config-reload-failed")
    assert done["type"] == "config-reload", done


def test_concurrent_config_checks_get_429(daemon, web):
    good = daemon.config.read_text()
    _to_fifo(daemon.config)
    first: dict = {}

    def check() -> None:
        first["answer"] = daemon.client.config_check()

    thread = threading.Thread(target=check, daemon=True)
    thread.start()
    writer = FifoWriter(daemon.config)
    assert writer.opened.wait(30), "the first check never opened the config"
    with pytest.raises(MaglevdError) as busy:
        daemon.client.config_check()
    assert busy.value.status == 429 and busy.value.code == "check-in-progress"
    assert "already running" in busy.value.message
    writer.finish(good)
    thread.join(30)
    assert first["answer"]["ok"] is True and first["answer"]["exit_code"] == 0
    # The slot is free again once the first check has ended.
    daemon.config.unlink()
    daemon.config.write_text(good)
    assert daemon.client.config_check()["ok"] is True


def test_start_with_a_missing_ca_file_names_the_key(tmp_path, web):
    config = tmp_path / "maglev.yaml"
    config.write_text(
        probed_config(web.server_address[1]).replace(
            "    dead:\n",
            "    tls:\n      type: https\n      port: 443\n      params: {ca-file: /nonexistent/ca.pem}\n    dead:\n",
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", PKG, "--config", str(config), "--control-socket", "", "--vpp-api-addr", ""],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr  # (the config-invalid log line, and/or stderr)
    assert result.returncode == 2
    assert "maglev.healthchecks.tls.params.ca-file: cannot use '/nonexistent/ca.pem' as a CA bundle" in output
    assert "Traceback" not in output and "[Errno 2]" not in output
