"""A fleet of load balancers for the playbook tests and the fleet benchmark: N real vppsim
processes, optionally one real maglevd per host programming its own vppsim, and the inventory
that points Ansible at them (docs/fleet.md).

    with Fleet(tmp_path, 3, maglevd_config=MINIMAL_VPP_CONFIG) as fleet:
        fleet.wait_synced()                       # every maglevd programmed its VPP, nothing pending
        run = run_with_inventory(tmp_path / "check", FLEET_CHECK, fleet.inventory, extra_vars={...})
        fleet.sims["lb2"]                         # the VppSim of host lb2 (control socket, call log)
        fleet.state("lb2")                        # its LB as vpp_lb_state reports it (vppsim_view)
        fleet.daemons["lb2"].client.disable("b1") # that host's maglevd (MaglevdProcess)

- ``hosts``: ``lb1`` .. ``lbN``, in order; every directory lives under ``tmp_path/<host>``.
- ``inventory``: INI text of the group ``group`` (default ``vpp_lbs``): each host is
  ``ansible_connection=local`` with this checkout's venv Python and its own
  ``vpp_api_socket``, ``vpp_api_dir`` and (with maglevd) ``maglevd_socket``;
  ``inventory_path`` is the same text written to ``tmp_path/fleet.ini``.
- ``sims``: ``{host: VppSim}`` (vppsim/harness.py); ``daemons``: ``{host: MaglevdProcess}``
  (tests/helpers/maglevd_process.py), empty without ``maglevd_config``. ``maglevd_config``
  is the maglev.yaml text every daemon reads (one per host, same text: the fleet agrees).
- ``state(host)`` / ``states()``: what each vppsim holds, in the modules' shape.
- ``wait_synced()``: blocks until every maglevd ran a full sync with nothing pending.
- ``converge(workdir, src)``: the real ansible-playbook runs ``vpp_lb_state`` (replaced, from
  the one maglev.yaml ``src``) on every host; more arguments go to ansible-playbook.
- ``task_result(run, name)``: (status, result) of the named task's last run in a PlaybookRun.
- ``stop()`` (also on leaving the ``with``): daemons first, then the simulators.

The simulators start in parallel (each start blocks on its ready line), so a 20-host fleet
for the benchmark starts in about the time of one.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess
from ansible_collections.vpp.maglev.tests.helpers.paths import PYTHON
from ansible_collections.vpp.maglev.tests.helpers.playbook import PlaybookRun, run_with_inventory
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import sim_state
from ansible_collections.vpp.maglev.tests.helpers.waiting import wait_until
from ansible_collections.vpp.maglev.vppsim.harness import VppSim


class Fleet:
    def __init__(
        self,
        tmp_path: Path,
        count: int = 3,
        *,
        maglevd_config: Optional[str] = None,
        group: str = "vpp_lbs",
        maglevd_args: List[str] = (),  # type: ignore[assignment]
    ) -> None:
        self.dir = Path(tmp_path)
        self.group = group
        self.hosts = ["lb%d" % number for number in range(1, count + 1)]
        self.sims: Dict[str, VppSim] = {}
        self.daemons: Dict[str, MaglevdProcess] = {}
        self.maglevd_config = maglevd_config
        self.maglevd_args = list(maglevd_args)
        self.inventory_path = self.dir / "fleet.ini"

    def start(self) -> Fleet:
        for host in self.hosts:
            (self.dir / host).mkdir(parents=True, exist_ok=True)
            self.sims[host] = VppSim(self.dir / host)
        try:
            with ThreadPoolExecutor(max_workers=len(self.hosts)) as pool:
                list(pool.map(VppSim.start, self.sims.values()))
            if self.maglevd_config is not None:
                for host in self.hosts:
                    argv = ["--vpp-api-addr", self.sims[host].socket, *self.maglevd_args]
                    self.daemons[host] = MaglevdProcess(self.dir / host, self.maglevd_config, *argv)
                for host, daemon in self.daemons.items():
                    ready = daemon.wait_ready()
                    assert ready["event"] == "ready", (host, daemon.seen)
        except BaseException:
            self.stop()
            raise
        self.inventory_path.write_text(self.inventory)
        return self

    def stop(self) -> None:
        for daemon in self.daemons.values():
            daemon.stop()
        for sim in self.sims.values():
            sim.stop()

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def inventory(self) -> str:
        lines = ["[%s]" % self.group]
        for host in self.hosts:
            sim = self.sims[host]
            fields = [host, "ansible_connection=local", "ansible_python_interpreter=%s" % PYTHON]
            fields += ["vpp_api_socket=%s" % sim.socket, "vpp_api_dir=%s" % sim.api_dir]
            if host in self.daemons:
                fields.append("maglevd_socket=%s" % self.daemons[host].socket)
            lines.append(" ".join(fields))
        return "\n".join(lines) + "\n"

    def state(self, host: str) -> Dict[str, Any]:
        return sim_state(self.sims[host])

    def states(self) -> Dict[str, Dict[str, Any]]:
        return {host: self.state(host) for host in self.hosts}

    def converge(self, workdir: Path, src: Path, *ansible_args: str, timeout: float = 600) -> PlaybookRun:
        """vpp_lb_state replaced from one maglev.yaml on every host (a real ansible-playbook;
        ``ansible_args`` e.g. ``"--forks", "10"`` or ``"--limit", "lb1"``)."""
        args = {"src": str(src), "state": "replaced", "api_socket": "{{ vpp_api_socket }}"}
        args["api_dir"] = "{{ vpp_api_dir }}"
        play = {"hosts": self.group, "gather_facts": False, "tasks": [{"vpp.maglev.vpp_lb_state": args}]}
        return run_with_inventory(workdir, [play], self.inventory, extra_args=list(ansible_args), timeout=timeout)

    def wait_synced(self, timeout: float = 60.0) -> None:
        """Every maglevd's reconciler ran a full sync that succeeded and has nothing pending."""
        for host, daemon in self.daemons.items():
            wait_until(partial(_synced, daemon), timeout, what="maglevd on %s to sync VPP" % host)


def _synced(daemon: MaglevdProcess) -> bool:
    reconciler = daemon.client.vpp_info()["reconciler"]
    last = reconciler.get("last_full_sync") or {}
    return last.get("result") == "ok" and not reconciler["pending"]


def task_result(run: PlaybookRun, name: str) -> Tuple[str, Dict[str, Any]]:
    """(status, result) of the last run of the task called ``name``."""
    found = [entry for entry in run.entries if entry["task"] == name]
    assert found, "no task %r in %s" % (name, [entry["task"] for entry in run.entries])
    return found[-1]["status"], found[-1]["result"]
