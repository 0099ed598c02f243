"""How fast vppsim answers, against how fast vpp_papi clients can ask (same run, same host).

    PYTHONPATH=.build/collections .venv/bin/python bench/bench_vppsim.py [--seconds 2]

Measures lb_as_set_weight calls/s and 10,000-AS lb_as_v2_dump dumps/s with 1 client and with
3 concurrent client processes; the simulator is not the bottleneck when 3 clients together
go at least as fast as one (ideally ~3x, CPU permitting). Also prints the simulator's own
in-process cost of building one 10,000-AS dump, as the ceiling it could serve, and the traffic
model's simulated packets/s beside a bare Python loop over the same flows (``--traffic-only``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from _common import best_of
from ansible_collections.vpp.maglev.vppsim import traffic_command
from ansible_collections.vpp.maglev.vppsim.flow_hash import FlowSource
from ansible_collections.vpp.maglev.vppsim.harness import API_DIR, COLLECTIONS_ROOT, VppSim
from ansible_collections.vpp.maglev.vppsim.lb import LbPlugin
from vpp_papi import VPPApiClient

SMALL = "192.0.2.0/24"
BIG = "198.51.100.0/24"
BIG_ASES = 10_000


def connect(socket_path: str) -> VPPApiClient:
    client = VPPApiClient(apidir=str(API_DIR), server_address=socket_path, read_timeout=30)
    client.connect("bench")
    return client


def worker(socket_path: str, kind: str, seconds: float) -> dict:
    """Run one kind of call in a loop for ``seconds``; return how many completed."""
    vpp = connect(socket_path)
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    try:
        while time.perf_counter() < deadline:
            if kind == "set_weight":
                rv = vpp.api.lb_as_set_weight(
                    pfx=SMALL, protocol=6, port=80, as_address="10.0.0.%d" % (done % 4 + 1), weight=done % 101
                ).retval
                assert rv == 0, rv
            else:
                rows = vpp.api.lb_as_v2_dump()
                assert len(rows) >= BIG_ASES, len(rows)
            done += 1
    finally:
        vpp.disconnect()
    return {"done": done, "elapsed": time.perf_counter() - start}


def run_clients(socket_path: str, kind: str, seconds: float, count: int) -> float:
    """Aggregate rate of ``count`` concurrent client processes."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(COLLECTIONS_ROOT), env.get("PYTHONPATH")) if p)
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", socket_path, kind, str(seconds)], stdout=subprocess.PIPE, env=env
        )
        for _worker in range(count)
    ]
    total = 0.0
    for proc in procs:
        out, _err = proc.communicate(timeout=seconds + 120)
        result = json.loads(out)
        total += result["done"] / result["elapsed"]
    return total


def setup(sim: VppSim) -> None:
    vpp = connect(sim.socket)
    try:
        assert vpp.api.lb_add_del_vip_v2(pfx=SMALL, protocol=6, port=80).retval == 0
        for i in range(1, 5):
            vpp.api.lb_add_del_as_v2(pfx=SMALL, protocol=6, port=80, as_address="10.0.0.%d" % i)
        assert vpp.api.lb_add_del_vip_v2(pfx=BIG, protocol=6, port=443, new_flows_table_length=65536).retval == 0
        for i in range(BIG_ASES):
            address = "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)
            assert vpp.api.lb_add_del_as_v2(pfx=BIG, protocol=6, port=443, as_address=address).retval == 0
    finally:
        vpp.disconnect()


def server_side_set_weight_rate() -> float:
    """lb_as_set_weight messages/s the simulator dispatches alone (decode, handle, encode, log)."""
    from ansible_collections.vpp.maglev.vppsim import personality
    from ansible_collections.vpp.maglev.vppsim.server import Connection, Simulator

    class Writer:
        transport = None

        def write(self, data):
            pass

        def close(self):
            pass

    sim = Simulator(personality.load("26.10"))
    conn = Connection(None, Writer(), 1)
    sim.connections[conn.handle] = conn
    pfx = {"address": {"af": 0, "un": bytes([192, 0, 2, 0]) + bytes(12)}, "len": 24}
    sim.lb.add_del_vip(pfx, 6, 80, 0, 0, 0, 0, 1024, False)
    for i in range(1, 5):
        address = {"af": 0, "un": bytes([10, 0, 0, i]) + bytes(12)}
        sim.lb.add_del_as("lb_add_del_as_v2", pfx, 6, 80, address, 100, False, False, True)
    msg = sim.msg["lb_as_set_weight"]
    payloads = [
        msg.encode(
            {
                "_vl_msg_id": sim.p.ids["lb_as_set_weight"],
                "client_index": conn.handle,
                "context": n + 1,
                "pfx": pfx,
                "protocol": 6,
                "port": 80,
                "as_address": {"af": 0, "un": bytes([10, 0, 0, n % 4 + 1]) + bytes(12)},
                "weight": n % 101,
            }
        )
        for n in range(20000)
    ]
    start = time.perf_counter()
    for payload in payloads:
        sim.dispatch(conn, payload)
    return len(payloads) / (time.perf_counter() - start)


def server_side_dump_cost() -> float:
    """Seconds the simulator needs to build one 10,000-AS v2 dump (no client, no socket)."""
    from ansible_collections.vpp.maglev.vppsim import personality
    from ansible_collections.vpp.maglev.vppsim.server import Simulator

    class Sink:
        closed = False

        def send_many(self, payloads):
            self.n = len(payloads)

        def send(self, payload):
            pass

    sim = Simulator(personality.load("26.10"))
    pfx = {"address": {"af": 0, "un": bytes([198, 51, 100, 0]) + bytes(12)}, "len": 24}
    sim.lb.add_del_vip(pfx, 6, 443, 0, 0, 0, 0, 65536, False)
    for i in range(BIG_ASES):
        address = {"af": 0, "un": bytes([10, 1 + i // 65536, (i // 256) % 256, i % 256]) + bytes(12)}
        sim.lb.add_del_as("lb_add_del_as_v2", pfx, 6, 443, address, 100, False, False, True)
    sink = Sink()
    args = {
        "_vl_msg_id": sim.p.ids["lb_as_v2_dump"],
        "context": 1,
        "pfx": {"address": {"un": bytes(16)}},
        "protocol": 0,
        "port": 0,
    }
    sim.handlers["lb_as_v2_dump"](sink, args)  # first one builds the Maglev table
    start = time.perf_counter()
    for _round in range(5):
        sim.handlers["lb_as_v2_dump"](sink, args)
    return (time.perf_counter() - start) / 5


def traffic_model_rates(flows: int = 200_000) -> None:
    """Simulated packets/s of the traffic model (in-process, then through the control socket),
    beside a bare Python loop over the same flows' hashes as the baseline."""
    lb = LbPlugin()
    lb.conf(b"\xff" * 4, b"\xff" * 16, 1 << 20, 40)
    vip = {"address": {"af": 0, "un": bytes([192, 0, 2, 1]) + bytes(12)}, "len": 32}
    lb.add_del_vip(vip, 6, 80, 0, 0, 0, 0, 1024, False)
    for n in range(16):
        address = {"af": 0, "un": bytes([10, 0, 1, n + 1]) + bytes(12)}
        lb.add_del_as("lb_add_del_as_v2", vip, 6, 80, address, 100, False, False, True)
    hashes = list(FlowSource(bytes([192, 0, 2, 1]), 80, True, 1).hashes(0, flows))

    def bare_loop() -> None:
        seen = [0] * 1024
        for flow_hash in hashes:
            seen[flow_hash & 1023] += 1

    baseline = flows / best_of(bare_loop, 3)
    print("traffic baseline: a bare Python loop over %d flows' hashes: %.0f flows/s" % (flows, baseline))
    cases = (("new flows, 1 packet each", 1), ("new flows, 10 packets each", 10))
    for seed, (label, packets) in enumerate(cases, 1):
        request = {"vip": "192.0.2.1", "protocol": 6, "port": 80, "flows": flows, "seed": seed}
        for what in (label, "  the same flows again"):  # the second time they are established
            start = time.perf_counter()
            answer = traffic_command.run(lb, {**request, "packets_per_flow": packets})
            elapsed = time.perf_counter() - start
            print(
                "traffic model, %-27s %10.0f packets/s (a flow costs %.0fx the bare loop's step)"
                % (what, answer["packets"] / elapsed, elapsed * baseline / flows)
            )


def traffic_over_control(sim: VppSim, flows: int = 200_000) -> None:
    """The same through a running vppsim's control socket (JSON, one request)."""
    vpp = connect(sim.socket)
    try:
        vpp.api.lb_add_del_vip_v2(pfx="203.0.113.1/32", protocol=6, port=80, new_flows_table_length=1024)
        vpp.api.lb_add_del_as_v2(pfx="203.0.113.1/32", protocol=6, port=80, as_address="10.9.0.1", weight=100)
    finally:
        vpp.disconnect()
    start = time.perf_counter()
    answer = sim.traffic("203.0.113.1", "tcp", 80, flows, 99, packets_per_flow=10)
    rate = answer["packets"] / (time.perf_counter() - start)
    print("traffic command over the control socket: %.0f packets/s (%d flows x 10 packets)" % (rate, flows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--worker", nargs=3, metavar=("SOCKET", "KIND", "SECONDS"))
    parser.add_argument("--traffic-only", action="store_true", help="only the traffic model's figures")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], float(args.worker[2]))))
        return
    traffic_model_rates()
    if args.traffic_only:
        with tempfile.TemporaryDirectory() as tmp, VppSim(tmp) as sim:
            traffic_over_control(sim)
        return
    with tempfile.TemporaryDirectory() as tmp, VppSim(tmp, linger=True) as sim:
        t0 = time.perf_counter()
        setup(sim)
        print("setup: 1 VIP x 4 ASes + 1 VIP x %d ASes in %.1fs" % (BIG_ASES, time.perf_counter() - t0))
        for kind, label in (("set_weight", "lb_as_set_weight calls/s"), ("dump", "10k-AS lb_as_v2_dump dumps/s")):
            one = run_clients(sim.socket, kind, args.seconds, 1)
            three = run_clients(sim.socket, kind, args.seconds, 3)
            print(
                "%-30s 1 client: %8.1f   3 clients: %8.1f   ratio 3/1: %.2f"
                % (label, one, three, three / one if one else float("nan"))
            )
        print("simulator alone: %.0f lb_as_set_weight/s dispatched in-process" % server_side_set_weight_rate())
        cost = server_side_dump_cost()
        print("simulator alone: one 10k-AS v2 dump built in %.1f ms (%.0f dumps/s ceiling)" % (cost * 1000, 1 / cost))
        traffic_over_control(sim)
        print("cpus available: %d" % len(os.sched_getaffinity(0)))


if __name__ == "__main__":
    main()
