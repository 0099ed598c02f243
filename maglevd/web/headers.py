"""The dashboard's security headers, on every answer of its listener (docs/security.md).

The page is three files from this package: its script and style are files of its own origin,
so the policy allows nothing inline and nothing from elsewhere. A name from the config can
never become markup (the page writes every name with textContent), and if one ever did, the
policy would still refuse to run it.
"""

from __future__ import annotations

from typing import Dict

from aiohttp import web

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: Dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """An `on_response_prepare` hook: it runs for streamed answers (the event stream) too,
    whose headers are sent before a middleware would see them."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
