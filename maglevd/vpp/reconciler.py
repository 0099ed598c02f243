"""The reconciler: the one path from backend state to VPP.

    transition / operator action / weight change / reload / timer / (re)connect
        -> which VIPs (frontends referencing the backend)      [this module]
        -> desired.desired_state(config, states, frontends=...) [core]
        -> planner.plan(cache, desired, "replaced", ...)        [core]
        -> vppclient.apply(ops) on the VPP thread               [supervisor.VppConnection.call]

Two kinds of sync, both idempotent and diff-based:

- **per-VIP**: plans only the affected VIPs against a cached ``current`` LbState (no dump), so a
  failover costs one planner call and the few API calls that change something. Requests are
  coalesced: the first one wakes the worker, which lets the loop turn once (``coalesce_window``,
  0 s) and then syncs the union of everything pending; requests arriving while a sync is in flight are
  merged into the next one. A burst of N failures in one VIP is one sync, not N.
- **full**: ``read_state`` (the cache is replaced by what VPP really holds), then every
  configured VIP made exact ("replaced") and the VIPs of earlier configs deleted. Runs after
  every (re)connect, every ``sync-interval``, after a reload, at the end of the warmup and on
  operator request. VIPs that were never in our config are not touched (docs/reconciler.md).

Any apply error invalidates the cache; a lost connection makes the supervisor reconnect, and
the reconnect runs a full sync. Other errors (VPP refused an op: someone changed VPP behind
our back) schedule a full sync with backoff.

The restart warmup (warmup.py) gates both kinds: nothing is pushed during hands-off, a VIP is
released once every backend it references is known, the final full sync runs at max-delay.

This class decides when to sync and what: the work still to do is sync_queue.py, the plans
sync_plan.py (both pure), the record of each result sync_record.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from ...plugins.module_utils import writer_lock
from ...plugins.module_utils.config_model import Config
from ...plugins.module_utils.lb_model import LbState
from ...plugins.module_utils.planner import Plan, PlanError, message_names
from ...plugins.module_utils.vpp_errors import VppError, describe
from ...plugins.module_utils.vppclient import VppClient
from ...plugins.module_utils.weights import BackendState
from ..tasks import cancel_and_wait, keep_running
from .logs import emit
from .metrics import VppMetrics
from .settings import VppSettings
from .supervisor import VppConnection
from .sync_plan import READ_MESSAGES, combined, force_flush, full_plans, states_snapshot, vip_plan
from .sync_queue import SyncQueue
from .sync_record import SyncRecorder
from .sync_timers import periodic_full_sync, warmup_releases
from .warmup import Phase, Warmup

log = logging.getLogger("maglevd.reconciler")

StatesFn = Callable[[], Mapping[str, Any]]


class Reconciler:
    """Decides what to sync and when (module docstring); runs one sync at a time."""

    def __init__(
        self,
        config: Config,
        states: StatesFn,
        vpp: VppConnection,
        *,
        settings: Optional[VppSettings] = None,
        warmup: Optional[Warmup] = None,
        clock: Callable[[], float] = time.monotonic,
        metrics: Optional[VppMetrics] = None,
    ) -> None:
        self.config = config
        self._states = states
        self.vpp = vpp
        self.settings = settings or VppSettings()
        self.clock = clock
        self.warmup = warmup or Warmup(clock(), config.vpp_lb.startup_min_delay, config.vpp_lb.startup_max_delay)
        self.metrics = metrics or vpp.metrics
        self.recorder = SyncRecorder(self.metrics, clock)
        self.current: Optional[LbState] = None  # what VPP holds, as far as we know; None = must re-read
        self.queue = SyncQueue()
        self.frontends_by_backend = config.frontends_by_backend()  # which VIPs a transition touches
        self._retry_delay = self.settings.sync_retry_min
        self._retry_handle: Optional[asyncio.TimerHandle] = None
        self._wake: Optional[asyncio.Event] = None
        self._busy = False
        self._tasks: List[asyncio.Task] = []
        vpp.on_connect.append(self._on_connect)
        vpp.on_disconnect.append(self._on_disconnect)

    # -- inputs (all called on the event loop) ----------------------------------------------------

    def backend_changed(self, backend: str) -> None:
        """A backend's state changed (probe, operator, reload): sync the VIPs that use it."""
        frontends = self.frontends_by_backend.get(backend, ())
        if not frontends:
            return
        self.queue.add(frontends, touched=(backend,))
        self._kick()

    def frontends_changed(self, names: Iterable[str]) -> None:
        """Something else changed these frontends (e.g. a runtime weight): sync them."""
        names = [name for name in names if name in self.config.frontends]
        if names:
            self.queue.add(names)
            self._kick()

    def set_config(self, config: Config) -> None:
        """Adopt a config with the same VIPs (runtime weight change); no retiring, no full sync."""
        self.config = config
        self.frontends_by_backend = config.frontends_by_backend()

    def reload(self, config: Config) -> asyncio.Future:
        """A new config is running: retire the VIPs it dropped, then sync everything."""
        self.queue.retire(self.config, config)
        self.set_config(config)
        return self.request_full_sync("reload")

    def request_full_sync(self, reason: str) -> asyncio.Future:
        """Schedule a full sync; the future resolves with its result dict."""
        future = asyncio.get_running_loop().create_future()
        self.queue.request_full(reason, future)
        self._kick()
        return future

    async def sync_now(self, reason: str = "operator") -> Dict[str, Any]:
        return await self.request_full_sync(reason)

    @property
    def idle(self) -> bool:
        """Nothing in flight, nothing pending, no retry scheduled (tests and status use it)."""
        return not (
            self._busy
            or self.queue.has_work
            or (self._wake is not None and self._wake.is_set())
            or self._retry_handle is not None
        )

    def _kick(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        if self.queue.has_work:
            self._wake.set()
        # keep_running: an exception in one of them is logged, counted and the task goes on;
        # none of them may end while maglevd runs (the worker is the only path to VPP).
        self._tasks = [
            loop.create_task(keep_running(self._worker, self._crashed("reconcile")), name="maglevd-reconciler"),
            loop.create_task(
                keep_running(partial(periodic_full_sync, self), self._crashed("sync-timer")), name="maglevd-sync-timer"
            ),
        ]
        if not self.warmup.finished:
            self._tasks.append(
                loop.create_task(
                    keep_running(partial(warmup_releases, self), self._crashed("warmup")), name="maglevd-warmup"
                )
            )
        self.metrics.warmup.set(0 if self.warmup.finished else 1)
        emit(
            log,
            "vpp-reconciler-start",
            frontends=len(self.config.frontends),
            warmup=str(self.warmup.phase(self.clock())),
            startup_min_delay=self.warmup.min_delay,
            startup_max_delay=self.warmup.max_delay,
        )

    async def stop(self) -> None:
        """Stop syncing. VPP's weights are left exactly as they are (docs/reconciler.md)."""
        await cancel_and_wait(self._tasks, log=log)
        self._tasks = []
        if self._retry_handle is not None:
            self._retry_handle.cancel()
        self.queue.answer({"scope": "full", "result": "cancelled", "error": "maglevd is stopping"})
        emit(log, "vpp-reconciler-stop")

    def _crashed(self, stage: str) -> Callable[[BaseException], None]:
        def report(exc: BaseException) -> None:
            self.vpp.record_error(stage, exc, traceback=True)
            self.metrics.desync.set(1)

        return report

    async def _on_connect(self) -> None:
        self.current = None
        self.request_full_sync("connect")

    async def _on_disconnect(self) -> None:
        self.current = None

    # -- the worker: one sync at a time ----------------------------------------------------------

    async def _worker(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            # One loop turn for a burst to join (the rest joins the next sync); waiting 1 ms was
            # half of a failover's latency (docs/performance.md, "maglevd: failover push").
            await asyncio.sleep(self.settings.coalesce_window)
            self._busy = True
            try:
                if not self.vpp.connected:
                    self.queue.answer({"scope": "full", "result": "error", "error": "not connected to VPP"})
                    continue  # the reconnect requests a full sync, which covers what is pending
                if self.queue.full_reason is not None or (self.queue.pending and self.current is None):
                    await self._full_sync()
                elif self.queue.pending:
                    await self._vip_sync()
            except Exception as exc:  # a bug must not kill the only path to VPP
                self.vpp.record_error("reconcile", exc, traceback=True)
                self.metrics.desync.set(1)
                self.current = None
                self._schedule_retry("internal error: %s" % describe(exc))
            finally:
                self._busy = False

    def _states_snapshot(self, frontends: Optional[Iterable[str]] = None) -> Dict[str, BackendState]:
        return states_snapshot(self.config, self._states(), frontends)

    def _frontend_states(self, name: str, states: Mapping[str, BackendState]) -> List[BackendState]:
        return [states.get(b, BackendState.UNKNOWN) for b in self.config.frontends[name].backend_names()]

    def _releasable(self, names: Iterable[str], states: Mapping[str, BackendState]) -> List[str]:
        """The frontends the warmup lets us touch now (releasing those whose backends are known)."""
        now = self.clock()
        allowed = []
        for name in names:
            if self.warmup.may_sync(now, name, self._frontend_states(name, states)):
                allowed.append(name)
            else:
                self.recorder.counts["suppressed"] += 1
                emit(log, "vpp-warmup-hold", logging.DEBUG, frontend=name, phase=str(self.warmup.phase(now)))
        return allowed

    async def _vip_sync(self) -> None:
        started = self.clock()
        names = self.queue.take_pending(self.config)
        states = self._states_snapshot(names)
        allowed = self._releasable(names, states)
        if not allowed:
            return
        touched = self.queue.take_touched(self.config, allowed)
        config, current = self.config, self.current
        assert current is not None
        the_plan = vip_plan(config, current, states, allowed, force_flush(config, allowed, states, touched))
        if not the_plan:
            self.recorder.ok("vip", "noop", started, the_plan, frontends=allowed)
            return
        try:
            # Under the writer lock, as every writer (the modules too); see writer_lock.locked.
            await self.vpp.call(writer_lock.locked(lambda client: client.apply(the_plan.ops)), stage="apply")
        except VppError as exc:
            # Keep the work: the full sync that follows re-derives it from fresh state.
            self.queue.give_back(allowed, touched)
            self._failed("vip", started, exc)
            return
        self.current = the_plan.after
        self._retry_delay = self.settings.sync_retry_min
        self.metrics.calls(message_names(the_plan.ops))
        self.recorder.ok("vip", "ok", started, the_plan, frontends=allowed)

    async def _full_sync(self) -> None:
        started = self.clock()
        reason, waiters = self.queue.take_full()
        try:
            await self._full_sync_for(reason, started, waiters)
        except Exception as exc:
            # A bug must not leave `sync vpp lb state` waiting forever: answer, then let the
            # worker count it and schedule the retry.
            self.queue.answer(
                {"scope": "full", "result": "error", "error": "internal error: %s" % describe(exc)}, waiters
            )
            raise

    async def _full_sync_for(self, reason: str, started: float, waiters: List[asyncio.Future]) -> None:
        states = self._states_snapshot()
        config = self.config
        hands_off = self.warmup.phase(self.clock()) is Phase.HANDS_OFF
        # During hands-off only read (to fill the cache); nothing pending is consumed.
        allowed = [] if hands_off else self._releasable(config.frontends, states)
        self.queue.pending -= set(allowed)  # not yet released frontends stay pending
        touched = self.queue.take_touched(config, allowed)
        retired = set() if hands_off else set(self.queue.retired)
        force = force_flush(config, allowed, states, touched)

        def work(client: VppClient) -> Tuple[LbState, List[Plan]]:
            current = client.read_state()
            if hands_off:
                return current, []
            plans = full_plans(config, current, states, allowed, retired, force)
            for one in plans:
                if one:
                    client.apply(one.ops)
            return plans[-1].after, plans

        try:
            # read -> plan -> apply under the writer lock; hands-off only reads and takes none.
            current, plans = await self.vpp.call(work if hands_off else writer_lock.locked(work), stage="sync")
        except (VppError, PlanError) as exc:
            if isinstance(exc, PlanError):  # VppErrors were counted by call()
                self.vpp.record_error("plan", exc)
            self.queue.give_back(allowed, touched)
            self.queue.answer(self._failed("full", started, exc, reason=reason), waiters)
            return
        self.metrics.calls(READ_MESSAGES)
        for one in plans:
            self.metrics.calls(message_names(one.ops))
        self.current = current
        self.queue.retired -= retired
        self._retry_delay = self.settings.sync_retry_min
        outcome = "read-only" if hands_off else "ok"
        result = self.recorder.ok("full", outcome, started, combined(plans, current), frontends=allowed, reason=reason)
        self.queue.answer(result, waiters)

    def _failed(self, scope: str, started: float, exc: BaseException, **extra: Any) -> Dict[str, Any]:
        self.current = None
        result = self.recorder.failed(scope, started, exc, **extra)
        if not result["connection_lost"]:
            self._schedule_retry(str(exc))  # a lost connection is retried by the reconnect
        return result

    def _schedule_retry(self, why: str) -> None:
        if self._retry_handle is not None and not self._retry_handle.cancelled():
            return
        delay, self._retry_delay = self._retry_delay, min(self._retry_delay * 2, self.settings.sync_retry_max)
        emit(log, "vpp-sync-retry", delay=delay, reason=why)

        def fire() -> None:
            self._retry_handle = None
            self.request_full_sync("retry")

        self._retry_handle = asyncio.get_running_loop().call_later(delay, fire)

    # -- introspection -------------------------------------------------------------------------

    def status(self) -> Dict[str, Any]:
        now = self.clock()
        states = self._states_snapshot()
        frontends = {name: self._frontend_states(name, states) for name in self.config.frontends}
        return {
            "connected": self.vpp.connected,
            "cache_valid": self.current is not None,
            "sync_interval": self.config.vpp_lb.sync_interval,
            "warmup": self.warmup.status(now, frontends),
            "counts": dict(self.recorder.counts),
            "pending": sorted(self.queue.pending),
            "retired_vips": sorted(str(key) for key in self.queue.retired),
            "last_sync": self.recorder.last_sync,
            "last_full_sync": self.recorder.last_full_sync,
        }
