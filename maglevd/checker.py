"""The health checker: one probe worker per (address, healthcheck spec), one state machine per backend.

The checker knows nothing of VPP. It owns the running Config (including runtime weight changes)
and the backends' health, and publishes what happens on the EventBus; the VPP reconciler (and
the API's event stream) subscribe there. Interface for other components:

    checker.config                     the running Config
    checker.states()                   {backend name: BackendState}
    checker.weights()                  {frontend: [{pool, backend, address, configured_weight, state, weight, flush}]}
    checker.frontend_states()          {frontend: FrontendState}
    checker.bus                        EventBus (add_listener / subscribe)
    checker.pause/resume/enable/disable(name), set_weight(...), apply_config(config),
    await checker.apply_config_async(config, on_commit)   (the daemon's reload: yields to the loop)

Workers: a backend shared by many frontends is probed once; two backend names on the same
address with the same check share one worker too. A worker runs one probe at a time (never
overlapping), sleeps per schedule.py, and stops entirely when none of its backends is probing
(paused, disabled, removed): pause stops the probes, it does not discard their results.
Each probe's next slot counts from when it was due (not from when the loop got to it), and a
timeout that came back late because the loop stalled is retried, not counted (schedule.py:
overload guard; `checker.late_retried` counts them).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from typing import Callable, Dict, Generator, Iterable, Iterator, List, Mapping, Optional, Set, Tuple

from ..plugins.module_utils.config_model import Backend, Config, Frontend, HealthCheck, Pool, PoolMember
from ..plugins.module_utils.desired import frontend_weights
from ..plugins.module_utils.quoting import quote
from ..plugins.module_utils.weights import MAX_WEIGHT, BackendState, FrontendState
from . import effective
from . import log as logs
from .clock import Clock, Wake
from .events import EventBus
from .probes import IcmpSockets, IcmpUnavailable, Probe, ProbeResult, SocketFactory, make_probe
from .schedule import MAX_LATE_RETRIES, initial_offset, late_timeout, next_delay, next_due
from .statemachine import ActionError, BackendHealth, Transition

ProbeKey = Tuple[str, Optional[HealthCheck]]  # (address, healthcheck spec without its name)
ProbeListener = Callable[[List[str], str, ProbeResult], None]  # (backend names, check type, result)
APPLY_CHUNK = 2000  # backends, workers or pool members handled between two yields to the loop in a reload
# Workers a reload starts between two yields: a started worker's first step (for a static
# backend: its result and transition) runs in the next loop turn.
START_STEP = 128


class NotFound(KeyError):
    def __init__(self, kind: str, name: str) -> None:
        super().__init__(name)
        self.kind = kind
        self.name = name
        self.message = f"{kind} {quote(name)} not found"

    def __str__(self) -> str:
        return self.message


class InvalidRequest(ValueError):
    pass


def check_spec(check: Optional[HealthCheck]) -> Optional[HealthCheck]:
    """A healthcheck without its name: two names with the same settings are the same probe."""
    return None if check is None else dataclasses.replace(check, name="")


class StatesView(Mapping):
    """A live, read-only {backend: BackendState} over the health table (no copy per lookup)."""

    def __init__(self, health: Dict[str, BackendHealth]) -> None:
        self._health = health

    def __getitem__(self, name: str) -> BackendState:
        return self._health[name].state

    def __iter__(self) -> Iterator[str]:
        return iter(self._health)

    def __len__(self) -> int:
        return len(self._health)


class ProbeWorker:
    def __init__(self, checker: Checker, key: ProbeKey, check: Optional[HealthCheck], probe: Optional[Probe]) -> None:
        self.checker = checker
        self.key = key
        self.check = check
        self.probe = probe  # None: the probe cannot run (icmp unavailable); backends stay unknown
        self.backends: Set[str] = set()
        self.wake = Wake()
        self.task: Optional[asyncio.Task] = None
        self.probes_sent = 0
        self.late_retries = 0  # consecutive late timeouts retried (overload guard, schedule.py)

    @property
    def type(self) -> str:
        return self.check.type if self.check is not None else "static"

    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, first_delay: float) -> None:
        if self.running() or self.probe is None:
            return
        self.wake.clear()
        # The first due time is fixed now, not when the task first runs: a start-up stall
        # (building the workers, the GC settle) must not collapse the spread offsets into one burst.
        due = self.checker.clock.monotonic() + first_delay
        self.task = asyncio.get_running_loop().create_task(self._loop(due), name=f"probe {self.key[0]}")

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def kick(self) -> None:
        """Probe now (resume/enable: the operator wants an answer, not the next tick)."""
        self.wake.set()

    async def _loop(self, due: Optional[float]) -> None:
        """Probe, deliver, sleep until the next slot; `due` None = until kicked (static)."""
        checker, clock, probe = self.checker, self.checker.clock, self.probe
        assert probe is not None
        while True:
            if due is None:
                await clock.sleep(None, self.wake)
            else:
                remaining = due - clock.monotonic()
                if remaining > 0:
                    await clock.sleep(remaining, self.wake)
            start = clock.monotonic()
            # The slot this probe belongs to: when it was due, however late the loop got to it
            # (a kick starts a new one). The next slot counts from here (schedule.next_due).
            planned = start if due is None or self.wake.is_set() else min(due, start)
            self.wake.clear()
            if checker.workers.get(self.key) is not self:
                return  # dropped by a reload that stops its workers in steps
            self.probes_sent += 1
            result = await probe.run()
            if checker.workers.get(self.key) is not self:
                return  # the answer belongs to a config that is gone
            now = clock.monotonic()
            if late_timeout(result, now - start, probe.timeout) and self.late_retries < MAX_LATE_RETRIES:
                # The loop stalled past this probe's deadline: its answer may have been waiting.
                # Not the backend's failure; retry soon (spread, as other workers are in the same case).
                self.late_retries += 1
                checker._note_late(self, result, now - start)
                due = now + checker.rng.uniform(0.0, probe.timeout)
                continue
            self.late_retries = 0
            healths = checker._deliver(self, result)
            delay = next_delay(healths, self.check, checker.rng)
            due = None if delay is None else next_due(planned, delay, now)


class Checker:
    def __init__(
        self,
        config: Config,
        bus: Optional[EventBus] = None,
        *,
        clock: Optional[Clock] = None,
        rng: Optional[random.Random] = None,
        sockets: Optional[SocketFactory] = None,
        icmp: Optional[IcmpSockets] = None,
        probe_factory: Optional[Callable[[Optional[HealthCheck], object], Probe]] = None,
    ) -> None:
        self.config = config
        self.bus = bus or EventBus()
        self.clock = clock or Clock()
        self.rng = rng or random.Random()
        self.sockets = sockets or SocketFactory.for_netns(config.healthchecker.netns)
        self.icmp = icmp or IcmpSockets(self.sockets)
        self._probe_factory = probe_factory
        self.health: Dict[str, BackendHealth] = {}
        self.addresses: Dict[str, str] = {}
        self.workers: Dict[ProbeKey, ProbeWorker] = {}
        self.check_errors: Dict[str, str] = {}  # healthcheck name -> why its probes cannot run
        self.probe_listeners: List[ProbeListener] = []
        self.late_retried = 0  # probe timeouts retried because the loop was late (overload guard)
        self._frontend_states: Dict[str, FrontendState] = {}
        self._worker_by_backend: Dict[str, ProbeWorker] = {}
        self._frontends_of: Dict[str, List[str]] = {}
        self._deferred_frontends: Optional[Dict[str, None]] = None  # see apply_config_async
        self._index_frontends(config)
        self.states_view = StatesView(self.health)
        self.started = False
        self.stopping = False
        for name, backend in config.backends.items():
            self.health[name] = self._new_health(backend, config)
            self.addresses[name] = str(backend.address)

    # -- construction helpers ------------------------------------------------------------------

    def _check_of(self, backend: Backend, config: Config) -> Optional[HealthCheck]:
        return config.healthchecks.get(backend.healthcheck) if backend.healthcheck else None

    def _new_health(self, backend: Backend, config: Config) -> BackendHealth:
        check = self._check_of(backend, config)
        rise, fall = (check.rise, check.fall) if check is not None else (1, 1)
        return BackendHealth(
            backend.name,
            rise,
            fall,
            enabled=backend.enabled,
            history=config.healthchecker.transition_history,
            mono=self.clock.monotonic(),
        )

    def _make_probe(self, check: Optional[HealthCheck], address) -> Optional[Probe]:
        if self._probe_factory is not None:
            return self._probe_factory(check, address)
        try:
            return make_probe(check, address, self.sockets, self.icmp)
        except IcmpUnavailable as exc:
            assert check is not None
            if check.name not in self.check_errors:
                self.check_errors[check.name] = str(exc)
                logs.event("icmp-unavailable", logging.ERROR, healthcheck=check.name, error=str(exc))
            return None

    def _index_frontends(self, config: Config) -> None:
        self._frontends_of = {}
        for frontend in config.frontends.values():
            for name in dict.fromkeys(frontend.backend_names()):
                self._frontends_of.setdefault(name, []).append(frontend.name)

    def _desired_workers(self, config: Config) -> Dict[ProbeKey, Tuple[Optional[HealthCheck], object, Set[str]]]:
        wanted: Dict[ProbeKey, Tuple[Optional[HealthCheck], object, Set[str]]] = {}
        for name, backend in config.backends.items():
            check = self._check_of(backend, config)
            key = (str(backend.address), check_spec(check))
            entry = wanted.setdefault(key, (check, backend.address, set()))
            entry[2].add(name)
        return wanted

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start probing. First probes are spread over each check's interval."""
        self.started = True
        self._rebuild_workers(self.config, spread="interval")
        self._update_frontends(publish=False)

    async def stop(self) -> None:
        self.started = False
        self.stopping = True  # from here on no operator action may change a state
        tasks = [w.task for w in self.workers.values() if w.task is not None]
        for worker in self.workers.values():
            worker.stop()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.icmp.close()
        self.sockets.close()

    def _rebuild_workers(self, config: Config, spread: str) -> None:
        wanted = self._desired_workers(config)
        for key in list(self.workers):
            if key not in wanted:
                self.workers.pop(key).stop()
        self._worker_by_backend = {}
        for key, (check, address, names) in wanted.items():
            worker = self.workers.get(key)
            if worker is None:
                worker = self.workers[key] = ProbeWorker(self, key, check, self._make_probe(check, address))
            worker.check = check
            worker.backends = names
            for name in names:
                self._worker_by_backend[name] = worker
            if worker.probe is None:
                for name in names:
                    self.health[name].last_code = "SOCKERR"
                    self.health[name].last_detail = self.check_errors.get(check.name if check else "", "")
            self._sync_worker(worker, spread)

    def _sync_worker(self, worker: ProbeWorker, spread: str) -> None:
        """Run the worker iff one of its backends is probing."""
        if not self.started:
            return
        if any(self.health[name].probing for name in worker.backends):
            if not worker.running():
                check = worker.check
                window = 0.0
                if check is not None:
                    window = {"interval": check.interval, "fast": check.effective_fast_interval}.get(spread, 0.0)
                worker.start(initial_offset(check, self.rng, window))
        else:
            worker.stop()

    def _worker_of(self, name: str) -> Optional[ProbeWorker]:
        return self._worker_by_backend.get(name)

    # -- probe results -------------------------------------------------------------------------

    def _deliver(self, worker: ProbeWorker, result: ProbeResult) -> List[BackendHealth]:
        mono, wall = self.clock.monotonic(), self.clock.wall()
        names = sorted(worker.backends)
        healths = []
        changed: List[str] = []
        for name in names:
            health = self.health[name]
            healths.append(health)
            transition = health.record(result.ok, result.code, mono, wall, result.detail)
            if transition is not None:
                self._announce(transition)
                changed.append(name)
        for listener in self.probe_listeners:
            listener(names, worker.type, result)
        logged, published = logs.enabled(logging.DEBUG), self.bus.wants("probe")
        if logged or published:  # both are off on the hot path unless someone asked
            fields = {
                "backends": names,
                "address": worker.key[0],
                "type": worker.type,
                "ok": result.ok,
                "code": result.code,
                "detail": result.detail,
            }
            if logged:
                logs.event("probe", logging.DEBUG, duration=round(result.duration, 6), **fields)
            if published:
                self.bus.publish("probe", duration=result.duration, **fields)
        if changed:
            if self._deferred_frontends is not None:  # a reload is starting workers: once per step
                self._deferred_frontends.update(dict.fromkeys(self._affected(changed)))
            else:
                self._update_frontends(self._affected(changed))
        return healths

    def _note_late(self, worker: ProbeWorker, result: ProbeResult, elapsed: float) -> None:
        self.late_retried += 1
        if logs.enabled(logging.DEBUG):
            logs.event(
                "probe-late",
                logging.DEBUG,
                backends=sorted(worker.backends),
                address=worker.key[0],
                type=worker.type,
                code=result.code,
                elapsed=round(elapsed, 6),
                timeout=worker.probe.timeout if worker.probe is not None else None,
            )

    def _announce(self, transition: Transition) -> None:
        data = transition.to_dict()
        data["address"] = self.addresses.get(transition.backend)
        self.bus.publish("backend-transition", **data)
        del data["time"]  # the log line has its own
        logs.event("backend-transition", **data)

    def _affected(self, backends: Iterable[str]) -> List[str]:
        return list(dict.fromkeys(f for b in backends for f in self._frontends_of.get(b, ())))

    def _update_frontends(self, names: Optional[Iterable[str]] = None, publish: bool = True) -> None:
        """Recompute frontend states (only `names` when given: a transition touches few frontends)."""
        config = self.config
        if names is None:
            states = effective.frontend_states(self.weights())
            self._frontend_states = {n: s for n, s in self._frontend_states.items() if n in states}
        else:
            states = {}
            for name in names:
                frontend = config.frontends.get(name)
                if frontend is not None:
                    rows = frontend_weights(config, frontend, self.states_view)
                    states[name] = effective.frontend_state([r.state for r in rows], [r.weight for r in rows])
        for name, state in states.items():
            old = self._frontend_states.get(name)
            if old is not state and publish and old is not None:
                logs.event("frontend-transition", frontend=name, **{"from": old.value, "to": state.value})
                self.bus.publish("frontend-transition", frontend=name, **{"from": old.value, "to": state.value})
            self._frontend_states[name] = state

    # -- read side -----------------------------------------------------------------------------

    def states(self) -> Dict[str, BackendState]:
        return {name: health.state for name, health in self.health.items()}

    def weights(self) -> Dict[str, List[dict]]:
        return effective.backend_weights(self.config, self.states_view)

    def frontend_states(self) -> Dict[str, FrontendState]:
        return dict(self._frontend_states) or effective.frontend_states(self.weights())

    def get_health(self, name: str) -> BackendHealth:
        health = self.health.get(name)
        if health is None:
            raise NotFound("backend", name)
        return health

    # -- operator actions ----------------------------------------------------------------------

    def act(self, name: str, action: str) -> Optional[Transition]:
        """pause | resume | enable | disable. Raises NotFound, ActionError or InvalidRequest."""
        self._refuse_when_stopping()
        health = self.get_health(name)
        method = {
            "pause": health.pause,
            "resume": health.resume,
            "enable": health.enable,
            "disable": health.disable,
        }.get(action)
        if method is None:
            raise InvalidRequest(f"unknown action {quote(action)}: expected pause, resume, enable or disable")
        before = health.state
        transition = method(self.clock.monotonic(), self.clock.wall())
        logs.event(
            "operator-action",
            backend=name,
            action=action,
            **{"from": before.value, "to": health.state.value},
            changed=transition is not None,
        )
        if transition is not None:
            self._announce(transition)
            worker = self._worker_of(name)
            if worker is not None:
                self._sync_worker(worker, spread="none")
                if health.probing:
                    worker.kick()
            self._update_frontends(self._affected([name]))
        return transition

    def _refuse_when_stopping(self) -> None:
        # An API request still in flight during shutdown must not change a state after
        # `stopping` is logged: nothing would carry it to VPP any more.
        if self.stopping:
            raise ActionError("stopping", "maglevd is shutting down; the action was not applied")

    def pause(self, name: str) -> Optional[Transition]:
        return self.act(name, "pause")

    def resume(self, name: str) -> Optional[Transition]:
        return self.act(name, "resume")

    def enable(self, name: str) -> Optional[Transition]:
        return self.act(name, "enable")

    def disable(self, name: str) -> Optional[Transition]:
        return self.act(name, "disable")

    def set_weight(self, frontend: str, pool: str, backend: str, weight: int) -> int:
        """Set a pool member's configured weight at runtime (until the next reload). Returns the old one."""
        self._refuse_when_stopping()
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= MAX_WEIGHT:
            raise InvalidRequest(f"weight: expected an integer 0..{MAX_WEIGHT}, got {quote(weight)}")
        fe = self.config.frontends.get(frontend)
        if fe is None:
            raise NotFound("frontend", frontend)
        pools = [p for p in fe.pools if p.name == pool]
        if not pools:
            raise NotFound("pool", f"{frontend}/{pool}")
        members = [m for m in pools[0].members if m.backend == backend]
        if not members:
            raise NotFound("pool member", f"{frontend}/{pool}/{backend}")
        old = members[0].weight
        if old == weight:
            return old
        new_pools = tuple(
            Pool(
                p.name,
                tuple(
                    PoolMember(m.backend, weight) if p.name == pool and m.backend == backend else m for m in p.members
                ),
            )
            for p in fe.pools
        )
        frontends: Dict[str, Frontend] = dict(self.config.frontends)
        frontends[frontend] = dataclasses.replace(fe, pools=new_pools)
        self.config = dataclasses.replace(self.config, frontends=frontends)
        data = {"frontend": frontend, "pool": pool, "backend": backend, "from": old, "to": weight}
        logs.event("weight-change", **data)
        self.bus.publish("weight-change", **data)
        self._update_frontends([frontend])
        return old

    # -- reload --------------------------------------------------------------------------------

    def apply_config(self, new: Config) -> dict:
        """Move to a validated config, all at once (tests, tools); see apply_config_async."""
        steps = self._apply_steps(new, None, APPLY_CHUNK)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value

    async def apply_config_async(
        self, new: Config, on_commit: Optional[Callable[[], None]] = None, chunk: int = APPLY_CHUNK
    ) -> dict:
        """Move to a validated config, keeping what did not change (vpp-maglev §4 reload rules).

        - same healthcheck settings: the backend keeps its state, counter, history and its worker
          (timers included); the runtime enable/disable is kept unless the YAML `enabled` itself
          changed; a changed address is applied (the worker moves to the new address);
        - changed healthcheck: the backend restarts from unknown (YAML `enabled` applies);
        - removed: state `removed`, no more probes; dropped from the table at the next reload;
        - new: unknown (or disabled), probed soon (spread over the fast interval).
        Runtime weight changes are not carried over: the file is the source of truth.

        With 200,000 backends this is seconds of work, so it is done in steps of `chunk` items
        that yield to the loop (probes and the API keep running): first the plan (nothing anyone
        can see changes), then one synchronous commit that swaps every table at once and calls
        `on_commit` before the loop runs again (the VPP side moves with it: no VIP is ever built
        from a half-applied config), then the follow-up in steps: transitions announced, frontend
        states recomputed, dropped workers stopped, new ones started. Callers serialize reloads.
        """
        steps = self._apply_steps(new, on_commit, max(1, chunk))
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value
            await asyncio.sleep(0)

    def _apply_steps(
        self, new: Config, on_commit: Optional[Callable[[], None]], chunk: int
    ) -> Generator[None, None, Dict[str, List[str]]]:
        """apply_config's work; each `yield` is a point where the loop may run."""
        old = self.config
        summary: Dict[str, List[str]] = {
            "added": [],
            "removed": [],
            "restarted": [],
            "unchanged": [],
            "readdressed": [],
        }
        old_specs = {name: check_spec(check) for name, check in old.healthchecks.items()}
        new_specs = {name: check_spec(check) for name, check in new.healthchecks.items()}
        maxlen = new.healthchecker.transition_history

        # -- plan: reads the running tables, changes nothing. What it relies on (names in the
        # table, removed states, worker bindings) only changes in a reload, and reloads are
        # serialized; probe results may land meanwhile and are kept (same objects).
        forget: Set[str] = set()
        for count, (name, health) in enumerate(self.health.items()):
            if count % chunk == chunk - 1:
                yield
            if health.state is BackendState.REMOVED and name not in new.backends:
                forget.add(name)
        fresh: Dict[str, BackendHealth] = {}
        changes: List[Tuple[BackendHealth, Optional[Tuple[int, int]], bool]] = []  # (health, restart, enabled)
        rehistory: List[BackendHealth] = []
        addresses: Dict[str, str] = {}
        for count, (name, address) in enumerate(self.addresses.items()):
            if count % chunk == chunk - 1:
                yield
            if name not in forget:
                addresses[name] = address
        wanted: Dict[ProbeKey, Tuple[Optional[HealthCheck], object, Set[str]]] = {}
        for count, (name, backend) in enumerate(new.backends.items()):
            if count % chunk == chunk - 1:
                yield
            health = self.health.get(name)
            old_backend = old.backends.get(name)
            check = new.healthchecks.get(backend.healthcheck) if backend.healthcheck else None
            spec = new_specs.get(backend.healthcheck) if backend.healthcheck else None
            if health is None or old_backend is None or health.state is BackendState.REMOVED:
                fresh[name] = self._new_health(backend, new)
                summary["added"].append(name)
            else:
                if health.history.maxlen != maxlen:
                    rehistory.append(health)
                old_spec = old_specs.get(old_backend.healthcheck) if old_backend.healthcheck else None
                if spec != old_spec:
                    changes.append((health, (check.rise, check.fall) if check else (1, 1), backend.enabled))
                    summary["restarted"].append(name)
                else:
                    if backend.enabled != old_backend.enabled:  # the file itself changed: it wins
                        changes.append((health, None, backend.enabled))
                    summary["unchanged"].append(name)
                if backend.address != old_backend.address:
                    summary["readdressed"].append(name)
            if old_backend is None or old_backend.address != backend.address or name not in addresses:
                addresses[name] = str(backend.address)
            entry = wanted.setdefault((addresses[name], spec), (check, backend.address, set()))
            entry[2].add(name)
        removed: List[str] = []
        for count, name in enumerate(old.backends):
            if count % chunk == chunk - 1:
                yield
            if name not in new.backends and name in self.health:
                removed.append(name)
                summary["removed"].append(name)
        table: Dict[str, BackendHealth] = {}
        for count, (name, health) in enumerate(self.health.items()):
            if count % chunk == chunk - 1:
                yield
            if name not in forget:
                table[name] = fresh.pop(name, health)  # re-added after a removal: same place, new state
        for count, (name, health) in enumerate(fresh.items()):
            if count % chunk == chunk - 1:
                yield
            table[name] = health
        frontends_of: Dict[str, List[str]] = {}
        members = 0
        for frontend in new.frontends.values():
            for name in dict.fromkeys(frontend.backend_names()):
                frontends_of.setdefault(name, []).append(frontend.name)
                members += 1
            if members >= chunk:
                members = 0
                yield
        workers: Dict[ProbeKey, ProbeWorker] = {}
        by_backend: Dict[str, ProbeWorker] = {}
        rebind: List[Tuple[ProbeWorker, Optional[HealthCheck], Set[str]]] = []
        no_probe: List[Tuple[Set[str], Optional[HealthCheck]]] = []
        for count, (key, (check, address, names)) in enumerate(wanted.items()):
            if count % chunk == chunk - 1:
                yield
            worker = self.workers.get(key)
            if worker is None:  # not running and not in the table yet: safe to fill in now
                worker = ProbeWorker(self, key, check, self._make_probe(check, address))
                worker.backends = names
            elif worker.check != check or worker.backends != names:  # compared here, not in the commit
                rebind.append((worker, check, names))
            workers[key] = worker
            for name in names:
                by_backend[name] = worker
            if worker.probe is None:
                no_probe.append((names, check))
        retired = [worker for key, worker in self.workers.items() if key not in workers]

        # -- commit: one synchronous step, cost in proportion to what changed.
        mono, wall = self.clock.monotonic(), self.clock.wall()
        transitions: List[Transition] = []
        for health in rehistory:
            health.history = type(health.history)(health.history, maxlen=maxlen)
        for health, restart, enabled in changes:
            if restart is not None:
                transition = health.restart(restart[0], restart[1], enabled, mono, wall)
            else:
                transition = (health.enable if enabled else health.disable)(mono, wall)
            if transition is not None:
                transitions.append(transition)
        for name in removed:
            transition = table[name].remove(mono, wall)
            if transition is not None:
                transitions.append(transition)
        self.health = table
        self.states_view = StatesView(table)
        self.addresses = addresses
        self.config = new
        self._frontends_of = frontends_of
        self.check_errors = {k: v for k, v in self.check_errors.items() if k in new.healthchecks}
        self.workers = workers  # a retired worker sees it is no longer here and delivers nothing
        self._worker_by_backend = by_backend
        for worker, check, names in rebind:
            worker.check = check
            worker.backends = names
        for names, check in no_probe:
            for name in names:
                self.health[name].last_code = "SOCKERR"
                self.health[name].last_detail = self.check_errors.get(check.name if check else "", "")
        self._frontend_states = {n: s for n, s in self._frontend_states.items() if n in new.frontends}
        failed: Optional[BaseException] = None
        if on_commit is not None:
            try:
                on_commit()
            except Exception as exc:  # the checker has moved: finish its part, then report
                failed = exc

        # -- follow-up in steps (the tables are already the new ones).
        for count, transition in enumerate(transitions):
            if count % chunk == chunk - 1:
                yield
            self._announce(transition)
        batch: List[str] = []
        members = 0  # pool members
        for name, frontend in new.frontends.items():
            batch.append(name)
            members += sum(len(pool.members) for pool in frontend.pools)
            if members >= chunk:
                self._update_frontends(batch)
                batch, members = [], 0
                yield
        self._update_frontends(batch)
        for count, worker in enumerate(retired):
            if count % chunk == chunk - 1:
                yield
            worker.stop()
        if self.started:
            # Started workers' first results (static backends: at once) arrive in bursts; each
            # would recompute its frontends (200 members each), so a frontend is recomputed
            # once per step instead, before the next workers start.
            self._deferred_frontends = {}
            try:
                starts = 0
                for count, worker in enumerate(list(workers.values())):
                    if count % chunk == chunk - 1 or starts >= START_STEP:
                        starts = 0
                        yield
                        self._flush_frontends()
                    if self.workers.get(worker.key) is worker:  # not dropped by a later reload meanwhile
                        idle = not worker.running()
                        self._sync_worker(worker, spread="fast")
                        starts += idle and worker.running()
                yield  # the last ones' first results
            finally:
                self._flush_frontends()
                self._deferred_frontends = None
        if failed is not None:
            raise failed
        return summary

    def _flush_frontends(self) -> None:
        pending = self._deferred_frontends
        if pending:
            self._update_frontends(list(pending))
            pending.clear()
