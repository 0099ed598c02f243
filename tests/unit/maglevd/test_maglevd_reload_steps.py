"""A reload of a big config applies in steps: the loop keeps running, observers see old or new, never a mix."""

from __future__ import annotations

import asyncio
from collections import Counter

from ansible_collections.vpp.maglev.maglevd import effective
from ansible_collections.vpp.maglev.maglevd.check import load_checked
from ansible_collections.vpp.maglev.maglevd.checker import Checker
from ansible_collections.vpp.maglev.maglevd.daemon import Daemon, DaemonOptions
from ansible_collections.vpp.maglev.maglevd.events import EventBus
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.tests.helpers.checker_fakes import FAIL, FakeClock, QueueProbe, make_config, until

PER_FRONTEND = 200


def yaml_of(first: int, last: int) -> str:
    """Static backends b<first>..b<last - 1> (no probe traffic), 200 per frontend."""
    out = ["maglev:", "  vpp:", "    lb: {ipv4-src-address: 192.0.2.1}", "  backends:"]
    out += ["    b%d: {address: 10.%d.%d.%d}" % (b, b >> 16, (b >> 8) & 255, b & 255) for b in range(first, last)]
    out.append("  frontends:")
    for f in range(first // PER_FRONTEND, last // PER_FRONTEND):
        out += ["    f%d:" % f, "      address: 198.18.%d.%d" % (f >> 8, f & 255), "      port: 80"]
        out += ["      pools:", "        - name: main", "          backends:"]
        out += ["            b%d: {}" % b for b in range(f * PER_FRONTEND, (f + 1) * PER_FRONTEND)]
    return "\n".join(out) + "\n"


class Recorder:
    """A component like the VPP side: takes the new config in on_reload."""

    name = "recorder"

    def __init__(self, phase: dict) -> None:
        self.phase = phase
        self.config = None

    def on_reload(self, config) -> None:
        self.config = config
        self.phase["now"] = "committed"


async def daemon_with_reload_pending(tmp_path):
    """(daemon, recorder, phase, old config): running 1,000 backends; the file now has 4,000
    (600 kept, 400 removed, 3,400 new); phase["now"] follows the apply."""
    path = tmp_path / "maglev.yaml"
    path.write_text(yaml_of(0, 1000))
    code, errors, first = load_checked(str(path))
    assert code == 0, errors
    daemon = Daemon(first, DaemonOptions(config_path=str(path), control_socket="", vpp_api_addr=""))
    phase = {"now": "parsing", "planning": asyncio.Event(), "done": asyncio.Event()}
    recorder = Recorder(phase)
    daemon.add_component(recorder)
    await daemon.checker.start()
    path.write_text(yaml_of(400, 4400))
    apply = daemon.checker.apply_config_async

    async def applying(config, **kwargs):
        phase["now"] = "planning"
        phase["planning"].set()
        try:
            return await apply(config, **kwargs)
        finally:
            phase["now"] = "done"
            phase["done"].set()

    daemon.checker.apply_config_async = applying
    return daemon, recorder, phase, first


def test_loop_keeps_running_during_the_apply_and_observers_never_see_a_mix(tmp_path):
    async def go():
        daemon, recorder, phase, first = await daemon_with_reload_pending(tmp_path)
        checker = daemon.checker
        seen: Counter = Counter()

        async def observer():  # another task on the loop: an API reader, the reconciler
            await phase["planning"].wait()  # the parse ran in a thread: what is checked here is the apply
            while phase["now"] != "done":
                now = phase["now"]
                seen[now] += 1
                config = checker.config
                if now == "planning":
                    assert config is first and recorder.config is None
                else:  # committed: the checker and the component moved together
                    assert config is recorder.config and config is not first
                states = checker.states()
                assert all(name in states for name in config.backends)
                assert all(checker._worker_of(name) is not None for name in config.backends)
                await asyncio.sleep(0)

        watcher = asyncio.create_task(observer())
        result = await daemon.reload(source="test")
        await watcher
        await checker.stop()
        return result, seen, checker

    result, seen, checker = asyncio.run(go())
    assert result["ok"], result["errors"]
    assert seen["planning"] >= 1  # ran between the plan's steps (before anything moved)
    assert seen["committed"] >= 1  # and between the follow-up steps (workers, frontends)
    summary = result["summary"]
    assert (len(summary["added"]), len(summary["removed"]), len(summary["unchanged"])) == (3400, 400, 600)
    # the frontends recomputed once per step while the new workers' first results came in
    # are what a recomputation from scratch gives (all static backends are up by now)
    assert all(state is BackendState.UP for state in checker.states().values() if state is not BackendState.REMOVED)
    assert checker.frontend_states() == effective.frontend_states(checker.weights())
    assert len(checker.frontend_states()) == 20
    assert sum(1 for name in checker.health if name not in checker.config.backends) == 400  # removed, kept once


def test_a_reload_whose_caller_goes_away_mid_apply_still_completes(tmp_path):
    async def go():
        daemon, recorder, phase, first = await daemon_with_reload_pending(tmp_path)
        request = asyncio.create_task(daemon.reload(source="api"))
        await phase["planning"].wait()
        request.cancel()  # e.g. the API client hung up
        await phase["done"].wait()
        await daemon.stop()  # takes the reload lock: the reload has finished by then
        return daemon, recorder, first, request

    daemon, recorder, _first, request = asyncio.run(go())
    assert request.cancelled()
    assert daemon.checker.config is recorder.config and len(daemon.checker.config.backends) == 4000
    assert daemon.reloads == {"ok": 1, "failed": 0}
    assert not any(worker.running() for worker in daemon.checker.workers.values())


def test_an_answer_arriving_between_steps_for_a_removed_backend_is_dropped():
    """Dropped workers are stopped in steps after the swap: one whose answer comes in
    meanwhile must not deliver it (the backend is `removed`, not `down`)."""

    async def go():
        probes = {}

        def factory(check, address):
            probes[str(address)] = QueueProbe(address)
            return probes[str(address)]

        bus = EventBus()
        events = []
        bus.add_listener(events.append)
        checker = Checker(
            make_config({"a": "10.0.0.1", "b": "10.0.0.2"}), bus, clock=FakeClock(), probe_factory=factory
        )
        delivered = []
        checker.probe_listeners.append(lambda names, type_, result: delivered.append(names))
        await checker.start()
        await until(lambda: len(probes) == 2 and all(p.calls == 1 for p in probes.values()))
        committed = asyncio.Event()

        async def answer_after_the_swap():
            await committed.wait()
            probes["10.0.0.1"].results.put_nowait(FAIL)  # the dropped worker's answer comes in now

        helper = asyncio.create_task(answer_after_the_swap())
        await checker.apply_config_async(make_config({"b": "10.0.0.2"}), on_commit=committed.set, chunk=1)
        await helper
        await checker.stop()
        backend_a = [(e.data["from"], e.data["to"]) for e in events if e.type == "backend-transition"]
        return checker.states()["a"], backend_a, delivered

    state, transitions, delivered = asyncio.run(go())
    assert state is BackendState.REMOVED
    assert transitions == [("unknown", "removed")]
    assert delivered == []
