"""maglevd runs on the event loop event_loop.py chooses, says which, and refuses a bad choice."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.maglevd.event_loop import LOOP_VAR
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
pytest.importorskip("uvloop")


@pytest.mark.parametrize(("value", "loop"), [(None, "uvloop"), ("asyncio", "asyncio")])
def test_the_daemon_runs_on_the_chosen_loop_and_says_which(tmp_path, value, loop):
    proc = MaglevdProcess(tmp_path, env={LOOP_VAR: value} if value else {LOOP_VAR: ""})
    try:
        assert proc.wait_ready()["event"] == "ready", proc.seen
        assert proc.events("starting")[0]["loop"] == loop
    finally:
        proc.stop()


def test_the_daemon_refuses_a_bad_loop_choice(tmp_path):
    proc = MaglevdProcess(tmp_path, env={LOOP_VAR: "tokio"})
    record = proc.wait_ready()
    code, _out, _err = proc.stop(sig=None)
    assert record["event"] == "startup-failed" and LOOP_VAR in record["error"] and code == 1
