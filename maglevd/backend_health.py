"""The per-backend health state machine: pure, no I/O, no clock of its own.

Semantics follow vpp-maglev (docs/state-machine.md) exactly:

- One counter in [0, rise + fall - 1] (HAProxy's single-integer model). A pass adds 1 (capped),
  a failure subtracts 1 (floored at 0). The backend is up when counter >= rise, down otherwise.
  There is no "snap" to the extremes: a backend that has just come up (counter == rise) goes
  down again on a single failure, while one that has been up a long time (counter == max)
  needs `fall` failures. vpp-maglev's TestFallToDown pins this on purpose.
- Entering `unknown` (start, resume, enable, changed healthcheck) preloads the counter to
  rise - 1: one pass makes the backend up, any failure makes it down.
- paused / disabled / removed reject probe results; the checker does not probe them at all.
- Operator actions follow the one table in plugins/module_utils/operator_actions.py (what
  each refuses, the state it leads to, the `enabled` flag it writes); this class only applies
  the outcome (entering `unknown` preloads the counter).

Times are passed in by the caller: `mono` (monotonic, for logic) and `wall` (for display).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Deque, Optional

from ..plugins.module_utils.operator_actions import ACTIONS
from ..plugins.module_utils.weights import BackendState

# States in which the checker runs probes for the backend.
PROBING_STATES = frozenset({BackendState.UNKNOWN, BackendState.UP, BackendState.DOWN})

# The transition code an operator action records (events, history, logs).
_REASON_CODES = {"pause": "paused", "resume": "resumed", "enable": "enabled", "disable": "disabled"}


@dataclass(frozen=True)
class Transition:
    backend: str
    from_state: BackendState
    to_state: BackendState
    mono: float  # monotonic seconds, for ordering and ages
    wall: float  # unix seconds, for display
    code: str  # probe code (L7OK, L4CON, ...) or the operator/config reason (paused, enabled, removed, ...)
    reason: str  # "probe", "operator", "config"

    def to_dict(self) -> dict:
        return {
            "backend": self.backend,
            "from": self.from_state.value,
            "to": self.to_state.value,
            "time": self.wall,
            "code": self.code,
            "reason": self.reason,
        }


class BackendHealth:
    """State, counter, operator flag and transition history of one backend."""

    __slots__ = ("counter", "enabled", "fall", "history", "last_code", "last_detail", "name", "rise", "state")

    def __init__(
        self, name: str, rise: int, fall: int, *, enabled: bool = True, history: int = 5, mono: float = 0.0
    ) -> None:
        if rise < 1 or fall < 1:
            raise ValueError("rise and fall must be >= 1")
        self.name = name
        self.rise = rise
        self.fall = fall
        self.enabled = enabled
        self.history: Deque[Transition] = deque(maxlen=max(1, history))
        self.last_code = ""
        self.last_detail = ""
        self.state = BackendState.UNKNOWN if enabled else BackendState.DISABLED
        self.counter = rise - 1

    @property
    def max_counter(self) -> int:
        return self.rise + self.fall - 1

    @property
    def probing(self) -> bool:
        return self.state in PROBING_STATES

    @property
    def settled(self) -> bool:
        """True when the counter sits at the extreme that matches the state (not in question)."""
        return (self.state is BackendState.UP and self.counter == self.max_counter) or (
            self.state is BackendState.DOWN and self.counter == 0
        )

    def _move(self, to: BackendState, mono: float, wall: float, code: str, reason: str) -> Optional[Transition]:
        if to is self.state:
            return None
        transition = Transition(self.name, self.state, to, mono, wall, code, reason)
        self.state = to
        self.history.append(transition)
        return transition

    # -- probe results -------------------------------------------------------------------------

    def record(self, ok: bool, code: str, mono: float, wall: float, detail: str = "") -> Optional[Transition]:
        """Apply one probe result; returns the transition it caused, if any.

        Results are ignored (None) while paused, disabled or removed: a probe that was in flight
        when the operator acted must not change the state the operator chose.
        """
        if not self.probing:
            return None
        self.last_code = code
        self.last_detail = detail
        if ok:
            self.counter = min(self.counter + 1, self.max_counter)
        else:
            self.counter = max(self.counter - 1, 0)
        # From unknown the preload (rise - 1) makes this rule the fast path: one pass reaches
        # rise (up), one failure drops below it (down).
        to = BackendState.UP if self.counter >= self.rise else BackendState.DOWN
        return self._move(to, mono, wall, code, "probe")

    def _enter_unknown(self, mono: float, wall: float, code: str, reason: str) -> Optional[Transition]:
        self.counter = self.rise - 1
        return self._move(BackendState.UNKNOWN, mono, wall, code, reason)

    # -- operator actions ---------------------------------------------------------------------

    def act(self, action: str, mono: float, wall: float) -> Optional[Transition]:
        """pause | resume | enable | disable, per operator_actions.ACTIONS; raises ActionRefused.

        A refused action changes nothing, the flag included; an accepted one writes the flag
        even when the state stays (enable/disable repair a flag that disagrees with the state).
        """
        rule = ACTIONS[action]
        to = rule.outcome(self.name, self.state)
        if rule.sets_enabled is not None:
            self.enabled = rule.sets_enabled
        if to is None:
            return None
        if to is BackendState.UNKNOWN:
            return self._enter_unknown(mono, wall, _REASON_CODES[action], "operator")
        return self._move(to, mono, wall, _REASON_CODES[action], "operator")

    def pause(self, mono: float, wall: float) -> Optional[Transition]:
        return self.act("pause", mono, wall)

    def resume(self, mono: float, wall: float) -> Optional[Transition]:
        return self.act("resume", mono, wall)

    def disable(self, mono: float, wall: float) -> Optional[Transition]:
        return self.act("disable", mono, wall)

    def enable(self, mono: float, wall: float) -> Optional[Transition]:
        return self.act("enable", mono, wall)

    # -- configuration ------------------------------------------------------------------------

    def remove(self, mono: float, wall: float) -> Optional[Transition]:
        return self._move(BackendState.REMOVED, mono, wall, "removed", "config")

    def restart(self, rise: int, fall: int, enabled: bool, mono: float, wall: float) -> Optional[Transition]:
        """The healthcheck changed: start over from unknown (or disabled, per the YAML flag).

        As in vpp-maglev the YAML `enabled` applies again on this path; a pause is kept.
        """
        self.rise, self.fall = rise, fall
        self.enabled = enabled
        self.counter = rise - 1
        if not enabled:
            return self._move(BackendState.DISABLED, mono, wall, "disabled", "config")
        if self.state is BackendState.PAUSED:
            return None  # an operator pause outlives the reload; resume starts the new check
        return self._move(BackendState.UNKNOWN, mono, wall, "restarted", "config")

    def to_dict(self) -> dict:
        return {
            "state": self.state.value,
            "enabled": self.enabled,
            "counter": self.counter,
            "rise": self.rise,
            "fall": self.fall,
            "code": self.last_code,
            "detail": self.last_detail,
            "history": [t.to_dict() for t in reversed(self.history)],  # newest first
        }
