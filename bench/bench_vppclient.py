"""The VPP client's own speed against vppsim: reads and applies on each of its paths.

    PYTHONPATH=.build/collections .venv/bin/python bench/bench_vppclient.py [--vips 1000] [--ases 64]
        [--save before.json] [--before before.json]

Scenarios (one connection, in-process client, vppsim as a separate process):
  cold apply, direct path      empty VPP -> the whole state (the wire channel, window 64)
  no-op read, direct path      read_state of the converged LB (what a no-op check costs)
  baseline: raw dump + decode  the same messages on the raw socket, decoded with struct only
  no-op read, vpp_papi path    the same read with the direct path switched off
  10% change, direct path      every 10th AS gets a new weight
  10% change, vpp_papi path    the same plan through vpp_papi's asynchronous send (window 64)
  restore, direct path         VPP restarted empty -> the whole state again
  200 ops one at a time        window=1 (vpp_papi's blocking call per op)
  1 op round trip (p50)        one lb_as_set_weight through apply() (a failover push)

Each figure is the best of ``--repeat`` runs. ``--save`` writes the figures as JSON;
``--before`` reads such a file and prints before/after with the ratio (speed is measured here,
never asserted in tests).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict

from _common import ROOT, best_of
from ansible_collections.vpp.maglev.plugins.module_utils import vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbConf, LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi import reader
from ansible_collections.vpp.maglev.vppsim.harness import VppSim

A = ipaddress.ip_address


def lb_state(vips: int, ases: int, changed: bool = False) -> LbState:
    result = {}
    for v in range(vips):
        key = VipKey.make("198.18.%d.%d/32" % (v // 256, v % 256), "tcp", 80)
        members = {}
        for j in range(ases):
            n = (v * ases + j) % 4096
            weight = 100 if j % 2 == 0 else 50
            if changed and j % 10 == 0:
                weight = 70
            members[A("10.%d.%d.%d" % (64 + n // 65536, (n // 256) % 256, n % 256))] = weight
        result[key] = Vip(key, VipAttrs(), members)
    return LbState(LbConf(ip4_src_address=A("192.0.2.254"), ip6_src_address=A("2001:db8::fe")), result)


def raw_dump(vpp: vppclient.VppClient) -> None:
    """The read's messages (lb_conf_get, lb_vip_dump, the CLI text, lb_as_v2_dump) on the raw
    socket, each decoded with struct and nothing more: the floor of a read (target: the
    direct path's read within 2x of it)."""
    with vpp.connection.direct(reader.messages(True)) as wire:
        wire.call("lb_conf_get")
        wire.dump("lb_vip_dump", "lb_vip_details")
        wire.call("cli_inband", cmd="show lb vips verbose")
        wire.dump("lb_as_v2_dump", "lb_as_v2_details")


def measure(sim: VppSim, vips: int, ases: int, repeat: int) -> Dict[str, float]:
    full, changed = lb_state(vips, ases), lb_state(vips, ases, changed=True)
    figures: Dict[str, float] = {}

    def empty() -> None:
        sim.restart()

    def converged() -> None:
        sim.restart()
        with vppclient.connect(sim.socket, api_dir=sim.api_dir, timeout=30) as vpp:
            vpp.apply(plan(vpp.read_state(), full, "replaced"))

    def timed_apply(name: str, prepare: Callable[[], None], target: LbState, **options: Any) -> None:
        times = []
        for _attempt in range(repeat):
            prepare()
            with vppclient.connect(sim.socket, api_dir=sim.api_dir, timeout=30) as vpp:
                the_plan = plan(vpp.read_state(), target, "replaced")
                start = time.perf_counter()
                vpp.apply(the_plan, **options)
                times.append(time.perf_counter() - start)
        figures[name] = min(times)

    timed_apply("cold apply, direct path", empty, full)
    with vppclient.connect(sim.socket, api_dir=sim.api_dir, timeout=30) as vpp:
        assert vpp.read_state().vips == full.vips
        figures["no-op read, direct path"] = best_of(vpp.read_state, repeat)
        figures["  baseline: raw dump + decode"] = best_of(lambda: raw_dump(vpp), repeat)
        vpp.direct = False
        figures["no-op read, vpp_papi path"] = best_of(vpp.read_state, repeat)
    timed_apply("10% change, direct path", converged, changed)
    papi_times = []
    for _attempt in range(repeat):
        converged()
        with vppclient.connect(sim.socket, api_dir=sim.api_dir, timeout=30) as vpp:
            the_plan = plan(vpp.read_state(), changed, "replaced")
            vpp.direct = False
            start = time.perf_counter()
            vpp.apply(the_plan)
            papi_times.append(time.perf_counter() - start)
    figures["10% change, vpp_papi path"] = min(papi_times)
    timed_apply("restore, direct path", empty, full)

    small, other = lb_state(4, 50), lb_state(4, 50, changed=True)
    timed_apply("%d ops one at a time" % len(plan(LbState(), small).ops), empty, small, window=1)

    key = next(iter(small.vips))
    address = next(a for a, w in small.vips[key].ases.items() if w != other.vips[key].ases[a])
    there = plan(small, other).ops
    back = plan(other, small).ops
    there = [op for op in there if op.vip == key and op.address == address]
    back = [op for op in back if op.vip == key and op.address == address]
    assert len(there) == len(back) == 1
    one = []
    with vppclient.connect(sim.socket, api_dir=sim.api_dir, timeout=30) as vpp:
        vpp.apply(plan(vpp.read_state(), small, "replaced"))
        for i in range(400):
            start = time.perf_counter()
            vpp.apply(there if i % 2 == 0 else back)
            one.append(time.perf_counter() - start)
    figures["1 op round trip (p50)"] = statistics.median(one)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--vips", type=int, default=1000)
    parser.add_argument("--ases", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--save", help="write the figures to this JSON file")
    parser.add_argument("--before", help="a JSON file of an earlier run: print before/after")
    args = parser.parse_args()
    print("vppclient bench: %d VIPs x %d ASes, vppsim, best of %d" % (args.vips, args.ases, args.repeat))
    with tempfile.TemporaryDirectory(prefix="bench-vppclient-") as work, VppSim(Path(work)) as sim:
        figures = measure(sim, args.vips, args.ases, args.repeat)
    before = json.loads(Path(args.before).read_text()) if args.before else {}
    print("%-30s %10s %10s %7s" % ("scenario", "before s", "after s", "ratio"))
    for name, seconds in figures.items():
        old = before.get(name)
        ratio = "%.2f" % (seconds / old) if old else "-"
        print("%-30s %10s %10.4f %7s" % (name, "%.4f" % old if old else "-", seconds, ratio))
    read, raw = figures["no-op read, direct path"], figures["  baseline: raw dump + decode"]
    print(
        "read: %.2fx the raw dump + decode of the same messages (target <= 2x) -> %s (vppsim, not a real VPP)"
        % (read / raw, "ok" if read <= 2 * raw else "MISSED")
    )
    if args.save:
        Path(args.save).write_text(json.dumps(figures, indent=1))
    print("(ratio = after / before; figures from one shared host vary by ~10-20%%; %s)" % ROOT.name)


if __name__ == "__main__":
    main()
