"""maglevd failover latency and VPP-restart restore time, against vppsim.

1. Failover push: 1,000 backends over 100 VIPs (10 each), all up. One backend at a time goes
   down; latency = vppsim's receive time of its lb_as_set_weight (its call log, CLOCK_MONOTONIC)
   minus the transition time (time.monotonic() when the state changed and the reconciler was
   told; the same clock, system-wide). Also a burst: 10 backends of 10 VIPs at once, latency
   of the last one. Baseline in the same run: one raw lb_as_set_weight round trip through
   vppclient (the floor any push pays). Target p99 < 10 ms.
2. Restore: 1,000 VIPs x 10 ASes in VPP; vppsim restarts empty; time from the reconnect
   (sockclnt_create after the restart) to the last call of the full sync that restores
   everything. Target < 1 s.

The VPP side runs in-process (maglevd.vpp.component.VppComponent: reconciler + connection thread) with
health set by this script; probing is not part of what is measured.

    PYTHONPATH=.build/collections .venv/bin/python bench/bench_failover.py [--samples 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from typing import Any, Dict

from _common import median, percentile
from ansible_collections.vpp.maglev.maglevd.vpp.component import VppComponent
from ansible_collections.vpp.maglev.maglevd.vpp.settings import VppSettings
from ansible_collections.vpp.maglev.plugins.module_utils import vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.config import parse
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.vppsim.harness import VppSim

UP, DOWN = BackendState.UP, BackendState.DOWN


def config(vips: int, per_vip: int) -> Any:
    backends, frontends = {}, {}
    for v in range(vips):
        members = {}
        for a in range(per_vip):
            name = "b%d_%d" % (v, a)
            backends[name] = {"address": "10.%d.%d.%d" % (v // 250, v % 250, a + 1)}
            members[name] = {}
        frontends["f%d" % v] = {
            "address": "198.18.%d.%d" % (v // 250, v % 250),
            "protocol": "tcp",
            "port": 80,
            "pools": [{"name": "main", "backends": members}],
        }
    lb = {"ipv4-src-address": "192.0.2.1", "startup-min-delay": 0, "startup-max-delay": 0, "sync-interval": "1h"}
    return parse({"maglev": {"vpp": {"lb": lb}, "backends": backends, "frontends": frontends}})


async def off_loop(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))


async def start_side(sim: VppSim, cfg: Any, states: Dict[str, BackendState]) -> tuple:
    settings = VppSettings(api_socket=sim.socket, ping_interval=5, retry_min=0.01, timeout=10)
    side = VppComponent(cfg, lambda: states, settings)
    events: list = []
    arrived = asyncio.Event()

    def listener(event: dict) -> None:
        events.append(event)
        arrived.set()

    side.add_listener(listener)
    await side.start()
    while not any(e["scope"] == "full" and e["result"] == "ok" for e in events):
        arrived.clear()
        await asyncio.wait_for(arrived.wait(), 120)
    return side, events, arrived


async def failover(sim: VppSim, samples: int) -> Dict[str, Any]:
    cfg = config(100, 10)
    states = dict.fromkeys(cfg.backends, UP)
    side, _events, _arrived = await start_side(sim, cfg, states)
    names = list(cfg.backends)
    single = []
    for i in range(samples):
        name = names[(i * 37) % len(names)]
        address = str(cfg.backends[name].address)
        seq = sim.stats()["seq"]
        states[name] = DOWN
        t0 = time.monotonic()
        side.backend_changed(name)
        call = await off_loop(sim.wait_for, "lb_as_set_weight", since=seq, as_address=address, weight=0)
        single.append(call["time"] - t0)
        seq = sim.stats()["seq"]
        states[name] = UP
        side.backend_changed(name)
        await off_loop(sim.wait_for, "lb_as_set_weight", since=seq, as_address=address, weight=100)
    bursts = []
    for i in range(max(5, samples // 20)):
        group = [names[v * 10 + (i % 10)] for v in range(i % 10, 100, 10)]  # 10 VIPs, one each
        seq = sim.stats()["seq"]
        t0 = time.monotonic()
        for name in group:
            states[name] = DOWN
            side.backend_changed(name)
        last = None
        for name in group:
            call = await off_loop(
                sim.wait_for, "lb_as_set_weight", since=seq, as_address=str(cfg.backends[name].address), weight=0
            )
            last = max(last or 0.0, call["time"])
        bursts.append(last - t0)
        seq = sim.stats()["seq"]
        for name in group:
            states[name] = UP
            side.backend_changed(name)
        await off_loop(
            sim.wait_for, "lb_as_set_weight", since=seq, as_address=str(cfg.backends[group[-1]].address), weight=100
        )
    syncs = side.reconciler.recorder.counts["vip"]
    await side.stop()
    return {"single": single, "bursts": bursts, "vip_syncs": syncs}


def baseline(sim: VppSim, samples: int) -> list:
    """Raw round trip of one lb_as_set_weight through vppclient (no planning, no thread hop)."""
    times = []
    with vppclient.connect(sim.socket, timeout=5) as client:
        client.call(
            "lb_add_del_vip_v2",
            pfx="203.0.113.1/32",
            protocol=6,
            port=80,
            encap=0,
            dscp=0,
            type=0,
            target_port=0,
            node_port=0,
            new_flows_table_length=1024,
            src_ip_sticky=False,
            is_del=False,
        )
        client.call(
            "lb_add_del_as_v2",
            pfx="203.0.113.1/32",
            protocol=6,
            port=80,
            as_address="10.255.0.1",
            weight=100,
            is_del=False,
            is_flush=False,
        )
        for i in range(samples):
            start = time.monotonic()
            client.call(
                "lb_as_set_weight",
                pfx="203.0.113.1/32",
                protocol=6,
                port=80,
                as_address="10.255.0.1",
                weight=i % 2 * 100,
                is_flush=False,
            )
            times.append(time.monotonic() - start)
    return times


async def restore(sim: VppSim) -> Dict[str, Any]:
    cfg = config(1000, 10)
    states = dict.fromkeys(cfg.backends, UP)
    side, events, arrived = await start_side(sim, cfg, states)
    mark = len(events)
    seq = sim.stats()["seq"]
    await off_loop(sim.restart)
    while not any(e["scope"] == "full" and e.get("reason") == "connect" for e in events[mark:]):
        arrived.clear()
        await asyncio.wait_for(arrived.wait(), 120)
    event = next(e for e in events[mark:] if e.get("reason") == "connect")
    calls = _all_calls(sim, seq)
    restart = next(c for c in calls if c["message"] == "<restart>")
    connect = next(c for c in calls if c["message"] == "sockclnt_create" and c["seq"] > restart["seq"])
    last = max(c["time"] for c in calls if c["message"].startswith("lb_"))
    state = sim.state()
    await side.stop()
    return {
        "event": event,
        "restart_to_connect": connect["time"] - restart["time"],
        "connect_to_restored": last - connect["time"],
        "vips": len(state["vips"]),
        "ases": sum(len(v["ases"]) for v in state["vips"]),
    }


def _all_calls(sim: VppSim, since: int) -> list:
    return sim.calls(since=since, limit=20000)  # the call log keeps the last 20,000


def ms(value: float) -> str:
    return "%.2f ms" % (value * 1000)


def main() -> None:
    logging.basicConfig(level=logging.ERROR)  # the restore's expected vpp-disconnect warning is not a result
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, VppSim(tmp) as sim:
        base = baseline(sim, args.samples)
        sim.restart()
        result = asyncio.run(failover(sim, args.samples))
        sim.restart()
        restored = asyncio.run(restore(sim))
    single, bursts = result["single"], result["bursts"]
    floor = median(base)
    print("failover push, 1,000 backends / 100 VIPs, %d samples (transition -> vppsim receives)" % len(single))
    print("  baseline raw lb_as_set_weight round trip: p50 %s" % ms(floor))
    print(
        "  single backend down: p50 %s  p99 %s  max %s  (p50 = %.1fx baseline)  target p99 < 10 ms: %s"
        % (
            ms(median(single)),
            ms(percentile(single, 0.99)),
            ms(max(single)),
            median(single) / floor,
            "OK" if percentile(single, 0.99) < 0.010 else "MISSED",
        )
    )
    print(
        "  burst of 10 backends in 10 VIPs, last push: p50 %s  p99 %s  (%d per-VIP syncs in all)"
        % (ms(median(bursts)), ms(percentile(bursts, 0.99)), result["vip_syncs"])
    )
    event = restored["event"]
    print(
        "restore after vppsim restart, %d VIPs x %d ASes"
        % (restored["vips"], restored["ases"] // max(1, restored["vips"]))
    )
    print("  restart -> reconnect: %s" % ms(restored["restart_to_connect"]))
    print(
        "  reconnect -> last call of the full sync: %s (%d API calls)  target < 1 s: %s"
        % (
            ms(restored["connect_to_restored"]),
            event["api_calls"],
            "OK" if restored["connect_to_restored"] < 1.0 else "MISSED",
        )
    )


if __name__ == "__main__":
    main()
