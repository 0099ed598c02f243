"""The fleet consistency filter on 20 LBs x 16,000 ASes each (docs/fleet.md).

Two shapes of the same size, 200 VIPs x 80 ASes and 1,000 VIPs x 16 ASes, each checked three
ways: a fleet that agrees, one LB with 10% of its VIPs re-weighted (one AS at weight 0, as
when its maglevd sees a backend down), and every LB differing on one VIP. Each time is printed
beside a baseline measured in the same run: a plain comparison of every LB's state, as
vpp_lb_info returns it, with the first LB's. Target: the filter's own cost < 2 s.
"""

from __future__ import annotations

from _common import best_of
from ansible_collections.vpp.maglev.plugins.module_utils.fleet_consistency import fleet_consistency

HOSTS = 20
SHAPES = ((200, 80), (1000, 16))
TARGET = 2.0


def lb_state(vips: int, ases: int) -> dict:
    """One LB's state in vpp_lb_info's shape, built afresh (each LB's read is its own copy)."""
    result = []
    for v in range(vips):
        backends = [
            {"address": "10.%d.%d.%d" % (v // 250, v % 250, a + 1), "weight": 100, "num_buckets": 1024 // ases}
            for a in range(ases)
        ]
        result.append(
            {
                "vip": "198.18.%d.%d/32" % (v // 250, v % 250),
                "protocol": "tcp",
                "port": 80,
                "encap": "gre4",
                "dscp": 0,
                "type": "clusterip",
                "target_port": 0,
                "new_flows_table_length": 1024,
                "src_ip_sticky": False,
                "backends": backends,
            }
        )
    return {"conf": {"ip4_src_address": "192.0.2.254", "flow_timeout": 40}, "vips": result}


def fleets(vips: int, ases: int) -> dict:
    agree = {"lb%02d" % h: lb_state(vips, ases) for h in range(1, HOSTS + 1)}
    one = {**agree, "lb07": lb_state(vips, ases)}
    for vip in one["lb07"]["vips"][::10]:
        vip["backends"][0]["weight"] = 0
    every = {host: lb_state(vips, ases) for host in agree}
    for index, host in enumerate(sorted(every)):
        every[host]["vips"][0]["backends"][index % ases]["weight"] = 50 + index
    return {"agree": agree, "one LB, 10% of VIPs": one, "every LB, one VIP": every}


def main() -> None:
    worst = 0.0
    for vips, ases in SHAPES:
        print("fleet filter: %d LBs x %d VIPs x %d ASes = %d ASes per LB" % (HOSTS, vips, ases, vips * ases))
        cases = fleets(vips, ases)
        agree = cases["agree"]
        first = agree["lb01"]

        def baseline(agree: dict = agree, first: dict = first) -> None:
            if not all(lb == first for lb in agree.values()):
                raise AssertionError("the agreeing fleet differs")

        base = best_of(baseline, repeat=3)
        print("  %-20s %8.1f ms" % ("baseline (dict ==)", base * 1e3))
        for name, lbs in cases.items():
            took = best_of(lambda lbs=lbs: fleet_consistency(lbs), repeat=3)
            report = fleet_consistency(lbs)
            worst = max(worst, took)
            print(
                "  %-20s %8.1f ms  %5.1fx baseline  %3d VIPs differ, %2d failure lines"
                % (name, took * 1e3, took / base, len(report["vips"]), len(report["failures"]))
            )
    print("  target: the filter's own cost < %.0f s; worst %.2f s" % (TARGET, worst))
    if worst >= TARGET:
        raise SystemExit("the fleet filter took %.2f s, above the %.0f s target" % (worst, TARGET))


if __name__ == "__main__":
    main()
