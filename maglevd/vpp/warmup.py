"""Restart warmup: keep a freshly started maglevd from black-holing traffic.

Right after a start every backend is unknown, i.e. weight 0. Pushing that would drop every
new flow until the first probes come back, although VPP still holds the weights the previous
maglevd left. So (docs/reconciler.md, warmup):

1. from start to ``startup-min-delay``: hands off, nothing is pushed to VPP;
2. from min to ``startup-max-delay``: a frontend is released (synced) as soon as every
   backend it references has left ``unknown``;
3. at max-delay: one final full sync releases every frontend, stragglers included.

Both delays 0 disable the warmup. A config reload does not restart the clock. Pure: the
caller passes the monotonic time and the backend states.
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable, Mapping, Set

from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState


class Phase(str, Enum):
    HANDS_OFF = "hands-off"
    RELEASING = "releasing"
    DONE = "done"

    def __str__(self) -> str:
        return self.value


class Warmup:
    def __init__(self, started: float, min_delay: float, max_delay: float) -> None:
        self.started = started
        self.min_delay = max(0.0, min_delay)
        self.max_delay = max(self.min_delay, max_delay)
        self.released: Set[str] = set()
        self._final_sync_done = self.min_delay == 0 and self.max_delay == 0

    def phase(self, now: float) -> Phase:
        elapsed = now - self.started
        if self._final_sync_done or elapsed >= self.max_delay:
            return Phase.DONE
        if elapsed < self.min_delay:
            return Phase.HANDS_OFF
        return Phase.RELEASING

    def may_sync(self, now: float, frontend: str, states: Iterable[BackendState]) -> bool:
        """Whether a per-frontend sync may touch VPP now; releases the frontend when it can."""
        phase = self.phase(now)
        if phase is Phase.DONE or frontend in self.released:
            return phase is not Phase.HANDS_OFF
        if phase is Phase.HANDS_OFF:
            return False
        if all(BackendState(state) is not BackendState.UNKNOWN for state in states):
            self.released.add(frontend)
            return True
        return False

    def final_sync_due(self, now: float) -> bool:
        """True exactly once: when max-delay is reached and the final full sync must run."""
        if self._final_sync_done or now - self.started < self.max_delay:
            return False
        self._final_sync_done = True
        return True

    @property
    def finished(self) -> bool:
        return self._final_sync_done

    def deadline(self, now: float) -> float:
        """Seconds until the next phase change (for the caller's timer); 0 when done."""
        if self.finished:
            return 0.0
        elapsed = now - self.started
        if elapsed < self.min_delay:
            return self.min_delay - elapsed
        return max(0.0, self.max_delay - elapsed)

    def status(self, now: float, frontends: Mapping[str, Iterable[BackendState]]) -> dict:
        return {
            "phase": str(self.phase(now)),
            "elapsed": round(now - self.started, 3),
            "min_delay": self.min_delay,
            "max_delay": self.max_delay,
            "released": sorted(self.released),
            "waiting": sorted(name for name in frontends if name not in self.released and not self.finished),
        }
