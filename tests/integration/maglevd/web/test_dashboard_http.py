"""The dashboard's listener over plain HTTP, against a real maglevd: security headers on every
answer, the access rule (loopback, Host, token), the stream cap and the request bounds
(docs/dashboard.md, docs/security.md)."""

from __future__ import annotations

import http.client
import json
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from ansible_collections.vpp.maglev.maglevd.web.headers import SECURITY_HEADERS
from ansible_collections.vpp.maglev.maglevd.web.routes import MAX_BATCH, MAX_BATCH_BACKENDS, MAX_STREAMS
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATIC_CONFIG

pytestmark = pytest.mark.integration
TOKEN = "dashboard-test-token"


def web_address(proc: MaglevdProcess) -> Tuple[str, int]:
    host, _sep, port = proc.ready["web_addr"].rpartition(":")
    return ("127.0.0.1" if host in ("0.0.0.0", "[::]") else host.strip("[]")), int(port)


def get(
    address: Tuple[str, int], path: str, headers: Optional[Dict[str, str]] = None, method: str = "GET"
) -> Tuple[int, Dict[str, str], Any]:
    connection = http.client.HTTPConnection(*address, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
        body = json.loads(raw) if response.getheader("Content-Type", "").startswith("application/json") else raw
        return response.status, dict(response.getheaders()), body
    finally:
        connection.close()


def open_stream(address: Tuple[str, int], headers: Optional[Dict[str, str]] = None) -> http.client.HTTPConnection:
    """An SSE stream whose headers have arrived (the daemon has subscribed it); still open."""
    connection = http.client.HTTPConnection(*address, timeout=10)
    connection.request("GET", "/v1/events?noreplay=1", headers={"Accept": "text/event-stream", **(headers or {})})
    response = connection.getresponse()
    connection.stream_response = response  # type: ignore[attr-defined]
    return connection


@pytest.fixture
def loopback(tmp_path) -> Iterator[MaglevdProcess]:
    proc = MaglevdProcess(tmp_path, STATIC_CONFIG, "--web-addr", "127.0.0.1:0", env={"MAGLEV_CONTROL_TOKEN": TOKEN})
    assert proc.wait_ready()["event"] == "ready"
    yield proc
    proc.stop()


def test_every_answer_carries_the_security_headers(loopback):
    address = web_address(loopback)
    answers = [get(address, path) for path in ("/", "/dashboard.js", "/dashboard.css", "/v1/status", "/nothing")]
    stream = open_stream(address)
    try:
        answers.append((stream.stream_response.status, dict(stream.stream_response.getheaders()), None))
    finally:
        stream.close()
    assert [status for status, _h, _b in answers] == [200, 200, 200, 200, 404, 200]
    for _status, headers, _body in answers:
        assert {name: headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    csp = answers[0][1]["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp and "frame-ancestors 'none'" in csp
    assert answers[1][1]["Content-Type"].startswith("text/javascript")


def test_page_files_come_from_the_package_with_an_etag(loopback):
    address = web_address(loopback)
    status, headers, body = get(address, "/")
    assert status == 200 and b'<script src="/dashboard.js" defer></script>' in body
    assert b"<script>" not in body and b"style=" not in body  # nothing inline: the CSP allows none
    again = get(address, "/", {"If-None-Match": headers["ETag"]})
    assert again[0] == 304


def test_loopback_reads_without_a_token_but_not_for_another_host_name(loopback):
    address = web_address(loopback)
    status, _h, body = get(address, "/v1/status")
    assert status == 200 and body["hostname"] and body["last_reload"] == {"ok": True, "time": None, "errors": []}
    assert body["api"]["listeners"]["web"]["connections"] >= 1
    # A page on another site whose DNS name now points at 127.0.0.1 (DNS rebinding):
    status, _h, body = get(address, "/v1/frontends", {"Host": "attacker.example:%d" % address[1]})
    assert (status, body["error"]["code"]) == (403, "host-not-loopback")
    # The page's own files hold no data: they load for any Host.
    assert get(address, "/", {"Host": "attacker.example"})[0] == 200


def test_actions_need_the_token_and_a_wrong_token_is_refused(loopback):
    address = web_address(loopback)
    status, _h, body = get(address, "/v1/backends/web-one/pause", method="POST")
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    status, _h, body = get(address, "/v1/status", {"Authorization": "Bearer wrong"})
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    assert loopback.client.backend("web-one")["state"] == "up"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, _h, body = get(address, "/v1/backends/web-two/pause", auth, "POST")
    assert status == 200 and body["state"] == "paused" and body["changed"] is True
    # The daemon's own guard: web-one is web-admin's only backend.
    status, _h, body = get(address, "/v1/backends/web-one/pause", auth, "POST")
    assert (status, body["error"]["code"]) == (409, "last-serving-backend") and body["error"]["frontends"]


def test_without_a_token_the_dashboard_is_read_only(tmp_path):
    proc = MaglevdProcess(tmp_path, STATIC_CONFIG, "--web-addr", "127.0.0.1:0")
    try:
        assert proc.wait_ready()["event"] == "ready"
        status, _h, body = get(web_address(proc), "/v1/backends/web-one/disable", method="POST")
        assert (status, body["error"]["code"]) == (403, "read-only")
        assert proc.client.backend("web-one")["state"] == "up"
    finally:
        proc.stop()


def test_off_loopback_without_a_token_the_daemon_does_not_start(tmp_path):
    proc = MaglevdProcess(tmp_path, STATIC_CONFIG, "--web-addr", ":0")
    record = proc.wait_ready()
    code, _out, _err = proc.stop()
    assert record["event"] == "startup-failed" and "--web-addr" in record["error"]
    assert code == 1


def test_off_loopback_every_read_needs_the_token(tmp_path):
    proc = MaglevdProcess(tmp_path, STATIC_CONFIG, "--web-addr", "0.0.0.0:0", env={"MAGLEV_CONTROL_TOKEN": TOKEN})
    try:
        assert proc.wait_ready()["event"] == "ready"
        address = web_address(proc)
        assert get(address, "/")[0] == 200  # the page itself, to show the login field
        for path in ("/v1/status", "/v1/frontends", "/v1/events", "/dashboard/frontends?name=web-fe"):
            status, _h, body = get(address, path)
            assert (status, body["error"]["code"]) == (401, "unauthorized"), path
        status, _h, body = get(address, "/v1/frontends", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and {f["name"] for f in body} == {"web-fe", "web-admin"}
    finally:
        proc.stop()


def test_event_streams_are_capped_and_a_closed_one_frees_its_place(loopback):
    address = web_address(loopback)
    streams: List[http.client.HTTPConnection] = []
    try:
        for _index in range(MAX_STREAMS):
            streams.append(open_stream(address))
        assert {s.stream_response.status for s in streams} == {200}
        status, _h, body = get(address, "/v1/events")
        assert (status, body["error"]["code"]) == (429, "too-many-streams")
        assert str(MAX_STREAMS) in body["error"]["message"]
        streams.pop().close()
        # The daemon frees the place when it sees the close: wait on its own count.
        loopback_wait_streams(loopback, MAX_STREAMS - 1)
        replacement = open_stream(address)
        streams.append(replacement)
        assert replacement.stream_response.status == 200
    finally:
        for stream in streams:
            stream.close()


def loopback_wait_streams(proc: MaglevdProcess, count: int) -> None:
    from ansible_collections.vpp.maglev.tests.helpers.waiting import wait_until

    wait_until(lambda: proc.status()["events"]["subscribers"] <= count, 10, f"{count} event streams")


def test_stream_and_batch_requests_are_bounded(loopback):
    address = web_address(loopback)
    for query in ("log=1", "probes=1"):
        status, _h, body = get(address, "/v1/events?" + query)
        assert (status, body["error"]["code"]) == (400, "invalid-request"), query
    names = "&".join("name=f%d" % index for index in range(MAX_BATCH + 1))
    status, _h, body = get(address, "/dashboard/frontends?" + names)
    assert (status, body["error"]["code"]) == (400, "invalid-request") and str(MAX_BATCH) in body["error"]["message"]
    names = "&".join("backend=b%d" % index for index in range(MAX_BATCH_BACKENDS + 1))
    status, _h, body = get(address, "/dashboard/frontends?" + names)
    assert (status, body["error"]["code"]) == (400, "invalid-request") and str(MAX_BATCH_BACKENDS) in body["error"][
        "message"
    ]
    status, _h, body = get(address, "/dashboard/frontends?name=web-admin&name=gone&backend=web-one&backend=gone")
    assert status == 200 and [f["name"] for f in body["frontends"]] == ["web-admin"]
    assert body["missing"] == ["gone"] and [b["name"] for b in body["backends"]] == ["web-one"]
    assert body["missing_backends"] == ["gone"]
    assert {"counter", "rise", "fall", "history"} <= set(body["backends"][0])
    # Not offered on the dashboard's listener: config reload and check, VPP sync, metrics.
    for method, path in (("POST", "/v1/config/reload"), ("POST", "/v1/config/check"), ("GET", "/metrics")):
        status, _h, _body = get(address, path, {"Authorization": f"Bearer {TOKEN}"}, method)
        assert status in (404, 405), path
