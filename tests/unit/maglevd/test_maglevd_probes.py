"""Every probe type and failure class against real loopback servers."""

from __future__ import annotations

import asyncio
import errno
from ipaddress import ip_address

import pytest
from ansible_collections.vpp.maglev.maglevd.probes import (
    HttpProbe,
    IcmpProbe,
    IcmpSockets,
    IcmpUnavailable,
    NetnsError,
    SocketFactory,
    StaticProbe,
    TcpProbe,
    make_probe,
)
from ansible_collections.vpp.maglev.plugins.module_utils.config_model import HealthCheck, HttpParams, TcpParams
from ansible_collections.vpp.maglev.tests.helpers.probe_servers import (
    HttpBehaviour,
    make_pki,
    refused_port,
    start_http,
    start_tcp,
)

LO4 = ip_address("127.0.0.1")
LO6 = ip_address("::1")


def run(coro):
    return asyncio.run(coro)


async def http_result(behaviour: HttpBehaviour, params: HttpParams | None = None, timeout: float = 2.0, **kw):
    server, port = await start_http(behaviour)
    async with server:
        return await HttpProbe(LO4, port, timeout, params, **kw).run()


# -- http --------------------------------------------------------------------------------------


def test_http_ok_sends_host_and_user_agent():
    behaviour = HttpBehaviour()
    result = run(http_result(behaviour, HttpParams(path="/healthz", host="web.example")))
    assert (result.ok, result.code) == (True, "L7OK")
    request = behaviour.requests[0].decode()
    assert request.startswith("GET /healthz HTTP/1.1\r\n")
    assert "host: web.example" in request.lower()
    assert "user-agent: maglevd/" in request.lower()


def test_http_status_outside_ranges_is_l7sts():
    result = run(http_result(HttpBehaviour(status=503)))
    assert (result.ok, result.code, result.detail) == (False, "L7STS", "HTTP 503")


def test_http_status_ranges_and_explicit_codes():
    params = HttpParams(response_codes=((204, 204), (500, 502)))
    assert run(http_result(HttpBehaviour(status=501), params)).code == "L7OK"
    assert run(http_result(HttpBehaviour(status=200), params)).code == "L7STS"


def test_http_redirect_accepted_by_default_range():
    assert run(http_result(HttpBehaviour(status=302, body=b""))).code == "L7OK"


@pytest.mark.parametrize("mode", ["plain", "chunked", "no_length"])
def test_http_body_match_on_large_body_reads_bounded(mode):
    body = b"x" * 20000 + b"MARKER"
    behaviour = HttpBehaviour(body=body, chunked=mode == "chunked", no_length=mode == "no_length")
    # The marker lies beyond the bounded read: no match, and the probe still finishes.
    result = run(http_result(behaviour, HttpParams(body="MARKER", body_limit=16384)))
    assert (result.ok, result.code) == (False, "L7RSP")
    # Within the bound it matches.
    behaviour = HttpBehaviour(
        body=b"status: healthy " + b"y" * 20000, chunked=mode == "chunked", no_length=mode == "no_length"
    )
    assert run(http_result(behaviour, HttpParams(body="healthy"))).code == "L7OK"


def test_http_large_body_without_pattern_stops_at_headers():
    assert run(http_result(HttpBehaviour(body=b"z" * 20000, chunked=True))).code == "L7OK"


def test_http_refused_is_l4con():
    result = run(HttpProbe(LO4, refused_port(), 1.0).run())
    assert (result.ok, result.code) == (False, "L4CON")


def test_http_hang_after_accept_is_l7tout():
    result = run(http_result(HttpBehaviour(hang=True), timeout=0.3))
    assert (result.ok, result.code) == (False, "L7TOUT")


def test_http_slow_but_in_time_is_ok_and_too_slow_is_timeout():
    assert run(http_result(HttpBehaviour(delay=0.05), timeout=5.0)).code == "L7OK"
    assert run(http_result(HttpBehaviour(delay=5.0), timeout=0.2)).code == "L7TOUT"


@pytest.mark.parametrize("behaviour", [HttpBehaviour(garbage=True), HttpBehaviour(close_early=True)])
def test_http_bad_or_missing_response_is_l7rsp(behaviour):
    result = run(http_result(behaviour))
    assert (result.ok, result.code) == (False, "L7RSP")


def test_http_ipv6():
    async def go():
        server, port = await start_http(HttpBehaviour(), host="::1")
        async with server:
            return await HttpProbe(LO6, port, 2.0).run()

    assert run(go()).code == "L7OK"


def test_connect_timeout_is_l4tout():
    # 192.0.2.0/24 (TEST-NET-1) is not routed here: the SYN goes nowhere or fails fast.
    result = run(TcpProbe(ip_address("192.0.2.1"), 80, 0.2).run())
    assert not result.ok
    assert result.code in ("L4TOUT", "L4CON")


def test_bad_source_address_is_sockerr():
    result = run(TcpProbe(LO4, refused_port(), 1.0, source=ip_address("192.0.2.55")).run())
    assert (result.ok, result.code) == (False, "SOCKERR")
    assert "192.0.2.55" in result.detail


# -- https -------------------------------------------------------------------------------------


def https_result(tmp_path, params: HttpParams, names=None, ips=None, expired=False, timeout=2.0):
    pki = make_pki(tmp_path, names=names, ips=ips, expired=expired)
    params = (
        HttpParams(**{**params.__dict__, "ca_file": params.ca_file or str(pki.ca_file)})
        if not params.insecure
        else params
    )

    async def go():
        server, port = await start_http(HttpBehaviour(), ssl_ctx=pki.server_ctx)
        async with server:
            return await HttpProbe(LO4, port, timeout, params, tls=True).run()

    return run(go())


def test_https_verified_with_sni(tmp_path):
    # One TLS layer only (docs/maglevd.md#health-checking: the double-TLS bug).
    result = https_result(tmp_path, HttpParams(server_name="backend.test"), names=["backend.test"])
    assert (result.ok, result.code) == (True, "L7OK")


def test_https_verified_by_ip_san(tmp_path):
    assert https_result(tmp_path, HttpParams(), names=["x.test"], ips=["127.0.0.1"]).code == "L7OK"


def test_https_sni_mismatch_is_l6rsp(tmp_path):
    result = https_result(tmp_path, HttpParams(server_name="other.test"), names=["backend.test"])
    assert (result.ok, result.code) == (False, "L6RSP")


def test_https_expired_certificate_fails_verified_and_passes_insecure(tmp_path):
    assert https_result(tmp_path, HttpParams(server_name="backend.test"), expired=True).code == "L6RSP"
    assert https_result(tmp_path / "b", HttpParams(insecure=True), expired=True).code == "L7OK"


def test_https_against_plain_http_is_l6rsp():
    async def go():
        server, port = await start_tcp("banner", banner=b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        async with server:
            return await HttpProbe(LO4, port, 2.0, HttpParams(insecure=True), tls=True).run()

    result = run(go())
    assert (result.ok, result.code) == (False, "L6RSP")


def test_https_handshake_hang_is_l6tout():
    async def go():
        server, port = await start_tcp("hang")
        async with server:
            return await HttpProbe(LO4, port, 0.3, HttpParams(insecure=True), tls=True).run()

    assert run(go()).code == "L6TOUT"


# -- tcp ---------------------------------------------------------------------------------------


def test_tcp_connect_ok_and_refused():
    async def go():
        server, port = await start_tcp("hang")
        async with server:
            return await TcpProbe(LO4, port, 1.0).run()

    assert run(go()).code == "L4OK"
    assert run(TcpProbe(LO4, refused_port(), 1.0).run()).code == "L4CON"
    assert run(TcpProbe(LO6, refused_port("::1"), 1.0).run()).code == "L4CON"


def test_tcp_send_expect():
    async def go(params, mode="echo", banner=b""):
        server, port = await start_tcp(mode, banner=banner)
        async with server:
            return await TcpProbe(LO4, port, 0.5, params).run()

    assert run(go(TcpParams(send="PING\r\n", expect="^PING"))).code == "L7OK"
    assert run(go(TcpParams(expect="^220 "), "banner", b"220 smtp ready\r\n")).code == "L7OK"
    assert run(go(TcpParams(expect="^220 "), "banner", b"554 go away\r\n")).code == "L7RSP"
    assert run(go(TcpParams(expect="never"), "hang")).code == "L7TOUT"


# -- icmp / static -----------------------------------------------------------------------------


@pytest.mark.parametrize("address", [LO4, LO6])
def test_icmp_echo(address):
    async def go():
        sockets = IcmpSockets()
        try:
            sock = sockets.get(address.version, None)
        except IcmpUnavailable as exc:
            pytest.skip(str(exc))
        try:
            results = [await IcmpProbe(address, 1.0, sock).run() for _attempt in range(3)]
        finally:
            sockets.close()
        return results

    assert [r.code for r in run(go())] == ["L3OK"] * 3


def test_icmp_without_privilege_is_one_clear_error():
    class NoPrivilege(SocketFactory):
        def socket(self, family, type_, proto=0):
            raise PermissionError(errno.EPERM, "Operation not permitted")

    with pytest.raises(IcmpUnavailable, match="CAP_NET_RAW"):
        IcmpSockets(NoPrivilege()).get(4, None)


def test_static_is_up_at_once():
    result = run(StaticProbe(LO4).run())
    assert (result.ok, result.code) == (True, "STATIC")


def test_make_probe_picks_the_type():
    factory, icmp = SocketFactory(), IcmpSockets()
    assert isinstance(make_probe(None, LO4, factory, icmp), StaticProbe)
    assert isinstance(make_probe(HealthCheck("t", "tcp", port=1), LO4, factory, icmp), TcpProbe)
    probe = make_probe(HealthCheck("h", "https", port=8443), LO6, factory, icmp)
    assert isinstance(probe, HttpProbe) and probe.type == "https" and probe.tls is not None


# -- netns -------------------------------------------------------------------------------------


def test_netns_missing_is_a_clear_error():
    with pytest.raises(NetnsError, match=r"cannot open network namespace 'no-such-ns'"):
        SocketFactory.for_netns("no-such-ns")


def test_netns_not_a_namespace_is_a_clear_error():
    with pytest.raises(NetnsError, match="cannot enter network namespace"):
        SocketFactory.for_netns("/dev/null")
