"""Any exception on the VPP side is logged, counted, and ends in a reconnect: VPP converges.

An exception that is not a VppError (a bug, ``EMFILE`` when file descriptors run out) is
injected once at each step the VPP side takes (connect, the full sync's read, a per-VIP apply,
the ping, restarting vpp_papi's reader after a direct-path read, the reconciler's own
planning). After each, the test checks that the error was counted under its stage, that the
supervisor reconnected (or the reconciler retried), and that a later backend change reaches
vppsim: its state, read through vppsim's control socket, equals what maglevd wants.
"""

from __future__ import annotations

import errno
import multiprocessing
import types
from typing import Any, Callable

import pytest
from ansible_collections.vpp.maglev.maglevd.vpp import supervisor as vpp
from ansible_collections.vpp.maglev.maglevd.vpp import sync_plan
from ansible_collections.vpp.maglev.plugins.module_utils import vpp_errors, vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi import papi_reader
from ansible_collections.vpp.maglev.tests.helpers.sample_config import rig_config as config_dict
from ansible_collections.vpp.maglev.tests.helpers.vpp_side_rig import DOWN, Rig, run


class Once:
    """``fn``, except that the first call after ``arm()`` raises ``exc`` instead."""

    def __init__(self, fn: Callable[..., Any], exc: BaseException) -> None:
        self.fn, self.exc = fn, exc
        self.armed, self.fired = False, 0

    def arm(self) -> Once:
        self.armed = True
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.armed:
            self.armed = False
            self.fired += 1
            raise self.exc
        return self.fn(*args, **kwargs)

    def function(self) -> Callable[..., Any]:
        """A plain function calling this (functions bind as methods; instances do not)."""

        def call(*args: Any, **kwargs: Any) -> Any:
            return self(*args, **kwargs)

        return call


def emfile() -> OSError:
    return OSError(errno.EMFILE, "Too many open files")


def vpp_weights(state: dict) -> dict:
    """(vip, address) -> weight of the live ASes in vppsim's own state."""
    return {
        (v["prefix"], a["address"]): a["weight"] for v in state["vips"] if v["used"] for a in v["ases"] if a["used"]
    }


def wanted_weights(vips: list) -> dict:
    return {(v["vip"], b["address"]): b["weight"] for v in vips for b in v["backends"]}


def _inject(step: str, monkeypatch: pytest.MonkeyPatch) -> Once:
    if step == "connect":
        once = Once(vppclient.connect, emfile())
        monkeypatch.setattr(vppclient, "connect", once)
    elif step == "read":
        once = Once(vppclient.VppClient.read_state, ValueError("injected read failure"))
        monkeypatch.setattr(vppclient.VppClient, "read_state", once.function())
    elif step == "apply":
        once = Once(vppclient.VppClient.apply, KeyError("injected apply failure"))
        monkeypatch.setattr(vppclient.VppClient, "apply", once.function())
    elif step == "ping":
        once = Once(vpp._ping, RuntimeError("injected ping failure"))
        monkeypatch.setattr(vpp, "_ping", once)
    elif step == "reader-restart":  # the EMFILE inside PapiReaderThread.restart
        once = Once(multiprocessing.Queue, emfile())
        monkeypatch.setattr(papi_reader, "multiprocessing", types.SimpleNamespace(Queue=once))
    elif step == "reconcile":
        once = Once(sync_plan.desired_state, RuntimeError("injected planning failure"))
        monkeypatch.setattr(sync_plan, "desired_state", once)
    else:
        raise AssertionError(step)
    return once


# step -> (the error counter's stage label, whether the connection is dropped and re-made)
STEPS = {
    "connect": ("connect", False),
    "read": ("sync", True),
    "apply": ("apply", True),
    "ping": ("ping", True),
    "reader-restart": ("sync", True),
    "reconcile": ("reconcile", False),
}


@pytest.mark.parametrize("step", list(STEPS))
def test_an_exception_at_each_step_reconnects_and_vpp_converges(step, vppsim, monkeypatch):
    stage, reconnects = STEPS[step]
    once = _inject(step, monkeypatch)

    async def main():
        rig = Rig(vppsim, config_dict())
        if step == "connect":
            once.arm()  # the very first connect fails
        await rig.start()
        connection = rig.side.connection
        mark = len(rig.events)
        sync_result = None
        if step in ("read", "reader-restart"):
            once.arm()
            sync_result = await rig.sync_all()  # the full sync's read (a direct-path read)
        elif step in ("apply", "reconcile"):
            once.arm()
            rig.set("a1", DOWN)  # a per-VIP sync: plan on the loop, apply on the VPP thread
        elif step == "ping":
            once.arm()  # the supervisor pings every 0.2 s
        if reconnects:
            await rig.event(lambda e: e["scope"] == "full" and e.get("reason") == "connect", since=mark)
        elif step == "reconcile":  # not a connection fault: the cache is dropped, a full sync retries
            await rig.event(lambda e: e["scope"] == "full" and e.get("reason") == "retry", since=mark)
        # After the fault, a change still reaches VPP.
        seq = vppsim.stats()["seq"]
        rig.set("s1", DOWN)
        await rig.sim_call(vppsim.wait_for, "lb_as_set_weight", since=seq, as_address="10.0.2.1", weight=0)
        have = wanted_weights(rig.desired()), vpp_weights(await rig.sim_call(vppsim.state))
        info = await rig.side.info()
        task_alive = not connection._task.done()
        sample = connection.metrics.registry.get_sample_value(
            "maglev_vpp_errors_total", {"stage": stage, "kind": "internal"}
        )
        await rig.stop()
        return sync_result, have, info, task_alive, sample

    sync_result, (want, have), info, task_alive, sample = run(main())
    assert once.fired == 1
    assert have == want
    assert want[("192.0.2.53/32", "10.0.2.1")] == 0
    assert info["connected"] and task_alive
    assert info["connects"] == (2 if reconnects else 1)
    assert info["errors"].get("%s/internal" % stage) == 1 and sample == 1.0
    if sync_result is not None:  # the operator's sync is answered, with the reason
        assert sync_result["result"] == "error" and sync_result["connection_lost"]
        assert "Errno 24" in sync_result["error"] or "injected" in sync_result["error"]


def test_a_failed_reader_restart_leaves_a_broken_client_not_a_half_alive_one(vppsim, monkeypatch):
    """The issue's root cause, at the client: EMFILE while restarting vpp_papi's reader used
    to leave a client with no reader that counted as alive and whose next call raised
    ValueError. Now the client is broken (liveness says so) and the error is a VppError."""
    once = Once(multiprocessing.Queue, emfile())
    monkeypatch.setattr(papi_reader, "multiprocessing", types.SimpleNamespace(Queue=once))
    with vppclient.connect(vppsim.socket, timeout=5) as client:
        client.read_state()
        once.arm()
        with pytest.raises(vpp_errors.VppConnectionError) as caught:
            client.read_state()
        assert "Errno 24" in str(caught.value) and "reader" in str(caught.value)
        assert client.broken and not vpp._transport_alive(client)
    with vppclient.connect(vppsim.socket, timeout=5) as fresh:  # the queues left behind still work
        assert fresh.read_state().conf is not None and vpp._transport_alive(fresh)
