"""The checker with a fake clock and fed probes: scheduling, operator actions, reload, dedupe, events."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import logging
import random
from ipaddress import ip_address

import pytest
from ansible_collections.vpp.maglev.maglevd.checker import Checker
from ansible_collections.vpp.maglev.maglevd.control_errors import InvalidRequest, NotFound
from ansible_collections.vpp.maglev.maglevd.events import EventBus
from ansible_collections.vpp.maglev.maglevd.probes import IcmpSockets, SocketFactory
from ansible_collections.vpp.maglev.maglevd.schedule import initial_offset, next_delay
from ansible_collections.vpp.maglev.plugins.module_utils.operator_actions import ActionRefused
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.tests.helpers.checker_fakes import (
    FAIL,
    PASS,
    FakeClock,
    QueueProbe,
    ScriptProbe,
    hc,
    make_config,
    until,
)


def run(coro):
    return asyncio.run(coro)


class Harness:
    def __init__(self, config, probe_cls=QueueProbe, script="", seed=7):
        self.clock = FakeClock()
        self.bus = EventBus()
        self.events = []
        self.bus.add_listener(self.events.append)
        self.probes = {}

        def factory(check, address):
            probe = ScriptProbe(address, script) if probe_cls is ScriptProbe else probe_cls(address)
            self.probes[str(address)] = probe
            return probe

        self.checker = Checker(config, self.bus, clock=self.clock, rng=random.Random(seed), probe_factory=factory)

    def transitions(self, backend=None):
        return [
            (e.data["from"], e.data["to"])
            for e in self.events
            if e.type == "backend-transition" and (backend is None or e.data["backend"] == backend)
        ]


# -- scheduling --------------------------------------------------------------------------------


def test_adaptive_intervals_with_jitter():
    async def go():
        h = Harness(make_config({"a": "10.0.0.1"}), ScriptProbe, script="PPPFFFFP")
        await h.checker.start()
        await h.probes["10.0.0.1"].exhausted.wait()
        await h.checker.stop()
        return h

    h = run(go())
    first, *delays = h.clock.sleeps
    assert 0 <= first < 2.0  # random initial offset within the interval
    # after: P(unknown->up, 2) P(3) P(4=max) F(3) F(2) F(1, down) F(0) P(1)
    expected = [0.5, 0.5, 2.0, 0.5, 0.5, 0.5, 6.0, 0.5]
    assert len(delays) == len(expected)
    for got, base in zip(delays, expected):
        assert base * 0.9 <= got <= base * 1.1, (got, base)
    assert len({round(d, 9) for d in delays}) == len(delays)  # jittered, not all the same
    assert h.transitions("a") == [("unknown", "up"), ("up", "down")]  # the last P only lifts the counter


def test_initial_offsets_spread_and_jitter_bounds():
    rng = random.Random(3)
    check = hc(interval=1.0)
    offsets = [initial_offset(check, rng, check.interval) for _sample in range(1000)]
    assert all(0 <= o < 1.0 for o in offsets)
    assert len(set(offsets)) == 1000  # no two first probes share a timestamp
    assert initial_offset(hc(type="static"), rng, 1.0) == 0.0  # static: no waiting
    assert next_delay([], hc(type="static"), rng) is None


def test_static_backend_is_up_on_the_first_iteration():
    async def go():
        config = make_config({"s": "10.0.0.9"}, checks=[])
        checker = Checker(config, clock=FakeClock())
        await checker.start()
        await until(lambda: checker.states()["s"] is BackendState.UP)
        sleeps = list(checker.clock.sleeps)
        await checker.stop()
        return sleeps

    assert run(go()) == [None]  # up without any sleep; then waits until woken


# -- sharing ------------------------------------------------------------------------------------


def test_one_probe_per_address_and_check_shared_by_frontends_and_names():
    async def go():
        checks = [hc("one"), hc("two")]  # same settings, different names: the same probe
        config = make_config(
            {"a": "10.0.0.1", "a-alias": "10.0.0.1", "b": "10.0.0.2"},
            frontends={"f1": [["a", "b"]], "f2": [["a"]], "f3": [["a-alias"]]},
            checks=checks,
            backend_check={"a-alias": "two"},
        )
        h = Harness(config)
        await h.checker.start()
        assert len(h.checker.workers) == 2
        await until(lambda: h.probes["10.0.0.1"].calls == 1)
        h.probes["10.0.0.1"].results.put_nowait(PASS)
        await until(lambda: h.checker.states()["a-alias"] is BackendState.UP)
        assert h.checker.states()["a"] is BackendState.UP
        await h.checker.stop()
        return h

    h = run(go())
    assert h.probes["10.0.0.1"].calls <= 2


# -- operator actions ---------------------------------------------------------------------------


def test_pause_stops_probing_and_resume_restarts_in_unknown():
    async def go():
        h = Harness(make_config({"a": "10.0.0.1"}, frontends={"f": [["a"]]}))
        await h.checker.start()
        probe = h.probes["10.0.0.1"]
        await until(lambda: probe.calls == 1)
        probe.results.put_nowait(PASS)
        await until(lambda: h.checker.states()["a"] is BackendState.UP)
        await until(lambda: probe.calls == 2)  # the next probe is in flight
        h.checker.pause("a")
        worker = h.checker._worker_of("a")
        assert not worker.running()  # the probe task is cancelled, not its results discarded
        calls = probe.calls
        probe.results.put_nowait(FAIL)
        for _round in range(100):
            await asyncio.sleep(0)
        assert probe.calls == calls and h.checker.states()["a"] is BackendState.PAUSED
        h.checker.resume("a")
        assert h.checker.states()["a"] is BackendState.UNKNOWN
        await until(lambda: probe.calls == calls + 1)  # probing again
        await until(lambda: h.checker.states()["a"] is BackendState.DOWN)  # one probe decides
        await h.checker.stop()
        return h

    h = run(go())
    assert h.transitions("a") == [("unknown", "up"), ("up", "paused"), ("paused", "unknown"), ("unknown", "down")]


def test_disable_enable_and_errors():
    async def go():
        h = Harness(make_config({"a": "10.0.0.1"}))
        await h.checker.start()
        probe = h.probes["10.0.0.1"]
        await until(lambda: probe.calls == 1)
        h.checker.disable("a")
        assert not h.checker._worker_of("a").running()
        with pytest.raises(ActionRefused, match="disabled"):
            h.checker.pause("a")
        with pytest.raises(ActionRefused, match="disabled"):
            h.checker.resume("a")
        assert h.checker.get_health("a").state is BackendState.DISABLED  # never paused while disabled
        with pytest.raises(NotFound):
            h.checker.pause("nope")
        with pytest.raises(InvalidRequest):
            h.checker.act("a", "reboot")
        h.checker.enable("a")
        await until(lambda: probe.calls == 2)
        probe.results.put_nowait(PASS)
        await until(lambda: h.checker.states()["a"] is BackendState.UP)
        await h.checker.stop()
        return h

    h = run(go())
    assert h.transitions("a") == [("unknown", "disabled"), ("disabled", "unknown"), ("unknown", "up")]


# -- frontends and weights ----------------------------------------------------------------------


def test_frontend_failover_events_and_runtime_weight():
    async def go():
        h = Harness(make_config({"a": "10.0.0.1", "b": "10.0.0.2"}, frontends={"f": [["a"], ["b"]]}))
        await h.checker.start()
        pa, pb = h.probes["10.0.0.1"], h.probes["10.0.0.2"]
        await until(lambda: pa.calls == 1 and pb.calls == 1)
        pb.results.put_nowait(PASS)
        await until(lambda: h.checker.states()["b"] is BackendState.UP)
        rows = {r["backend"]: r["weight"] for r in h.checker.weights()["f"]}
        assert rows == {"a": 0, "b": 100}  # pool1 serves while pool0 has nothing up
        pa.results.put_nowait(PASS)
        await until(lambda: h.checker.states()["a"] is BackendState.UP)
        assert {r["backend"]: r["weight"] for r in h.checker.weights()["f"]} == {"a": 100, "b": 0}
        assert h.checker.set_weight("f", "pool0", "a", 40) == 100
        assert {r["backend"]: r["weight"] for r in h.checker.weights()["f"]} == {"a": 40, "b": 0}
        with pytest.raises(InvalidRequest):
            h.checker.set_weight("f", "pool0", "a", 101)
        with pytest.raises(NotFound, match="pool"):
            h.checker.set_weight("f", "nope", "a", 1)
        h.checker.set_weight("f", "pool0", "a", 0)
        await h.checker.stop()
        return h

    h = run(go())
    frontend = [(e.data["from"], e.data["to"]) for e in h.events if e.type == "frontend-transition"]
    assert frontend == [("unknown", "up"), ("up", "down")]  # weight 0 everywhere: down
    weights = [(e.data["from"], e.data["to"]) for e in h.events if e.type == "weight-change"]
    assert weights == [(100, 40), (40, 0)]


# -- reload -------------------------------------------------------------------------------------


def test_reload_keeps_unchanged_restarts_changed_removes_and_adds():
    async def go():
        config = make_config(
            {"keep": "10.0.0.1", "change": "10.0.0.2", "gone": "10.0.0.3", "moved": "10.0.0.4", "off": "10.0.0.5"},
            frontends={"f": [["keep", "change", "gone", "moved", "off"]]},
        )
        h = Harness(config)
        await h.checker.start()
        await until(lambda: len(h.probes) == 5 and all(p.calls == 1 for p in h.probes.values()))
        for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"):
            h.probes[address].results.put_nowait(PASS)
        h.probes["10.0.0.5"].results.put_nowait(FAIL)
        await until(
            lambda: h.checker.states()["off"] is BackendState.DOWN and h.checker.states()["keep"] is BackendState.UP
        )
        h.checker.disable("off")  # runtime disable must survive a reload with the same check
        keep_worker = h.checker._worker_of("keep")
        keep_counter = h.checker.get_health("keep").counter

        checks = [hc(), hc("other", interval=3.0)]
        new = make_config(
            {"keep": "10.0.0.1", "change": "10.0.0.2", "moved": "10.0.0.44", "off": "10.0.0.5", "new": "10.0.0.6"},
            frontends={"f": [["keep", "change", "moved", "off", "new"]]},
            checks=checks,
            backend_check={"change": "other"},
        )
        summary = h.checker.apply_config(new)
        assert h.checker._worker_of("keep") is keep_worker and keep_worker.running()
        assert h.checker.get_health("keep").counter == keep_counter
        states = h.checker.states()
        assert states["keep"] is BackendState.UP
        assert states["change"] is BackendState.UNKNOWN
        assert states["gone"] is BackendState.REMOVED
        assert states["new"] is BackendState.UNKNOWN
        assert states["moved"] is BackendState.UP and h.checker.addresses["moved"] == "10.0.0.44"
        assert states["off"] is BackendState.DISABLED
        assert "10.0.0.44" in {w.key[0] for w in h.checker.workers.values()}
        assert "10.0.0.3" not in {w.key[0] for w in h.checker.workers.values()}
        # a later enable really enables (docs/state-machine.md#states)
        h.checker.enable("off")
        assert h.checker.get_health("off").enabled and h.checker.states()["off"] is BackendState.UNKNOWN
        # the next reload forgets the removed backend
        h.checker.apply_config(new)
        assert "gone" not in h.checker.states()
        await h.checker.stop()
        return summary

    summary = run(go())
    assert summary["added"] == ["new"]
    assert summary["removed"] == ["gone"]
    assert summary["restarted"] == ["change"]
    assert summary["readdressed"] == ["moved"]


def test_backend_down_before_reload_recovers_after():
    async def go():
        h = Harness(make_config({"a": "10.0.0.1"}))
        await h.checker.start()
        probe = h.probes["10.0.0.1"]
        await until(lambda: probe.calls == 1)
        probe.results.put_nowait(FAIL)
        await until(lambda: h.checker.states()["a"] is BackendState.DOWN)
        h.checker.apply_config(make_config({"a": "10.0.0.1"}))
        await until(lambda: probe.calls == 2)
        probe.results.put_nowait(PASS)
        await until(lambda: probe.calls == 3)
        probe.results.put_nowait(PASS)
        await until(lambda: h.checker.states()["a"] is BackendState.UP)
        await h.checker.stop()

    run(go())


def test_yaml_enabled_change_wins_on_reload():
    async def go():
        h = Harness(make_config({"a": "10.0.0.1"}))
        await h.checker.start()
        h.checker.apply_config(make_config({"a": "10.0.0.1"}, disabled=("a",)))
        assert h.checker.states()["a"] is BackendState.DISABLED
        await h.checker.stop()

    run(go())


# -- reload races (reliability scenario #33) ------------------------------------------------------


def test_reload_race_answer_pending_for_a_removed_backend_is_dropped():
    """The probe's answer is in but the worker has not run when the reload removes the backend."""

    async def go():
        h = Harness(make_config({"a": "10.0.0.1", "b": "10.0.0.2"}))
        delivered = []
        h.checker.probe_listeners.append(lambda names, type_, result: delivered.append((names, result.code)))
        await h.checker.start()
        await until(lambda: len(h.probes) == 2 and all(p.calls == 1 for p in h.probes.values()))
        old_probe = h.probes["10.0.0.1"]
        task = h.checker._worker_of("a").task
        old_probe.results.put_nowait(FAIL)  # the answer is queued; the worker resumes only later
        h.checker.apply_config(make_config({"b": "10.0.0.2"}))
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
        removed = (h.checker.states()["a"], h.transitions("a"), list(delivered))
        # host removed before its first check, then added back: it starts over and is probed
        h.checker.apply_config(make_config({"a": "10.0.0.1", "b": "10.0.0.2"}))
        await until(lambda: h.probes["10.0.0.1"] is not old_probe and h.probes["10.0.0.1"].calls == 1)
        h.probes["10.0.0.1"].results.put_nowait(PASS)
        await until(lambda: h.checker.states()["a"] is BackendState.UP)
        await h.checker.stop()
        return h, removed

    h, (state, transitions, delivered) = run(go())
    assert state is BackendState.REMOVED
    assert transitions == [("unknown", "removed")]  # never "down" from the stale answer
    assert delivered == []
    assert h.transitions("a") == [("unknown", "removed"), ("unknown", "up")]


def test_reload_race_answer_for_the_old_address_does_not_reach_a_readdressed_backend():
    """Two names share one probe; a reload moves one away while the shared probe is answering."""

    async def go():
        h = Harness(make_config({"a": "10.0.0.1", "twin": "10.0.0.1"}))
        delivered = []
        h.checker.probe_listeners.append(lambda names, type_, result: delivered.append((names, result.code)))
        await h.checker.start()
        shared = h.probes["10.0.0.1"]
        await until(lambda: shared.calls == 1)
        shared.results.put_nowait(PASS)
        await until(lambda: shared.calls == 2)  # both up; the next shared probe is in flight
        shared.results.put_nowait(FAIL)  # its answer is queued; the worker resumes only later
        summary = h.checker.apply_config(make_config({"a": "10.0.0.9", "twin": "10.0.0.1"}))
        await until(lambda: len(delivered) == 2)
        await until(lambda: "10.0.0.9" in h.probes and h.probes["10.0.0.9"].calls == 1)
        health = h.checker.get_health("a")
        a_after = (health.state, health.last_code, health.counter)
        await h.checker.stop()
        return h, summary, delivered, a_after

    h, summary, delivered, (state, code, counter) = run(go())
    assert summary["readdressed"] == ["a"]
    assert delivered == [(["a", "twin"], "L7OK"), (["twin"], "L4CON")]
    assert state is BackendState.UP and code == "L7OK"  # untouched by the old address's failure
    assert counter == h.checker.get_health("twin").counter + 1


# -- icmp without privilege ---------------------------------------------------------------------


def test_icmp_unavailable_logs_once_and_leaves_backends_unknown(caplog):
    class NoPrivilege(SocketFactory):
        def socket(self, family, type_, proto=0):
            raise PermissionError(errno.EPERM, "Operation not permitted")

    async def go():
        config = make_config({"a": "10.0.0.1", "b": "10.0.0.2"}, checks=[hc("ping", type="icmp", port=None)])
        checker = Checker(config, clock=FakeClock(), icmp=IcmpSockets(NoPrivilege()))
        with caplog.at_level(logging.ERROR, logger="maglevd"):
            await checker.start()
        states = checker.states()
        info = checker.get_health("a").to_dict()
        running = [w.running() for w in checker.workers.values()]
        await checker.stop()
        return states, info, running, checker.check_errors

    states, info, running, errors = run(go())
    records = [r for r in caplog.records if r.getMessage() == "icmp-unavailable"]
    assert len(records) == 1
    assert set(states.values()) == {BackendState.UNKNOWN}
    assert info["code"] == "SOCKERR" and "CAP_NET_RAW" in info["detail"]
    assert running == [False, False]
    assert "CAP_NET_RAW" in errors["ping"]


def test_history_length_is_configurable():
    async def go():
        h = Harness(make_config({"a": "10.0.0.1"}, history=2))
        await h.checker.start()
        for action in ("pause", "resume", "pause", "resume"):
            h.checker.act("a", action)
        history = h.checker.get_health("a").to_dict()["history"]
        await h.checker.stop()
        return history

    history = run(go())
    assert [(t["from"], t["to"]) for t in history] == [("paused", "unknown"), ("unknown", "paused")]


def test_check_spec_ignores_the_name():
    from ansible_collections.vpp.maglev.maglevd.probe_worker import check_spec

    assert check_spec(hc("x")) == check_spec(hc("y"))
    assert check_spec(hc("x")) != check_spec(dataclasses.replace(hc("x"), timeout=3.0))
    assert ip_address("10.0.0.1")  # keep the import used


def test_no_operator_action_changes_a_state_once_stopping():
    async def go():
        h = Harness(make_config({"a": "10.0.0.1"}))
        await h.checker.start()
        await h.checker.stop()
        before = len(h.events)
        for action in ("pause", "disable"):
            with pytest.raises(ActionRefused) as err:
                h.checker.act("a", action)
            assert err.value.code == "stopping"
        with pytest.raises(ActionRefused):
            h.checker.set_weight("web", "primary", "a", 0)
        return h, before

    h, before = run(go())
    assert h.events[before:] == [] and h.checker.get_health("a").state is not BackendState.PAUSED
