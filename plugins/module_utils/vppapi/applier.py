# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Applying ops to VPP: the one windowed send/receive loop, over a small channel interface.

Up to ``window`` requests are in flight at once: VPP answers one connection strictly in
order, so pipelining changes no outcome but saves a round trip per op (the cost that
dominates a 64,000-op converge or a full restore after a VPP restart; docs/modules.md).
After a failure nothing more is sent; the replies of ops already in flight are still read,
so the error says exactly which ops took effect.

A channel carries the requests; this loop never touches a socket. The channels are
``channels.PapiChannel`` (vpp_papi's asynchronous send), ``channels.PapiCallChannel`` (one
blocking vpp_papi call per op, window 1) and ``wire.WireChannel`` (the direct wire path).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any, Deque, Dict, List, Optional, Protocol, Sequence, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import VppApplyError

# Requests in flight at once (VppClient.apply's default window).
PIPELINE_WINDOW = 64
# Plans at least this long go over the direct wire path: pausing and restarting vpp_papi's
# reader thread costs ~0.6 ms before the first request leaves, then ~40 µs an op. vpp_papi's
# own pipeline sends at once and reads each reply in ~100 µs, so a burst of a few failovers
# reaches VPP sooner through it, even where the direct path would finish first (measured:
# docs/performance.md, "maglevd: apply"). Shorter plans of more than one op are pipelined
# through vpp_papi; one op is one blocking call.
DIRECT_MIN_OPS = 16


@dataclass
class ApplyResult:
    applied: list = field(default_factory=list)
    calls: int = 0


class ChannelLost(Exception):
    """The connection died while a channel sent or waited; ``str()`` says how."""


class Channel(Protocol):
    """What the apply loop needs from a transport. ``send`` and ``flush`` and ``receive``
    raise ChannelLost when the connection dies."""

    batched: bool  # True: refill only when half the window is free (one write per batch)
    sent: int  # requests sent so far

    def send(self, index: int) -> int:
        """Queue (or send) the request of op ``index``; return its context."""

    def flush(self) -> None:
        """Send what send() queued."""

    def receive(self) -> Optional[Tuple[int, int]]:
        """(context, retval) of the next reply, or None for a message that is not a reply."""


def takes_away(op: Any) -> bool:
    """Ops that remove or zero something. A plan adds before it takes away, so a VIP never
    stops serving; the apply loop must not let a removal run while an earlier add may still fail."""
    kind = getattr(op, "kind", "")
    return kind in ("as_del", "vip_del", "vip_flush") or (kind == "as_weight" and getattr(op, "weight", 0) == 0)


def apply_windowed(channel: Channel, ops: Sequence[Any], window: int) -> ApplyResult:
    """Send ``ops`` in order with up to ``window`` in flight; raise VppApplyError on the first
    refusal (after reading the replies in flight) or when the connection is lost."""
    takes = [takes_away(op) for op in ops]
    in_flight: Dict[int, int] = {}  # context -> op index
    order: Deque[int] = collections.deque()  # op indexes in flight, oldest first
    retvals: Dict[int, int] = {}
    next_op, first_failure, adds = 0, None, 0  # adds: ops in flight that take nothing away
    refill = max(1, window // 2) if channel.batched else window
    count = len(ops)
    try:
        while next_op < count or order:
            if len(order) <= refill:
                while next_op < count and len(order) < window and first_failure is None:
                    if adds and takes[next_op]:
                        break  # barrier: what removes or zeroes waits until every add before it succeeded
                    in_flight[channel.send(next_op)] = next_op
                    order.append(next_op)
                    adds += not takes[next_op]
                    next_op += 1
                channel.flush()
            if not order:
                break
            reply = channel.receive()
            done = in_flight.pop(reply[0], None) if reply is not None else None
            if done is None:
                continue  # not ours (an event): vpp_papi would not hand it to us either
            if order[0] == done:
                order.popleft()
            else:
                order.remove(done)
            adds -= not takes[done]
            retvals[done] = reply[1]
            if reply[1] != 0 and first_failure is None:
                first_failure = done
    except ChannelLost as exc:
        raise _lost(ops, retvals, order[0] if order else next_op, str(exc)) from exc
    if first_failure is not None:
        applied = [op for i, op in enumerate(ops) if retvals.get(i) == 0]
        not_applied = [op for i, op in enumerate(ops) if retvals.get(i, 1) != 0 and i != first_failure]
        raise VppApplyError(ops[first_failure], retvals[first_failure], applied, not_applied, position=first_failure)
    return ApplyResult(applied=list(ops), calls=count)


def _lost(ops: Sequence[Any], retvals: Dict[int, int], doubtful: int, detail: str) -> VppApplyError:
    """The connection died mid-apply: the oldest unanswered op is the one in doubt."""
    applied: List[Any] = [op for i, op in enumerate(ops) if retvals.get(i) == 0]
    not_applied = [op for i, op in enumerate(ops) if retvals.get(i, 1) != 0 and i != doubtful]
    return VppApplyError(ops[doubtful], None, applied, not_applied, dropped=True, detail=detail, position=doubtful)
