"""VPP's stats segment: shared memory in the layout vpp_papi's VPPStats reads (version 2).

A memfd, mapped here read-write and handed to each client over the stats socket
(stats_server.py). At offset 0 the shared header: version, base (the address the pointers
below are relative to), epoch, in_progress, the directory vector. The directory is a VPP
vector of 144-byte entries (type, value, 128-byte name); a simple counter's value points at a
vector of per-thread pointers, each at a vector of u64. A VPP vector's length is the u32
8 bytes before its first element (docs/vppsim.md#the-stats-segment).

Every change is made between in_progress = 1 and epoch + 1, in_progress = 0, as
vlib_stats_segment_lock/unlock do, so a reader's optimistic lock retries instead of seeing
half an update. Memory is only ever appended: a vector that grows is copied to new space and
the old one is left as it was, so a reader still holding the old pointers reads old, whole
data; when the segment is full everything is laid out afresh from the start.
"""

from __future__ import annotations

import mmap
import os
import struct
from typing import Dict, List, Optional, Tuple

VERSION = 2
BASE = 0x7F5A00000000  # where "VPP" mapped the segment; readers subtract it from pointers
DEFAULT_SIZE = 32 << 20  # VPP's default statseg size; a memfd only uses the pages written
HEADER = struct.Struct("<QQQQQQ")  # version, base, epoch, in_progress, directory, (error vector)
ENTRY = struct.Struct("<IxxxxQ128s")  # vlib_stats_entry_t: 144 bytes
VEC_HEADER = 8  # u32 len, u8 hdr_size, u8 log2_align, 2 spare
HEAP_START = 4096  # the first page is the header's, as in VPP
ALIGN = 64  # counters are cache-line aligned in VPP
SCALAR, SIMPLE, GAUGE = 1, 2, 9  # stat_directory_type_t
EPOCH_AT, IN_PROGRESS_AT, DIRECTORY_AT = 16, 24, 32
ENTRY_VALUE_AT = 8  # within an entry


class SegmentFull(Exception):
    """The data does not fit even in a freshly laid-out segment."""


class _Vector:
    """Where one VPP vector lives: the offset of its first element and room for how many."""

    __slots__ = ("capacity", "offset")

    def __init__(self, offset: int, capacity: int) -> None:
        self.offset = offset
        self.capacity = capacity


class StatsSegment:
    """The segment's memory and what it holds: entries by name, in directory order."""

    def __init__(self, size: int = DEFAULT_SIZE, name: str = "vppsim-stats") -> None:
        self.size = size
        self.fd = os.memfd_create(name, os.MFD_CLOEXEC)
        os.ftruncate(self.fd, size)
        self.map = mmap.mmap(self.fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self.names: List[str] = []
        self.types: List[int] = []
        self.scalars: Dict[str, int] = {}
        self.counters: Dict[str, List[List[int]]] = {}
        self.epoch = 1
        self.next_free = HEAP_START
        self.directory = _Vector(0, 0)
        self.vectors: Dict[str, Tuple[_Vector, List[_Vector]]] = {}
        self.map[0 : HEADER.size] = HEADER.pack(VERSION, BASE, self.epoch, 0, 0, 0)
        self._layout()

    def close(self) -> None:
        """Unmap and close our descriptor; clients keep their own mappings."""
        self.map.close()
        os.close(self.fd)

    # -- the public updates -------------------------------------------------------------------

    def publish(self, scalars: Dict[str, int], counters: Dict[str, List[List[int]]]) -> None:
        """Set scalar/gauge values and simple counters (name -> [thread][index]) in one
        locked update; names not yet in the directory are appended (never removed)."""
        self.map[IN_PROGRESS_AT : IN_PROGRESS_AT + 8] = struct.pack("<Q", 1)
        try:
            self.scalars.update(scalars)
            self.counters.update({name: [list(row) for row in rows] for name, rows in counters.items()})
            try:
                self._write_all(incremental=True)
            except SegmentFull:
                self._layout()  # out of appended space: lay everything out afresh
        finally:
            self.epoch += 1
            self.map[EPOCH_AT : EPOCH_AT + 8] = struct.pack("<Q", self.epoch)
            self.map[IN_PROGRESS_AT : IN_PROGRESS_AT + 8] = struct.pack("<Q", 0)

    def define(self, name: str, kind: int, value: int = 0) -> None:
        """Register an entry; it enters the directory, after the ones before it, at the next
        publish (as VPP appends an entry when a counter is first validated)."""
        if name not in self.names:
            self.names.append(name)
            self.types.append(kind)
            if kind != SIMPLE:
                self.scalars[name] = value
            else:
                self.counters[name] = [[]]

    def set_in_place(self, name: str, value: int) -> None:
        """A scalar written without the lock, as VPP's collector bumps /sys/heartbeat."""
        self.scalars[name] = value
        offset = self.directory.offset + self.names.index(name) * ENTRY.size + ENTRY_VALUE_AT
        self.map[offset : offset + 8] = struct.pack("<Q", value & 0xFFFFFFFFFFFFFFFF)

    # -- layout ---------------------------------------------------------------------------------

    def _layout(self) -> None:
        """Every vector afresh from the start of the heap (the directory pointer follows)."""
        self.next_free = HEAP_START
        self.directory = _Vector(0, 0)
        self.vectors = {}
        self._write_all(incremental=False)

    def _alloc(self, count: int, element: int) -> _Vector:
        capacity = max(count * 2, 16)
        start = -(-(self.next_free + VEC_HEADER) // ALIGN) * ALIGN
        end = start + capacity * element
        if end > self.size:
            raise SegmentFull("stats segment of %d bytes is full" % self.size)
        self.next_free = end
        return _Vector(start, capacity)

    def _set_len(self, vector: _Vector, length: int) -> None:
        self.map[vector.offset - VEC_HEADER : vector.offset] = struct.pack("<IBBxx", length, 0, 6)

    def _write_all(self, incremental: bool) -> None:
        for name in self.names:
            if name in self.counters:
                self._write_counter(name, self.counters[name], incremental)
        if not self.directory.capacity or len(self.names) > self.directory.capacity:
            self.directory = self._alloc(len(self.names), ENTRY.size)
            self.map[DIRECTORY_AT : DIRECTORY_AT + 8] = struct.pack("<Q", BASE + self.directory.offset)
        rows = []
        for name, kind in zip(self.names, self.types):
            if kind == SIMPLE:
                value = BASE + self.vectors[name][0].offset
            else:
                value = self.scalars.get(name, 0) & 0xFFFFFFFFFFFFFFFF
            rows.append(ENTRY.pack(kind, value, name.encode("ascii")))
        start = self.directory.offset
        self.map[start : start + len(rows) * ENTRY.size] = b"".join(rows)
        self._set_len(self.directory, len(rows))

    def _write_counter(self, name: str, rows: List[List[int]], incremental: bool) -> None:
        placed: Optional[Tuple[_Vector, List[_Vector]]] = self.vectors.get(name) if incremental else None
        if placed is None or len(placed[1]) != len(rows) or any(len(r) > v.capacity for r, v in zip(rows, placed[1])):
            threads = [self._alloc(len(row), 8) for row in rows]
            placed = (self._alloc(len(rows), 8), threads)
            self.vectors[name] = placed
            pointers = b"".join(struct.pack("<Q", BASE + vector.offset) for vector in threads)
            self.map[placed[0].offset : placed[0].offset + len(pointers)] = pointers
            self._set_len(placed[0], len(rows))
        for row, vector in zip(rows, placed[1]):
            data = struct.pack("<%dQ" % len(row), *row)
            self.map[vector.offset : vector.offset + len(data)] = data
            self._set_len(vector, len(row))
