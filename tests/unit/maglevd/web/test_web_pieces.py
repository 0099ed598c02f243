"""The dashboard's page files and its batch read, without a server (maglevd/web/)."""

from __future__ import annotations

import json
import re

import pytest
from ansible_collections.vpp.maglev.maglevd.control_errors import NotFound
from ansible_collections.vpp.maglev.maglevd.web.assets import FILES, STATIC, load_assets
from ansible_collections.vpp.maglev.maglevd.web.headers import CONTENT_SECURITY_POLICY
from ansible_collections.vpp.maglev.maglevd.web.routes import batch_views, render_batch


def test_the_page_is_three_files_of_the_package_with_nothing_inline():
    assets = load_assets()
    assert set(assets) == set(FILES) == {"/", "/dashboard.js", "/dashboard.css"}
    html = assets["/"].body.decode()
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/dashboard.js" defer>']
    assert "style=" not in html and "<style" not in html and not re.search(r"\son\w+=", html)
    assert "http://" not in html and "https://" not in html  # no CDN
    assert len({asset.etag for asset in assets.values()}) == 3


def test_the_script_never_writes_markup():
    script = (STATIC / "dashboard.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink


def test_the_policy_allows_nothing_inline_and_no_framing():
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY and "default-src 'none'" in CONTENT_SECURITY_POLICY


class Target:
    frontends = {
        "a": {"name": "a", "pools": [{"name": "p", "backends": [{"backend": "x"}, {"backend": "y"}]}]},
        "b": {"name": "b", "pools": [{"name": "p", "backends": [{"backend": "y"}]}]},
    }

    def frontend_view(self, name):
        if name not in self.frontends:
            raise NotFound("frontend", name)
        return self.frontends[name]

    def backend_view(self, name):
        if name not in ("x", "y"):
            raise NotFound("backend", name)
        return {"name": name}


def frontend_json(name):
    return json.dumps(Target().frontend_view(name))


def test_a_batch_reads_each_name_once_and_lists_the_missing():
    result = batch_views(frontend_json, Target().backend_view, ["b", "a", "b", "gone"], ["y", "x", "y"])
    assert [json.loads(f)["name"] for f in result["frontends"]] == ["b", "a"]
    assert [b["name"] for b in result["backends"]] == ["y", "x"]
    assert result["missing"] == ["gone"] and result["missing_backends"] == []


@pytest.mark.parametrize("length", [10, 5000])
def test_a_missing_name_is_echoed_at_most_200_characters(length):
    assert len(batch_views(frontend_json, Target().backend_view, ["z" * length], [])["missing"][0]) == min(length, 200)  # type: ignore[arg-type]


def test_every_route_the_dashboard_offers_is_the_control_apis_own():
    from ansible_collections.vpp.maglev.maglevd.api.routes import ResourceRoutes
    from ansible_collections.vpp.maglev.maglevd.listeners import ListenerLimits
    from ansible_collections.vpp.maglev.maglevd.web.routes import OFFERED

    control = ResourceRoutes(Target(), ListenerLimits, dict)  # type: ignore[arg-type]
    assert {(route.method, route.path) for route in control.routes()} >= OFFERED


def test_a_rendered_batch_is_json_with_the_frontends_as_they_were_serialised():
    batch = batch_views(frontend_json, Target().backend_view, ["a", "gone"], ["x"])
    assert json.loads(render_batch(batch)) == {
        "frontends": [Target().frontend_view("a")],
        "missing": ["gone"],
        "backends": [{"name": "x"}],
        "missing_backends": [],
    }
