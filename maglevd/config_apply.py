"""The checker's reload: move to a validated config in steps that yield to the loop.

Three phases (Checker.apply_config_async documents the rules a reload follows):

1. **plan** (`plan_apply`): reads the running tables and changes nothing anyone can see. What it
   relies on (names in the table, removed states, worker bindings) only changes in a reload,
   and reloads are serialized; probe results may land meanwhile and are kept (same objects).
2. **commit** (`commit`): one synchronous step, cost in proportion to what changed, that swaps
   every table at once and calls `on_commit` before the loop runs again (the VPP side moves
   with it: no VIP is ever built from a half-applied config).
3. **follow-up** (`follow_up`): transitions announced, frontend states recomputed, dropped
   workers stopped, new ones started, in steps.

Each `yield` is a point where the loop may run; a step handles at most `chunk` items.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, Generator, List, Mapping, Optional, Sequence, Set, Tuple

from ..plugins.module_utils.config_model import Backend, Config, HealthCheck
from ..plugins.module_utils.weights import BackendState
from .backend_health import BackendHealth, Transition
from .probe_worker import ProbeKey, ProbeWorker, check_spec

if TYPE_CHECKING:
    from .checker import Checker

Steps = Generator[None, None, None]
Wanted = Dict[ProbeKey, Tuple[Optional[HealthCheck], object, Set[str]]]  # key -> (check, address, backends)
# Workers a reload starts between two yields: a started worker's first step (for a static
# backend: its result and transition) runs in the next loop turn.
START_STEP = 128


@dataclass
class Change:
    """A kept backend whose health must change at the commit."""

    health: BackendHealth
    restart: Optional[Tuple[int, int]]  # (rise, fall) when its healthcheck changed
    enabled: bool  # the YAML flag


@dataclass
class ApplyPlan:
    new: Config
    summary: Dict[str, List[str]] = field(
        default_factory=lambda: {"added": [], "removed": [], "restarted": [], "unchanged": [], "readdressed": []}
    )
    forget: Set[str] = field(default_factory=set)  # removed at the previous reload: dropped now
    fresh: Dict[str, BackendHealth] = field(default_factory=dict)  # new (or re-added) backends
    changes: List[Change] = field(default_factory=list)
    rehistory: List[BackendHealth] = field(default_factory=list)  # history length changed
    addresses: Dict[str, str] = field(default_factory=dict)
    wanted: Wanted = field(default_factory=dict)
    removed: List[str] = field(default_factory=list)
    table: Dict[str, BackendHealth] = field(default_factory=dict)
    frontends_of: Mapping[str, Sequence[str]] = field(default_factory=dict)
    workers: Dict[ProbeKey, ProbeWorker] = field(default_factory=dict)
    by_backend: Dict[str, ProbeWorker] = field(default_factory=dict)
    rebind: List[Tuple[ProbeWorker, Optional[HealthCheck], Set[str]]] = field(default_factory=list)
    no_probe: List[Tuple[Set[str], Optional[HealthCheck]]] = field(default_factory=list)
    retired: List[ProbeWorker] = field(default_factory=list)


def apply_steps(
    checker: Checker, new: Config, on_commit: Optional[Callable[[], None]], chunk: int
) -> Generator[None, None, Dict[str, List[str]]]:
    """The whole reload; returns the summary (added, removed, restarted, unchanged, readdressed)."""
    plan = ApplyPlan(new)
    yield from plan_apply(checker, plan, chunk)
    transitions, failed = commit(checker, plan, on_commit)
    yield from follow_up(checker, plan, transitions, chunk)
    if failed is not None:
        raise failed
    return plan.summary


def apply_now(checker: Checker, new: Config, chunk: int) -> Dict[str, List[str]]:
    """The reload all at once (tests, tools)."""
    steps = apply_steps(checker, new, None, chunk)
    while (summary := _advance(steps)) is None:
        pass
    return summary


async def apply_in_steps(
    checker: Checker, new: Config, on_commit: Optional[Callable[[], None]], chunk: int
) -> Dict[str, List[str]]:
    """The reload, yielding to the loop between steps."""
    steps = apply_steps(checker, new, on_commit, chunk)
    while (summary := _advance(steps)) is None:
        await asyncio.sleep(0)
    return summary


def _advance(steps: Generator[None, None, Dict[str, List[str]]]) -> Optional[Dict[str, List[str]]]:
    """Run one step; the summary once the reload has finished, None before."""
    try:
        next(steps)
    except StopIteration as done:
        return done.value
    return None


# -- plan ----------------------------------------------------------------------------------------


def plan_apply(checker: Checker, plan: ApplyPlan, chunk: int) -> Steps:
    yield from _forget_removed(checker, plan, chunk)
    yield from _keep_addresses(checker, plan, chunk)
    yield from _plan_backends(checker, plan, chunk)
    yield from _plan_removals(checker, plan, chunk)
    yield from _build_table(checker, plan, chunk)
    plan.frontends_of = plan.new.frontends_by_backend()
    yield
    yield from _plan_workers(checker, plan, chunk)


def _forget_removed(checker: Checker, plan: ApplyPlan, chunk: int) -> Steps:
    """Backends `removed` at an earlier reload and still absent leave the table now."""
    for count, (name, health) in enumerate(checker.health.items()):
        if count % chunk == chunk - 1:
            yield
        if health.state is BackendState.REMOVED and name not in plan.new.backends:
            plan.forget.add(name)


def _keep_addresses(checker: Checker, plan: ApplyPlan, chunk: int) -> Steps:
    for count, (name, address) in enumerate(checker.addresses.items()):
        if count % chunk == chunk - 1:
            yield
        if name not in plan.forget:
            plan.addresses[name] = address


def _plan_backends(checker: Checker, plan: ApplyPlan, chunk: int) -> Steps:
    """Each backend of the new config: added, restarted, unchanged (maybe readdressed)."""
    old, new = checker.config, plan.new
    old_specs = {name: check_spec(check) for name, check in old.healthchecks.items()}
    new_specs = {name: check_spec(check) for name, check in new.healthchecks.items()}
    for count, (name, backend) in enumerate(new.backends.items()):
        if count % chunk == chunk - 1:
            yield
        health = checker.health.get(name)
        old_backend = old.backends.get(name)
        check = new.healthchecks.get(backend.healthcheck) if backend.healthcheck else None
        spec = new_specs.get(backend.healthcheck) if backend.healthcheck else None
        if health is None or old_backend is None or health.state is BackendState.REMOVED:
            plan.fresh[name] = checker.new_health(backend, new)
            plan.summary["added"].append(name)
        else:
            old_spec = old_specs.get(old_backend.healthcheck) if old_backend.healthcheck else None
            _plan_kept(plan, health, old_backend, backend, check, spec != old_spec)
        if old_backend is None or old_backend.address != backend.address or name not in plan.addresses:
            plan.addresses[name] = str(backend.address)
        entry = plan.wanted.setdefault((plan.addresses[name], spec), (check, backend.address, set()))
        entry[2].add(name)


def _plan_kept(
    plan: ApplyPlan,
    health: BackendHealth,
    old_backend: Backend,
    backend: Backend,
    check: Optional[HealthCheck],
    check_changed: bool,
) -> None:
    name = backend.name
    if health.history.maxlen != plan.new.healthchecker.transition_history:
        plan.rehistory.append(health)
    if check_changed:
        plan.changes.append(Change(health, (check.rise, check.fall) if check else (1, 1), backend.enabled))
        plan.summary["restarted"].append(name)
    else:
        if backend.enabled != old_backend.enabled:  # the file itself changed: it wins
            plan.changes.append(Change(health, None, backend.enabled))
        plan.summary["unchanged"].append(name)
    if backend.address != old_backend.address:
        plan.summary["readdressed"].append(name)


def _plan_removals(checker: Checker, plan: ApplyPlan, chunk: int) -> Steps:
    for count, name in enumerate(checker.config.backends):
        if count % chunk == chunk - 1:
            yield
        if name not in plan.new.backends and name in checker.health:
            plan.removed.append(name)
            plan.summary["removed"].append(name)


def _build_table(checker: Checker, plan: ApplyPlan, chunk: int) -> Steps:
    """The new health table: kept backends in their place, then the new ones."""
    fresh = dict(plan.fresh)
    for count, (name, health) in enumerate(checker.health.items()):
        if count % chunk == chunk - 1:
            yield
        if name not in plan.forget:
            plan.table[name] = fresh.pop(name, health)  # re-added after a removal: same place, new state
    for count, (name, health) in enumerate(fresh.items()):
        if count % chunk == chunk - 1:
            yield
        plan.table[name] = health


def _plan_workers(checker: Checker, plan: ApplyPlan, chunk: int) -> Steps:
    """One worker per (address, check spec): kept, rebound to other backends, new or retired."""
    for count, (key, (check, address, names)) in enumerate(plan.wanted.items()):
        if count % chunk == chunk - 1:
            yield
        worker = checker.workers.get(key)
        if worker is None:  # not running and not in the table yet: safe to fill in now
            worker = ProbeWorker(checker, key, check, checker.make_probe(check, address))
            worker.backends = names
        elif worker.check != check or worker.backends != names:  # compared here, not in the commit
            plan.rebind.append((worker, check, names))
        plan.workers[key] = worker
        for name in names:
            plan.by_backend[name] = worker
        if worker.probe is None:
            plan.no_probe.append((names, check))
    plan.retired = [worker for key, worker in checker.workers.items() if key not in plan.workers]


# -- commit --------------------------------------------------------------------------------------


def commit(
    checker: Checker, plan: ApplyPlan, on_commit: Optional[Callable[[], None]]
) -> Tuple[List[Transition], Optional[BaseException]]:
    """Swap every table at once; (the transitions to announce, on_commit's exception if any)."""
    transitions = _change_healths(checker, plan)
    new = plan.new
    checker.swap_tables(plan.table, plan.addresses, new, plan.frontends_of)
    checker.check_errors = {k: v for k, v in checker.check_errors.items() if k in new.healthchecks}
    checker.workers = plan.workers  # a retired worker sees it is no longer here and delivers nothing
    checker.worker_by_backend = plan.by_backend
    for worker, check, names in plan.rebind:
        worker.check = check
        worker.backends = names
    for names, check in plan.no_probe:
        checker.mark_unprobed(names, check)
    checker.frontends.keep_only(new.frontends)
    if on_commit is not None:
        try:
            on_commit()
        except Exception as exc:  # the checker has moved: finish its part, then report
            return transitions, exc
    return transitions, None


def _change_healths(checker: Checker, plan: ApplyPlan) -> List[Transition]:
    mono, wall = checker.clock.monotonic(), checker.clock.wall()
    maxlen = plan.new.healthchecker.transition_history
    transitions: List[Transition] = []
    for health in plan.rehistory:
        health.history = type(health.history)(health.history, maxlen=maxlen)
    for change in plan.changes:
        health = change.health
        if change.restart is not None:
            transition = health.restart(change.restart[0], change.restart[1], change.enabled, mono, wall)
        else:
            transition = (health.enable if change.enabled else health.disable)(mono, wall)
        if transition is not None:
            transitions.append(transition)
    for name in plan.removed:
        transition = plan.table[name].remove(mono, wall)
        if transition is not None:
            transitions.append(transition)
    return transitions


# -- follow-up -----------------------------------------------------------------------------------


def follow_up(checker: Checker, plan: ApplyPlan, transitions: List[Transition], chunk: int) -> Steps:
    for count, transition in enumerate(transitions):
        if count % chunk == chunk - 1:
            yield
        checker.announce(transition)
    yield from _recompute_frontends(checker, plan.new, chunk)
    for count, worker in enumerate(plan.retired):
        if count % chunk == chunk - 1:
            yield
        worker.stop()
    if checker.started:
        yield from _start_workers(checker, list(plan.workers.values()), chunk)


def _recompute_frontends(checker: Checker, new: Config, chunk: int) -> Steps:
    batch: List[str] = []
    members = 0  # pool members
    for name, frontend in new.frontends.items():
        batch.append(name)
        members += sum(len(pool.members) for pool in frontend.pools)
        if members >= chunk:
            checker.frontends.update(checker.config, checker.states_view, batch)
            batch, members = [], 0
            yield
    checker.frontends.update(checker.config, checker.states_view, batch)


def _start_workers(checker: Checker, workers: List[ProbeWorker], chunk: int) -> Steps:
    # Started workers' first results (static backends: at once) arrive in bursts; each would
    # recompute its frontends (200 members each), so a frontend is recomputed once per step
    # instead, before the next workers start.
    tracker = checker.frontends
    tracker.defer()
    try:
        starts = 0
        for count, worker in enumerate(workers):
            if count % chunk == chunk - 1 or starts >= START_STEP:
                starts = 0
                yield
                tracker.flush(checker.config, checker.states_view)
            if checker.workers.get(worker.key) is worker:  # not dropped by a later reload meanwhile
                idle = not worker.running()
                checker.sync_worker(worker, spread="fast")
                starts += idle and worker.running()
        yield  # the last ones' first results
    finally:
        tracker.end_defer(checker.config, checker.states_view)
