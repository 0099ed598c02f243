"""Simulated traffic through the lb node: the sticky table, the four VIP counters, AS flows.

Pure: no sockets, no clock of its own. Which counter moves when, the refcounts behind
`flows:` and the lazy creation of the counters follow VPP master's lb node and lb.c
(docs/vppsim.md#traffic). vppsim simulates a VPP without worker threads: thread 0 forwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .sticky_table import EXPIRES, VALUE, StickyTable

# The lb plugin's simple counters, in VPP's order, named as the stats segment names them.
COUNTER_NAMES = (
    "packet from existing sessions",
    "first session packet",
    "untracked packet",
    "no server configured",
)
EXISTING, FIRST, UNTRACKED, NO_SERVER = range(4)
PINNED = -1  # in Sent.detail: a flow with a live entry, not sent because of new_flows_only
# lb_hash_time_now: the sticky table's clock is VPP's uptime + 10,000 s.
LB_TIME_OFFSET = 10000


@dataclass(frozen=True)
class Target:
    """Where the packets go: the VIP pool index (0: the placeholder) and its new-flow table."""

    vip_index: int
    new_flow_table: Sequence[int]  # AS pool index per bucket, 0 = drop


@dataclass
class Sent:
    """What one `send` did: counter deltas (COUNTER_NAMES order) and, per AS pool index,
    [flows whose first packet went there, packets delivered there]."""

    counters: List[int] = field(default_factory=lambda: [0, 0, 0, 0])
    ases: Dict[int, List[int]] = field(default_factory=dict)
    skipped: int = 0  # flows not sent: already pinned and new_flows_only
    # per flow, when asked: (bucket of the new-flow table, AS pool index, kind of first packet)
    detail: Optional[List[Tuple[int, int, int]]] = None


class TrafficModel:
    """One per LbTables (``lb.traffic``): what the lb node has counted and pinned."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        # [counter][thread][vip index]; None until the first VIP exists (lb.c validates the
        # counters in lb_vip_add, so the stats segment has no lb entry before).
        self.vectors: Optional[List[List[List[int]]]] = None
        self.refcount: Dict[int, int] = {}  # AS pool index -> sticky entries (as_refcount)
        self.tables: List[Optional[StickyTable]] = [None] * threads
        self.generation = 0  # moves whenever a counter does: the stats segment republishes

    # -- the counters -----------------------------------------------------------------------

    def vip_added(self, vip_index: int) -> None:
        """vlib_validate_simple_counter + vlib_zero_simple_counter for a new VIP's index."""
        if self.vectors is None:
            self.vectors = [[[] for _thread in range(self.threads)] for _name in COUNTER_NAMES]
        for per_thread in self.vectors:
            for vector in per_thread:
                if len(vector) <= vip_index:
                    vector.extend([0] * (vip_index + 1 - len(vector)))
                vector[vip_index] = 0
        self.generation += 1

    def counter(self, name: str, vip_index: int) -> int:
        """The simple counter `name` (one of COUNTER_NAMES) of VIP pool index `vip_index`,
        summed over threads."""
        if self.vectors is None:
            return 0
        per_thread = self.vectors[COUNTER_NAMES.index(name)]
        return sum(vector[vip_index] for vector in per_thread if vip_index < len(vector))

    def counter_vectors(self) -> Dict[str, List[List[int]]]:
        """name -> [thread][vip index], for the stats segment; empty before the first VIP."""
        if self.vectors is None:
            return {}
        return dict(zip(COUNTER_NAMES, self.vectors))

    # -- the sticky tables ------------------------------------------------------------------

    def flows(self, as_index: int) -> int:
        """Sticky entries pointing at AS pool index `as_index` (VPP's as_refcount)."""
        return self.refcount.get(as_index, 0)

    def sticky_tables(self, now: int) -> List[Tuple[int, int, int, int]]:
        """(thread index, timeout, valid entries at `now`, size) per thread whose sticky
        table exists; empty until the first packet (VPP allocates them lazily). `now` is
        VPP's uptime (lb.now()); the tables' own clock adds LB_TIME_OFFSET."""
        return [
            (thread, table.timeout, table.live(now + LB_TIME_OFFSET), table.size())
            for thread, table in enumerate(self.tables)
            if table is not None
        ]

    def table(self, thread: int, buckets: int, timeout: int) -> StickyTable:
        """lb_get_sticky_table: drop a table of the wrong size, create one, renew its timeout."""
        table = self.tables[thread]
        if table is not None and table.buckets != buckets:
            table.release_all(self.refcount)
            table = None
        if table is None:
            table = self.tables[thread] = StickyTable(buckets, timeout)
        table.timeout = timeout
        return table

    def flush(self, vip_index: int, as_index: Optional[int] = None) -> int:
        """lb_flush_vip_as: entries of this VIP (pointing at `as_index`, or any) go to AS 0."""

        def match(vip: int, value: int) -> bool:
            return vip == vip_index and (as_index is None or value == as_index)

        return sum(table.flush(match, self.refcount) for table in self.tables if table is not None)

    # -- packets ----------------------------------------------------------------------------

    def send(
        self,
        target: Target,
        hashes: Iterable[int],
        packets_per_flow: int,
        table: StickyTable,
        now: int,
        *,
        new_flows_only: bool = False,
        detail: bool = False,
        thread: int = 0,
    ) -> Sent:
        """Each flow's packets, back to back, through the lb node (node.c) on `thread`.

        A packet that finds its flow's entry changes nothing but its timeout, so once a
        packet hits (or finds no slot) the flow's remaining packets all do the same: they
        are counted at once, exactly (docs/vppsim.md#traffic)."""
        sent = Sent(detail=[] if detail else None)
        counts = sent.counters
        vip, flow_table = target.vip_index, target.new_flow_table
        mask = len(flow_table) - 1
        lb_time = now + LB_TIME_OFFSET
        lookup, rows, bucket_mask, refcount = table.lookup, table.rows, table.mask, self.refcount
        renewed = lb_time + table.timeout
        whole: Dict[int, int] = {}  # AS -> flows all of whose packets went there (the two fast paths)
        for flow_hash in hashes:
            row, found, free = lookup(flow_hash, vip, lb_time)
            as_index = row[8 + found] if found >= 0 else 0  # type: ignore[index]  # row[VALUE + found]
            if as_index and new_flows_only:
                sent.skipped += 1
                if sent.detail is not None:
                    sent.detail.append((flow_hash & mask, as_index, PINNED))
                continue
            if found >= 0:
                row[12 + found] = renewed  # type: ignore[index]  # row[EXPIRES + found]
            kind = EXISTING  # an established flow: every packet a hit
            if not as_index:
                as_index = flow_table[flow_hash & mask]
                if found >= 0 or free < 0 or not as_index:  # the rare paths, packet by packet
                    kind, as_index = self._new_flow(table, target, flow_hash, free, packets_per_flow, lb_time, sent)
                    if sent.detail is not None:
                        sent.detail.append((flow_hash & mask, as_index, kind))
                    continue
                # A new flow to an AS: its entry is then the only live match, so the rest hit it.
                if row is None:
                    row = rows[flow_hash & bucket_mask] = [0] * 16
                previous = row[8 + free]  # StickyTable.put, inlined (the row layout is its)
                row[free], row[4 + free], row[8 + free], row[12 + free] = flow_hash, vip, as_index, renewed
                refcount[previous] = refcount.get(previous, 0) - 1
                refcount[as_index] = refcount.get(as_index, 0) + 1
                counts[FIRST] += 1
                counts[EXISTING] -= 1
                kind = FIRST
            counts[EXISTING] += packets_per_flow
            whole[as_index] = whole.get(as_index, 0) + 1
            if sent.detail is not None:
                sent.detail.append((flow_hash & mask, as_index, kind))
        self._count(thread, vip, sent, whole, packets_per_flow)
        return sent

    def _pin(self, table: StickyTable, entry: int, flow_hash: int, vip: int, as_index: int, lb_time: int) -> None:
        """Store a new entry; the AS its slot pointed at gives up one flow, the new AS gains it."""
        previous = table.put(entry, flow_hash, vip, as_index, lb_time)
        self.refcount[previous] = self.refcount.get(previous, 0) - 1
        self.refcount[as_index] = self.refcount.get(as_index, 0) + 1

    def _new_flow(
        self, table: StickyTable, target: Target, flow_hash: int, free: int, packets: int, lb_time: int, sent: Sent
    ) -> Tuple[int, int]:
        """A flow whose first packet found no usable entry: (kind, AS) of that first packet.
        Each packet that takes a slot changes the bucket, so the next one is looked up again;
        once one hits or finds no slot, the rest do the same."""
        vip, flow_table = target.vip_index, target.new_flow_table
        as_index = flow_table[flow_hash & (len(flow_table) - 1)]
        first: Optional[Tuple[int, int]] = None
        while packets:
            if free < 0:
                kind, count = UNTRACKED, packets
            else:
                kind, count = (FIRST if as_index else NO_SERVER), 1
                self._pin(table, free, flow_hash, vip, as_index, lb_time)
            sent.counters[kind] += count
            row = sent.ases.setdefault(as_index, [0, 0])
            row[1] += count
            if first is None:
                first = (kind, as_index)
                row[0] += 1
            packets -= count
            if packets:
                bucket, found, free = table.lookup(flow_hash, vip, lb_time)
                if bucket is not None and found >= 0:
                    bucket[EXPIRES + found] = lb_time + table.timeout
                    hit = bucket[VALUE + found]
                    if hit:
                        sent.counters[EXISTING] += packets
                        sent.ases.setdefault(hit, [0, 0])[1] += packets
                        packets = 0
        return first if first is not None else (UNTRACKED, as_index)

    def _count(self, thread: int, vip_index: int, sent: Sent, whole: Dict[int, int], packets_per_flow: int) -> None:
        """Add the fast paths' flows (`whole`: AS -> flows) to `sent` and the counters to the VIP's."""
        for as_index, count in whole.items():
            row = sent.ases.setdefault(as_index, [0, 0])
            row[0] += count
            row[1] += count * packets_per_flow
        if self.vectors is None:
            return  # no VIP was ever added, so no packet can reach the lb node
        for kind, delta in enumerate(sent.counters):
            if delta:
                self.vectors[kind][thread][vip_index] += delta
        self.generation += 1
