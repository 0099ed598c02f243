# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VPP's weighted Maglev new-flow table (lb plugin, master), reproduced bit for bit.

docs/state-module.md. The simulator uses it to answer ``num_buckets`` and the state
module uses it to predict how many new-flow buckets a change moves. Pure stdlib, no I/O.

The algorithm, as ``lb_vip_update_new_flow_table`` does it:

1. No AS with weight > 0 (among the live ones): every bucket is "drop".
2. Every AS of weight w contributes the entries (AS, r) for r = 0 .. w-1.
3. Entries are sorted by (r, the AS's 16-byte ip46 address compared with memcmp).
4. seed = clib_xxhash(lo ^ hi ^ r), lo/hi the ip46 address read as two little-endian u64;
   skip = ((seed & 0xffffffff) | 1) & mask, start = (seed >> 32) & mask.
5. Round-robin over the sorted entries, each taking the next free bucket of its own
   permutation, until every bucket is taken.

Because a full round places one bucket per entry, only the first ``length`` entries of the
sorted order can ever get a bucket; generating entries lazily in that order keeps a table of
10,000 ASes cheap. VPP <= 26.06 has no weights: one entry per live AS, which is exactly the
weighted algorithm with every weight 1 (``weighted=False``).
"""

from __future__ import annotations

import ipaddress
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

_M64 = 0xFFFFFFFFFFFFFFFF
_P1 = 0x9E3779B185EBCA87
_P2 = 0xC2B2AE3D27D4EB4F
_P3 = 0x165667B19E3779F9
_P4 = 0x85EBCA77C2B2AE63
_P5 = 0x27D4EB2F165667C5
# clib_xxhash's initial h64 = 0x9e3779b97f4a7c13 + PRIME64_5 + 8 (mod 2^64).
_H0 = (0x9E3779B97F4A7C13 + _P5 + 8) & _M64


def xxhash(key: int) -> int:
    """VPP's clib_xxhash: a one-round XXH64 of one u64."""
    k = (key * _P2) & _M64
    k = (((k << 31) | (k >> 33)) & _M64) * _P1 & _M64
    h = _H0 ^ k
    h = ((((h << 27) | (h >> 37)) & _M64) * _P1 + _P4) & _M64
    h ^= h >> 33
    h = (h * _P2) & _M64
    h ^= h >> 29
    h = (h * _P3) & _M64
    h ^= h >> 32
    return h


def ip46(address: IPAddress) -> bytes:
    """VPP's 16-byte ip46 form: IPv4 is 12 zero bytes then the 4 address bytes."""
    if address.version == 4:
        return b"\x00" * 12 + address.packed
    return address.packed


def _seed_key(addr16: bytes) -> int:
    return int.from_bytes(addr16[:8], "little") ^ int.from_bytes(addr16[8:], "little")


def _check_length(length: int) -> int:
    if not isinstance(length, int) or length <= 0 or length & (length - 1):
        raise ValueError("new_flows_table_length must be a power of two > 0, got %r" % (length,))
    return length - 1


def build_table_ip46(ases: Sequence[Tuple[bytes, int]], length: int, weighted: bool = True) -> List[int]:
    """The table over ip46-keyed ASes: each bucket is an index into ``ases`` or -1 (drop).

    ``ases`` lists the live ASes as (16-byte ip46 address, weight); addresses must be unique.
    With ``weighted=False`` (VPP <= 26.06) every AS counts once whatever its weight.
    """
    mask = _check_length(length)
    live = [(addr, (1 if weighted is False else weight), i) for i, (addr, weight) in enumerate(ases)]
    live = [entry for entry in live if entry[1] > 0]
    if not live:
        return [-1] * length
    live.sort()
    seeds = [_seed_key(addr) for addr, _w, _i in live]
    entries: List[List[int]] = []
    max_weight = max(weight for _a, weight, _i in live)
    for r in range(max_weight):
        for pos, (_addr, weight, index) in enumerate(live):
            if weight <= r:
                continue
            seed = xxhash(seeds[pos] ^ r)
            entries.append([index, (seed >> 32) & mask, ((seed & 0xFFFFFFFF) | 1) & mask])
            if len(entries) == length:
                break
        if len(entries) == length:
            break
    table = [-1] * length
    done = 0
    while True:
        for entry in entries:
            last, skip = entry[1], entry[2]
            while table[last] != -1:
                last = (last + skip) & mask
            table[last] = entry[0]
            entry[1] = (last + skip) & mask
            done += 1
            if done == length:
                return table


def _normalise(ases: Mapping[IPAddress, int]) -> List[Tuple[IPAddress, int]]:
    items = []
    for address, weight in ases.items():
        addr = ipaddress.ip_address(address)
        if not isinstance(weight, int) or weight < 0 or weight > 255:
            raise ValueError("weight of %s must be an integer 0..255, got %r" % (addr, weight))
        items.append((addr, weight))
    return items


def build_table(ases: Mapping[IPAddress, int], length: int, weighted: bool = True) -> List[Optional[IPAddress]]:
    """The new-flow table VPP builds for these live ASes (address -> weight).

    Each element is the AS owning that bucket, or None for "drop".
    """
    items = _normalise(ases)
    table = build_table_ip46([(ip46(a), w) for a, w in items], length, weighted)
    return [items[i][0] if i >= 0 else None for i in table]


def bucket_counts(ases: Mapping[IPAddress, int], length: int, weighted: bool = True) -> Dict[IPAddress, int]:
    """How many buckets each AS gets (every AS of ``ases`` appears, 0 when it gets none)."""
    items = _normalise(ases)
    counts = [0] * len(items)
    for i in build_table_ip46([(ip46(a), w) for a, w in items], length, weighted):
        if i >= 0:
            counts[i] += 1
    return {addr: counts[i] for i, (addr, _w) in enumerate(items)}


def moved_buckets(
    before: Mapping[IPAddress, int], after: Mapping[IPAddress, int], length: int, weighted: bool = True
) -> int:
    """How many buckets change owner between two AS sets (the new flows a change moves)."""
    old = build_table(before, length, weighted)
    new = build_table(after, length, weighted)
    return sum(1 for a, b in zip(old, new) if a != b)
