"""The call log: every call the simulator saw, numbered, for the control interface.

The control interface's `calls` reads it and its `wait` waits on it (docs/vppsim.md, Control
interface). Arguments are kept as JSON: addresses and prefixes as text, exactly as sent.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

CALL_LOG_SIZE = 20000
# The entry that ends each registration: args {"client": handle, "how": one of SESSION_ENDINGS}.
SESSION_END = "<session-end>"
# How a registration can end: "delete" is the polite end (the client's sockclnt_delete, then
# its close; docs/vppsim.md, "How sessions end"); "eof" a client that dropped the socket
# without it (the abrupt end that can leave a real VPP spinning); "rejected" a frame over
# MAX_FRAME; "fault" the drop-after fault.
SESSION_ENDINGS = ("delete", "eof", "rejected", "fault")
Matcher = Callable[[Dict[str, Any]], bool]


def _ip(af: int, un: bytes) -> str:
    return str(ipaddress.IPv4Address(un[:4]) if af == 0 else ipaddress.IPv6Address(un[:16]))


def jsonable(value: Any, key: str = "") -> Any:
    """Decoded message values as JSON: addresses and prefixes as text, other bytes as hex."""
    if isinstance(value, dict):
        if set(value) == {"af", "un"}:
            return _ip(value["af"], value["un"])
        if set(value) == {"address", "len"} and isinstance(value["address"], dict):
            return "%s/%d" % (_ip(value["address"]["af"], value["address"]["un"]), value["len"])
        return {k: jsonable(v, k) for k, v in value.items()}
    if isinstance(value, bytes):
        if len(value) == 4 and "ip4" in key:
            return str(ipaddress.IPv4Address(value))
        if len(value) == 16 and "ip6" in key:
            return str(ipaddress.IPv6Address(value))
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


class CallLog:
    """The last CALL_LOG_SIZE calls, numbered from 1, and the waiters for a matching one."""

    def __init__(self, size: int = CALL_LOG_SIZE) -> None:
        self.entries: Deque[Dict[str, Any]] = collections.deque(maxlen=size)
        self.seq = 0
        self.waiters: List[Tuple[Matcher, asyncio.Future]] = []

    def session_ended(self, client: int, how: str) -> None:
        """Registration ``client`` is gone, and how (SESSION_ENDINGS)."""
        self.record(SESSION_END, {"client": client, "how": how}, None, client, answered=False)

    def record(self, name: str, args: Dict[str, Any], retval: Optional[int], client: int, **extra: Any) -> None:
        self.seq += 1
        entry = {"seq": self.seq, "time": time.monotonic(), "message": name, "client_index": client}
        entry["args"] = {k: jsonable(v, k) for k, v in args.items() if k not in ("_vl_msg_id", "client_index")}
        entry["retval"] = retval
        entry.update(extra)
        self.entries.append(entry)
        if self.waiters:
            for waiter in list(self.waiters):
                matcher, future = waiter
                if not future.done() and matcher(entry):
                    future.set_result(entry)
