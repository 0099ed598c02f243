"""The reconciler against a fake VppClient: VIP selection, coalescing, flush, warmup, reload."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from typing import Dict

from ansible_collections.vpp.maglev.maglevd.vpp.reconciler import Reconciler
from ansible_collections.vpp.maglev.maglevd.vpp.settings import VppSettings
from ansible_collections.vpp.maglev.maglevd.vpp.warmup import Warmup
from ansible_collections.vpp.maglev.plugins.module_utils.config import parse
from ansible_collections.vpp.maglev.plugins.module_utils.desired import desired_state
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import Vip, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.tests.helpers.fake_vpp_client import FakeClient, fake_connection

UP, DOWN, DISABLED, UNKNOWN = BackendState.UP, BackendState.DOWN, BackendState.DISABLED, BackendState.UNKNOWN


def _raw_frontends() -> dict:
    return {
        "web": {
            "address": "192.0.2.10",
            "protocol": "tcp",
            "port": 80,
            "pools": [
                {"name": "main", "backends": {"a1": {}, "a2": {}, "a3": {}, "a4": {}}},
                {"name": "backup", "backends": {"b1": {}}},
            ],
        },
        "api": {
            "address": "192.0.2.11",
            "protocol": "tcp",
            "port": 443,
            "pools": [{"name": "main", "backends": {"a1": {}, "s1": {}}}],
        },
        "other": {
            "address": "192.0.2.12",
            "protocol": "tcp",
            "port": 25,
            "pools": [{"name": "main", "backends": {"s1": {}}}],
        },
    }


def make_config(frontends=None, backends=None, **lb):
    backends = backends or {"a%d" % i: {"address": "10.0.0.%d" % i} for i in range(1, 5)}
    backends.update({"b1": {"address": "10.0.1.1"}, "s1": {"address": "10.0.2.1"}})
    frontends = frontends or _raw_frontends()
    vpp = {
        "lb": {
            "ipv4-src-address": "192.0.2.1",
            "startup-min-delay": 0,
            "startup-max-delay": 0,
            "sync-interval": "1h",
            **lb,
        }
    }
    return parse({"maglev": {"vpp": vpp, "backends": backends, "frontends": frontends}})


class Harness:
    """A reconciler on a fake VPP already holding the state for ``states``."""

    def __init__(self, config, states: Dict[str, BackendState], *, warmup=None, preload=True, settings=None) -> None:
        self.config = config
        self.states = dict(states)
        initial = desired_state(config, self.states) if preload else None
        self.client = FakeClient(initial)
        self.conn = fake_connection(self.client)
        self.rec = Reconciler(config, lambda: self.states, self.conn, settings=settings, warmup=warmup)

    async def start(self) -> None:
        self.rec.start()
        await self.rec.request_full_sync("test")
        self.client.batches.clear()

    def set(self, name: str, state: BackendState) -> None:
        self.states[name] = state
        self.rec.backend_changed(name)

    async def settle(self) -> None:
        """Wait until the worker has nothing pending (a full sync is a barrier)."""
        await asyncio.sleep(0)
        while not self.rec.idle:
            await asyncio.sleep(0.002)

    async def stop(self) -> None:
        self.cache_valid = self.rec.current is not None
        await self.rec.stop()
        await self.conn.stop()


ALL_UP = {name: UP for name in ("a1", "a2", "a3", "a4", "b1", "s1")}
A1 = ipaddress.ip_address("10.0.0.1")


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


def vip(config, name) -> VipKey:
    return config.frontends[name].vip_key


def test_one_transition_syncs_only_the_vips_that_use_the_backend():
    async def main():
        h = Harness(make_config(), ALL_UP)
        await h.start()
        h.set("a1", DOWN)
        await h.settle()
        await h.stop()
        return h

    h = run(main())
    assert len(h.client.batches) == 1
    ops = h.client.batches[0]
    assert {op.vip for op in ops} == {vip(h.config, "web"), vip(h.config, "api")}
    assert [(op.kind, str(op.address), op.weight, op.flush) for op in ops] == [
        ("as_weight", "10.0.0.1", 0, True),  # web: down flushes (flush-on-down default true)
        ("as_weight", "10.0.0.1", 0, True),  # api
    ]
    assert h.client.reads == 1  # only the start-up full sync read VPP


def test_a_burst_of_failures_is_one_sync_per_vip():
    async def main():
        h = Harness(make_config(), ALL_UP)
        await h.start()
        for name in ("a1", "a2", "a3", "a4"):  # all of pool[0] in one loop tick
            h.set(name, DOWN)
        await h.settle()
        await h.stop()
        return h

    h = run(main())
    assert len(h.client.batches) == 1
    web = [op for op in h.client.batches[0] if op.vip == vip(h.config, "web")]
    # pool[1] takes over: b1 raised first (never "nothing serving"), then pool[0] to 0 in IP order
    assert [(str(op.address), op.weight, op.flush) for op in web] == [
        ("10.0.1.1", 100, False),
        ("10.0.0.1", 0, True),
        ("10.0.0.2", 0, True),
        ("10.0.0.3", 0, True),
        ("10.0.0.4", 0, True),
    ]
    assert h.client.state.vips[vip(h.config, "web")].ases[ipaddress.ip_address("10.0.1.1")] == 100


def test_transitions_during_an_inflight_sync_merge_into_the_next_one():
    async def main():
        h = Harness(make_config(), ALL_UP)
        await h.start()
        h.client.gate = threading.Event()
        h.client.entered.clear()
        h.set("a1", DOWN)
        await asyncio.get_running_loop().run_in_executor(None, h.client.entered.wait, 5)
        for name in ("a2", "a3", "s1"):  # arrive while the first apply is blocked
            h.set(name, DOWN)
        h.client.gate.set()
        await h.settle()
        await h.stop()
        return h

    h = run(main())
    assert len(h.client.batches) == 2
    second = h.client.batches[1]
    assert {str(op.address) for op in second} == {"10.0.0.2", "10.0.0.3", "10.0.2.1"}
    assert {op.vip for op in second} == {vip(h.config, name) for name in ("web", "api", "other")}


def test_standby_backend_disabled_is_flushed_at_unchanged_weight_zero():
    async def main():
        h = Harness(make_config(), ALL_UP)  # b1 is up in pool[1]: weight 0 (standby)
        await h.start()
        h.set("b1", DISABLED)
        await h.settle()
        await h.stop()
        return h

    h = run(main())
    assert [(op.kind, str(op.address), op.weight, op.flush) for op in h.client.ops()] == [
        ("as_weight", "10.0.1.1", 0, True)
    ]


def test_unknown_and_back_up_at_weight_zero_sends_nothing():
    async def main():
        h = Harness(make_config(), ALL_UP)
        await h.start()
        h.set("b1", UNKNOWN)  # standby at 0 -> unknown at 0: no flush, no change
        await h.settle()
        await h.stop()
        return h

    assert run(main()).client.batches == []


def test_full_sync_repairs_drift_and_leaves_unknown_vips_alone():
    async def main():
        config = make_config()
        h = Harness(config, ALL_UP)
        foreign = VipKey.make("203.0.113.1/32", "udp", 53)
        h.client.state.vips[foreign] = Vip(foreign, ases={ipaddress.ip_address("10.9.9.9"): 100})
        del h.client.state.vips[vip(config, "web")].ases[A1]  # deleted behind our back
        await h.start()  # the start-up full sync repairs it
        return h, foreign

    h, foreign = run(main())
    assert A1 in h.client.state.vips[vip(h.config, "web")].ases
    assert foreign in h.client.state.vips


def test_reload_deletes_dropped_vips_and_removed_backends_with_flush():
    async def main():
        config = make_config()
        h = Harness(config, ALL_UP)
        await h.start()
        frontends = {name: f for name, f in _raw_frontends().items() if name != "other"}
        frontends["web"]["pools"][0]["backends"].pop("a4")
        new = make_config(frontends=frontends)
        result = await h.rec.reload(new)
        await h.stop()
        return h, config, result

    h, old, result = run(main())
    assert result["result"] == "ok"
    kinds = [(op.kind, str(op.address) if op.address else None, op.flush) for op in h.client.ops()]
    assert ("as_del", "10.0.0.4", True) in kinds
    assert ("vip_flush", None, False) in kinds and ("vip_del", None, False) in kinds
    assert vip(old, "other") not in h.client.state.vips
    assert h.rec.queue.retired == set()


def test_reload_with_a_new_address_moves_the_as():
    async def main():
        h = Harness(make_config(), ALL_UP)
        await h.start()
        backends = {"a%d" % i: {"address": "10.0.0.%d" % i} for i in range(1, 5)}
        backends["a2"] = {"address": "10.0.0.22"}
        await h.rec.reload(make_config(backends=backends))
        await h.stop()
        return h

    h = run(main())
    ases = h.client.state.vips[vip(h.config, "web")].ases
    assert ipaddress.ip_address("10.0.0.22") in ases and ipaddress.ip_address("10.0.0.2") not in ases


def test_apply_error_invalidates_the_cache_and_a_full_sync_converges():
    async def main():
        h = Harness(make_config(), ALL_UP, settings=VppSettings(sync_retry_min=0.01))
        await h.start()
        h.client.fail_next = -6
        h.set("a1", DOWN)
        await h.settle()
        await h.stop()
        return h

    h = run(main())
    assert h.client.reads >= 2  # the retry re-read VPP
    assert h.client.state.vips[vip(h.config, "web")].ases[A1] == 0
    assert h.rec.recorder.counts["errors"] == 1
    assert h.cache_valid


def test_warmup_hands_off_then_per_vip_release():
    async def main():
        config = make_config()
        # VPP holds the weights an earlier maglevd left (everything up).
        states = dict.fromkeys(ALL_UP, UNKNOWN)
        h = Harness(config, ALL_UP)
        h.states = states
        clock = [0.0]
        warmup = Warmup(0.0, 5, 30)
        h.rec.warmup = warmup
        h.rec.clock = lambda: clock[0]
        h.rec.start()
        await h.rec.request_full_sync("connect")  # hands-off: read only
        h.set("a1", DOWN)
        await h.settle()
        assert h.client.batches == []
        clock[0] = 6.0  # releasing
        h.set("s1", UP)
        await h.settle()
        released = sorted(warmup.released)
        clock[0] = 30.0
        assert warmup.final_sync_due(30.0)
        await h.rec.request_full_sync("warmup-end")
        await h.stop()
        return h, released

    h, released = run(main())
    assert released == ["api", "other"]  # api: a1 down + s1 up are known; web waits for a2..b1
    # nothing but the final sync pushed weight 0, and only for what is really down/unknown
    assert h.client.batches and all(op.address is not None for op in h.client.ops())
    assert h.client.state.vips[vip(h.config, "web")].ases[A1] == 0


def test_runtime_weight_change_syncs_only_that_frontend():
    async def main():
        h = Harness(make_config(), ALL_UP)
        await h.start()
        frontends = _raw_frontends()
        frontends["api"]["pools"][0]["backends"]["a1"] = {"weight": 10}
        h.rec.set_config(make_config(frontends=frontends))
        h.rec.frontends_changed(["api"])
        await h.settle()
        await h.stop()
        return h

    h = run(main())
    assert [(op.vip, str(op.address), op.weight) for op in h.client.ops()] == [(vip(h.config, "api"), "10.0.0.1", 10)]
    assert h.client.reads == 1


class ReadStates(dict):
    """The checker's states, noting which backends a sync reads."""

    def __init__(self, states) -> None:
        super().__init__(states)
        self.read: set = set()

    def __getitem__(self, name):
        self.read.add(name)
        return super().__getitem__(name)

    def get(self, name, default=None):
        self.read.add(name)
        return super().get(name, default)

    def items(self):
        self.read.update(self.keys())
        return super().items()


def test_a_per_vip_sync_reads_only_the_states_of_its_vips_backends():
    """At 10,000 backends, converting every state for each failover cost 3.9 ms
    (docs/performance.md): a per-VIP sync reads the backends of the VIPs it syncs, no more."""

    async def main():
        h = Harness(make_config(), ALL_UP)
        await h.start()
        seen = ReadStates(h.states)
        h.rec._states = lambda: seen
        h.states = seen
        h.set("b1", DOWN)  # b1 is in web only
        await h.settle()
        await h.stop()
        return h, seen.read

    h, read = run(main())
    assert len(h.client.batches) == 1 and {op.vip for op in h.client.batches[0]} <= {vip(h.config, "web")}
    assert read == {"a1", "a2", "a3", "a4", "b1"}  # web's backends; not s1 (api, other)
