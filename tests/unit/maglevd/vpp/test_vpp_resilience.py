"""Nothing on the VPP side ends silently: health verdict, daemon state, a supervisor loop that
survives its own bugs, a reconciler that always answers (tasks that survive exceptions:
test_tasks.py)."""

from __future__ import annotations

import asyncio

import pytest
from ansible_collections.vpp.maglev.maglevd.daemon_state import daemon_state
from ansible_collections.vpp.maglev.maglevd.vpp.health import DEGRADED_AFTER_PINGS, vpp_health
from ansible_collections.vpp.maglev.maglevd.vpp.reconciler import Reconciler
from ansible_collections.vpp.maglev.maglevd.vpp.settings import VppSettings
from ansible_collections.vpp.maglev.maglevd.vpp.supervisor import VppConnection
from ansible_collections.vpp.maglev.plugins.module_utils.desired import desired_state
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.tests.helpers.fake_vpp_client import FakeClient, fake_connection
from test_reconciler import make_config


@pytest.mark.parametrize(
    "enabled, connected, age, state, reason",
    [
        (False, False, None, "ok", None),  # no VPP asked for: nothing to be degraded about
        (True, False, None, "degraded", "not connected to VPP"),
        (True, False, 1.0, "degraded", "not connected to VPP"),
        (True, True, None, "degraded", "last successful VPP round trip never"),
        (True, True, 0.0, "ok", None),
        (True, True, 30.0, "ok", None),  # exactly 3 ping intervals: still ok
        (True, True, 30.1, "degraded", "last successful VPP round trip 30.1s ago"),
    ],
)
def test_vpp_health_table(enabled, connected, age, state, reason):
    got_state, got_reason = vpp_health(enabled=enabled, connected=connected, last_ok_age=age, ping_interval=10.0)
    assert got_state == state and DEGRADED_AFTER_PINGS == 3
    assert (got_reason is None) if reason is None else got_reason.startswith(reason)


def test_daemon_state_is_degraded_when_any_component_is():
    assert daemon_state({}) == {"state": "ok", "degraded": {}}
    assert daemon_state({"vpp": {"state": "ok", "reason": None}}) == {"state": "ok", "degraded": {}}
    assert daemon_state({"vpp": {"state": "degraded", "reason": "not connected to VPP"}, "x": {"state": "ok"}}) == {
        "state": "degraded",
        "degraded": {"vpp": "not connected to VPP"},
    }


def test_the_supervisor_loop_survives_its_own_exceptions(monkeypatch, tmp_path):
    """A bug in one round of connect/watch is logged and counted; the next round runs."""
    conn = VppConnection(VppSettings(api_socket=str(tmp_path / "no-vpp.sock"), retry_min=0.001, retry_max=0.002))
    real = VppConnection._session
    rounds = []

    async def session(self, delay):
        rounds.append(delay)
        if len(rounds) <= 2:
            raise RuntimeError("bug in round %d" % len(rounds))
        return await real(self, delay)  # connect fails: no socket (counted as connect/connection)

    monkeypatch.setattr(VppConnection, "_session", session)

    async def main():
        task = conn.start()
        deadline = asyncio.get_running_loop().time() + 15
        while conn.errors.get("connect/connection", 0) < 2 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)
        alive = not task.done()
        await conn.stop()
        return alive

    alive = asyncio.run(asyncio.wait_for(main(), 30))
    assert alive
    assert rounds[:3] == [0.001, 0.002, 0.002]  # the backoff doubles up to retry_max, not a busy loop
    assert conn.errors["supervisor/internal"] == 2 and conn.errors["connect/connection"] >= 2
    assert "no-vpp.sock" in conn.last_error
    assert (
        conn.metrics.registry.get_sample_value("maglev_vpp_errors_total", {"stage": "supervisor", "kind": "internal"})
        == 2.0
    )
    assert conn.health() == {"state": "degraded", "reason": "not connected to VPP"}


def test_a_reconciler_bug_answers_the_waiting_sync_and_the_next_sync_works():
    """states() raising inside a full sync: `sync vpp lb state` gets an error instead of
    waiting forever, the error is counted, the worker lives on and the retry converges."""
    config = make_config()
    states = dict.fromkeys(config.backends, BackendState.UP)
    client = FakeClient(desired_state(config, states))
    conn = fake_connection(client)
    failing = {"left": 1}

    def read_states():
        if failing["left"]:
            failing["left"] -= 1
            raise RuntimeError("injected states() failure")
        return states

    settings = VppSettings(sync_retry_min=0.001, sync_retry_max=0.002)
    rec = Reconciler(config, read_states, conn, settings=settings)

    async def main():
        rec.start()
        first = await asyncio.wait_for(rec.sync_now("operator"), 10)
        states["a1"] = BackendState.DOWN
        second = await asyncio.wait_for(rec.sync_now("operator"), 10)
        await rec.stop()
        return first, second

    first, second = asyncio.run(main())
    assert first["result"] == "error" and "injected states() failure" in first["error"]
    assert second["result"] == "ok"
    assert conn.errors["reconcile/internal"] == 1
    assert client.state == desired_state(config, states)
