"""maglevd probe throughput, event-loop lag and memory per backend (prints figures and targets).

    PYTHONPATH=.build/collections .venv/bin/python bench/bench_probes.py [--quick]

- TCP and HTTP probes per CPU-second of the probing process (servers run in a child process,
  so the figure is the prober's own cost on one core), on maglevd's loop (uvloop) beside the
  standard asyncio loop measured in the same run. Targets on uvloop (issue 14): >= 20,000 TCP,
  >= 7,000 HTTP.
- Event-loop lag p99 (on maglevd's loop) with 5,000 backends (distinct loopback addresses) probed by TCP every
  1 s through the real Checker: a 10 ms periodic timer's lateness against its scheduled ticks
  (every tick missed during a stall counted), over the whole run after a warm-up of one
  interval. Target: < 50 ms.
- Memory per backend (tracemalloc, config + checker + 5,000 running workers). Target: < 20 KiB.
Finishes in well under 2 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import time
import tracemalloc
from ipaddress import ip_address, ip_network
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".build" / "collections"))

from ansible_collections.vpp.maglev.maglevd import event_loop, gctune
from ansible_collections.vpp.maglev.maglevd.checker import Checker
from ansible_collections.vpp.maglev.maglevd.events import EventBus
from ansible_collections.vpp.maglev.maglevd.probes import HttpProbe, TcpProbe
from ansible_collections.vpp.maglev.plugins.module_utils.config_model import (
    Backend,
    Config,
    Frontend,
    HealthCheck,
    Pool,
    PoolMember,
)

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def split_cores() -> tuple:
    """(prober CPUs, server CPUs): the prober gets one core to itself when there are two or more.

    The servers stand in for backends on other machines. Sharing the prober's core, each
    connection's wake-up of a server preempts the prober (measured: ~3,400 involuntary context
    switches a second at 5,000 probes/s, and the loop stalls while it is switched out), which
    measures the scheduler, not the prober.
    """
    cpus = sorted(os.sched_getaffinity(0))
    return (set(cpus[:1]), set(cpus[1:]) or set(cpus)) if len(cpus) > 1 else (set(cpus), set(cpus))


def _serve(kind: str, port_pipe, cpus: set) -> None:
    """Child process: a TCP (accept + close) or HTTP (fixed answer) server on 0.0.0.0."""
    os.sched_setaffinity(0, cpus)

    class Http(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport

        def data_received(self, data):
            if b"\r\n\r\n" in data:
                self.transport.write(RESPONSE)
                self.transport.close()

    class Tcp(asyncio.Protocol):
        def connection_made(self, transport):
            transport.close()

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            Http if kind == "http" else Tcp, "0.0.0.0", 0, backlog=4096, reuse_address=True
        )
        port_pipe.send(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


def start_server(kind: str):
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=_serve, args=(kind, child, split_cores()[1]), daemon=True)
    proc.start()
    return proc, parent.recv()


async def throughput(make_probe, seconds: float, concurrency: int = 64):
    count = failures = 0
    stop = time.monotonic() + seconds

    async def loop_one():
        nonlocal count, failures
        probe = make_probe()
        while time.monotonic() < stop:
            result = await probe.run()
            count += 1
            failures += not result.ok

    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.gather(*(loop_one() for _worker in range(concurrency)))
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    return count, failures, cpu, wall


def big_config(n: int, port: int) -> Config:
    check = HealthCheck("tcp", "tcp", port=port, interval=1.0, timeout=0.5, fast_interval=1.0, down_interval=1.0)
    backends = {}
    hosts = ip_network("127.1.0.0/16").hosts()
    for i in range(n):
        name = f"b{i}"
        backends[name] = Backend(name, ip_address(next(hosts)), "tcp")
    frontends = {}
    names = list(backends)
    for f in range(n // 50):
        members = tuple(PoolMember(b) for b in names[f * 50 : (f + 1) * 50])
        frontends[f"f{f}"] = Frontend(
            f"f{f}", ip_network(f"10.{f // 250}.{f % 250}.1/32"), 6, 80, (Pool("p", members),)
        )
    return Config(healthchecks={"tcp": check}, backends=backends, frontends=frontends)


async def periodic_lag(seconds: float, period: float = 0.01) -> list:
    """Lateness of a periodic timer against its *scheduled* ticks, for `seconds`.

    Every tick that fell due while the loop was busy is recorded with its own lateness (a stall
    of S seconds yields S / period samples, from S down to 0), so a stall cannot hide as one
    late sample among many punctual ones, and the timer never drifts to catch up.
    """
    loop = asyncio.get_running_loop()
    lags = []
    start = loop.time()
    end = start + seconds
    tick = start + period
    while tick <= end:
        await asyncio.sleep(tick - loop.time())
        now = loop.time()
        while tick <= now and tick <= end:
            lags.append(max(0.0, now - tick))
            tick += period
    return lags


async def lag_at_scale(n: int, port: int, seconds: float):
    tracemalloc.start()
    base = tracemalloc.take_snapshot()
    config = big_config(n, port)
    checker = Checker(config, EventBus())
    await checker.start()  # every worker task exists (and is sleeping its initial offset)
    snap = tracemalloc.take_snapshot()
    tracemalloc.stop()  # before any probe runs: tracing would distort the lag figures
    memory = sum(s.size_diff for s in snap.compare_to(base, "filename"))
    del snap, base
    gctune.settle()  # as the daemon does once started (a full collection: part of the start-up)
    interval = config.healthchecks["tcp"].interval
    await asyncio.sleep(interval)  # warm-up: one interval, the first round spread over it
    cpu0 = time.process_time()
    switches0 = resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw
    probes0 = sum(w.probes_sent for w in checker.workers.values())
    lags = await periodic_lag(seconds)
    cpu = time.process_time() - cpu0
    preempted = resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw - switches0
    probes = sum(w.probes_sent for w in checker.workers.values()) - probes0
    states = {}
    for state in checker.states().values():
        states[state.value] = states.get(state.value, 0) + 1
    late = getattr(checker, "late_retried", 0)
    await checker.stop()
    lags.sort()
    return {
        "p50": lags[len(lags) // 2],
        "p99": lags[int(len(lags) * 0.99)],
        "max": lags[-1],
        "probes": probes,
        "seconds": seconds,
        "cpu": cpu,
        "states": states,
        "late": late,
        "preempted": preempted,
        "load": os.getloadavg()[0],
        "memory_per_backend": memory / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    parser.add_argument("--backends", type=int, default=5000)
    args = parser.parse_args()
    seconds = 2.0 if args.quick else 5.0
    tcp_proc, tcp_port = start_server("tcp")
    http_proc, http_port = start_server("http")
    prober_cpus, server_cpus = split_cores()
    os.sched_setaffinity(0, prober_cpus)  # after the servers started: they run on the other core(s)
    print(f"prober on CPU {sorted(prober_cpus)}, servers on CPU {sorted(server_cpus)}")
    loop_name, loop_factory = event_loop.choose()
    try:
        lo = ip_address("127.0.0.1")
        probes = {
            "tcp": (lambda: TcpProbe(lo, tcp_port, 1.0), 20000),
            "http": (lambda: HttpProbe(lo, http_port, 1.0), 7000),
        }
        for kind, (make, target) in probes.items():
            rates = {}
            for name, factory in (("asyncio", None), (loop_name, loop_factory)):
                count, fail, cpu, wall = asyncio.run(throughput(make, seconds), loop_factory=factory)
                rates[name] = count / cpu
                print(
                    f"{kind:4} probes on {name:7}: {count} in {wall:.1f}s wall, {cpu:.2f}s CPU -> "
                    f"{rates[name]:,.0f} probes/CPU-s, failures {fail}"
                )
            print(
                f"{kind:4} on {loop_name}: {rates[loop_name]:,.0f}/CPU-s = {rates[loop_name] / rates['asyncio']:.2f}x "
                f"the standard loop   target >= {target:,}: {'met' if rates[loop_name] >= target else 'missed'}"
            )
        result = asyncio.run(
            lag_at_scale(args.backends, tcp_port, 10.0 if args.quick else 20.0), loop_factory=loop_factory
        )
        print(
            f"scale: {args.backends} backends, tcp every 1s: {result['probes']} probes in {result['seconds']:.0f}s, "
            f"{result['cpu']:.1f}s CPU, states {result['states']}, late timeouts retried {result['late']}"
        )
        print(
            f"event-loop lag p50 {result['p50'] * 1000:.1f} ms, p99 {result['p99'] * 1000:.1f} ms, "
            f"max {result['max'] * 1000:.1f} ms   target p99 < 50 ms"
        )
        print(
            f"  (prober preempted {result['preempted'] / result['seconds']:,.0f} times/s; load average "
            f"{result['load']:.2f} on {os.cpu_count()} CPUs: other work on the prober's core shows as lag)"
        )
        print(f"memory per backend: {result['memory_per_backend'] / 1024:.1f} KiB   target < 20 KiB")
    finally:
        tcp_proc.terminate()
        http_proc.terminate()


if __name__ == "__main__":
    main()
