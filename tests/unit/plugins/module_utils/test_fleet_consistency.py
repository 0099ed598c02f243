"""The fleet consistency check (module_utils/fleet_consistency.py, docs/fleet.md): gathered
vpp_lb_info states of several LBs in, per VIP the LBs that differ from the majority, how, and
the share of new flows an ECMP rehash breaks, out. Shares are checked against maglev_table
directly, so a wrong table or a wrong comparison shows."""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.fleet_consistency import (
    FleetInputError,
    fleet_consistency,
)
from ansible_collections.vpp.maglev.plugins.module_utils.maglev_table import build_table, moved_buckets

WEB = (("10.0.0.1", 100), ("10.0.0.2", 100), ("10.0.0.3", 100))


def vip(prefix="192.0.2.1/32", backends=WEB, protocol="tcp", port=80, length=1024, **attrs):
    base = {"vip": prefix, "protocol": protocol, "port": port, "encap": "gre4", "dscp": 0, "type": "clusterip"}
    base.update(target_port=0, new_flows_table_length=length, src_ip_sticky=False, **attrs)
    base["backends"] = [{"address": a, "weight": w, "num_buckets": 0} for a, w in backends]
    return base


def lb(*vips):
    return {"conf": {"ip4_src_address": "192.0.2.254", "flow_timeout": 40}, "vips": list(vips)}


def ases(backends):
    return {ipaddress.ip_address(a): w for a, w in backends}


def test_a_converged_fleet_is_consistent():
    state = lb(vip(), vip("192.0.2.2/32", port=443))
    # The same AS set in another order is the same table: VPP sorts by replica and address.
    shuffled = lb(vip(backends=list(reversed(WEB))), vip("192.0.2.2/32", port=443))
    report = fleet_consistency({"lb2": state, "lb1": shuffled, "lb3": state})
    assert report["consistent"] is True
    assert report["hosts"] == ["lb1", "lb2", "lb3"]
    assert report["vips"] == [] and report["failures"] == [] and report["health"] == []
    assert report["table_lines"] == ["fleet of 3 LBs (lb1, lb2, lb3): consistent, every VIP the same on every LB"]


def test_one_lb_with_a_weight_differing_is_named_with_the_share_of_broken_flows():
    drained = [("10.0.0.1", 100), ("10.0.0.2", 0), ("10.0.0.3", 100)]
    report = fleet_consistency({"lb1": lb(vip()), "lb2": lb(vip(backends=drained)), "lb3": lb(vip())})
    assert report["consistent"] is False
    expected = moved_buckets(ases(WEB), ases(drained), 1024) / 1024
    assert 0 < expected < 1
    [entry] = report["vips"]
    assert entry["vip"] == "192.0.2.1/32 tcp:80"
    assert entry["majority"] == ["lb1", "lb3"] and entry["tie"] is False
    assert entry["differing"] == [
        {"host": "lb2", "differences": ["weight of 10.0.0.2 is 0, majority 100"], "share": round(expected, 6)}
    ]
    assert entry["pairs"] == [{"hosts": ["lb2", "lb1"], "share": round(expected, 6), "majority": True}]
    assert entry["share"] == round(expected, 6)
    assert report["failures"] == [
        "lb2: 192.0.2.1/32 tcp:80: weight of 10.0.0.2 is 0, majority 100; %.1f%% of new flows break on an ECMP rehash"
        % (expected * 100)
    ]
    assert report["table"].splitlines()[2].split() == [
        "192.0.2.1/32",
        "tcp:80",
        "lb2",
        "%.1f%%" % (expected * 100),
        "weight",
        "of",
        "10.0.0.2",
        "is",
        "0,",
        "majority",
        "100",
    ]


def test_missing_extra_and_length_differences_and_the_pairs_between_differing_lbs():
    short = [("10.0.0.1", 100), ("10.0.0.3", 100), ("10.0.0.9", 100)]
    report = fleet_consistency(
        {
            "lb1": lb(vip()),
            "lb2": lb(vip()),
            "lb3": lb(vip(backends=short)),
            "lb4": lb(vip(length=2048)),
            "lb5": lb(),
        }
    )
    [entry] = report["vips"]
    differing = {item["host"]: item for item in entry["differing"]}
    assert differing["lb3"]["differences"] == ["AS 10.0.0.2 missing", "AS 10.0.0.9 extra"]
    assert differing["lb4"]["differences"] == ["table length 2048, majority 1024"]
    assert differing["lb5"] == {"host": "lb5", "differences": ["VIP missing"], "share": 1.0}
    # Another length: a flow hash h lands in bucket h & (length - 1) on each LB.
    small, big = build_table(ases(WEB), 1024), build_table(ases(WEB), 2048)
    masked = sum(1 for i in range(2048) if small[i & 1023] != big[i]) / 2048
    assert differing["lb4"]["share"] == round(masked, 6)
    pairs = {tuple(pair["hosts"]): pair for pair in entry["pairs"]}
    assert set(pairs) == {
        ("lb3", "lb1"),
        ("lb4", "lb1"),
        ("lb5", "lb1"),
        ("lb3", "lb4"),
        ("lb3", "lb5"),
        ("lb4", "lb5"),
    }
    other = build_table(ases(short), 1024)
    between = sum(1 for i in range(2048) if other[i & 1023] != big[i]) / 2048
    assert pairs[("lb3", "lb4")] == {"hosts": ["lb3", "lb4"], "share": round(between, 6), "majority": False}
    assert entry["share"] == 1.0


def test_a_vip_the_majority_lacks_is_extra_and_vips_come_in_numeric_order():
    report = fleet_consistency(
        {"lb1": lb(vip("192.0.2.10/32")), "lb2": lb(vip("192.0.2.10/32"), vip("192.0.2.9/32", port=0, protocol="any"))}
        | {"lb3": lb(vip("192.0.2.10/32", backends=WEB[:2]), vip("192.0.2.9/32", backends=WEB[:1]))}
    )
    vips = ["192.0.2.9/32 all-ports", "192.0.2.9/32 tcp:80", "192.0.2.10/32 tcp:80"]
    assert [entry["vip"] for entry in report["vips"]] == vips
    assert report["vips"][0]["differing"][0]["differences"] == ["VIP extra"]
    assert report["vips"][0]["majority"] == ["lb1", "lb3"]


def test_a_tie_goes_to_the_group_of_the_alphabetically_first_host_and_says_so():
    other = [("10.0.0.1", 100), ("10.0.0.2", 50), ("10.0.0.3", 100)]
    report = fleet_consistency(
        {"b": lb(vip(backends=other)), "a": lb(vip()), "c": lb(vip(backends=other)), "d": lb(vip())}
    )
    [entry] = report["vips"]
    assert entry["tie"] is True and entry["majority"] == ["a", "d"]
    assert [item["host"] for item in entry["differing"]] == ["b", "c"]
    assert entry["differing"][0]["differences"] == ["weight of 10.0.0.2 is 50, majority 100"]
    assert report["table_lines"][2].startswith("192.0.2.1/32 tcp:80 (tie)")


def test_max_share_lets_a_small_difference_pass_and_still_reports_it():
    many = [("10.0.%d.%d" % (i // 200, i % 200 + 1), 100) for i in range(64)]
    one_less = many[:-1]
    share = moved_buckets(ases(many), ases(one_less), 1024) / 1024
    fleet = {"lb1": lb(vip(backends=many)), "lb2": lb(vip(backends=many)), "lb3": lb(vip(backends=one_less))}
    assert fleet_consistency(fleet)["consistent"] is False
    within = fleet_consistency(fleet, max_share=share + 0.01)
    assert within["consistent"] is True and within["failures"] == []
    assert within["vips"][0]["differing"][0]["host"] == "lb3"
    assert "(within max_share" in within["table_lines"][0]
    above = fleet_consistency(fleet, max_share=share - 0.001)
    assert above["consistent"] is False and len(above["failures"]) == 1


def test_two_lbs_differing_each_its_own_way_are_further_apart_than_from_the_majority():
    four = [("10.0.0.%d" % i, 100) for i in range(1, 5)]
    no1 = [(a, 0 if a == "10.0.0.1" else w) for a, w in four]
    no2 = [(a, 0 if a == "10.0.0.2" else w) for a, w in four]
    fleet = {"lb1": lb(vip(backends=four)), "lb2": lb(vip(backends=four))}
    fleet.update(lb3=lb(vip(backends=no1)), lb4=lb(vip(backends=no2)))
    between = moved_buckets(ases(no1), ases(no2), 1024) / 1024
    own = [moved_buckets(ases(four), ases(other), 1024) / 1024 for other in (no1, no2)]
    assert between > max(own)
    # Each is within 0.4 of the majority, but a rehash between lb3 and lb4 breaks more.
    report = fleet_consistency(fleet, max_share=max(own) + 0.01)
    assert report["consistent"] is False and report["vips"][0]["share"] == round(between, 6)
    assert [line.split(":")[0] for line in report["failures"]] == ["lb3", "lb4"]
    assert report["failures"][0].endswith(
        "%.1f%% of new flows break on an ECMP rehash (%.1f%% between it and lb4)" % (own[0] * 100, between * 100)
    )
    assert "(%.1f%% vs lb3)" % (between * 100) in report["table_lines"][3]
    assert fleet_consistency(fleet, max_share=between)["consistent"] is True


def test_a_pair_within_the_further_lbs_own_share_only_fails_that_lb():
    four = [("10.0.0.%d" % i, 100) for i in range(1, 5)]
    no1 = [(a, 0 if a == "10.0.0.1" else w) for a, w in four]
    no12 = [(a, 0 if a in ("10.0.0.1", "10.0.0.2") else w) for a, w in four]
    fleet = {"lb1": lb(vip(backends=four)), "lb2": lb(vip(backends=four))}
    fleet.update(lb3=lb(vip(backends=no1)), lb4=lb(vip(backends=no12)))
    lb3_own = moved_buckets(ases(four), ases(no1), 1024) / 1024
    between = moved_buckets(ases(no1), ases(no12), 1024) / 1024
    lb4_own = moved_buckets(ases(four), ases(no12), 1024) / 1024
    assert lb3_own < between < lb4_own
    # lb3 is within the threshold of the majority; its pair with lb4 is not, but lb4's own
    # line already shows more: only lb4 is named, and fixing lb4 fixes the pair.
    report = fleet_consistency(fleet, max_share=(lb3_own + between) / 2)
    assert report["consistent"] is False
    assert report["failures"] == [
        "lb4: 192.0.2.1/32 tcp:80: weight of 10.0.0.1 is 0, majority 100; weight of 10.0.0.2 is 0, majority 100; "
        "%.1f%% of new flows break on an ECMP rehash" % (lb4_own * 100)
    ]


def test_a_long_list_of_differences_is_shortened_in_the_text_and_kept_whole_in_the_data():
    eight = [("10.0.0.%d" % i, 100) for i in range(1, 9)]
    report = fleet_consistency({"lb1": lb(vip(backends=eight)), "lb2": lb(vip(backends=eight)), "lb3": lb(vip())})
    differences = ["AS 10.0.0.%d missing" % i for i in range(4, 9)]
    assert report["vips"][0]["differing"][0]["differences"] == differences
    assert report["failures"][0].startswith(
        "lb3: 192.0.2.1/32 tcp:80: AS 10.0.0.4 missing; AS 10.0.0.5 missing; AS 10.0.0.6 missing (+2 more); "
    )


def test_weights_above_the_cutoff_differ_but_break_no_flow():
    # 64 ASes in a 1024-bucket table: any weight >= 16 gives the same table (docs/fleet.md).
    many = [("10.0.1.%d" % i, 100) for i in range(1, 65)]
    lighter = many[:-1] + [("10.0.1.64", 50)]
    report = fleet_consistency(
        {"lb1": lb(vip(backends=many)), "lb2": lb(vip(backends=many)), "lb3": lb(vip(backends=lighter))}
    )
    assert report["vips"][0]["share"] == 0.0
    assert report["failures"][0].endswith("no new flow breaks on an ECMP rehash (same new-flow table)")
    # With any tolerance it passes: no flow breaks.
    two = {"a": lb(vip(backends=many)), "b": lb(vip(backends=lighter))}
    assert fleet_consistency(two, 0.01)["consistent"] is True


def test_encap_differences_and_ipv6_addresses_in_any_spelling():
    v6 = [("2001:db8:0:0::1", 100), ("2001:db8::2", 100)]
    same = [("2001:db8::1", 100), ("2001:db8::2", 100)]
    report = fleet_consistency(
        {
            "lb1": lb(vip("2001:db8:f::1/128", backends=v6, encap="gre6")),
            "lb2": lb(vip("2001:db8:f::1/128", backends=same, encap="gre6")),
            "lb3": lb(vip("2001:db8:f::1/128", backends=same, encap="l3dsr")),
        }
    )
    [entry] = report["vips"]
    assert entry["differing"] == [{"host": "lb3", "differences": ["encap l3dsr, majority gre6"], "share": 0.0}]


def test_health_divergence_names_the_lb_whose_maglevd_sees_otherwise():
    state = lb(vip())
    health = {
        "lb1": {"web1": "up", "web2": "up"},
        "lb2": {"web1": {"state": "up"}, "web2": "down"},
        "lb3": {"web1": "up", "web2": "up", "web3": "up"},
    }
    report = fleet_consistency({"lb1": state, "lb2": state, "lb3": state}, health=health)
    assert report["consistent"] is False
    assert (
        report["health"]
        == [
            {"host": "lb3", "backends": {"web3": {"state": "up", "majority": None}}},
            {"host": "lb2", "backends": {"web2": {"state": "down", "majority": "up"}}},
        ][::-1]
    )
    assert report["failures"] == [
        "lb2: maglevd sees web2 down (majority up)",
        "lb3: maglevd sees web3 up (majority absent)",
    ]
    assert report["table_lines"][-2].split() == ["lb2", "web2", "down", "up"]


def test_a_whole_registered_vpp_lb_info_result_is_accepted():
    report = fleet_consistency({"lb1": {"changed": False, "lb": lb(vip())}, "lb2": lb(vip())})
    assert report["consistent"] is True


@pytest.mark.parametrize(
    "lbs, max_share, message",
    [
        ({"lb1": {"vips": "x"}}, 0, "lb1: expected the lb value"),
        ({"lb1": lb(vip(backends=[("nope", 1)]))}, 0, "'nope' is not an IP address"),
        ({"lb1": lb(vip(length=1000))}, 0, "1000 is not a power of two"),
        (
            {"lb1": lb(vip(backends=[("10.0.0.1", "100")]))},
            0,
            "lb1: 192.0.2.1/32 tcp:80: weight '100' is not an integer",
        ),
        ({"lb1": lb({**vip(), "backends": [{"weight": 1}]})}, 0, "a backend without an address"),
        ({"lb1": lb({**vip(), "backends": [{"address": 167772161}]})}, 0, "167772161 is not an IP address"),
        ({"lb1": lb(vip(protocol="sctp"))}, 0, "lb1: VIP"),
        ({"lb1": lb(vip())}, 5, "5% is 0.05"),
        ([], 0, "expected {host"),
    ],
)
def test_bad_input_says_where(lbs, max_share, message):
    with pytest.raises(FleetInputError, match=message.replace("(", r"\(")):
        fleet_consistency(lbs, max_share)
