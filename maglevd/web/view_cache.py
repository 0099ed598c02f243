"""Frontend views shared by every open dashboard, dropped the moment they may have changed.

Each dashboard re-reads the frontends an event touched (docs/dashboard.md, "Live"); with ten
dashboards open, ten reads of the same frontend would cost the event loop ten times what one
does. A view is kept until an event says it may differ (a transition of one of its backends,
of the frontend, a weight change, a reload: everything a view is computed from) and never
longer than `ttl` (the traffic figures change without an event). The bus calls `on_event`
synchronously when it publishes, so no request can read a view older than an event already
published.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Dict, Set, Tuple

from ..api.control_target import ControlTarget

TTL = 1.0  # seconds a view may be served without an event


class FrontendViewCache:
    def __init__(self, target: ControlTarget, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.target = target
        self.ttl = ttl
        self.clock = clock
        self.views: Dict[str, Tuple[float, Dict[str, Any], str]] = {}  # frontend -> (read at, view, its JSON)
        self.users: Dict[str, Set[str]] = {}  # backend -> the cached frontends that use it
        self.hits = 0
        self.misses = 0

    def frontend_view(self, name: str) -> Dict[str, Any]:
        """The frontend's view; NotFound as the target raises it (a missing name is not kept)."""
        return self._entry(name)[1]

    def frontend_json(self, name: str) -> str:
        """The view as JSON text, serialised once for every dashboard that reads it."""
        return self._entry(name)[2]

    def _entry(self, name: str) -> Tuple[float, Dict[str, Any], str]:
        now = self.clock()
        cached = self.views.get(name)
        if cached is not None and now - cached[0] < self.ttl:
            self.hits += 1
            return cached
        self.misses += 1
        self.drop(name)
        view = self.target.frontend_view(name)
        entry = self.views[name] = (now, view, json.dumps(view, default=str, separators=(",", ":")))
        for pool in view.get("pools", ()):
            for member in pool.get("backends", ()):
                self.users.setdefault(member["backend"], set()).add(name)
        return entry

    def drop(self, name: str) -> None:
        cached = self.views.pop(name, None)
        if cached is None:
            return
        for pool in cached[1].get("pools", ()):
            for member in pool.get("backends", ()):
                users = self.users.get(member["backend"])
                if users is not None:
                    users.discard(name)
                    if not users:
                        del self.users[member["backend"]]

    def clear(self) -> None:
        self.views.clear()
        self.users.clear()

    def on_event(self, event: Any) -> None:
        """A bus listener (events.EventBus.add_listener): quick, never blocks."""
        data = event.data
        if event.type == "backend-transition":
            for name in list(self.users.get(data.get("backend", ""), ())):
                self.drop(name)
        elif "frontend" in data:  # frontend-transition, weight-change, frontend-blackhole(-cleared)
            self.drop(data["frontend"])
        elif event.type == "config-reload":
            self.clear()
