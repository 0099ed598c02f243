"""The dashboards' shared frontend views (maglevd/web/view_cache.py): served until an event says
they may differ, never older than the TTL, never a stale view after an event."""

from __future__ import annotations

import json

import pytest
from ansible_collections.vpp.maglev.maglevd.control_errors import NotFound
from ansible_collections.vpp.maglev.maglevd.events import Event
from ansible_collections.vpp.maglev.maglevd.web.view_cache import FrontendViewCache


class Target:
    def __init__(self) -> None:
        self.reads = 0
        self.members = {"web": ["a", "b"], "api": ["b"], "db": ["c"]}

    def frontend_view(self, name):
        if name not in self.members:
            raise NotFound("frontend", name)
        self.reads += 1
        return {"name": name, "read": self.reads, "pools": [{"backends": [{"backend": b} for b in self.members[name]]}]}


def event(type_, **data):
    return Event(type_, data, 1, 0.0)


@pytest.fixture
def cache():
    now = [0.0]
    cache = FrontendViewCache(Target(), ttl=1.0, clock=lambda: now[0])  # type: ignore[arg-type]
    cache.now = now  # type: ignore[attr-defined]
    for name in ("web", "api", "db"):
        cache.frontend_view(name)
    return cache


def reads(cache):
    return {name: cache.frontend_view(name)["read"] for name in ("web", "api", "db")}


def test_views_are_shared_until_something_changes(cache):
    assert reads(cache) == {"web": 1, "api": 2, "db": 3} and cache.hits == 3
    assert cache.frontend_json("web") is cache.frontend_json("web")  # serialised once
    assert json.loads(cache.frontend_json("web")) == cache.frontend_view("web")


def test_a_backend_transition_drops_exactly_the_frontends_that_use_it(cache):
    cache.on_event(event("backend-transition", backend="b", to="down"))
    assert reads(cache) == {"web": 4, "api": 5, "db": 3}
    cache.on_event(event("backend-transition", backend="b", to="up"))  # the re-read views are indexed too
    assert reads(cache) == {"web": 6, "api": 7, "db": 3}


@pytest.mark.parametrize(
    "type_", ["frontend-transition", "weight-change", "frontend-blackhole", "frontend-blackhole-cleared"]
)
def test_an_event_about_a_frontend_drops_it(cache, type_):
    cache.on_event(event(type_, frontend="db"))
    assert reads(cache) == {"web": 1, "api": 2, "db": 4}


def test_a_reload_drops_everything(cache):
    cache.on_event(event("config-reload", path="x"))
    assert reads(cache) == {"web": 4, "api": 5, "db": 6} and cache.users["b"] == {"web", "api"}


def test_no_view_is_served_older_than_the_ttl(cache):
    cache.now[0] = 0.99
    assert reads(cache)["web"] == 1
    cache.now[0] = 1.0
    assert reads(cache) == {"web": 4, "api": 5, "db": 6}


def test_a_missing_frontend_is_not_kept(cache):
    with pytest.raises(NotFound):
        cache.frontend_view("gone")
    assert "gone" not in cache.views and len(cache.views) == 3
