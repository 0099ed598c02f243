"""The dashboard in a real browser (headless chromium) against a real maglevd, and vppsim where
VPP matters: what the page shows, how it follows the daemon live, who may act, and that a name
from the config never becomes markup (docs/dashboard.md). Every wait is on the page's DOM."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
from ansible_collections.vpp.maglev.tests.helpers.browser import Dashboard
from ansible_collections.vpp.maglev.tests.helpers.dashboard_demo import PNG_MAGIC, take_screenshot
from ansible_collections.vpp.maglev.tests.helpers.http_backends import start_backend, stop_backend
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess
from ansible_collections.vpp.maglev.tests.helpers.sample_config import (
    MINIMAL_VPP_CONFIG,
    STATIC_CONFIG,
    sample_yaml,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]
TOKEN = "dashboard-browser-token"
STARTED: List[MaglevdProcess] = []


def start(
    tmp_path: Path, config: str, *args: str, token: Optional[str] = TOKEN, web: str = "127.0.0.1:0"
) -> MaglevdProcess:
    env = {"MAGLEV_CONTROL_TOKEN": token} if token else {}
    proc = MaglevdProcess(tmp_path, config, "--web-addr", web, *args, env=env)
    STARTED.append(proc)
    ready = proc.wait_ready()
    assert ready["event"] == "ready", ready
    return proc


@pytest.fixture(autouse=True)
def stop_started() -> Iterator[None]:
    yield
    while STARTED:
        STARTED.pop().stop()


def url_of(proc: MaglevdProcess) -> str:
    host, _sep, port = proc.ready["web_addr"].rpartition(":")
    return "http://%s:%s/" % ("127.0.0.1" if host == "0.0.0.0" else host, port)


def test_the_page_lists_what_maglevc_lists(browser, tmp_path):
    proc = start(tmp_path, STATIC_CONFIG, token=None)
    page = Dashboard(browser, url_of(proc)).open()
    page.wait_live()
    listed = json.loads(proc.maglevc("--json", "show", "frontends").stdout)
    rows = {row["name"]: row for row in page.frontend_rows()}
    assert set(rows) == {f["name"] for f in listed}
    for frontend in listed:
        row = rows[frontend["name"]]
        assert row["state"] == frontend["state"]
        assert row["vip"] == "%s %s:%d" % (frontend["address"], frontend["protocol"], frontend["port"])
        assert row["pool"] == frontend["pools"][frontend["active_pool"]]["name"]
        page.expand(frontend["name"])
        shown = {(m["pool"], m["backend"]): m for m in page.member_rows(frontend["name"])}
        expected = {(p["name"], b["backend"]): b for p in frontend["pools"] for b in p["backends"]}
        assert set(shown) == set(expected)
        for key, member in expected.items():
            assert (shown[key]["state"], shown[key]["configured"], shown[key]["weight"]) == (
                member["state"],
                member["configured_weight"],
                member["weight"],
            )
            assert shown[key]["actions"] == 0  # no token in this tab: no buttons
    header = page.js("return document.getElementById('hostname').textContent")
    assert header == proc.status()["hostname"]


def test_a_name_from_the_config_renders_as_text(browser, tmp_path):
    # Names may not hold spaces or '/', so the attribute-bearing payload is the description.
    evil_backend = "<img>&amp;\"'<b>"
    evil_description = "<img src=x onerror=alert(1)>"
    config = sample_yaml({evil_backend: "10.0.0.1"}, [("main", {evil_backend: {}})], name="<i>fe")
    config = config.replace(
        "      address: 192.0.2.10\n",
        "      address: 192.0.2.10\n      description: %s\n" % json.dumps(evil_description),
    )
    proc = start(tmp_path, config, token=None)
    page = Dashboard(browser, url_of(proc)).open()
    page.wait_live()
    page.expand("<i>fe")
    assert [m["name_text"] for m in page.member_rows("<i>fe")] == [evil_backend]
    assert page.js("return document.querySelector('tr.frontend .fe-name').textContent") == "<i>fe"
    assert page.js("return document.querySelector('tr.frontend .desc').textContent") == evil_description
    assert page.js("return document.querySelectorAll('main img, main b, main i').length") == 0
    page.js(
        "document.getElementById('filter').value = 'b>'; document.getElementById('filter').dispatchEvent(new Event('input'))"
    )
    page.wait(lambda d: page.js("return document.getElementById('counts').textContent") == "showing 1 of 1 frontends")
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        print(browser.switch_to.alert.text)


def test_the_token_gate(browser, tmp_path):
    proc = start(tmp_path, STATIC_CONFIG, web="0.0.0.0:0")
    page = Dashboard(browser, url_of(proc)).open()
    page.wait(lambda d: page.body("stream") == "stale" and "log in" in page.notice(), "the login request")
    assert page.frontend_rows() == []
    page.login("not-the-token")
    page.wait(lambda d: "wrong bearer token" in page.notice(), "the refusal")
    assert page.frontend_rows() == [] and page.body("loaded") == "0"
    page.login(TOKEN)
    page.wait_live()
    page.expand("web-fe")
    assert {m["actions"] for m in page.member_rows("web-fe")} == {5}
    # The token is the tab's: a new tab state (sessionStorage cleared) asks again.
    page.open()
    page.wait(lambda d: page.body("stream") == "stale", "the login request again")


def test_an_action_through_the_page_reaches_vpp_and_the_guard_shows_its_reason(browser, tmp_path, vppsim):
    proc = start(tmp_path, MINIMAL_VPP_CONFIG, "--vpp-api-addr", vppsim.socket)
    vppsim.wait_for("lb_add_del_as_v2", 30, as_address="10.0.0.2")
    page = Dashboard(browser, url_of(proc)).open(token=TOKEN)
    page.wait_live()
    page.expand("web")
    mark = vppsim.stats()["seq"]
    page.click_action("web", "p", "a", "disable")
    assert "Disable backend a" in page.accept_dialog()
    vppsim.wait_for("lb_as_set_weight", 30, since=mark, as_address="10.0.0.1", weight=0)
    page.wait(lambda d: (page.member("web", "a") or {}).get("state") == "disabled", "a disabled on the page")
    # b is now web's last serving backend: the daemon refuses, the page says why.
    page.click_action("web", "p", "b", "disable")
    page.accept_dialog()
    page.wait(lambda d: "last-serving-backend" in page.notice(), "the guard's reason")
    assert page.member("web", "b")["state"] == "up" and proc.client.backend("b")["state"] == "up"
    # A runtime weight: prompt, confirm, and VPP gets it.
    mark = vppsim.stats()["seq"]
    page.click_action("web", "p", "b", "weight")
    page.accept_dialog("40")
    page.accept_dialog()
    vppsim.wait_for("lb_as_set_weight", 30, since=mark, as_address="10.0.0.2", weight=40)
    page.wait(lambda d: page.member("web", "b")["weight"] == 40, "b's new weight on the page")


def failover_config(port: int, backup: bool = True) -> str:
    """web1 (HTTP-probed on 127.0.0.1:port, fall 2) in pool primary; with `backup`, spare
    (static, 10.0.0.9) in pool backup."""
    spare = {"spare": {"address": "10.0.0.9", "healthcheck": "st"}} if backup else {}
    return sample_yaml(
        {"web1": {"address": "127.0.0.1", "healthcheck": "http"}, **spare},
        [("primary", {"web1": {}})] + ([("backup", {"spare": {}})] if backup else []),
        lb={"ipv4-src-address": "192.0.2.254", "startup-min-delay": "0s", "startup-max-delay": "0s"},
        healthchecks={
            "http": {"type": "http", "port": port, "interval": "0.2s", "timeout": "0.15s", "rise": 1, "fall": 2},
            "st": {"type": "static"},
        },
        address="192.0.2.1",
    )


def test_a_backend_going_down_moves_the_weight_to_the_backup_pool_on_the_page(browser, tmp_path, vppsim):
    server = start_backend("127.0.0.1")
    try:
        proc = start(tmp_path, failover_config(server.server_address[1]), "--vpp-api-addr", vppsim.socket)
        page = Dashboard(browser, url_of(proc)).open()
        page.wait_live()
        page.expand("web")
        page.wait(lambda d: (page.member("web", "web1") or {}).get("weight") == 100, "web1 up at 100")
        assert page.member("web", "spare")["weight"] == 0
        vppsim.wait_for("lb_add_del_as_v2", 30, as_address="10.0.0.9")
        mark = vppsim.stats()["seq"]
        stop_backend(server)
        server = None
        page.wait(
            lambda d: page.member("web", "web1")["state"] == "down" and page.member("web", "spare")["weight"] == 100,
            "web1 down and the weight on the backup pool",
            timeout=15,
        )
        assert page.member("web", "web1")["weight"] == 0
        assert page.frontend_rows()[0]["pool"] == "backup"
        timeline = "return document.getElementById('timeline').textContent"
        page.wait(lambda d: "backend web1 up \u2192 down" in page.js(timeline), "the transition in the timeline")
        vppsim.wait_for("lb_as_set_weight", 30, since=mark, as_address="10.0.0.9", weight=100)
    finally:
        if server is not None:
            stop_backend(server)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_lost_stream_shows_stale_then_reconnects_and_resyncs(browser, tmp_path):
    web = "127.0.0.1:%d" % free_port()
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    first = start(tmp_path / "one", STATIC_CONFIG, web=web)
    page = Dashboard(browser, url_of(first)).open(token=TOKEN)
    page.wait_live()
    page.expand("web-fe")
    first.stop()
    page.wait(lambda d: page.body("stream") == "stale", "the stale mark")
    assert "stale" in page.js("return document.getElementById('stream-state').textContent")
    second = start(tmp_path / "two", STATIC_CONFIG, web=web)
    assert second.maglevc("set", "backend", "web-two", "pause").returncode == 0
    page.wait(
        lambda d: page.body("stream") == "live" and (page.member("web-fe", "web-two") or {}).get("state") == "paused",
        "the page live again, with the new daemon's state",
        timeout=30,
    )


def test_the_docs_screenshot_is_taken_from_the_live_page(browser, tmp_path):
    out = take_screenshot(browser, tmp_path / "dashboard.png", tmp_path)
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > 10_000


def test_the_header_shows_a_refused_reload_with_its_error(browser, tmp_path):
    proc = start(tmp_path, STATIC_CONFIG, token=None)
    page = Dashboard(browser, url_of(proc)).open()
    page.wait_live()
    last_reload = "return document.getElementById('last-reload').textContent"
    assert page.js(last_reload).startswith("ok")
    proc.config.write_text("maglev: {frontends: 3}\n")
    assert proc.maglevc("config", "reload").returncode != 0
    page.wait(lambda d: page.js(last_reload).startswith("failed"), "the failed reload in the header")
    assert "frontends" in page.js("return document.getElementById('last-reload').title")
    timeline = "return document.getElementById('timeline').textContent"
    page.wait(lambda d: "reload failed" in page.js(timeline), "the refused reload in the timeline")
    assert page.js("return document.getElementById('daemon-state').textContent") == "degraded"


def with_traffic(vppsim, check):
    """A page condition that first sends a few new flows to the VIP: traffic flows for as long
    as the wait polls, so every traffic read sees packets."""
    seeds = iter(range(100, 1_000_000))

    def condition(driver) -> bool:
        vppsim.traffic("192.0.2.1", "tcp", 80, flows=5, seed=next(seeds))
        return check()

    return condition


def test_live_flows_and_a_black_holed_frontend_show_on_the_page(browser, tmp_path, vppsim):
    server = start_backend("127.0.0.1")
    try:
        proc = start(
            tmp_path,
            failover_config(server.server_address[1], backup=False),
            "--vpp-api-addr", vppsim.socket,
            "--vpp-stats-addr", vppsim.stats_socket,
            "--vpp-stats-interval", "0.3",
        )  # fmt: skip
        page = Dashboard(browser, url_of(proc)).open()
        page.wait_live()
        flows = "return document.querySelector('tr.frontend[data-frontend=\"web\"] .flows').textContent"
        rate = "return document.querySelector('tr.frontend[data-frontend=\"web\"] .rate').textContent"
        mark = "return document.querySelector('tr.frontend[data-frontend=\"web\"] .blackhole')?.textContent || ''"
        page.wait(
            with_traffic(vppsim, lambda: page.js(flows) not in ("-", "0") and page.js(rate) not in ("-", "0")),
            "traffic",
        )
        assert page.js(mark) == ""
        stop_backend(server)  # web1, the only backend, goes down: VPP drops the VIP's packets
        server = None
        page.wait(with_traffic(vppsim, lambda: "BLACK HOLE no_server" in page.js(mark)), "the black-hole mark", 30)
        timeline = "return document.getElementById('timeline').textContent"
        page.wait(lambda d: "BLACK HOLE (no_server)" in page.js(timeline), "the alarm in the timeline")
    finally:
        if server is not None:
            stop_backend(server)
