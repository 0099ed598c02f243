"""The outcome of one probe, with a HAProxy-style result code.

Codes (HAProxy's check status names where one fits; L3* are ours for ICMP):

| code     | ok  | meaning                                                         |
|----------|-----|-----------------------------------------------------------------|
| L3OK     | yes | ICMP echo reply received                                        |
| L3TOUT   | no  | no ICMP echo reply within the timeout                           |
| L3UNR    | no  | ICMP destination unreachable (or a send error such as EHOSTUNREACH) |
| L4OK     | yes | TCP connect succeeded (tcp check without send/expect)           |
| L4TOUT   | no  | TCP connect timed out                                           |
| L4CON    | no  | TCP connect refused / reset / unreachable                       |
| L6OK     | -   | TLS handshake done (intermediate; an https result is L7*)       |
| L6TOUT   | no  | TLS handshake timed out                                         |
| L6RSP    | no  | TLS handshake failed (bad certificate, SNI mismatch, not TLS)   |
| L7OK     | yes | HTTP status accepted (and body matched) / tcp expect matched    |
| L7STS    | no  | HTTP status not in the accepted ranges                          |
| L7RSP    | no  | invalid or truncated response, body did not match, tcp expect failed |
| L7TOUT   | no  | no (complete) response within the timeout                       |
| SOCKERR  | no  | local error before any packet left (bind to source, netns, permission) |
| STATIC   | yes | static check: always up                                         |
"""

from __future__ import annotations

from typing import NamedTuple

OK_CODES = frozenset({"L3OK", "L4OK", "L7OK", "STATIC"})
TIMEOUT_CODES = frozenset({"L3TOUT", "L4TOUT", "L6TOUT", "L7TOUT"})


class ProbeResult(NamedTuple):
    """Immutable, and a tuple: built twice per probe (outcome, then with its duration), where a
    frozen dataclass's field-by-field __init__ cost ~5% of a TCP probe (docs/performance.md)."""

    ok: bool
    code: str
    detail: str = ""
    duration: float = 0.0  # seconds, monotonic

    @property
    def result(self) -> str:
        """The Prometheus `result` label."""
        return "success" if self.ok else "failure"

    @property
    def timed_out(self) -> bool:
        return self.code in TIMEOUT_CODES


def fail(code: str, detail: str) -> ProbeResult:
    return ProbeResult(False, code, detail)


def passed(code: str, detail: str = "") -> ProbeResult:
    return ProbeResult(True, code, detail)
