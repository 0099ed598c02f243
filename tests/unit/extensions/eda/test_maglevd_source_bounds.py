"""The event source's reads are bounded (docs/security.md, Limits): a stream that is not
maglevd's, or a broken one, ends the connection with a reason instead of growing memory."""

from __future__ import annotations

import asyncio
import json
import runpy

import pytest
from ansible_collections.vpp.maglev.tests.helpers.paths import COLLECTIONS

SOURCE = runpy.run_path(
    str(COLLECTIONS / "ansible_collections/vpp/maglev/extensions/eda/plugins/event_source/maglevd.py")
)
READ_LIMIT, events, error_body = SOURCE["READ_LIMIT"], SOURCE["events"], SOURCE["_error_body"]


def read_events(data: bytes, chunked: bool) -> list:
    async def run() -> list:
        reader = asyncio.StreamReader(limit=READ_LIMIT)
        reader.feed_data(data)
        reader.feed_eof()
        return [event async for event in events(reader, chunked)]

    return asyncio.run(asyncio.wait_for(run(), 30))


def chunk(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def test_events_within_the_limit_pass_and_pings_are_skipped():
    lines = [{"type": "ping"}, {"type": "backend-transition", "pad": "x" * (READ_LIMIT // 2)}]
    body = b"".join(chunk(json.dumps(line).encode() + b"\n") for line in lines) + b"0\r\n\r\n"
    assert [event["type"] for event in read_events(body, chunked=True)] == ["backend-transition"]


@pytest.mark.parametrize("chunked", [True, False])
def test_an_event_line_over_the_limit_ends_the_stream(chunked):
    piece = b"x" * 65536
    pieces = [piece] * (READ_LIMIT // len(piece) + 1)
    body = b"".join(chunk(p) for p in pieces) + b"0\r\n\r\n" if chunked else b"".join(pieces)
    with pytest.raises(ValueError, match="event line longer than %d bytes" % READ_LIMIT):
        read_events(body, chunked)


def test_a_chunk_over_the_limit_is_refused_before_it_is_read():
    body = b"%x\r\n" % (READ_LIMIT + 1)  # the announced size alone; no payload follows
    with pytest.raises(ValueError, match="a chunk of %d bytes" % (READ_LIMIT + 1)):
        read_events(body, chunked=True)


def test_an_error_body_is_read_up_to_the_limit_only():
    async def run() -> bytes:
        reader = asyncio.StreamReader(limit=READ_LIMIT)
        reader.feed_data(b"y" * (3 * READ_LIMIT))
        reader.feed_eof()
        return await error_body(reader, False)

    assert len(asyncio.run(asyncio.wait_for(run(), 30))) == READ_LIMIT
