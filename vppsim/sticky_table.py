"""One thread's sticky table, as the lb plugin's lbhash.h keeps it.

``buckets`` buckets of 4 entries; an entry is (hash, VIP index, AS index, timeout). A lookup
looks only at the flow's bucket (``hash & mask``): the first live entry with the same hash and
VIP is the flow's, and the first expired entry is the slot a new flow may take. Nothing is
ever freed: an expired entry keeps its AS (and that AS's refcount) until a new flow reuses its
slot; a flush re-points entries at AS 0 but leaves their timeout, so a flushed slot is free
only once it expires (docs/vppsim.md#the-sticky-table). Times are VPP's lb clock: uptime in
seconds + 10,000, compared as x86's SSE path does (live while timeout > now).

VPP allocates the whole table zeroed; here a bucket exists once an entry was written to it
(an absent bucket reads as four zero entries), so memory follows the flows sent, not the
configured size.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

ENTRIES_PER_BUCKET = 4
NO_VIP = 0xFFFFFFFF  # a flushed entry's VIP: matches no packet
# A bucket row: 4 hashes, 4 VIP indexes, 4 AS indexes, 4 timeouts.
HASH, VIP, VALUE, EXPIRES = 0, 4, 8, 12
Row = List[int]


class StickyTable:
    def __init__(self, buckets: int, timeout: int) -> None:
        self.buckets = buckets
        self.mask = buckets - 1
        self.timeout = timeout
        self.rows: Dict[int, Row] = {}  # bucket index -> row; absent: never written

    def lookup(self, flow_hash: int, vip: int, now: int) -> Tuple[Optional[Row], int, int]:
        """lb_hash_get without its side effect: (the bucket's row or None, entry of the flow's
        live entry or -1, first expired entry or -1). The caller renews a found entry
        (row[EXPIRES + entry]), as VPP does."""
        row = self.rows.get(flow_hash & self.mask)
        if row is None:
            return None, -1, 0
        found = free = -1
        for entry, expires in enumerate(row[12:16]):  # EXPIRES..: literals, as this runs per packet
            if expires > now:
                if found < 0 and row[entry] == flow_hash and row[entry + 4] == vip:
                    found = entry
            elif free < 0:
                free = entry
        return row, found, free

    def put(self, entry: int, flow_hash: int, vip: int, as_index: int, now: int) -> int:
        """lb_hash_put into a free entry of the flow's bucket; returns the AS it pointed at."""
        row = self.rows.get(flow_hash & self.mask)
        if row is None:
            row = self.rows[flow_hash & self.mask] = [0] * (4 * ENTRIES_PER_BUCKET)
        previous = row[VALUE + entry]
        row[entry], row[VIP + entry], row[VALUE + entry] = flow_hash, vip, as_index
        row[EXPIRES + entry] = now + self.timeout
        return previous

    def flush(self, match: Callable[[int, int], bool], refcount: Dict[int, int]) -> int:
        """lb_flush_vip_as: re-point matching entries (match(vip, as)) at AS 0; returns how many.
        Never-written entries (VIP 0, AS 0) only ever match a flush of VIP 0, a no-op here."""
        flushed = 0
        for row in self.rows.values():
            for entry in range(ENTRIES_PER_BUCKET):
                value = row[VALUE + entry]
                if match(row[VIP + entry], value):
                    refcount[value] = refcount.get(value, 0) - 1
                    refcount[0] = refcount.get(0, 0) + 1
                    row[VIP + entry], row[VALUE + entry] = NO_VIP, 0
                    flushed += 1
        return flushed

    def release_all(self, refcount: Dict[int, int]) -> None:
        """What lb_get_sticky_table does before it drops a table of the wrong size (entries of
        AS 0 move nothing, so the never-written ones need no visit)."""
        for row in self.rows.values():
            for value in row[VALUE : VALUE + ENTRIES_PER_BUCKET]:
                refcount[value] = refcount.get(value, 0) - 1
                refcount[0] = refcount.get(0, 0) + 1

    def live(self, now: int) -> int:
        """lb_hash_elts: entries whose timeout has not passed (now <= timeout)."""
        return sum(1 for row in self.rows.values() for expires in row[EXPIRES:] if expires >= now)

    def size(self) -> int:
        """What `show lb` prints as the table's size: lb_hash_size is mask + 4 in VPP master."""
        return self.mask + ENTRIES_PER_BUCKET
