"""Live flows in vppsim for the drain-until-idle tests (docs/traffic.md): pin flows to a
backend, then make VPP forget them the way it really does - its entries expire on vppsim's
clock and new flows reuse their slots (VPP frees lazily; nothing else lowers `flows`).

    flows = pin_flows(sim, "192.0.2.1", seed=1)["10.0.0.1"]
    ...                                          # drain 10.0.0.1 (weight 0)
    drive_flows_away(sim, "192.0.2.1", FLOW_TIMEOUT)
    assert as_flows(sim, "192.0.2.1")["10.0.0.1"] == 0

The tests' load balancers use a tiny sticky table (SMALL_STICKY_LB: 16 buckets of 4 entries)
so that a few hundred new flows reuse every slot.
"""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.vpp.maglev.plugins.module_utils.showparse import parse_show_lb_vips
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import behind_the_back

FLOW_TIMEOUT = 10  # seconds, on vppsim's clock
# maglev.yaml `vpp.lb` keys of a load balancer whose flows tests can drive away.
SMALL_STICKY_LB = {"sticky-buckets-per-core": 16, "flow-timeout": "%ds" % FLOW_TIMEOUT}
REUSING_FLOWS = 1024  # new flows that reuse each of the 64 slots many times over


def pin_flows(sim: Any, vip: str, seed: int, flows: int = 24, port: int = 80) -> Dict[str, int]:
    """Send ``flows`` new tcp flows to ``vip``:``port``; the flows now pinned to each AS."""
    sim.traffic(vip, "tcp", port, flows=flows, seed=seed)
    return as_flows(sim, vip, port)


def drive_flows_away(sim: Any, vip: str, flow_timeout: int = FLOW_TIMEOUT, port: int = 80) -> Dict[str, int]:
    """Let every pinned flow expire, then send enough new flows to reuse every slot: a drained
    AS (weight 0) ends with 0 flows. The flows pinned to each AS afterwards."""
    sim.advance_clock(flow_timeout + 1)
    sim.traffic(vip, "tcp", port, flows=REUSING_FLOWS, seed=987654321)
    return as_flows(sim, vip, port)


def as_flows(sim: Any, vip: str, port: int = 80) -> Dict[str, int]:
    """{AS address: flows} of ``vip``:``port`` as VPP's CLI prints them."""
    with behind_the_back(sim) as vpp:
        records = parse_show_lb_vips(vpp.cli("show lb vips verbose"))
    for record in records:
        if record["prefix"].split("/")[0] == vip and record["port"] == port and not record["removed"]:
            return {row["address"]: row["flows"] for row in record["ases"]}
    raise AssertionError("vppsim has no VIP %s port %d" % (vip, port))
