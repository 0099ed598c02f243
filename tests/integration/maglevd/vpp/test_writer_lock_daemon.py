"""maglevd takes the same writer lock for each apply: while another writer holds it, the
daemon's sync fails like a VPP error (event, metrics) without touching VPP, and its normal
retry applies it once the lock is free. The event loop keeps running meanwhile."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import writer_lock
from ansible_collections.vpp.maglev.tests.helpers.sample_config import rig_config as config_dict
from ansible_collections.vpp.maglev.tests.helpers.vpp_side_rig import DOWN, Rig, run

pytestmark = pytest.mark.integration


def test_maglevd_applies_under_the_writer_lock_and_retries_when_it_is_held(vppsim, monkeypatch):
    monkeypatch.setattr(writer_lock, "DAEMON_LOCK_TIMEOUT", 0.3)
    holder = writer_lock.hold(vppsim.socket, 0, owner="test-holder")

    async def main():
        rig = Rig(vppsim, config_dict())
        await rig.start()
        since = len(rig.events)
        seq = vppsim.stats()["seq"]
        holder.__enter__()
        released = False
        try:
            rig.set("a1", DOWN)
            # Awaiting this event at all shows the loop runs while the VPP thread waits.
            failed = await rig.event(lambda e: e["result"] == "error", since=since)
            status = rig.side.reconciler.status()
            errors = rig.side.metrics.registry.get_sample_value(
                "maglev_vpp_syncs_total", {"scope": "vip", "result": "error"}
            )
            writes_while_held = [c for c in vppsim.calls(since=seq) if c["message"].startswith("lb_")]
            reads_only = all(c["message"] in ("lb_conf_get", "lb_vip_dump", "lb_as_v2_dump") for c in writes_while_held)
            holder.__exit__(None, None, None)
            released = True
            ok = await rig.event(lambda e: e["result"] == "ok", since=len(rig.events))
            weight = await rig.sim_call(vppsim.wait_for, "lb_as_set_weight", since=seq, as_address="10.0.0.1")
        finally:
            if not released:
                holder.__exit__(None, None, None)
            await rig.stop()
        return failed, status, errors, reads_only, ok, weight

    failed, status, errors, reads_only, ok, weight = run(main())
    # maglevd says so in its own health state and metrics
    assert status["last_sync"]["result"] == "error" and "writer lock" in status["last_sync"]["error"]
    assert errors == 1
    assert "the VPP writer lock %s.lock is held by pid" % vppsim.socket in failed["error"]
    assert "owner=test-holder" in failed["error"]
    assert reads_only  # nothing was written while another writer held the lock
    assert ok["result"] == "ok"
    assert (weight["args"]["weight"], weight["args"]["is_flush"]) == (0, True)
