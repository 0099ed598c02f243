"""maglevd's full restore after a VPP restart, from VPP's socket reappearing to the last reply,
beside a raw socket sending the same calls, against vppsim (no real VPP here: the figures are
vppsim's, whose Python message handling bounds both the restore and its baseline).

    PYTHONPATH=.build/collections .venv/bin/python bench/bench_restore.py [--vips 1000] [--ases 10]
        [--down 2] [--rounds 3]

1. Baseline: the restore's 11,001 calls (1,000 VIPs x 10 ASes), packed beforehand, sent on a
   raw registration with 64 in flight to an empty vppsim: the floor any restore pays.
2. maglevd (its VPP side in-process: supervisor + reconciler, default reconnect settings)
   holds the state; vppsim is stopped, stays down ``--down`` seconds (maglevd's reconnect
   backoff grows meanwhile) and starts again, empty, on the same socket path. Measured: the
   new socket's creation (its ctime, on the monotonic clock) -> maglevd's sockclnt_create ->
   vppsim's receipt of the last call of the full sync that restores everything. The same
   rounds with the socket not watched (the reconnect waits out its backoff) are the before.
3. Apply: vppclient.apply of the same ops, planned beforehand, against the raw socket run
   right before and after it.

Targets (issue 14): < 1 s from the socket reappearing to the last reply, on real VPP; the
apply >= 85% of the raw socket's calls per second.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
from typing import Any, Dict, List

from _common import median
from ansible_collections.vpp.maglev.maglevd.vpp.settings import VppSettings
from ansible_collections.vpp.maglev.maglevd.vpp.sync_plan import full_plans
from ansible_collections.vpp.maglev.plugins.module_utils import vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.vppsim.harness import VppSim
from bench_failover import config, off_loop, start_side

WINDOW = 64


def restore_ops(client: Any, cfg: Any) -> list:
    states = dict.fromkeys(cfg.backends, BackendState.UP)
    plans = full_plans(cfg, client.read_state(), states, list(cfg.frontends), set(), set())
    return [op for one in plans for op in one.ops]


def applied_restore(sim: VppSim, cfg: Any) -> float:
    """Seconds for vppclient.apply to send the restore's ops (planned beforehand)."""
    with vppclient.connect(sim.socket, timeout=10) as client:
        ops = restore_ops(client, cfg)
        start = time.monotonic()
        client.apply(ops)
        return time.monotonic() - start


def raw_restore(sim: VppSim, cfg: Any) -> float:
    """Seconds to send the restore's calls, pre-packed, on a raw registration (64 in flight)."""
    with vppclient.connect(sim.socket, timeout=10) as client:
        calls = [op.api_call() for op in restore_ops(client, cfg)]
        with client.connection.direct(("control_ping",), plain_replies=sorted({n for n, _a in calls})) as wire:
            frames = []
            for context, (name, kwargs) in enumerate(calls, 1):
                wire.queue(name, context, kwargs)
                frames.append(b"".join(wire.out))
                wire.out = []
            start = time.monotonic()
            sent = received = 0
            while received < len(frames):
                if sent - received <= WINDOW // 2 and sent < len(frames):
                    batch = frames[sent : received + WINDOW]
                    wire.sock.sendall(b"".join(batch))
                    sent += len(batch)
                wire.next()
                received += 1
            return time.monotonic() - start


def socket_born(path: str) -> float:
    """When the socket file was created, on the monotonic clock (vppsim's call-log clock)."""
    return os.stat(path).st_ctime_ns / 1e9 - (time.time() - time.monotonic())


async def restore_rounds(sim: VppSim, cfg: Any, down: float, rounds: int, watch: bool) -> List[Dict[str, float]]:
    """``watch`` False: the socket is not watched (poll once an hour), so the reconnect waits
    for the backoff, as maglevd did before it watched the socket."""
    states = dict.fromkeys(cfg.backends, BackendState.UP)
    poll = VppSettings.socket_poll_interval if watch else 3600.0
    side, events, arrived = await start_side(sim, cfg, states, retry_min=0.25, socket_poll_interval=poll)
    results = []
    for _round in range(rounds):
        mark = len(events)
        await off_loop(sim.stop)
        await asyncio.sleep(down)  # VPP is down: maglevd's reconnect attempts fail meanwhile
        await off_loop(sim.start)
        born = socket_born(sim.socket)
        while not any(e["scope"] == "full" and e.get("reason") == "connect" for e in events[mark:]):
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 120)
        calls = await off_loop(sim.calls, since=0, limit=20000)
        connect = next(c for c in calls if c["message"] == "sockclnt_create")
        last = max(c["time"] for c in calls if c["message"].startswith("lb_"))
        writes = sum(
            1 for c in calls if c["message"].startswith("lb_") and not c["message"].endswith(("_dump", "_get"))
        )
        results.append(
            {"reconnect": connect["time"] - born, "sync": last - connect["time"], "total": last - born, "calls": writes}
        )
    await side.stop()
    return results


def ms(value: float) -> str:
    return "%.0f ms" % (value * 1000)


def main() -> None:
    logging.basicConfig(level=logging.ERROR)  # the restarts' vpp-disconnect warnings are not results
    parser = argparse.ArgumentParser()
    parser.add_argument("--vips", type=int, default=1000)
    parser.add_argument("--ases", type=int, default=10)
    parser.add_argument("--down", type=float, default=2.0, help="seconds VPP stays down")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cfg = config(args.vips, args.ases)
    with tempfile.TemporaryDirectory() as tmp, VppSim(tmp) as sim:
        # The baseline before and after maglevd's rounds: on a shared machine the load moves.
        sim.restart()
        floors = [raw_restore(sim, cfg)]
        sim.restart()
        applied = applied_restore(sim, cfg)
        sim.restart()
        floors.append(raw_restore(sim, cfg))  # right after: the apply's own baseline
        sim.restart()
        unwatched = asyncio.run(restore_rounds(sim, cfg, args.down, args.rounds, watch=False))
        rounds = asyncio.run(restore_rounds(sim, cfg, args.down, args.rounds, watch=True))
        sim.restart()
        floors.append(raw_restore(sim, cfg))
    floor = min(floors)
    print(
        "restore after a VPP restart (vppsim, no real VPP here), %d VIPs x %d ASes, VPP down %gs"
        % (args.vips, args.ases, args.down)
    )
    calls = rounds[0]["calls"]
    print(
        "  baseline: raw socket, the same %d calls pre-packed, %d in flight: %s, %s, %s after maglevd's rounds"
        % (calls, WINDOW, ms(floors[0]), ms(floors[1]), ms(floors[2]))
    )
    raw_rate = calls / min(floors[:2])
    print(
        "  apply (vppclient.apply of the planned ops): %s = %.0f calls/s, %.0f%% of the raw socket's %.0f/s  "
        "target >= 85%%" % (ms(applied), calls / applied, 100 * calls / applied / raw_rate, raw_rate)
    )
    for name, label in (("reconnect", "socket reappears -> reconnect"), ("total", "socket reappears -> last call")):
        values = [r[name] for r in unwatched]
        print("  socket not watched (backoff alone): %-31s p50 %s" % (label, ms(median(values))))
    for name, label in (
        ("reconnect", "socket reappears -> reconnect"),
        ("sync", "reconnect -> last call"),
        ("total", "socket reappears -> last call"),
    ):
        values = [r[name] for r in rounds]
        print("  %-31s p50 %s  max %s" % (label, ms(median(values)), ms(max(values))))
    total = median([r["total"] for r in rounds])
    print(
        "  total = %.2fx the faster raw socket run; target < 1 s on real VPP: %s on vppsim"
        % (total / floor, "met" if total < 1.0 else "missed")
    )


if __name__ == "__main__":
    main()
