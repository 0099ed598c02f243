"""The record of each sync: counters, metrics, the ``vpp-sync`` log line and event.

Every sync, per-VIP or full, ends in exactly one ``ok`` or ``failed`` call here; listeners
(the daemon's event stream, tests) get the same dict that ``show vpp info`` shows as
``last_sync`` (docs/reconciler.md).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, List, Optional

from ...plugins.module_utils.planner import Plan, message_names
from ...plugins.module_utils.vpp_errors import VppApplyError
from .errors import lost_connection
from .logs import emit
from .metrics import VppMetrics

log = logging.getLogger("maglevd.reconciler")

Listener = Callable[[Dict[str, Any]], None]


class SyncRecorder:
    def __init__(self, metrics: Optional[VppMetrics], clock: Callable[[], float]) -> None:
        self.metrics = metrics
        self.clock = clock
        self.listeners: List[Listener] = []
        self.last_sync: Optional[Dict[str, Any]] = None
        self.last_full_sync: Optional[Dict[str, Any]] = None
        self.counts = {"vip": 0, "full": 0, "errors": 0, "suppressed": 0}

    def ok(
        self, scope: str, outcome: str, started: float, the_plan: Plan, *, frontends: List[str], **extra: Any
    ) -> Dict[str, Any]:
        """A sync that ended well (``outcome``: ok, noop, read-only)."""
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

    def failed(self, scope: str, started: float, exc: BaseException, **extra: Any) -> Dict[str, Any]:
        """A sync that failed with ``exc``; ``connection_lost`` says whether the reconnect
        will retry it (otherwise the caller schedules a full sync)."""
        self.counts["errors"] += 1
        self.metrics.syncs.labels(scope, "error").inc()
        self.metrics.desync.set(1)
        if isinstance(exc, VppApplyError):
            self.metrics.calls(message_names(exc.applied))
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
        return result

    def _emit(self, event: Dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a broken subscriber must not stop syncing
                log.exception("reconciler listener failed")
