"""The dashboards' shared /v1/status (maglevd/web/routes.py STATUS_TTL) and the reload errors it
carries (maglevd/reload_state.py LAST_ERRORS_SHOWN)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from ansible_collections.vpp.maglev.maglevd.events import Event
from ansible_collections.vpp.maglev.maglevd.reload_state import LAST_ERRORS_SHOWN, ReloadState
from ansible_collections.vpp.maglev.maglevd.web import routes
from ansible_collections.vpp.maglev.maglevd.web.view_cache import FrontendViewCache
from prometheus_client import CollectorRegistry


class Resources:
    def __init__(self) -> None:
        self.computed = 0

    async def status(self, request):
        self.computed += 1
        return web.Response(body=b'{"n":%d}' % self.computed, content_type="application/json")


def test_one_status_serves_every_dashboard_until_the_ttl_or_a_reload(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(routes.time, "monotonic", lambda: now[0])
    resources = Resources()
    dashboard = routes.DashboardRoutes(None, resources, None, FrontendViewCache(None))  # type: ignore[arg-type]

    def body() -> bytes:
        return asyncio.run(dashboard.status(None)).body  # type: ignore[arg-type]

    assert [body() for _page in range(10)] == [b'{"n":1}'] * 10
    now[0] += routes.STATUS_TTL - 0.01
    assert body() == b'{"n":1}'
    now[0] += 0.01
    assert body() == b'{"n":2}'
    for kind in ("config-reload-failed", "config-reload"):
        dashboard.on_event(Event(kind, {"path": "x"}, 1, 0.0))
        assert body() == b'{"n":%d}' % resources.computed and resources.computed in (3, 4)
    assert resources.computed == 4


def test_a_refused_reload_shows_its_first_errors_only():
    state = ReloadState(CollectorRegistry())  # its own registry: the default one is process-wide
    assert state.last() == {"ok": True, "time": None, "errors": []}
    state.record(False, ["error %d" % index for index in range(LAST_ERRORS_SHOWN + 5)])
    last = state.last()
    assert last["ok"] is False and last["time"] is not None
    assert last["errors"] == ["error %d" % index for index in range(LAST_ERRORS_SHOWN)]
    state.record(True, [])
    assert state.last()["ok"] is True and state.last()["errors"] == []
