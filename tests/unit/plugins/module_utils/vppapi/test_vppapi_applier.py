"""The one apply loop (vppapi/applier.py) over a scripted channel: the window, the batches,
the barrier before what removes or zeroes, the error after a refusal or a lost connection."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Dict, List, Optional, Tuple

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import VppApplyError
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.applier import (
    ChannelLost,
    apply_windowed,
    takes_away,
)
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.channels import PapiCallChannel


def op(kind: str, name: str, weight: int = 100) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, weight=weight, name=name, __str__=lambda: name)


class ScriptedChannel:
    """Answers in order; ``retvals`` maps an op index to a refusal, ``lose_at`` makes the
    n-th receive fail; ``events`` inserts a message that is not a reply before each reply.
    Records the largest number in flight and what was in flight at each send."""

    def __init__(self, *, batched: bool = False, retvals=None, lose_at: Optional[int] = None, events=False):
        self.batched = batched
        self.sent = 0
        self.retvals: Dict[int, int] = retvals or {}
        self.lose_at = lose_at
        self.events = events
        self.queued: List[int] = []
        self.wire: List[int] = []  # sent, unanswered
        self.flushes = 0
        self.receives = 0
        self.most_in_flight = 0
        self.log: List[Tuple[int, Tuple[int, ...]]] = []
        self._event_next = events

    def send(self, index: int) -> int:
        self.log.append((index, tuple(self.wire + self.queued)))
        self.queued.append(index)
        self.sent += 1
        return 1000 + index

    def flush(self) -> None:
        if self.queued:
            self.flushes += 1
        self.wire += self.queued
        self.queued = []
        self.most_in_flight = max(self.most_in_flight, len(self.wire))

    def receive(self) -> Optional[Tuple[int, int]]:
        self.receives += 1
        if self.lose_at is not None and self.receives >= self.lose_at:
            raise ChannelLost("VPP went away")
        if self._event_next:
            self._event_next = False
            return None
        self._event_next = self.events
        index = self.wire.pop(0)
        return 1000 + index, self.retvals.get(index, 0)


def test_takes_away():
    assert [takes_away(op(k, k)) for k in ("as_add", "as_del", "vip_del", "vip_flush", "conf")] == [
        False,
        True,
        True,
        True,
        False,
    ]
    assert takes_away(op("as_weight", "w", 0)) and not takes_away(op("as_weight", "w", 50))


def test_the_window_bounds_what_is_in_flight_and_events_are_skipped():
    ops = [op("as_add", str(i)) for i in range(100)]
    channel = ScriptedChannel(events=True)
    result = apply_windowed(channel, ops, 8)
    assert result.applied == ops and result.calls == 100 and channel.sent == 100
    assert channel.most_in_flight == 8


def test_a_batched_channel_refills_when_half_the_window_is_free():
    ops = [op("as_add", str(i)) for i in range(64)]
    channel = ScriptedChannel(batched=True)
    apply_windowed(channel, ops, 16)
    assert channel.most_in_flight == 16
    assert channel.flushes == 1 + (64 - 16) // 8  # the first 16, then 8 at a time


@pytest.mark.parametrize("batched", [False, True])
def test_no_removal_is_sent_while_an_add_is_in_flight(batched):
    ops = [op("as_add", "a%d" % i) for i in range(5)] + [op("as_del", "d%d" % i) for i in range(5)]
    channel = ScriptedChannel(batched=batched)
    apply_windowed(channel, ops, 64)
    for index, in_flight in channel.log:
        if takes_away(ops[index]):
            assert all(takes_away(ops[i]) for i in in_flight), (index, in_flight)


def test_a_refusal_stops_sending_but_reads_what_is_in_flight():
    ops = [op("as_add", "a%d" % i) for i in range(4)] + [op("as_del", "d")]
    channel = ScriptedChannel(retvals={1: -81})
    with pytest.raises(VppApplyError) as caught:
        apply_windowed(channel, ops, 64)
    error = caught.value
    assert error.failed is ops[1] and error.retval == -81 and not error.dropped
    assert error.applied == [ops[0], ops[2], ops[3]] and error.not_applied == [ops[4]]
    assert channel.sent == 4  # the removal never went out
    assert str(error).startswith("operation 2 of 5 failed")


def test_a_lost_connection_names_the_oldest_unanswered_op():
    ops = [op("as_add", str(i)) for i in range(10)]
    channel = ScriptedChannel(lose_at=4)
    with pytest.raises(VppApplyError) as caught:
        apply_windowed(channel, ops, 64)
    error = caught.value
    assert error.dropped and error.retval is None and "VPP went away" in str(error)
    assert error.failed is ops[3] and error.applied == ops[:3] and error.not_applied == ops[4:]


def test_the_blocking_channel_is_one_call_per_op():
    replies = {"b": -7}
    sent = []

    def lb_as_set_weight(**kwargs):
        sent.append(kwargs["tag"])
        return SimpleNamespace(retval=replies.get(kwargs["tag"], 0))

    ops = [
        SimpleNamespace(kind="as_weight", weight=1, api_call=lambda t=t: ("lb_as_set_weight", {"tag": t}))
        for t in "abc"
    ]
    channel = PapiCallChannel(SimpleNamespace(lb_as_set_weight=lb_as_set_weight), ops)
    with pytest.raises(VppApplyError) as caught:
        apply_windowed(channel, ops, 1)
    assert sent == ["a", "b"] and caught.value.failed is ops[1] and caught.value.not_applied == [ops[2]]
