"""The last-serving-backend guard: pure, no I/O.

An operator action (pause, disable) or a runtime weight of 0 that would leave a frontend that
serves traffic now with no backend of effective weight above 0 makes VPP drop the frontend's new
flows. maglevd refuses such a change (`409 last-serving-backend`) unless the operator forces it;
the `maglev_backend` module applies the same rule before it asks (its `allow_empty`). A standby
pool that takes over counts as serving: the weights come from the one truth table
(weights.pool_weights), exactly as the reconciler will compute them. An action looks only at
the frontends of its backend (the checker's index) through a one-backend overlay of the states:
its cost does not grow with the size of the config (docs/performance.md).
"""

from __future__ import annotations

from typing import Iterator, List, Mapping, Optional, Sequence, Tuple

from ..plugins.module_utils.config_model import Config, Frontend
from ..plugins.module_utils.desired import member_states
from ..plugins.module_utils.operator_actions import ACTIONS, ActionRefused
from ..plugins.module_utils.weights import BackendState, pool_weights
from .control_errors import LastServingBackend

Index = Optional[Mapping[str, Sequence[str]]]  # backend -> its frontends (Config.frontends_by_backend)


def serving(
    frontend: Frontend, states: Mapping[str, BackendState], weights: Optional[Mapping[Tuple[str, str], int]] = None
) -> bool:
    """Whether some member of the frontend gets new flows; `weights` overrides {(pool, backend): weight}."""
    weights = weights or {}
    members = [
        [(state, weights.get((pool.name, member.backend), member.weight)) for state, member in zip(row, pool.members)]
        for row, pool in zip(member_states(frontend, states), frontend.pools)
    ]
    return any(weight > 0 for row in pool_weights(members, frontend.flush_on_down) for weight, _flush in row)


class _WithOne(Mapping):
    """`states` with one backend's state replaced: no copy of the whole table per action."""

    def __init__(self, states: Mapping[str, BackendState], backend: str, state: BackendState) -> None:
        self.states, self.backend, self.state = states, backend, state

    def __getitem__(self, name: str) -> BackendState:
        return self.state if name == self.backend else self.states[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.states)

    def __len__(self) -> int:
        return len(self.states)


def emptied_by_action(
    config: Config, states: Mapping[str, BackendState], backend: str, action: str, frontends_of: Index = None
) -> List[str]:
    """Frontends serving now that `action` on `backend` would leave with no weight (sorted).
    `frontends_of` (backend -> its frontends, Config.frontends_by_backend) spares a scan of all."""
    state, rule = states.get(backend), ACTIONS.get(action)
    if state is None or rule is None:
        return []
    try:
        target = rule.outcome(backend, state)  # the state the action leads to (operator_actions.py)
    except ActionRefused:
        return []  # a refused action changes nothing
    if target is None:
        return []  # nor does a no-op one
    if frontends_of is None:
        names: Sequence[str] = [n for n, fe in config.frontends.items() if backend in fe.backend_names()]
    else:
        names = frontends_of.get(backend, ())
    after = _WithOne(states, backend, target)
    return sorted(
        name
        for name in names
        if name in config.frontends
        and serving(config.frontends[name], states)
        and not serving(config.frontends[name], after)
    )


def emptied_by_weight(
    config: Config, states: Mapping[str, BackendState], frontend: str, pool: str, backend: str, weight: int
) -> List[str]:
    """[frontend] when setting this member's weight would leave the serving frontend with no weight."""
    fe = config.frontends.get(frontend)
    if fe is None or weight > 0:
        return []
    if serving(fe, states) and not serving(fe, states, {(pool, backend): weight}):
        return [frontend]
    return []


def refusal_message(what: str, frontends: List[str]) -> str:
    names = ", ".join(frontends)
    noun = "frontend" if len(frontends) == 1 else "frontends"
    return (
        f"{what} would leave {noun} {names} with no backend of weight above 0 (VPP would drop its new flows); "
        "add force to do it anyway (maglevc --force, ?force=1)"
    )


def refuse_action(
    config: Config, states: Mapping[str, BackendState], backend: str, action: str, frontends_of: Index = None
) -> None:
    """Raise LastServingBackend when `action` on `backend` would empty a serving frontend."""
    dark = emptied_by_action(config, states, backend, action, frontends_of)
    if dark:
        raise LastServingBackend(refusal_message(f"{action} backend {backend}", dark), dark)


def refuse_weight(
    config: Config, states: Mapping[str, BackendState], frontend: str, pool: str, backend: str, weight: object
) -> None:
    """Raise LastServingBackend when a weight of 0 for this member would empty its serving frontend."""
    if not isinstance(weight, int) or isinstance(weight, bool) or weight != 0:
        return  # only 0 can take a frontend's last weight; a bad value is refused by the weight rule
    dark = emptied_by_weight(config, states, frontend, pool, backend, weight)
    if dark:
        raise LastServingBackend(refusal_message(f"weight {weight} for backend {backend} in pool {pool}", dark), dark)
