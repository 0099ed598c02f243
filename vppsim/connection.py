"""One client registration: its handle and the replies waiting to be written.

Replies are framed as the socket transport frames them (docs/vpp-lb-reference.md#socket-protocol)
and leave in one write per batch of requests.
"""

from __future__ import annotations

import asyncio
import struct
from typing import List

from .personality import frame

# A registration handle is 0x80000000 | slot, slot 0 being the listening socket.
HANDLE_BIT = 0x80000000
_HEADER = struct.Struct(">QII")


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, slot: int) -> None:
        self.reader = reader
        self.writer = writer
        self.slot = slot
        self.handle = HANDLE_BIT | slot
        self.calls = 0
        self.epoch = 0
        self.closed = False
        # Replies wait here until the requests read so far are handled: one write (one
        # syscall) per batch instead of one per reply, which a pipelining client notices.
        self.pending: List[bytes] = []

    def send(self, payload: bytes) -> None:
        if not self.closed:
            self.pending.append(frame(payload))

    def send_many(self, payloads: List[bytes]) -> None:
        if not self.closed and payloads:
            header = _HEADER
            self.pending.append(b"".join(header.pack(0, len(p), 0) + p for p in payloads))

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if pending and not self.closed:
            self.writer.write(b"".join(pending))

    def close(self) -> None:
        if not self.closed:
            self.flush()  # what was answered before the close still goes out, as in VPP
            self.closed = True
            self.writer.close()
