"""The health checker: one probe worker per (address, healthcheck spec), one state machine per backend.

The checker knows nothing of VPP. It owns the running Config (including runtime weight changes)
and the backends' health, and publishes what happens on the EventBus; the VPP reconciler (and
the API's event stream) subscribe there. Interface for other components:

    checker.config                     the running Config
    checker.states()                   {backend name: BackendState}
    checker.weights()                  {frontend: [{pool, backend, address, configured_weight, state, weight, flush}]}
    checker.frontend_states()          {frontend: FrontendState}
    checker.bus                        EventBus (add_listener / subscribe)
    checker.act(name, action)          pause | resume | enable | disable (operator_actions.ACTIONS)
    checker.set_weight(...), apply_config(config),
    await checker.apply_config_async(config, on_commit)   (the daemon's reload: yields to the loop)

The parts: probe_worker.py (one worker per probed address and check), backend_health.py (the
state machine), frontend_tracker.py (frontend states), config_apply.py (the reload in steps),
runtime_weights.py (a runtime weight change).
"""

from __future__ import annotations

import logging
import random
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from ..plugins.module_utils.config_model import Backend, Config, HealthCheck
from ..plugins.module_utils.operator_actions import ACTIONS, ActionRefused
from ..plugins.module_utils.quoting import quote
from ..plugins.module_utils.rules.pool import check_weight
from ..plugins.module_utils.weights import BackendState, FrontendState
from . import effective
from . import log as logs
from .backend_health import BackendHealth, Transition
from .clock import Clock
from .config_apply import apply_in_steps, apply_now
from .control_errors import InvalidRequest, NotFound
from .events import EventBus
from .frontend_tracker import FrontendTracker
from .probe_worker import ProbeKey, ProbeWorker, check_spec
from .probes import IcmpSockets, IcmpUnavailable, Probe, ProbeResult, SocketFactory, make_probe
from .runtime_weights import with_member_weight
from .schedule import initial_offset
from .tasks import cancel_and_wait

ProbeListener = Callable[[List[str], str, ProbeResult], None]  # (backend names, check type, result)
APPLY_CHUNK = 2000  # backends, workers or pool members handled between two yields to the loop in a reload


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
        self.worker_by_backend: Dict[str, ProbeWorker] = {}
        self.check_errors: Dict[str, str] = {}  # healthcheck name -> why its probes cannot run
        self.probe_listeners: List[ProbeListener] = []
        self.late_retried = 0  # probe timeouts retried because the loop was late (overload guard)
        self.frontends = FrontendTracker(self.bus, config.frontends_by_backend())
        self.states_view = StatesView(self.health)
        self.started = False
        self.stopping = False
        for name, backend in config.backends.items():
            self.health[name] = self.new_health(backend, config)
            self.addresses[name] = str(backend.address)

    # -- construction helpers ------------------------------------------------------------------

    def new_health(self, backend: Backend, config: Config) -> BackendHealth:
        check = config.healthchecks.get(backend.healthcheck) if backend.healthcheck else None
        rise, fall = (check.rise, check.fall) if check is not None else (1, 1)
        return BackendHealth(
            backend.name,
            rise,
            fall,
            enabled=backend.enabled,
            history=config.healthchecker.transition_history,
            mono=self.clock.monotonic(),
        )

    def make_probe(self, check: Optional[HealthCheck], address) -> Optional[Probe]:
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

    def mark_unprobed(self, names: Set[str], check: Optional[HealthCheck]) -> None:
        """Backends whose probe cannot run (icmp unavailable): they stay unknown, and say why."""
        for name in names:
            self.health[name].last_code = "SOCKERR"
            self.health[name].last_detail = self.check_errors.get(check.name if check else "", "")

    def swap_tables(
        self,
        table: Dict[str, BackendHealth],
        addresses: Dict[str, str],
        config: Config,
        frontends_of: Mapping[str, Sequence[str]],
    ) -> None:
        """A reload's commit (config_apply.py): the new tables, all at once."""
        self.health = table
        self.states_view = StatesView(table)
        self.addresses = addresses
        self.config = config
        self.frontends.frontends_of = frontends_of

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start probing. First probes are spread over each check's interval."""
        self.started = True
        self._rebuild_workers(spread="interval")
        self.frontends.update(self.config, self.states_view, publish=False)

    def _rebuild_workers(self, spread: str) -> None:
        wanted: Dict[ProbeKey, Tuple[Optional[HealthCheck], object, Set[str]]] = {}
        for name, backend in self.config.backends.items():
            check = self.config.healthchecks.get(backend.healthcheck) if backend.healthcheck else None
            entry = wanted.setdefault((str(backend.address), check_spec(check)), (check, backend.address, set()))
            entry[2].add(name)
        for key in list(self.workers):
            if key not in wanted:
                self.workers.pop(key).stop()
        self.worker_by_backend = {}
        for key, (check, address, names) in wanted.items():
            worker = self.workers.get(key)
            if worker is None:
                worker = self.workers[key] = ProbeWorker(self, key, check, self.make_probe(check, address))
            worker.check = check
            worker.backends = names
            for name in names:
                self.worker_by_backend[name] = worker
            if worker.probe is None:
                self.mark_unprobed(names, check)
            self.sync_worker(worker, spread)

    async def stop(self) -> None:
        self.started = False
        self.stopping = True  # from here on no operator action may change a state
        tasks = [w.task for w in self.workers.values() if w.task is not None]
        for worker in self.workers.values():
            worker.task = None
        await cancel_and_wait(tasks, log=logs.LOGGER)
        self.icmp.close()
        self.sockets.close()

    def sync_worker(self, worker: ProbeWorker, spread: str) -> None:
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
        return self.worker_by_backend.get(name)

    # -- probe results -------------------------------------------------------------------------

    def deliver(self, worker: ProbeWorker, result: ProbeResult) -> List[BackendHealth]:
        mono, wall = self.clock.monotonic(), self.clock.wall()
        names = sorted(worker.backends)
        healths = []
        changed: List[str] = []
        for name in names:
            health = self.health[name]
            healths.append(health)
            transition = health.record(result.ok, result.code, mono, wall, result.detail)
            if transition is not None:
                self.announce(transition)
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
            self.frontends.backends_changed(self.config, self.states_view, changed)
        return healths

    def note_late(self, worker: ProbeWorker, result: ProbeResult, elapsed: float) -> None:
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

    def announce(self, transition: Transition) -> None:
        data = transition.to_dict()
        data["address"] = self.addresses.get(transition.backend)
        self.bus.publish("backend-transition", **data)
        del data["time"]  # the log line has its own
        logs.event("backend-transition", **data)

    # -- read side -----------------------------------------------------------------------------

    def states(self) -> Dict[str, BackendState]:
        return {name: health.state for name, health in self.health.items()}

    def weights(self) -> Dict[str, List[dict]]:
        return effective.backend_weights(self.config, self.states_view)

    def frontend_states(self) -> Dict[str, FrontendState]:
        return self.frontends.current(self.config, self.states_view)

    def get_health(self, name: str) -> BackendHealth:
        health = self.health.get(name)
        if health is None:
            raise NotFound("backend", name)
        return health

    # -- operator actions ----------------------------------------------------------------------

    def act(self, name: str, action: str) -> Optional[Transition]:
        """pause | resume | enable | disable. Raises NotFound, ActionRefused or InvalidRequest."""
        self._refuse_when_stopping()
        health = self.get_health(name)
        if action not in ACTIONS:
            raise InvalidRequest(f"unknown action {quote(action)}: expected {', '.join(ACTIONS)}")
        before = health.state
        transition = health.act(action, self.clock.monotonic(), self.clock.wall())
        logs.event(
            "operator-action",
            backend=name,
            action=action,
            **{"from": before.value, "to": health.state.value},
            changed=transition is not None,
        )
        if transition is not None:
            self.announce(transition)
            worker = self._worker_of(name)
            if worker is not None:
                self.sync_worker(worker, spread="none")
                if health.probing:
                    worker.kick()
            self.frontends.update(self.config, self.states_view, self.frontends.affected([name]))
        return transition

    def _refuse_when_stopping(self) -> None:
        # An API request still in flight during shutdown must not change a state after
        # `stopping` is logged: nothing would carry it to VPP any more.
        if self.stopping:
            raise ActionRefused("stopping", "maglevd is shutting down; the action was not applied")

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
        issues = check_weight(weight, field="weight")  # the rule of every entry point; the JSON field's name
        if issues:
            raise InvalidRequest.from_issues(issues, weight)
        self.config, old = with_member_weight(self.config, frontend, pool, backend, weight)
        if old == weight:
            return old
        data = {"frontend": frontend, "pool": pool, "backend": backend, "from": old, "to": weight}
        logs.event("weight-change", **data)
        self.bus.publish("weight-change", **data)
        self.frontends.update(self.config, self.states_view, [frontend])
        return old

    # -- reload --------------------------------------------------------------------------------

    def apply_config(self, new: Config) -> dict:
        """Move to a validated config, all at once (tests, tools); see apply_config_async."""
        return apply_now(self, new, APPLY_CHUNK)

    async def apply_config_async(
        self, new: Config, on_commit: Optional[Callable[[], None]] = None, chunk: int = APPLY_CHUNK
    ) -> dict:
        """Move to a validated config, keeping what did not change (docs/maglevd.md, reload).

        - same healthcheck settings: the backend keeps its state, counter, history and its worker
          (timers included); the runtime enable/disable is kept unless the YAML `enabled` itself
          changed; a changed address is applied (the worker moves to the new address);
        - changed healthcheck: the backend restarts from unknown (YAML `enabled` applies);
        - removed: state `removed`, no more probes; dropped from the table at the next reload;
        - new: unknown (or disabled), probed soon (spread over the fast interval).
        Runtime weight changes are not carried over: the file is the source of truth.

        With 200,000 backends this is seconds of work, so it is done in steps of `chunk` items
        that yield to the loop (probes and the API keep running): config_apply.py has the plan,
        the one synchronous commit that calls `on_commit` (the VPP side moves with the checker)
        and the follow-up. Callers serialize reloads.
        """
        return await apply_in_steps(self, new, on_commit, max(1, chunk))
