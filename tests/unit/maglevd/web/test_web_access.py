"""The dashboard's access rule as a table (maglevd/web/access.py, docs/dashboard.md "Access")."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.maglevd.web.access import bearer, host_of, is_loopback_host, verdict


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.9.8.7", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        (None, False),  # parse_addr's ":port": every address
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.0.2.1", False),
        ("localhost.example", False),
        ("127.0.0.1.nip.io", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    "header, host",
    [
        ("127.0.0.1:8080", "127.0.0.1"),
        ("[::1]:8080", "[::1]"),
        ("[::1]", "[::1]"),
        ("localhost", "localhost"),
        ("::1", "::1"),
    ],
)
def test_host_of_a_host_header(header, host):
    assert host_of(header) == host


def test_bearer():
    assert (
        bearer("Bearer abc") == "abc" and bearer("Bearer ") == "" and bearer("Basic abc") is None and bearer("") is None
    )


T = "tok"
LOCAL = "127.0.0.1:80"


@pytest.mark.parametrize(
    "method, loopback, host, token, given, code",
    [
        ("GET", True, LOCAL, T, None, None),  # loopback reads need nothing
        ("GET", True, LOCAL, None, None, None),
        ("GET", True, "evil.example:80", T, None, "host-not-loopback"),  # DNS rebinding
        ("GET", True, "evil.example:80", T, T, None),  # the token is enough anywhere
        ("GET", False, LOCAL, T, None, "unauthorized"),  # off loopback: the token, always
        ("GET", False, LOCAL, T, T, None),
        ("GET", True, LOCAL, T, "wrong", "unauthorized"),  # a wrong token is refused even where none is needed
        ("GET", True, LOCAL, T, "", "unauthorized"),
        ("GET", True, LOCAL, None, "any", "unauthorized"),
        ("POST", True, LOCAL, T, None, "unauthorized"),  # actions: the token, always
        ("PUT", True, LOCAL, T, T, None),
        ("POST", True, LOCAL, None, None, "read-only"),  # no token configured: read-only
    ],
)
def test_verdict(method, loopback, host, token, given, code):
    refused = verdict(method, loopback, host, token, given)
    assert (refused[1] if refused else None) == code
