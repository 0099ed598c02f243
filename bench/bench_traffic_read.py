"""maglevd's traffic read at scale: the counters and flows of 1,000 VIPs x 16 ASes from vppsim.

    PYTHONPATH=.build/collections .venv/bin/python bench/bench_traffic_read.py [--vips 1000]
        [--ases 16] [--repeat 5] [--lag-seconds 3]

Printed side by side, measured in the same run (ratios are what count on a loaded machine):
  show lb vips verbose    one CLI call through the API (the baseline: what any read costs)
  read_traffic            the whole read maglevd does per poll: that CLI call parsed, plus
                          the stats segment's four counters
  state update            maglevd's bookkeeping of one read on its event loop (rates, alarms)
  maglevd CPU per read    read_traffic + state update, CPU time of this process (the target
                          of docs/traffic.md: under 100 ms for 1,000 x 16)
  loop lag p99 / max      a 10 ms timer's lateness on the event loop over --lag-seconds:
                          without the poller, with it reading every 5 s (the daemon's
                          default), and every 0.2 s (a stress: 25 times as often)
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

from _common import percentile
from ansible_collections.vpp.maglev.maglevd.traffic_state import TrafficState
from ansible_collections.vpp.maglev.maglevd.vpp.settings import VppSettings
from ansible_collections.vpp.maglev.maglevd.vpp.supervisor import VppConnection
from ansible_collections.vpp.maglev.maglevd.vpp.traffic_poller import TrafficPoller
from ansible_collections.vpp.maglev.plugins.module_utils import vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.config import parse
from ansible_collections.vpp.maglev.plugins.module_utils.desired import desired_state
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.vppsim.harness import VppSim


def big_config(vips: int, ases: int) -> Any:
    backends = {"b%d" % j: {"address": "10.0.%d.%d" % (j // 250, j % 250 + 1)} for j in range(ases)}
    frontends = {
        "f%d" % v: {
            "address": "198.18.%d.%d" % (v // 256, v % 256),
            "protocol": "tcp",
            "port": 80,
            "pools": [{"name": "main", "backends": {name: {} for name in backends}}],
        }
        for v in range(vips)
    }
    lb = {"ipv4-src-address": "192.0.2.254"}
    return parse({"maglev": {"vpp": {"lb": lb}, "backends": backends, "frontends": frontends}})


def cpu_and_wall(function: Callable[[], Any], repeat: int) -> Tuple[float, float, Any]:
    """(best CPU seconds of this process, best wall seconds, the last result) over ``repeat``."""
    cpus, walls, result = [], [], None
    for _attempt in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        result = function()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(cpus), min(walls), result


async def loop_lag(seconds: float, poller: Any = None) -> List[float]:
    """Lateness of a 10 ms timer over ``seconds``, with ``poller`` running if given."""
    if poller is not None:
        poller.start()
    lags: List[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        await asyncio.sleep(0.01)
        lags.append(max(0.0, time.monotonic() - start - 0.01))
    if poller is not None:
        await poller.stop()
    return lags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vips", type=int, default=1000)
    parser.add_argument("--ases", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--lag-seconds", type=float, default=10.0)
    args = parser.parse_args()
    config = big_config(args.vips, args.ases)
    with tempfile.TemporaryDirectory() as tmp, VppSim(Path(tmp)) as sim:
        client = vppclient.connect(sim.socket)
        client.apply(plan(client.read_state(), desired_state(config)))
        for v in range(0, args.vips, max(1, args.vips // 50)):  # some VIPs with traffic and flows
            sim.traffic("198.18.%d.%d" % (v // 256, v % 256), "tcp", 80, flows=32, seed=v)
        figures: Dict[str, Tuple[float, float]] = {}
        cpu, wall, _text = cpu_and_wall(lambda: client.cli("show lb vips verbose"), args.repeat)
        figures["show lb vips verbose"] = (cpu, wall)
        cpu, wall, snapshot = cpu_and_wall(lambda: client.read_traffic(stats_socket=sim.stats_socket), args.repeat)
        figures["read_traffic"] = (cpu, wall)
        assert snapshot.stats_error is None and len(snapshot.vips) == args.vips, snapshot.stats_error
        state = TrafficState()
        clock = iter(range(10**6))
        cpu, wall, _changes = cpu_and_wall(
            lambda: state.update(config, snapshot, float(next(clock)), time.time()), args.repeat
        )
        figures["state update"] = (cpu, wall)
        read_cpu, read_wall = figures["read_traffic"]
        figures["maglevd CPU per read"] = (read_cpu + cpu, read_wall + wall)
        print(f"{args.vips} VIPs x {args.ases} ASes, best of {args.repeat}")
        print(f"{'':24} {'CPU ms':>8} {'wall ms':>8}")
        for name, (cpu, wall) in figures.items():
            print(f"{name:24} {cpu * 1000:8.1f} {wall * 1000:8.1f}")
        cli_cpu = figures["show lb vips verbose"][0]
        print(f"maglevd CPU per read / one show lb vips verbose: {figures['maglevd CPU per read'][0] / cli_cpu:.2f}x")

        print(f"{'loop lag':28} {'p99 ms':>7} {'max ms':>7} {'reads':>6}  ({args.lag_seconds:g}s each)")
        for interval in (None, 5.0, 0.2):
            poller = None
            if interval is not None:
                settings = VppSettings(api_socket=sim.socket, stats_socket=sim.stats_socket, stats_interval=interval)
                connection = VppConnection(settings)
                connection.client = client  # connected; the supervisor itself is not started
                poller = TrafficPoller(connection, settings, lambda: config, TrafficState())
            lags = asyncio.run(loop_lag(args.lag_seconds, poller))
            name = "no poller" if interval is None else f"poll every {interval:g}s"
            reads = poller.state.reads if poller is not None else 0
            print(f"{name:28} {percentile(lags, 0.99) * 1000:7.1f} {max(lags) * 1000:7.1f} {reads:6}")
        client.close()


if __name__ == "__main__":
    main()
