"""The frontends' states as the checker sees them, kept current as backends change.

A transition touches few frontends, so only the frontends that use the changed backends are
recomputed (`frontends_of`, from Config.frontends_by_backend). A change of a frontend's state
is logged and published as `frontend-transition`. While a reload starts its workers, their
first results come in bursts: the tracker then collects the touched frontends (`defer`) and
recomputes each once per step (`flush`). The states come from the one truth table
(effective.py, through plugins/module_utils/weights.py).
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Optional, Sequence

from ..plugins.module_utils.config_model import Config
from ..plugins.module_utils.desired import frontend_weights
from ..plugins.module_utils.weights import BackendState, FrontendState
from . import effective
from . import log as logs
from .events import EventBus


class FrontendTracker:
    def __init__(self, bus: EventBus, frontends_of: Mapping[str, Sequence[str]]) -> None:
        self.bus = bus
        self.frontends_of = frontends_of  # backend -> the frontends that use it
        self.states: Dict[str, FrontendState] = {}
        self.deferred: Optional[Dict[str, None]] = None  # frontends to recompute at the next flush

    def affected(self, backends: Iterable[str]) -> List[str]:
        return list(dict.fromkeys(f for b in backends for f in self.frontends_of.get(b, ())))

    def current(self, config: Config, states: Mapping[str, BackendState]) -> Dict[str, FrontendState]:
        return dict(self.states) or effective.frontend_states(effective.backend_weights(config, states))

    def keep_only(self, frontends: Iterable[str]) -> None:
        """Forget frontends a reload removed."""
        keep = set(frontends)
        self.states = {name: state for name, state in self.states.items() if name in keep}

    def backends_changed(self, config: Config, states: Mapping[str, BackendState], backends: List[str]) -> None:
        if self.deferred is not None:  # a reload is starting workers: once per step
            self.deferred.update(dict.fromkeys(self.affected(backends)))
        else:
            self.update(config, states, self.affected(backends))

    def defer(self) -> None:
        self.deferred = {}

    def flush(self, config: Config, states: Mapping[str, BackendState]) -> None:
        pending = self.deferred
        if pending:
            self.update(config, states, list(pending))
            pending.clear()

    def end_defer(self, config: Config, states: Mapping[str, BackendState]) -> None:
        self.flush(config, states)
        self.deferred = None

    def update(
        self,
        config: Config,
        states: Mapping[str, BackendState],
        names: Optional[Iterable[str]] = None,
        publish: bool = True,
    ) -> None:
        """Recompute frontend states (only `names` when given: a transition touches few frontends)."""
        if names is None:
            fresh = effective.frontend_states(effective.backend_weights(config, states))
            self.keep_only(fresh)
        else:
            fresh = {}
            for name in names:
                frontend = config.frontends.get(name)
                if frontend is not None:
                    rows = frontend_weights(config, frontend, states)
                    fresh[name] = effective.frontend_state([r.state for r in rows], [r.weight for r in rows])
        for name, state in fresh.items():
            old = self.states.get(name)
            if old is not state and publish and old is not None:
                change = {"from": old.value, "to": state.value}
                logs.event("frontend-transition", frontend=name, **change)
                self.bus.publish("frontend-transition", frontend=name, **change)
            self.states[name] = state
