"""When maglevd reconnects to VPP (reconnect.py): the backoff table, and the socket watch that
cuts it short when VPP's API socket reappears."""

from __future__ import annotations

import asyncio
import socket

from ansible_collections.vpp.maglev.maglevd.vpp.reconnect import Backoff, socket_identity, wait_to_reconnect


def test_a_connection_that_held_reconnects_at_once_failures_back_off_doubling():
    backoff = Backoff(0.25, 5.0)
    assert backoff.if_it_fails() == 0.25
    assert [backoff.next_delay(None) for _attempt in range(7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert backoff.if_it_fails() == 5.0
    assert backoff.next_delay(5.0) == 0.0  # held for retry_max: VPP restarted under us
    assert backoff.next_delay(1.0) == 0.25  # a short connection counts as a failure: no tight loop
    assert backoff.next_delay(None) == 0.5


def test_the_identity_of_a_socket_file_changes_when_it_is_bound_anew(tmp_path):
    path = str(tmp_path / "api.sock")
    assert socket_identity(path) is None
    first = socket.socket(socket.AF_UNIX)
    first.bind(path)
    before = socket_identity(path)
    first.close()
    (tmp_path / "api.sock").unlink()
    second = socket.socket(socket.AF_UNIX)
    second.bind(path)
    try:
        assert before is not None and socket_identity(path) not in (None, before)
    finally:
        second.close()


def test_the_wait_ends_as_soon_as_the_socket_reappears_not_at_the_end_of_the_backoff():
    answers = iter([None, None, ("old",), None, ("new",)])
    looked = []

    def identity(path: str):
        looked.append(path)
        return next(answers)

    # seen ("old",): the stale file of the VPP that died; a day of backoff would hang the test
    appeared = asyncio.run(wait_to_reconnect(86400.0, "api.sock", ("old",), 0.001, identity))
    assert appeared and len(looked) == 5


def test_without_a_new_socket_the_whole_backoff_is_waited():
    looked = []

    def identity(path: str):
        looked.append(path)
        return ("same",)

    assert not asyncio.run(wait_to_reconnect(0.02, "api.sock", ("same",), 0.001, identity))
    assert len(looked) >= 2  # looked again while it waited
