"""Deploy-time probe for the rollout tests: VPP (vppsim) must send no new flow to ADDRESS.

usage: sim_buckets.py CONTROL_SOCKET LOG_FILE HOST ADDRESS...

Reads vppsim's whole state over its control socket, appends one JSON line to LOG_FILE
({host, addresses, vips: {prefix: {address: num_buckets}}}) and exits 1 when an address under
deployment still owns new-flow buckets of some VIP, or when a VIP has no bucket left at all
(the load balancer would drop new flows).
"""

from __future__ import annotations

import json
import socket
import sys


def sim_state(control: str) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(control)
        sock.sendall(json.dumps({"cmd": "state"}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    return json.loads(data)["state"]


def main(argv: list) -> int:
    control, log, host, addresses = argv[1], argv[2], argv[3], set(argv[4:])
    state = sim_state(control)
    vips = {vip["prefix"]: {a["address"]: a["num_buckets"] for a in vip["ases"]} for vip in state["vips"]}
    with open(log, "a") as handle:
        handle.write(json.dumps({"host": host, "addresses": sorted(addresses), "vips": vips}) + "\n")
    problems = []
    for prefix, buckets in vips.items():
        for address in addresses & buckets.keys():
            if buckets[address] > 0:
                problems.append("%s still owns %d new-flow buckets of %s" % (address, buckets[address], prefix))
        if buckets and sum(buckets.values()) == 0:
            problems.append("%s has no new-flow bucket left" % prefix)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
