"""What the daemon knows about its config reloads, for /v1/status and /metrics.

A refused reload keeps the running config, so the file on disk and what the daemon runs
differ until a good file is reloaded: the daemon reports itself degraded ("config") with
the first error, and `maglev_config_last_reload_success` is 0.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from prometheus_client import CollectorRegistry, Counter, Gauge

LAST_ERRORS_SHOWN = 20  # errors of a refused reload in /v1/status (the log has all of them)


class ReloadState:
    name = "config"

    def __init__(self, registry: Optional[CollectorRegistry] = None) -> None:
        self.counts = {"ok": 0, "failed": 0}
        self.last_ok = True
        self.last_errors: List[str] = []
        self.last_time: Optional[float] = None  # wall time of the last reload tried; None: none yet
        self._total = Counter(
            "maglev_config_reloads", "Config reloads by result (ok, failed)", ["result"], registry=registry
        )
        self._success = Gauge(
            "maglev_config_last_reload_success",
            "1 when the last reload succeeded (or none was tried), 0 when the running config is older than the file",
            registry=registry,
        )
        self._success.set(1)

    def record(self, ok: bool, errors: List[str]) -> None:
        result = "ok" if ok else "failed"
        self.counts[result] += 1
        self._total.labels(result).inc()
        self._success.set(1 if ok else 0)
        self.last_ok = ok
        self.last_errors = [] if ok else list(errors)
        self.last_time = time.time()

    def last(self) -> Dict[str, Any]:
        """The last reload for /v1/status "last_reload": ok, when, and its first errors."""
        return {"ok": self.last_ok, "time": self.last_time, "errors": self.last_errors[:LAST_ERRORS_SHOWN]}

    def health(self) -> Dict[str, Any]:
        if self.last_ok:
            return {"state": "ok"}
        more = max(0, len(self.last_errors) - 1)
        reason = "last reload refused, running the previous config: %s%s" % (
            self.last_errors[0][:200] if self.last_errors else "no detail",
            " (and %d more errors)" % more if more else "",
        )
        return {"state": "degraded", "reason": reason}
