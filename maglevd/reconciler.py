"""The reconciler: the one path from backend state to VPP.

    transition / operator action / weight change / reload / timer / (re)connect
        -> which VIPs (frontends referencing the backend)      [this module]
        -> desired.desired_state(config, states, frontends=...) [core]
        -> planner.plan(cache, desired, "replaced", ...)        [core]
        -> vppclient.apply(ops) on the VPP thread               [vpp.VppConnection.call]

Two kinds of sync, both idempotent and diff-based:

- **per-VIP**: plans only the affected VIPs against a cached ``current`` LbState (no dump), so a
  failover costs one planner call and the few API calls that change something. Requests are
  coalesced: the first one wakes the worker, which waits ``coalesce_window`` (1 ms) and then
  syncs the union of everything pending; requests arriving while a sync is in flight are
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
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from ..plugins.module_utils import writer_lock
from ..plugins.module_utils.config_model import Config
from ..plugins.module_utils.desired import desired_state, frontend_weights
from ..plugins.module_utils.lbstate import IPAddress, LbState, VipKey
from ..plugins.module_utils.planner import Plan, PlanError, plan
from ..plugins.module_utils.vpp_errors import describe
from ..plugins.module_utils.vppclient import VppApplyError, VppClient, VppError
from ..plugins.module_utils.weights import BackendState
from .vpp import VppConnection, emit, lost_connection
from .vpp_metrics import VppMetrics
from .vpp_tasks import keep_running
from .warmup import Phase, Warmup

log = logging.getLogger("maglevd.reconciler")

StatesFn = Callable[[], Mapping[str, Any]]
Listener = Callable[[Dict[str, Any]], None]
READ_MESSAGES = ("lb_conf_get", "lb_vip_dump", "lb_as_v2_dump")


def _vip_order(config: Config) -> Dict[str, Tuple[str, ...]]:
    """backend name -> the frontends that reference it (config order)."""
    index: Dict[str, List[str]] = {}
    for name, frontend in config.frontends.items():
        for backend in dict.fromkeys(frontend.backend_names()):
            index.setdefault(backend, []).append(name)
    return {backend: tuple(names) for backend, names in index.items()}


def _message_names(ops: Iterable[Any]) -> List[str]:
    return [op.api_call()[0] for op in ops]


class Reconciler:
    def __init__(
        self,
        config: Config,
        states: StatesFn,
        vpp: VppConnection,
        *,
        warmup: Optional[Warmup] = None,
        clock: Callable[[], float] = time.monotonic,
        coalesce_window: float = 0.001,
        retry_min: float = 0.5,
        retry_max: float = 10.0,
        metrics: Optional[VppMetrics] = None,
    ) -> None:
        self.config = config
        self._states = states
        self.vpp = vpp
        self.clock = clock
        self.warmup = warmup or Warmup(clock(), config.vpp_lb.startup_min_delay, config.vpp_lb.startup_max_delay)
        self.coalesce_window = coalesce_window
        self.retry_min = retry_min
        self.retry_max = retry_max
        self.metrics = metrics or vpp.metrics
        self.current: Optional[LbState] = None  # what VPP holds, as far as we know; None = must re-read
        self.retired: Set[VipKey] = set()  # VIPs of earlier configs, deleted at the next full sync
        self.listeners: List[Listener] = []
        self.last_sync: Optional[Dict[str, Any]] = None
        self.last_full_sync: Optional[Dict[str, Any]] = None
        self.counts = {"vip": 0, "full": 0, "errors": 0, "suppressed": 0}
        self._index = _vip_order(config)
        self._pending: Set[str] = set()  # frontends to sync
        self._touched: Set[str] = set()  # backends that transitioned since their last sync (force-flush)
        self._full_reason: Optional[str] = None
        self._full_waiters: List[asyncio.Future] = []
        self._retry_delay = retry_min
        self._retry_handle: Optional[asyncio.TimerHandle] = None
        self._wake: Optional[asyncio.Event] = None
        self._busy = False
        self._tasks: List[asyncio.Task] = []
        vpp.on_connect.append(self._on_connect)
        vpp.on_disconnect.append(self._on_disconnect)

    # -- inputs (all called on the event loop) ----------------------------------------------------

    def backend_changed(self, backend: str) -> None:
        """A backend's state changed (probe, operator, reload): sync the VIPs that use it."""
        frontends = self._index.get(backend, ())
        if not frontends:
            return
        self._touched.add(backend)
        self._pending.update(frontends)
        self._kick()

    def frontends_changed(self, names: Iterable[str]) -> None:
        """Something else changed these frontends (e.g. a runtime weight): sync them."""
        names = [name for name in names if name in self.config.frontends]
        if names:
            self._pending.update(names)
            self._kick()

    def set_config(self, config: Config) -> None:
        """Adopt a config with the same VIPs (runtime weight change); no retiring, no full sync."""
        self.config = config
        self._index = _vip_order(config)

    def reload(self, config: Config) -> asyncio.Future:
        """A new config is running: retire the VIPs it dropped, then sync everything."""
        old = {f.vip_key for f in self.config.frontends.values()}
        new = {f.vip_key for f in config.frontends.values()}
        self.retired |= old - new
        self.retired -= new
        self.config = config
        self._index = _vip_order(config)
        self._pending &= set(config.frontends)
        return self.request_full_sync("reload")

    def request_full_sync(self, reason: str) -> asyncio.Future:
        """Schedule a full sync; the future resolves with its result dict."""
        future = asyncio.get_running_loop().create_future()
        self._full_waiters.append(future)
        if self._full_reason is None:
            self._full_reason = reason
        self._kick()
        return future

    async def sync_now(self, reason: str = "operator") -> Dict[str, Any]:
        return await self.request_full_sync(reason)

    @property
    def idle(self) -> bool:
        """Nothing in flight, nothing pending, no retry scheduled (tests and status use it)."""
        return not (
            self._busy
            or self._pending
            or self._full_reason
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
        if self._pending or self._full_reason:
            self._wake.set()
        # keep_running: an exception in one of them is logged, counted and the task goes on;
        # none of them may end while maglevd runs (the worker is the only path to VPP).
        self._tasks = [
            loop.create_task(keep_running(self._worker, self._crashed("reconcile")), name="maglevd-reconciler"),
            loop.create_task(keep_running(self._periodic, self._crashed("sync-timer")), name="maglevd-sync-timer"),
        ]
        if not self.warmup.finished:
            self._tasks.append(
                loop.create_task(keep_running(self._warmup_timer, self._crashed("warmup")), name="maglevd-warmup")
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
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks = []
        if self._retry_handle is not None:
            self._retry_handle.cancel()
        self._resolve_waiters({"scope": "full", "result": "cancelled", "error": "maglevd is stopping"})
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

    # -- timers -----------------------------------------------------------------------------

    async def _periodic(self) -> None:
        while True:
            interval = self.config.vpp_lb.sync_interval
            await asyncio.sleep(interval if interval > 0 else 1.0)
            if interval > 0 and self.vpp.connected and self._full_reason is None:
                self.request_full_sync("periodic")

    async def _warmup_timer(self) -> None:
        warmup = self.warmup
        while not warmup.finished:
            now = self.clock()
            phase = warmup.phase(now)
            await asyncio.sleep(max(warmup.deadline(now), 0.001))
            now = self.clock()
            if phase is Phase.HANDS_OFF and warmup.phase(now) is not Phase.HANDS_OFF:
                emit(log, "vpp-warmup", phase="releasing", frontends=len(self.config.frontends))
                # Transitions seen during hands-off were held back: look at every frontend now.
                self._touched.update(self._index)
                self.frontends_changed(self.config.frontends)
            if warmup.final_sync_due(now):
                emit(log, "vpp-warmup", phase="done", released_early=len(warmup.released))
                self.metrics.warmup.set(0)
                self.request_full_sync("warmup-end")

    # -- the worker: one sync at a time ----------------------------------------------------------

    async def _worker(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            # Let the rest of a burst arrive (results of one probe round land within ~1 ms).
            await asyncio.sleep(self.coalesce_window)
            self._busy = True
            try:
                if not self.vpp.connected:
                    self._resolve_waiters({"scope": "full", "result": "error", "error": "not connected to VPP"})
                    continue  # the reconnect requests a full sync, which covers what is pending
                if self._full_reason is not None or (self._pending and self.current is None):
                    await self._full_sync(self._full_reason or "cache invalid")
                elif self._pending:
                    await self._vip_sync()
            except Exception as exc:  # a bug must not kill the only path to VPP
                self.vpp.record_error("reconcile", exc, traceback=True)
                self.metrics.desync.set(1)
                self.current = None
                self._schedule_retry("internal error: %s" % describe(exc))
            finally:
                self._busy = False

    def _states_snapshot(self) -> Dict[str, BackendState]:
        return {name: BackendState(state) for name, state in self._states().items()}

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
                self.counts["suppressed"] += 1
                emit(log, "vpp-warmup-hold", logging.DEBUG, frontend=name, phase=str(self.warmup.phase(now)))
        return allowed

    def _force_flush(
        self, config: Config, names: Iterable[str], states: Mapping[str, BackendState], touched: Set[str]
    ) -> Set[Tuple[VipKey, IPAddress]]:
        """(VIP, AS) pairs to flush even if their weight is already 0: backends that just moved
        into a flushing state (vpp-maglev §7 item 14: standby -> disabled must still flush)."""
        pairs = set()
        if not touched:
            return pairs
        for name in names:
            frontend = config.frontends[name]
            for member in frontend_weights(config, frontend, states):
                if member.flush and member.weight == 0 and member.backend in touched:
                    pairs.add((frontend.vip_key, member.address))
        return pairs

    def _take_touched(self, names: Iterable[str]) -> Set[str]:
        """The transitioned backends these frontends use; the rest wait for their own sync."""
        used = {b for name in names for b in self.config.frontends[name].backend_names()}
        taken = self._touched & used
        self._touched -= taken
        return taken

    async def _vip_sync(self) -> None:
        started = self.clock()
        names, self._pending = self._pending, set()
        states = self._states_snapshot()
        names = [name for name in self.config.frontends if name in names]  # config order
        allowed = self._releasable(names, states)
        if not allowed:
            return
        touched = self._take_touched(allowed)
        config, current = self.config, self.current
        assert current is not None
        # The conf rides along (no call unless it differs): VIPs released during the warmup need
        # the source addresses before the final full sync.
        desired = desired_state(config, states, frontends=allowed, include_conf=True)
        force = self._force_flush(config, allowed, states, touched)
        the_plan = plan(current, desired, "replaced", force_flush=force, flush_removed=True, allow_empty=True)
        if not the_plan:
            self._record("vip", "noop", started, the_plan, frontends=allowed)
            return
        try:
            # Under the writer lock, as every writer (the modules too); see writer_lock.locked.
            await self.vpp.call(writer_lock.locked(lambda client: client.apply(the_plan.ops)), stage="apply")
        except VppError as exc:
            # Keep the work: the full sync that follows re-derives it from fresh state.
            self._pending.update(allowed)
            self._touched |= touched
            self._failed("vip", started, exc)
            return
        self.current = the_plan.after
        self._retry_delay = self.retry_min
        self.metrics.calls(_message_names(the_plan.ops))
        self._record("vip", "ok", started, the_plan, frontends=allowed)

    async def _full_sync(self, reason: str) -> None:
        started = self.clock()
        self._full_reason = None
        waiters, self._full_waiters = self._full_waiters, []
        try:
            await self._full_sync_for(reason, started, waiters)
        except Exception as exc:
            # A bug must not leave `sync vpp lb state` waiting forever: answer, then let the
            # worker count it and schedule the retry.
            self._resolve(waiters, {"scope": "full", "result": "error", "error": "internal error: %s" % describe(exc)})
            raise

    async def _full_sync_for(self, reason: str, started: float, waiters: List[asyncio.Future]) -> None:
        states = self._states_snapshot()
        config = self.config
        hands_off = self.warmup.phase(self.clock()) is Phase.HANDS_OFF
        # During hands-off only read (to fill the cache); nothing pending is consumed.
        allowed = [] if hands_off else self._releasable(config.frontends, states)
        names = set(allowed)
        self._pending -= names  # not yet released frontends stay pending
        touched = self._take_touched(allowed)
        retired = set() if hands_off else set(self.retired)
        force = self._force_flush(config, allowed, states, touched)

        def work(client: VppClient) -> Tuple[LbState, List[Plan]]:
            current = client.read_state()
            if hands_off:
                return current, []
            plans = []
            gone = LbState(vips={key: current.vips[key] for key in retired if key in current.vips})
            if gone.vips:
                plans.append(plan(current, gone, "deleted", flush_removed=True))
                current = plans[-1].after
            desired = desired_state(config, states, frontends=allowed, include_conf=True)
            plans.append(plan(current, desired, "replaced", force_flush=force, flush_removed=True, allow_empty=True))
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
            self._pending.update(names)
            self._touched |= touched
            result = self._failed("full", started, exc, reason=reason)
            self._resolve(waiters, result)
            return
        self.metrics.calls(READ_MESSAGES)
        for one in plans:
            self.metrics.calls(_message_names(one.ops))
        self.current = current
        self.retired -= retired
        self._retry_delay = self.retry_min
        combined = Plan([op for one in plans for op in one.ops], LbState(), current)
        result = self._record(
            "full",
            "read-only" if hands_off else "ok",
            started,
            combined,
            frontends=allowed,
            reason=reason,
        )
        self._resolve(waiters, result)

    # -- bookkeeping ------------------------------------------------------------------------------

    def _record(
        self, scope: str, outcome: str, started: float, the_plan: Plan, *, frontends: List[str], **extra: Any
    ) -> Dict[str, Any]:
        elapsed = self.clock() - started
        summary = the_plan.summary()
        self.counts[scope] += 1
        self.metrics.syncs.labels(scope, outcome).inc()
        self.metrics.sync_seconds.labels(scope).observe(elapsed)
        if scope == "full" or outcome == "ok":
            self.metrics.desync.set(0)
        result = {
            "scope": scope,
            "result": outcome,
            "frontends": len(frontends),
            "seconds": round(elapsed, 6),
            "time": time.time(),
            "mono": self.clock(),
            **summary,
            **extra,
        }
        if scope == "vip":
            result["frontend_names"] = frontends
        self.last_sync = result
        if scope == "full":
            self.last_full_sync = result
        level = logging.INFO if summary["api_calls"] else logging.DEBUG
        fields = {k: v for k, v in result.items() if k not in ("time", "mono", "frontend_names")}
        emit(log, "vpp-sync", level, **fields)
        self._emit({"type": "vpp-sync", **result})
        return result

    def _failed(self, scope: str, started: float, exc: BaseException, **extra: Any) -> Dict[str, Any]:
        self.current = None
        self.counts["errors"] += 1
        self.metrics.syncs.labels(scope, "error").inc()
        self.metrics.desync.set(1)
        if isinstance(exc, VppApplyError):
            self.metrics.calls(_message_names(exc.applied))
            self.metrics.error(exc.failed.api_call()[0] if hasattr(exc.failed, "api_call") else "unknown")
        dropped = lost_connection(exc)
        result = {
            "scope": scope,
            "result": "error",
            "error": str(exc),
            "connection_lost": dropped,
            "seconds": round(self.clock() - started, 6),
            "time": time.time(),
            "mono": self.clock(),
            **extra,
        }
        self.last_sync = result
        emit(log, "vpp-sync", logging.WARNING, scope=scope, result="error", connection_lost=dropped, error=str(exc))
        self._emit({"type": "vpp-sync", **result})
        if not dropped:
            self._schedule_retry(str(exc))  # a lost connection is retried by the reconnect
        return result

    def _schedule_retry(self, why: str) -> None:
        if self._retry_handle is not None and not self._retry_handle.cancelled():
            return
        delay, self._retry_delay = self._retry_delay, min(self._retry_delay * 2, self.retry_max)
        emit(log, "vpp-sync-retry", delay=delay, reason=why)

        def fire() -> None:
            self._retry_handle = None
            self.request_full_sync("retry")

        self._retry_handle = asyncio.get_running_loop().call_later(delay, fire)

    def _resolve(self, waiters: List[asyncio.Future], result: Dict[str, Any]) -> None:
        for future in waiters:
            if not future.done():
                future.set_result(result)

    def _resolve_waiters(self, result: Dict[str, Any]) -> None:
        waiters, self._full_waiters = self._full_waiters, []
        self._resolve(waiters, result)

    def _emit(self, event: Dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a broken subscriber must not stop syncing
                log.exception("reconciler listener failed")

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
            "counts": dict(self.counts),
            "pending": sorted(self._pending),
            "retired_vips": sorted(str(key) for key in self.retired),
            "last_sync": self.last_sync,
            "last_full_sync": self.last_full_sync,
        }
