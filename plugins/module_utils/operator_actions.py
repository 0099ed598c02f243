# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator actions, one table beside the failover truth table (weights.py).

maglevd's state machine applies them, its API names them, and the maglev_backend module
predicts them in check mode; all three read this table (docs/state-machine.md):

| action  | module state | refused in         | changes the state when | to       | enabled flag |
|---------|--------------|--------------------|------------------------|----------|--------------|
| pause   | paused       | disabled, removed  | not already paused     | paused   | kept         |
| resume  | resumed      | disabled, removed  | paused                 | unknown  | kept         |
| disable | disabled     | removed            | not already disabled   | disabled | false        |
| enable  | enabled      | removed            | disabled               | unknown  | true         |

enable/disable decide by the *state*, not by the flag, and repair the flag when the two
disagree. An action that changes nothing is not an error: re-running a task is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Optional

from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState

_PAUSED, _DISABLED, _REMOVED = BackendState.PAUSED, BackendState.DISABLED, BackendState.REMOVED


class ActionRefused(Exception):
    """An operator action that cannot apply to the backend's current state."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class OperatorAction:
    name: str  # the verb of maglevd's API and maglevc
    module_state: str  # the maglev_backend module's `state` choice
    to: BackendState
    applies_from: Optional[FrozenSet[BackendState]]  # None: every state except `to`
    refused: Dict[BackendState, str]  # state -> what the operator should do instead
    sets_enabled: Optional[bool]  # the flag it writes (even when the state is unchanged)

    def outcome(self, name: str, state: BackendState) -> Optional[BackendState]:
        """The state after the action, None when it changes nothing; raises ActionRefused."""
        state = BackendState(state)
        if state in self.refused:
            raise ActionRefused(state.value, "backend %r %s" % (name, self.refused[state] % self.name))
        if self.applies_from is None:
            return None if state is self.to else self.to
        return self.to if state in self.applies_from else None


_GONE = "was removed from the configuration; cannot %s"

ACTIONS: Dict[str, OperatorAction] = {
    action.name: action
    for action in (
        OperatorAction(
            "pause", "paused", _PAUSED, None,
            {_DISABLED: "is disabled; enable it before you %s it", _REMOVED: _GONE}, None,
        ),
        OperatorAction(
            "resume", "resumed", BackendState.UNKNOWN, frozenset({_PAUSED}),
            {_DISABLED: "is disabled; enable it instead (cannot %s)", _REMOVED: _GONE}, None,
        ),
        OperatorAction("disable", "disabled", _DISABLED, None, {_REMOVED: _GONE}, False),
        OperatorAction("enable", "enabled", BackendState.UNKNOWN, frozenset({_DISABLED}), {_REMOVED: _GONE}, True),
    )
}  # fmt: skip

BY_MODULE_STATE: Dict[str, OperatorAction] = {action.module_state: action for action in ACTIONS.values()}
