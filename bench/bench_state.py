"""vpp_lb_state at scale: 1,000 VIPs x 64 ASes in one task, against vppsim.

Scenarios (each a real ansible-playbook -> action plugin -> module -> vpp_papi -> vppsim run):
  1. cold converge (empty VPP -> the whole config)
  2. no-op check (check mode, nothing differs), with result_detail full (the default) and changes
  3. 10% weight change (every 10th pool member of every VIP gets a new weight), applied

Printed for each: wall time, the writes vppsim received (its stats) against the plan's length,
and, for the converges, the wall time of a bare vpp_papi loop sending the same calls on one
connection, measured in the same run, with the ratio (target <= 1.3). Then the module's
phases timed in-process (parse, desired, read, plan, disruption, apply, re-read, result)
so a slow path can be attributed to module_utils or vppclient.

    .venv/bin/python bench/bench_state.py [--vips 1000] [--ases 64]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT
from ansible_collections.vpp.maglev.plugins.module_utils import vpp_lb_state_input, vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.desired import desired_state
from ansible_collections.vpp.maglev.plugins.module_utils.disruption import plan_disruption
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.plugins.module_utils.views import state_to_dict
from ansible_collections.vpp.maglev.tests.helpers.playbook import playbook_env
from ansible_collections.vpp.maglev.vppsim.harness import VppSim

PYTHON = ROOT / ".venv" / "bin" / "python"


def make_config(vips: int, ases: int, changed: bool = False) -> dict:
    backends = {}
    frontends = {}
    pool_size = 4096
    for b in range(pool_size):
        backends["b%d" % b] = {"address": "10.%d.%d.%d" % (64 + b // 65536, (b // 256) % 256, b % 256)}
    for v in range(vips):
        members = {}
        for j in range(ases):
            weight = 100 if j % 2 == 0 else 50
            if changed and j % 10 == 0:
                weight = 70  # 10% of the members: a new weight
            members["b%d" % ((v * ases + j) % pool_size)] = {"weight": weight}
        frontends["f%d" % v] = {
            "address": "198.18.%d.%d" % (v // 256, v % 256),
            "protocol": "tcp",
            "port": 80,
            "pools": [{"name": "primary", "backends": members}],
        }
    return {
        "maglev": {
            "vpp": {"lb": {"ipv4-src-address": "192.0.2.254", "ipv6-src-address": "2001:db8::fe"}},
            "backends": backends,
            "frontends": frontends,
        }
    }


def run_task(work: Path, sim: VppSim, src: Path, *, check: bool, name: str, **options: str) -> tuple:
    """(wall seconds, module result) of one vpp_lb_state task in a real ansible-playbook."""
    log = work / ("%s.jsonl" % name)
    playbook = work / ("%s.json" % name)
    args = {"src": str(src), "state": "replaced", "api_socket": sim.socket, "api_dir": sim.api_dir}
    task = {"vpp.maglev.vpp_lb_state": dict(args, **options)}
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [task]}]))
    env = playbook_env(work, log)
    command = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", "localhost,", "-c", "local"]
    command += ["-e", "ansible_python_interpreter=%s" % PYTHON, str(playbook)]
    if check:
        command.append("--check")
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(work), check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("ansible-playbook failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
    result = json.loads(log.read_text().splitlines()[-1])["result"]
    return wall, result


def raw_read(api) -> int:
    """The read the module does (lb_conf_get, lb_vip_dump, the CLI text, lb_as_v2_dump), raw."""
    api.lb_conf_get()
    vips = api.lb_vip_dump()
    if not vips:
        return 0
    api.cli_inband(cmd="show lb vips verbose")
    return len(api.lb_as_v2_dump())


def bare_loop(sim: VppSim, calls: list) -> float:
    """Seconds for one bare vpp_papi connection to send the module's calls: connect, read,
    the plan's writes, read again (the module re-reads to report ``after``)."""
    from vpp_papi import VPPApiClient

    start = time.perf_counter()
    files = [str(path) for path in Path(sim.api_dir).glob("*.api.json")]
    papi = VPPApiClient(apifiles=files, server_address=sim.socket, use_socket=True)
    papi.connect("bare")
    api = papi.api
    raw_read(api)
    for call in calls:
        reply = getattr(api, call["msg"])(**call["args"])
        if reply.retval != 0:
            sys.exit("bare loop: %s returned %d" % (call["msg"], reply.retval))
    if calls:
        raw_read(api)
    papi.disconnect()
    return time.perf_counter() - start


def replay(sim: VppSim, calls: list) -> None:
    with vppclient.connect(sim.socket, api_dir=sim.api_dir) as vpp:
        for call in calls:
            getattr(vpp.api, call["msg"])(**call["args"])


def phases(sim: VppSim, data: dict) -> dict:
    """The module's work timed in-process, phase by phase (check mode: no apply)."""
    times = {}
    t = time.perf_counter()
    cfg = vpp_lb_state_input.parse_config(data)
    times["config.parse"] = time.perf_counter() - t
    t = time.perf_counter()
    desired = desired_state(cfg)
    times["desired_state"] = time.perf_counter() - t
    with vppclient.connect(sim.socket, api_dir=sim.api_dir) as vpp:
        t = time.perf_counter()
        current = vpp.read_state()
        times["vppclient.read_state"] = time.perf_counter() - t
        vpp.direct = False  # the same read through vpp_papi's own path, for comparison
        t = time.perf_counter()
        assert vpp.read_state() == current
        times["  same read via vpp_papi's path"] = time.perf_counter() - t
    t = time.perf_counter()
    the_plan = plan(current, desired, "replaced")
    times["planner.plan"] = time.perf_counter() - t
    t = time.perf_counter()
    plan_disruption(the_plan)
    times["disruption"] = time.perf_counter() - t
    t = time.perf_counter()
    state_to_dict(the_plan.before)
    state_to_dict(the_plan.after)
    the_plan.commands()
    the_plan.api_calls()
    times["views (before/after/commands)"] = time.perf_counter() - t
    t = time.perf_counter()
    json.dumps({"before": state_to_dict(the_plan.before), "after": state_to_dict(the_plan.after)})
    times["json of before/after"] = time.perf_counter() - t
    times["_ops"] = len(the_plan.ops)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--vips", type=int, default=1000)
    parser.add_argument("--ases", type=int, default=64)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-state-"))
    (work / "sim").mkdir()
    src = work / "maglev.yaml"
    src_changed = work / "maglev-changed.yaml"
    import yaml

    data, data_changed = make_config(args.vips, args.ases), make_config(args.vips, args.ases, changed=True)
    src.write_text(yaml.safe_dump(data, sort_keys=False))
    src_changed.write_text(yaml.safe_dump(data_changed, sort_keys=False))
    print("vpp_lb_state bench: %d VIPs x %d ASes (%d ASes), vppsim" % (args.vips, args.ases, args.vips * args.ases))
    rows = []
    with VppSim(work / "sim") as sim:
        # 1. cold converge, and the bare loop of the same calls on an empty VPP.
        _wall, rendered = run_task(work, sim, src, check=True, name="plan-cold")
        cold_calls = rendered["api_calls"]
        sim.restart()
        bare_cold = bare_loop(sim, cold_calls)
        sim.restart()
        sim.reset_stats()
        wall, result = run_task(work, sim, src, check=False, name="cold")
        stats = sim.stats()
        print("module's messages (cold):", {k: v for k, v in stats["counts"].items() if v < 50})
        rows.append(("cold converge", wall, stats["writes"], len(result["api_calls"]), bare_cold))
        assert result["api_calls"] == cold_calls

        # 2. no-op check, with the default result and with result_detail: changes.
        sim.reset_stats()
        wall, result = run_task(work, sim, src, check=True, name="noop")
        rows.append(("no-op check", wall, sim.stats()["writes"], len(result["api_calls"]), None))
        noop_size = len(json.dumps(result))
        sim.reset_stats()
        wall, result = run_task(work, sim, src, check=True, name="noop-changes", result_detail="changes")
        rows.append(("  result_detail=changes", wall, sim.stats()["writes"], len(result["api_calls"]), None))
        noop_small = len(json.dumps(result))

        # 3. 10% weight change: bare loop first (then back to the converged state), then the module.
        _wall, planned = run_task(work, sim, src_changed, check=True, name="plan-change")
        change_calls = planned["api_calls"]
        bare_change = bare_loop(sim, change_calls)
        sim.restart()
        replay(sim, cold_calls)
        sim.reset_stats()
        wall, result = run_task(work, sim, src_changed, check=False, name="change")
        rows.append(("10% weight change", wall, sim.stats()["writes"], len(result["api_calls"]), bare_change))
        assert result["api_calls"] == change_calls
        moved = [entry["moved_share"] for entry in result["disruption"].values()]

        print()
        header = ("scenario", "wall s", "writes", "plan calls", "bare s", "ratio", "target <= 1.3")
        print("%-24s %9s %9s %11s %10s %7s  %s" % header)
        for name, wall, writes, planned_calls, bare in rows:
            ratio = "%.2f" % (wall / bare) if bare else "-"
            verdict = ("OK" if wall / bare <= 1.3 else "MISSED") if bare else ""
            print(
                "%-24s %9.2f %9d %11d %10s %7s  %s"
                % (name, wall, writes, planned_calls, "%.2f" % bare if bare else "-", ratio, verdict)
            )
            if writes != planned_calls:
                print("  !! %s: vppsim received %d writes, the plan listed %d" % (name, writes, planned_calls))
        print("(bare = one vpp_papi connection sending the same reads and writes, measured in this run)")
        print("no-op result: %.1f MB with result_detail full, %d bytes with changes" % (noop_size / 1e6, noop_small))
        print()
        print(
            "10%% change disruption: %d VIPs, moved share mean %.3f, max %.3f"
            % (len(moved), sum(moved) / len(moved), max(moved))
        )
        print()
        print("in-process phases (check mode, no-op):")
        for name, seconds in phases(sim, data_changed).items():
            print("  %-32s %s" % (name, seconds if name == "_ops" else "%.3f s" % seconds))
        print("in-process phases (check mode, 10% change pending):")
        sim.restart()
        replay(sim, cold_calls)
        for name, seconds in phases(sim, data_changed).items():
            print("  %-32s %s" % (name, seconds if name == "_ops" else "%.3f s" % seconds))
        start = time.perf_counter()
        subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), "--version"], capture_output=True, check=True)
        print("  %-32s %.3f s" % ("ansible-playbook --version", time.perf_counter() - start))


if __name__ == "__main__":
    main()
