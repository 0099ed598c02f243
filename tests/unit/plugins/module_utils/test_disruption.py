"""Disruption figures against hand-computed cases (docs/state-module.md)."""

from __future__ import annotations

import ipaddress
import random

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.disruption import (
    plan_disruption,
    table_inputs,
    vip_disruption,
)
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbConf, LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.maglev_table import build_table, ip46
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan

A = ipaddress.ip_address
KEY = VipKey.make("192.0.2.0/24", "any", 0)  # the VIP of VPP's test_lb_as_set_weight
AS = [A("10.0.0.%d" % i) for i in range(1, 6)]


def vip(weights, length=1024, key=KEY):
    return Vip(key, VipAttrs(new_flows_table_length=length), dict(zip(AS, weights)))


def moved_by_hand(before, after, length=1024):
    """Bucket-by-bucket comparison of the two tables, written out independently."""
    old = build_table(dict(zip(AS, before)), length)
    new = build_table(dict(zip(AS, after)), length)
    return sum(1 for i in range(length) if old[i] != new[i])


def test_golden_half_weight_on_one_of_four():
    # docs/vpp-lb-reference.md#the-new-flow-table: 100/100/100/100 -> 50/100/100/100 gives 256x4 -> 150/292/291/291 buckets.
    figures = vip_disruption(vip([100] * 4), vip([50, 100, 100, 100]))
    assert figures["buckets_before"] == {"10.0.0.1": 256, "10.0.0.2": 256, "10.0.0.3": 256, "10.0.0.4": 256}
    assert figures["buckets_after"] == {"10.0.0.1": 150, "10.0.0.2": 292, "10.0.0.3": 291, "10.0.0.4": 291}
    # .1 loses 256 - 150 = 106 buckets: the least any table could move is 106/1024.
    assert figures["minimum_share"] == round(106 / 1024, 4)
    # VPP's table is not minimal: it reshuffles more than the lost share (exact count pinned).
    assert figures["moved_buckets"] == moved_by_hand([100] * 4, [50, 100, 100, 100]) == 216
    assert figures["moved_share"] == round(216 / 1024, 4)
    assert figures["change"] == "modified" and figures["table_length"] == 1024


def test_golden_weight_zero_then_fifth_as():
    # docs/vpp-lb-reference.md#the-new-flow-table rows: 50/0/100/100 -> 208/0/408/408, then .5 at 50 -> 181/0/331/331/181.
    before, after = vip([50, 0, 100, 100]), vip([50, 0, 100, 100, 50])
    figures = vip_disruption(before, after)
    assert figures["buckets_before"] == {"10.0.0.1": 208, "10.0.0.2": 0, "10.0.0.3": 408, "10.0.0.4": 408}
    assert figures["buckets_after"] == {
        "10.0.0.1": 181,
        "10.0.0.2": 0,
        "10.0.0.3": 331,
        "10.0.0.4": 331,
        "10.0.0.5": 181,
    }
    # .1 loses 27, .3 and .4 lose 77 each: 181 buckets at least (exactly what .5 gains).
    assert figures["minimum_share"] == round(181 / 1024, 4)
    assert figures["moved_buckets"] == moved_by_hand([50, 0, 100, 100], [50, 0, 100, 100, 50])
    assert figures["moved_buckets"] >= 181


def test_adding_a_fifth_equal_as_moves_at_least_a_fifth():
    figures = vip_disruption(vip([100] * 4), vip([100] * 5))
    # 1024/5: .5 gets 204 buckets, taken from the four others (at best exactly those).
    assert figures["buckets_after"]["10.0.0.5"] == 204
    assert figures["minimum_share"] == round(204 / 1024, 4)
    assert figures["moved_buckets"] == moved_by_hand([100] * 4, [100] * 5) == 335


def test_weight_zero_as_owns_nothing_and_moves_nothing():
    figures = vip_disruption(vip([100, 100, 100]), vip([100, 100, 100, 0]))
    assert figures["moved_buckets"] == 0 and figures["moved_share"] == 0.0
    assert "buckets_after" not in figures  # same table: not even built


def test_weights_above_the_cutoff_do_not_change_the_table():
    # 64 ASes, 1024 buckets: only replicas r < 16 fit, so 100 -> 70 changes nothing at all.
    ases = [A("10.2.0.%d" % i) for i in range(64)]
    key = VipKey.make("192.0.2.7/32", "tcp", 80)
    before = Vip(key, VipAttrs(), {a: 100 for a in ases})
    after = Vip(key, VipAttrs(), {a: (70 if i % 10 == 0 else 100) for i, a in enumerate(ases)})
    assert build_table(before.ases, 1024) == build_table(after.ases, 1024)
    assert vip_disruption(before, after)["moved_buckets"] == 0
    lower = Vip(key, VipAttrs(), {a: (8 if i % 10 == 0 else 100) for i, a in enumerate(ases)})
    figures = vip_disruption(before, lower)
    assert figures["moved_buckets"] == sum(
        1 for x, y in zip(build_table(before.ases, 1024), build_table(lower.ases, 1024)) if x != y
    )
    assert figures["moved_buckets"] > 0


@pytest.mark.parametrize("seed", range(40))
def test_table_inputs_capture_everything_the_table_depends_on(seed):
    """Building the table from the truncated entry counts gives the very same table."""
    rng = random.Random(seed)
    length = rng.choice([8, 16, 64, 256, 1024])
    ases = {A("10.3.%d.%d" % (rng.randrange(4), rng.randrange(256))): rng.randrange(0, 101) for _index in range(20)}
    truncated = dict(table_inputs(ases, length))
    as_truncated = {a: truncated.get(ip46(a), 0) for a in ases}
    assert build_table(ases, length) == build_table(as_truncated, length)
    assert sum(truncated.values()) == min(length, sum(ases.values()))


def test_added_and_removed_vips():
    added = vip_disruption(None, vip([100, 100]))
    assert added["change"] == "added" and added["moved_share"] == 0.0
    removed = vip_disruption(vip([100, 100]), None)
    assert removed["change"] == "removed" and removed["moved_share"] == 1.0 and removed["moved_buckets"] == 1024
    idle = vip_disruption(vip([0, 0]), None)
    assert idle["moved_buckets"] == 0


def test_last_as_to_zero_sends_every_bucket_to_drop():
    figures = vip_disruption(vip([100]), vip([0]))
    assert figures["moved_share"] == 1.0 and figures["buckets_after"] == {"10.0.0.1": 0, "drop": 1024}


@pytest.mark.parametrize("old_len,new_len", [(1024, 2048), (2048, 1024)])
def test_table_length_change_compares_by_hash(old_len, new_len):
    # Same ASes, different length: flow hash h uses bucket h & (len-1) in each table.
    figures = vip_disruption(vip([100] * 4, old_len), vip([100] * 4, new_len), recreated=True)
    old = build_table(dict(zip(AS, [100] * 4)), old_len)
    new = build_table(dict(zip(AS, [100] * 4)), new_len)
    big = max(old_len, new_len)
    expected = sum(1 for h in range(big) if old[h % old_len] != new[h % new_len])
    assert figures["change"] == "recreated" and figures["table_length"] == big
    assert figures["moved_buckets"] == expected > 0
    assert figures["minimum_share"] == 0.0  # the shares themselves did not change


def test_plan_disruption_lists_exactly_the_changed_vips():
    other = VipKey.make("192.0.2.99/32", "tcp", 443)
    current = LbState(LbConf(), {KEY: vip([100] * 4), other: vip([100, 100], key=other)})
    desired = LbState(LbConf(), {KEY: vip([50, 100, 100, 100]), other: vip([100, 100], key=other)})
    figures = plan_disruption(plan(current, desired, "replaced"))
    assert list(figures) == [str(KEY)]
    assert figures[str(KEY)]["moved_buckets"] == 216
    assert plan_disruption(plan(current, current, "replaced")) == {}
