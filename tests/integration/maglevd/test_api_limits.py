"""The control API cannot be starved: connection caps, idle/header, body and write timeouts,
bounded bodies and event queues, JSON that never gives a 500, short error messages.

Each test runs the real daemon with small limits (MAGLEV_API_* variables) and talks to it over
raw sockets, as a hostile or broken client would.
"""

from __future__ import annotations

import socket
import urllib.parse

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.maglevd_client import MaglevdClient, MaglevdError
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import (
    MaglevdProcess,
    closed_by_peer,
    read_response,
    request,
    wait_until,
)
from ansible_collections.vpp.maglev.tests.helpers.sample_config import MINIMAL_CONFIG

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

WEIGHT_PATH = "/v1/frontends/web/pools/p/backends/a/weight"


def put_weight(body: bytes, extra: str = "") -> bytes:
    return (
        f"PUT {WEIGHT_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n"
    ).encode() + body


@pytest.fixture
def start(tmp_path):
    started = []

    def run(env=None, *flags):
        daemon = MaglevdProcess(tmp_path, MINIMAL_CONFIG, *flags, env=env)
        started.append(daemon)
        assert daemon.wait_ready()["event"] == "ready", daemon.seen
        return daemon

    yield run
    for daemon in started:
        daemon.stop()


# -- connections ---------------------------------------------------------------------------------


def test_connection_cap_refuses_the_extra_connection_per_listener_and_recovers(start):
    d = start({"MAGLEV_API_MAX_CONNECTIONS": "4", "MAGLEV_API_IDLE_TIMEOUT": "60"}, "--metrics-addr", "127.0.0.1:0")
    held = [d.connect() for _slot in range(4)]  # silent connections, well within the idle timeout
    extra = d.connect()
    status, body = read_response(extra)  # accepted after the four (the backlog is FIFO): refused
    assert status == 503 and body["error"]["code"] == "too-many-connections", body
    assert "4" in body["error"]["message"] and closed_by_peer(extra)
    with pytest.raises(MaglevdError) as info:
        d.client.version()
    assert info.value.status == 503

    # Another listener is not starved by this one's flood.
    host, port = d.ready["metrics_addr"].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as metrics:
        metrics.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, text = read_response(metrics)
    assert status == 200 and 'maglev_api_connections_refused_total{listener="unix"}' in text
    assert 'maglev_api_connections{listener="unix"} 4.0' in text

    for sock in held:
        sock.close()
    extra.close()
    wait_until(lambda: _answers(d.client), what="the daemon to answer again once the connections closed")
    unix = d.listener()
    assert unix["refused"] >= 2 and unix["max_connections"] == 4 and unix["connections"] == 1  # this request
    wait_until(lambda: d.events("api-connections-refused"), what="the api-connections-refused log line")


def test_refused_connections_do_not_pile_up_either(start):
    d = start({"MAGLEV_API_MAX_CONNECTIONS": "1", "MAGLEV_API_IDLE_TIMEOUT": "60"})
    held = d.connect()
    refused = [d.connect() for _extra in range(40)]
    for sock in refused:  # all accepted and answered before any sends its request
        status, body = read_response(sock)  # every one is told why, lingering or not
        assert status == 503 and body["error"]["code"] == "too-many-connections"
        assert sock.recv(1) == b""  # then the end: half-closed (lingering) or closed
    still_open = 0
    for sock in refused:
        try:
            sock.sendall(b"GET /v1/version HTTP/1.1\r\nHost: x\r\n\r\n")  # only a half-closed one takes it
            still_open += 1
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.close()
    assert still_open <= 16  # REFUSE_GRACE_MAX: a flood of refusals holds few descriptors
    held.close()
    wait_until(lambda: _answers(d.client), what="the daemon to answer again")


def _answers(client: MaglevdClient) -> bool:
    try:
        return bool(client.version())
    except MaglevdError:
        return False


def test_half_sent_header_silent_and_idle_connections_are_closed(start):
    d = start({"MAGLEV_API_IDLE_TIMEOUT": "0.5"})
    stream = d.connect()
    stream.sendall(b"GET /v1/events?noreplay=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert stream.recv(65536).startswith(b"HTTP/1.1 200")
    half = d.connect()
    half.sendall(b"GET /v1/version HTTP/1.1\r\nHost: x\r\n")  # the blank line never comes
    silent = d.connect()
    idle = d.connect()
    idle.sendall(b"GET /v1/version HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive by default
    status, body = read_response(idle)
    assert status == 200 and body["version"]
    for sock in (half, silent, idle):
        assert closed_by_peer(sock)  # each within the socket's 10 s timeout, not never
        sock.close()
    # The idle timeout has passed (they were closed); an event stream is a request in
    # progress, not an idle connection: it still delivers.
    assert d.client.pause("a")["state"] == "paused"
    received = b""
    while b'"to":"paused"' not in received:
        chunk = stream.recv(65536)
        assert chunk, "the event stream was closed"
        received += chunk
    stream.close()


def test_trickled_header_is_closed_although_bytes_keep_coming(start):
    d = start({"MAGLEV_API_IDLE_TIMEOUT": "0.5"})
    sock = d.connect()
    sock.settimeout(0.1)
    header = b"GET /v1/version HTTP/1.1\r\n" + b"X-Slow: " + b"a" * 100_000
    sent = 0
    closed = False
    for _byte in range(200):  # one byte per 0.1 s wait for the close: up to 20 s, far above the timeout
        try:
            if sock.recv(1024) == b"":
                closed = True
                break
        except TimeoutError:
            pass
        except ConnectionResetError:
            closed = True
            break
        try:
            sock.send(header[sent : sent + 1])
            sent += 1
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
    sock.close()
    assert closed and sent < len(header)


def test_client_that_stops_reading_is_aborted(start):
    d = start({"MAGLEV_API_WRITE_TIMEOUT": "0.5"})
    sock = d.connect()
    sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 400)  # ~4 MB of answers, never read
    wait_until(lambda: d.listener()["write_stalls"] == 1, what="the stalled connection to be aborted")
    assert d.listener()["connections"] == 1  # only the status request itself
    assert closed_by_peer(sock)
    sock.close()
    # The log line reaches the test through the daemon's stderr reader, after the counter.
    wait_until(lambda: d.events("api-write-stalled"), what="the api-write-stalled log line")


# -- bodies ----------------------------------------------------------------------------------------


def test_undecodable_bodies_are_400_invalid_json_never_500(start):
    d = start()
    bodies = {
        "big integer": b'{"weight": 1' + b"0" * 4300 + b"}",
        "deep nesting": b'{"weight": ' + b"[" * 30000 + b"]" * 30000 + b"}",
        "not utf-8": b'{"weight": "\xff\xfe"}',
        "truncated": b'{"weight": ',
        "not an object": b"[1, 2]",
    }
    for what, body in bodies.items():
        status, answer = request(d.socket, put_weight(body))
        assert status == 400 and answer["error"]["code"] == "invalid-json", (what, status, answer)
        assert len(answer["error"]["message"]) < 200 and "Traceback" not in answer["error"]["message"]
    assert d.client.frontend("web")["pools"][0]["backends"][0]["configured_weight"] == 100  # nothing changed
    assert not d.events("api-handler-failed")


def test_body_size_is_capped(start):
    d = start({"MAGLEV_API_MAX_BODY": "4096"})
    huge = b'{"weight": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    status, answer = request(d.socket, put_weight(huge))
    assert status == 413 and answer["error"]["code"] == "body-too-large" and "4096" in answer["error"]["message"]
    # Without a Content-Length (chunked), the cap holds while reading.
    chunk = b'{"weight": 1, "pad": "' + b"x" * 5000 + b'"}'
    chunked = (
        (
            f"PUT {WEIGHT_PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            f"{len(chunk):x}\r\n"
        ).encode()
        + chunk
        + b"\r\n0\r\n\r\n"
    )
    status, answer = request(d.socket, chunked)
    assert status == 413 and answer["error"]["code"] == "body-too-large", answer
    # A route that reads no body is refused too, before it acts.
    raw = b"POST /v1/backends/a/pause HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n"
    status, answer = request(d.socket, raw + b"x" * 5000)
    assert status == 413 and d.client.backend("a")["state"] == "up"


def test_slow_body_is_timed_out(start):
    d = start({"MAGLEV_API_BODY_TIMEOUT": "0.5"})
    head = put_weight(b'{"weight": 10}')
    raw = head[: -len(b'{"weight": 10}')] + b'{"weig'  # Content-Length 14, six bytes sent
    status, answer = request(d.socket, raw)
    assert status == 408 and answer["error"]["code"] == "body-timeout", answer
    assert d.client.frontend("web")["pools"][0]["backends"][0]["configured_weight"] == 100


# -- error messages ------------------------------------------------------------------------------


def test_errors_quote_at_most_200_characters_of_a_bad_value(start):
    d = start()
    long = "x" * 7000  # within aiohttp's 8 KiB request line
    cases = [
        ("GET", f"/v1/backends/{long}", None, 404),
        ("GET", f"/v1/frontends/{long}", None, 404),
        ("GET", f"/v1/healthchecks/{long}", None, 404),
        ("POST", f"/v1/backends/a/{long}", None, 404),
        ("GET", f"/v1/events?queue={long}", None, 400),
        ("GET", f"/v1/events?num={long}", None, 400),
        ("GET", f"/v1/events?level={long}", None, 400),
        ("GET", f"/v1/events?frontend={long}", None, 404),
        ("PUT", WEIGHT_PATH, b'{"weight": "' + b"y" * 60000 + b'"}', 400),
        ("PUT", WEIGHT_PATH, b'{"weight": [' + b"1," * 30000 + b"1]}", 400),
        ("PUT", f"/v1/frontends/{long}/pools/p/backends/a/weight", b'{"weight": 1}', 404),
    ]
    for method, path, body, want in cases:
        body = body or b""
        raw = (
            f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        status, answer = request(d.socket, raw)
        message = answer["error"]["message"]
        assert status == want, (path[:40], status, answer)
        assert len(message) < 400 and "\n" not in message, (path[:40], len(message))
        assert "xxxxx" in message or "yyyyy" in message or "1, 1" in message, message  # quoted, not dropped
    assert not d.events("api-handler-failed")


# -- event streams ---------------------------------------------------------------------------------


def test_event_queue_is_capped(start):
    d = start()
    status, answer = request(d.socket, b"GET /v1/events?queue=100000000 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 400 and "queue" in answer["error"]["message"] and "65536" in answer["error"]["message"]
    path = "/v1/events?" + urllib.parse.urlencode({"queue": 65536, "num": 0})
    status, answer = request(d.socket, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert status == 200 and '"replay":true' in answer  # the largest queue allowed is accepted


def test_event_subscription_is_freed_when_its_client_goes(start):
    d = start()
    sock = d.connect()
    sock.sendall(b"GET /v1/events?probes=1&log=1&level=debug HTTP/1.1\r\nHost: x\r\n\r\n")
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")  # subscribed (the replay follows the head)
    assert d.status()["events"]["subscribers"] == 1
    sock.close()
    # Freed when the connection goes, not at the next heartbeat (15 s) or the next event.
    wait_until(lambda: d.status()["events"]["subscribers"] == 0, timeout=10, what="the subscription to go")


# -- configuration ----------------------------------------------------------------------------------


def test_bad_limit_refuses_to_start_with_one_line(tmp_path):
    d = MaglevdProcess(tmp_path, MINIMAL_CONFIG, env={"MAGLEV_API_MAX_CONNECTIONS": "lots" * 100})
    try:
        d.wait_ready()
        assert d.proc.wait(timeout=30) == 1
        error = d.ready["error"]
        assert d.ready["event"] == "startup-failed" and "MAGLEV_API_MAX_CONNECTIONS" in error and "1 to 65536" in error
        assert len(error) < 300
    finally:
        d.stop()
