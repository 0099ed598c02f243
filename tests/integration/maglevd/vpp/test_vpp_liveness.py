"""The liveness check of the VPP connection never takes a direct-path pause for a dead VPP.

maglevd's supervisor asks ``supervisor._transport_alive(client)`` every 50 ms from the event loop
while the VPP thread pauses vpp_papi's reader for bulk work (``ApiConnection.direct``). Three
ways to exercise the race, fastest first:

- deterministic: the liveness check runs at the exact steps of a pause (old reader joined,
  new reader created, new reader started), through a proxy of the old thread and a Thread
  class that calls it around ``start``;
- in-process stress: thousands of liveness checks from another thread during hundreds of
  direct-path reads and applies against vppsim (no false "dead" allowed);
- end to end: the real supervisor checking every 0.5 ms while the reconciler runs hundreds of
  back-to-back full syncs: not one disconnect.

Each test also shows the check does say "dead" once VPP really goes away.
"""

from __future__ import annotations

import sys
import threading
import time
import types
from ipaddress import ip_address

from ansible_collections.vpp.maglev.maglevd.vpp import supervisor as vpp
from ansible_collections.vpp.maglev.plugins.module_utils import vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi import papi_reader
from ansible_collections.vpp.maglev.tests.helpers.sample_config import rig_config as config_dict
from ansible_collections.vpp.maglev.tests.helpers.vpp_side_rig import Rig, run

VIP = VipKey.make("192.0.2.80/32", "tcp", 80)


def poll(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def ases(count: int, weight: int) -> LbState:
    members = {ip_address("10.9.%d.%d" % (i // 200, i % 200 + 1)): weight for i in range(count)}
    return LbState(vips={VIP: Vip(VIP, VipAttrs(), members)})


class _OldReader:
    """Stands in for vpp_papi's running reader thread: checks liveness right after the
    direct path has joined it (the thread is dead, the new one does not exist yet)."""

    def __init__(self, thread: threading.Thread, look) -> None:
        self._thread = thread
        self._look = look

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout=None) -> None:
        self._thread.join(timeout)
        self._look("old reader joined")

    def __getattr__(self, name):
        return getattr(self._thread, name)


def test_liveness_holds_at_every_step_of_a_direct_pause(vppsim, monkeypatch):
    with vppclient.connect(vppsim.socket, timeout=5) as client:
        seen = []

        def look(step: str) -> None:
            seen.append((step, vpp._transport_alive(client)))

        class Thread(threading.Thread):
            def start(self) -> None:
                look("new reader created")
                super().start()
                look("new reader started")

        monkeypatch.setattr(papi_reader, "threading", types.SimpleNamespace(Thread=Thread))
        transport = client.papi.transport
        transport.message_thread = _OldReader(transport.message_thread, look)
        client.read_state()  # a direct-path read: one pause
        look("after the read")
        assert seen == [
            ("old reader joined", True),
            ("new reader created", True),
            ("new reader started", True),
            ("after the read", True),
        ]
        assert isinstance(transport.message_thread, Thread) and transport.message_thread.is_alive()
        vppsim.restart()  # VPP goes away for real: the same check says so
        assert poll(lambda: not vpp._transport_alive(client))


def test_no_false_dead_during_hundreds_of_direct_reads_and_applies(vppsim):
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # interleave the two threads as finely as the GIL allows
    with vppclient.connect(vppsim.socket, timeout=5) as client:
        stop = threading.Event()
        counts = {"checks": 0, "dead": 0}

        def watcher() -> None:
            while not stop.is_set():
                counts["checks"] += 1
                if not vpp._transport_alive(client):
                    counts["dead"] += 1

        thread = threading.Thread(target=watcher, daemon=True)
        thread.start()
        try:
            full, half = ases(vppclient.DIRECT_MIN_OPS, 100), ases(vppclient.DIRECT_MIN_OPS, 50)
            for i in range(150):
                client.read_state()  # direct read
                current = client.read_state()
                client.apply(plan(current, half if i % 2 else full, "replaced"))  # direct apply
        finally:
            stop.set()
            thread.join(10)
            sys.setswitchinterval(switch)
        assert not client.broken
        assert counts["checks"] > 10_000 and counts["dead"] == 0, counts
        vppsim.restart()
        assert poll(lambda: not vpp._transport_alive(client))


def test_back_to_back_syncs_never_disconnect(vppsim):
    """The issue's `POST /v1/vpp/lb/sync` x N, minus HTTP: 400 full syncs (each one direct-path
    read) with the supervisor checking the reader 100x more often than in production."""

    async def main():
        rig = Rig(vppsim, config_dict(), ping_interval=60, watch_interval=0.0005)
        await rig.start()
        results = [await rig.sync_all() for _sync in range(400)]
        connection = rig.side.connection
        connects, disconnects = connection.connects, connection.metrics.disconnects._value.get()
        mark = len(rig.events)
        await rig.sim_call(vppsim.restart)  # a real loss is still noticed, and restored
        await rig.event(lambda e: e["scope"] == "full" and e.get("reason") == "connect", since=mark)
        after = connection.connects
        await rig.stop()
        return results, connects, disconnects, after

    results, connects, disconnects, after = run(main())
    assert [r["result"] for r in results] == ["ok"] * 400
    assert (connects, disconnects) == (1, 0)
    assert after == 2
