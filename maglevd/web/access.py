"""Who may read and who may act on the dashboard's listener (docs/dashboard.md, "Access").

- Reading (GET) needs no credentials only when the listener is bound to loopback, and then
  only for requests whose Host header names a loopback host (a page on another site that
  rebinds its DNS name to 127.0.0.1 cannot read the dashboard). On any other address a read
  needs the control API's bearer token.
- Acting (POST, PUT) always needs the token, on every address. No token configured: the
  dashboard is read-only.
- A token that is sent is checked even where none is needed: a wrong token is refused, so a
  mistyped login shows at once instead of at the first action.

The bearer token travels in the Authorization header only, never in a URL or a cookie, so a
page on another site cannot make the browser send it (no CSRF).
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Optional

from aiohttp import web

from ..api.http import error_response

READ_METHODS = frozenset({"GET", "HEAD"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def is_loopback_host(host: Optional[str]) -> bool:
    """True for a loopback address or name (127.0.0.0/8, ::1, localhost); False for none, '',
    an address on an interface or a wildcard (0.0.0.0 and :: listen on every interface)."""
    if not host:
        return False
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if name.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_of(header: str) -> str:
    """The host part of a Host header: 'h:80' -> 'h', '[::1]:80' -> '[::1]', '::1' stays."""
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    host, sep, port = header.rpartition(":")
    return host if sep and port.isdigit() and ":" not in host else header


def bearer(header: str) -> Optional[str]:
    """The token of an `Authorization: Bearer <token>` header; None when there is none."""
    return header[7:] if header.startswith("Bearer ") else None


def verdict(
    method: str, loopback: bool, host_header: str, token: Optional[str], given: Optional[str]
) -> Optional[tuple]:
    """None when the request may proceed, else (status, code, message). Pure: the whole rule."""
    if given is not None:
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            return 401, "unauthorized", "wrong bearer token"
        return None
    if method not in READ_METHODS:
        if not token:
            return 403, "read-only", "this maglevd has no control token: the dashboard is read-only"
        return 401, "unauthorized", "actions need the control token (log in with it)"
    if not loopback:
        return 401, "unauthorized", "this dashboard is not on loopback: log in with the control token"
    if not is_loopback_host(host_of(host_header)):
        return 403, "host-not-loopback", "a loopback dashboard answers only requests addressed to a loopback host"
    return None


def access_middleware(token: Optional[str], loopback: bool, public_paths: frozenset):
    """The rule above for every route but the page's own files (`public_paths`), which hold
    no data and must load before the login field can ask for the token."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.method in READ_METHODS and request.path in public_paths:
            return await handler(request)
        given = bearer(request.headers.get("Authorization", ""))
        refused = verdict(request.method, loopback, request.headers.get("Host", ""), token, given)
        if refused is not None:
            return error_response(*refused)
        return await handler(request)

    return middleware
