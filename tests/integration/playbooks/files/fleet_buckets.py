"""Deploy-time probe for the fleet rollout tests: NO load balancer of the fleet may send a new
flow to the backend under deployment.

usage: fleet_buckets.py LOG_FILE HOST ADDRESS LB=CONTROL_SOCKET...

Reads every vppsim's whole state over its control socket, appends one JSON line to LOG_FILE
({host, address, lbs: {lb: {prefix: {address: [weight, num_buckets]}}}}) and exits 1 when
ADDRESS still has a weight or new-flow buckets of some VIP on some load balancer, or when a
VIP has no bucket left at all there (that load balancer would drop new flows).
"""

from __future__ import annotations

import json
import sys

from sim_buckets import sim_state  # the sibling probe's reader of vppsim's control socket


def vips(control: str) -> dict:
    return {
        vip["prefix"]: {a["address"]: [a["weight"], a["num_buckets"]] for a in vip["ases"]}
        for vip in sim_state(control)["vips"]
    }


def problems(lb: str, address: str, lb_vips: dict) -> list:
    found = []
    for prefix, ases in lb_vips.items():
        weight, buckets = ases.get(address, [0, 0])
        if weight or buckets:
            found.append("%s: %s has weight %d and %d new-flow buckets of %s" % (lb, address, weight, buckets, prefix))
        if ases and sum(b for _w, b in ases.values()) == 0:
            found.append("%s: %s has no new-flow bucket left" % (lb, prefix))
    return found


def main(argv: list) -> int:
    log, host, address = argv[1], argv[2], argv[3]
    lbs = {lb: vips(control) for lb, control in (arg.split("=", 1) for arg in argv[4:])}
    with open(log, "a") as handle:
        handle.write(json.dumps({"host": host, "address": address, "lbs": lbs}) + "\n")
    found = [problem for lb, lb_vips in lbs.items() for problem in problems(lb, address, lb_vips)]
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
