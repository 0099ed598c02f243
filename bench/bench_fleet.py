"""A fleet from one play: 20 LBs x 200 VIPs x 16 ASes, each LB its own vppsim process.

Each a real ansible-playbook over an inventory of 20 hosts (tests/helpers/fleet.py):
  1. converge: vpp_lb_state replaced from one generated maglev.yaml on every LB (empty VPPs),
     with forks=2 and forks=10 (every vppsim is emptied, a VPP restart, between the two);
  2. consistency check: playbooks/fleet_check.yml (vpp_lb_info on every LB, the filter once
     on the controller), with forks=2 and forks=10.
Each wall time is printed beside 20 x the time of the same play on one LB (--limit lb1),
measured in the same run: what running the LBs one after the other would cost. The filter's
own cost is bench/bench_fleet_filter.py's. Runs in a few minutes on 2 cores.

Here every host's module runs on this machine (ansible_connection=local), so forks beyond the
number of cores only add contention; on real LBs each module runs on its own host and the
controller mostly waits, which is where more forks pay off.

    .venv/bin/python bench/bench_fleet.py [--lbs 20] [--vips 200] [--ases 16]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Tuple

import yaml
from _common import ROOT
from ansible_collections.vpp.maglev.tests.helpers.fleet import Fleet, task_result
from ansible_collections.vpp.maglev.tests.helpers.playbook import PlaybookRun, run_with_inventory
from bench_state import make_config

FLEET_CHECK = ROOT / "playbooks" / "fleet_check.yml"
FORKS = (2, 10)


def timed(run: Callable[[], PlaybookRun], what: str) -> Tuple[float, PlaybookRun]:
    start = time.perf_counter()
    result = run()
    wall = time.perf_counter() - start
    if not result.ok:
        sys.exit("%s failed:\n%s" % (what, result.text()[-3000:]))
    return wall, result


def converge(fleet: Fleet, work: Path, src: Path, *args: str) -> float:
    for sim in fleet.sims.values():
        sim.restart()  # empty VPP: every converge does the same work
    return timed(lambda: fleet.converge(work, src, *args), "converge %s" % " ".join(args))[0]


def check(fleet: Fleet, work: Path, *args: str) -> float:
    wall, run = timed(
        lambda: run_with_inventory(work, FLEET_CHECK, fleet.inventory, extra_args=list(args), timeout=600),
        "fleet check %s" % " ".join(args),
    )
    report = task_result(run, "Publish the report for the workflow")[1]["ansible_stats"]["data"]["fleet_check"]
    if not report["consistent"] or len(report["report"]["hosts"]) != (1 if "--limit" in args else len(fleet.hosts)):
        sys.exit("the fleet check did not see a consistent fleet: %s" % report["failures"])
    return wall


def line(what: str, lbs: int, one: float, walls: dict) -> str:
    figures = "  ".join("forks=%-2d %6.1f s" % (forks, wall) for forks, wall in walls.items())
    return "%-18s %s   %d x one LB %6.1f s (one LB %.2f s)" % (what, figures, lbs, lbs * one, one)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lbs", type=int, default=20)
    parser.add_argument("--vips", type=int, default=200)
    parser.add_argument("--ases", type=int, default=16)
    options = parser.parse_args()
    print("fleet: %d LBs x %d VIPs x %d ASes (one vppsim each)" % (options.lbs, options.vips, options.ases))
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        work = Path(tmp)
        src = work / "maglev.yaml"
        src.write_text(yaml.safe_dump(make_config(options.vips, options.ases)))
        with Fleet(work / "fleet", options.lbs) as fleet:
            one_converge = converge(fleet, work / "one-converge", src, "--limit", "lb1")
            one_check = check(fleet, work / "one-check", "--limit", "lb1")
            converges, checks = {}, {}
            for forks in FORKS:
                converges[forks] = converge(fleet, work / ("converge-%d" % forks), src, "--forks", str(forks))
                checks[forks] = check(fleet, work / ("check-%d" % forks), "--forks", str(forks))
            held = {host: len(state["vips"]) for host, state in fleet.states().items()}
            if set(held.values()) != {options.vips}:
                sys.exit("not every LB holds %d VIPs: %s" % (options.vips, held))
    print(line("converge", options.lbs, one_converge, converges))
    print(line("consistency check", options.lbs, one_check, checks))


if __name__ == "__main__":
    main()
