"""The weighted Maglev table reproduces VPP's golden bucket counts (docs/vpp-lb-reference.md#the-new-flow-table)."""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.maglev_table import (
    bucket_counts,
    build_table,
    moved_buckets,
    xxhash,
)

AS = [ipaddress.ip_address("10.0.0.%d" % i) for i in range(1, 6)]


@pytest.mark.parametrize(
    "weights, expected",
    [
        ((100, 100, 100, 100), (256, 256, 256, 256)),
        ((50, 100, 100, 100), (150, 292, 291, 291)),
        ((50, 0, 100, 100), (208, 0, 408, 408)),
        ((50, 0, 100, 100, 0), (208, 0, 408, 408, 0)),
        ((50, 0, 100, 100, 50), (181, 0, 331, 331, 181)),
        ((0, 0, 0, 100, 50), (0, 0, 0, 674, 350)),
    ],
)
def test_golden_counts_from_vpp_test_lb_as_set_weight(weights, expected):
    counts = bucket_counts(dict(zip(AS, weights)), 1024)
    assert tuple(counts[a] for a in AS[: len(weights)]) == expected


def test_insertion_order_does_not_matter():
    forward = dict(zip(AS, (50, 100, 100, 100, 7)))
    backward = dict(reversed(list(forward.items())))
    assert build_table(forward, 1024) == build_table(backward, 1024)


def test_all_zero_weights_drop_everything():
    assert build_table({AS[0]: 0, AS[1]: 0}, 8) == [None] * 8
    assert build_table({}, 4) == [None] * 4


def test_unweighted_legacy_gives_equal_shares():
    counts = bucket_counts(dict(zip(AS[:4], (1, 50, 100, 0))), 1024, weighted=False)
    assert list(counts.values()) == [256, 256, 256, 256]


def test_sum_is_table_length_and_ipv6_works():
    ases = {ipaddress.ip_address("2001:db8::%x" % i): i for i in range(1, 40)}
    counts = bucket_counts(ases, 256)
    assert sum(counts.values()) == 256


def test_moved_buckets():
    before = dict(zip(AS[:4], (100, 100, 100, 100)))
    assert moved_buckets(before, before, 1024) == 0
    after = dict(before)
    after[AS[0]] = 0
    # At least the drained AS's 256 buckets move; Maglev keeps most of the others in place.
    moved = moved_buckets(before, after, 1024)
    assert 256 <= moved < 512


def test_xxhash_values_are_pinned():
    # Pinned from the implementation that reproduces VPP's golden tables above.
    assert xxhash(0) == 0x6F06F901BFA27892
    assert xxhash(1) == 0x4A67795370639BA2


@pytest.mark.parametrize("length", [0, 3, 1000, -4])
def test_bad_length_is_a_clear_error(length):
    with pytest.raises(ValueError, match="power of two"):
        build_table({AS[0]: 1}, length)
