"""What the control API needs from the daemon: the one interface between them.

The API holds a `ControlTarget` and nothing else of the daemon; `Daemon` implements it
(daemon.py). Views are JSON-ready dicts (resources.py). Operations raise the errors of
control_errors.py and plugins/module_utils/operator_actions.ActionRefused, which the API's
edge (http.py) turns into HTTP answers (docs/api.md).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Protocol

from ...plugins.module_utils.weights import BackendState
from ..events import Event, Subscription


class ControlTarget(Protocol):
    # -- reading -------------------------------------------------------------------------------

    def status(self) -> Dict[str, Any]: ...

    def backend_states(self) -> Dict[str, BackendState]: ...

    def frontend_views(self) -> List[Dict[str, Any]]: ...

    def frontend_view(self, name: str) -> Dict[str, Any]: ...

    def backend_views(self) -> List[Dict[str, Any]]: ...

    def backend_view(self, name: str) -> Dict[str, Any]: ...

    def healthcheck_views(self) -> List[Dict[str, Any]]: ...

    def healthcheck_view(self, name: str) -> Dict[str, Any]: ...

    def backend_count(self) -> int: ...

    # -- changing ------------------------------------------------------------------------------

    def backend_action(self, name: str, action: str, *, force: bool) -> Dict[str, Any]:
        """The backend's view after the action, with `changed`; the guard applies unless force."""

    def set_weight(self, frontend: str, pool: str, backend: str, weight: Any, *, force: bool) -> Dict[str, Any]:
        """The frontend's view after the change, with `changed`; the guard applies unless force."""

    async def check_config(self) -> Dict[str, Any]: ...

    async def reload(self, source: str = "signal") -> Dict[str, Any]: ...

    # -- metrics -------------------------------------------------------------------------------

    async def render_metrics(self) -> bytes: ...  # off the loop: metrics.Metrics.scrape

    def register_collector(self, collector: Any) -> None: ...

    # -- events --------------------------------------------------------------------------------

    def frontend_members(self, frontend: str) -> FrozenSet[str]:
        """The backends of a frontend (for an event filter); raises NotFound."""

    def subscribe(
        self, maxsize: int, accept: Optional[Callable[[Event], bool]], *, probes: bool, logs: bool
    ) -> Subscription: ...

    def replay(self, backend: Optional[str], frontend: Optional[str]) -> Iterable[Dict[str, Any]]:
        """Current states as from == to events, so a watcher starts from the truth."""

    def want_log_broadcast(self, level: int) -> None: ...

    def drop_log_broadcast(self, level: int) -> None: ...
