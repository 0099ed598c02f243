"""extensions/eda/rulebooks/maglevd_watch.yml run by the real ansible-rulebook (Java 17) with
the collection's event source, against a real maglevd probing local HTTP servers; its
actions are the collection's playbooks, run by ansible-runner, reading a real vppsim.

One ansible-rulebook per test (the JVM starts slowly); every wait is on the rulebook's
output, an artifact file or maglevd's event stream, with a generous deadline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
import yaml
from ansible_collections.vpp.maglev.tests.helpers.http_backends import start_backend, stop_backend
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess
from ansible_collections.vpp.maglev.tests.helpers.paths import COLLECTIONS, PYTHON, ROOT
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_with_inventory
from ansible_collections.vpp.maglev.tests.helpers.sample_config import sample_yaml
from ansible_collections.vpp.maglev.tests.helpers.waiting import wait_until

pytestmark = pytest.mark.integration
needs_java = pytest.mark.skipif(
    shutil.which("java") is None, reason="ansible-rulebook needs a Java 17 runtime (scripts/setup.sh installs it)"
)

RULEBOOK = "vpp.maglev.maglevd_watch"
RULEBOOKS = ROOT / "extensions" / "eda" / "rulebooks"
BIN = ROOT / ".venv" / "bin"
DEADLINE = 60.0  # seconds: generous, the two cores are shared
NAMES = ("b1", "b2", "b3")


def maglev_config(ports: List[int]) -> str:
    """web: b1 and b2 (one serving is enough); solo: b3 alone, so its guard keeps b3.
    Probes every 0.2 s, one result decides (rise/fall 1): a flap takes a fraction of a second."""
    probe = {"type": "http", "interval": "200ms", "fast-interval": "100ms", "down-interval": "200ms"}
    timing = {"timeout": "150ms", "rise": 1, "fall": 1, "params": {"path": "/"}}
    solo = {"address": "192.0.2.81", "protocol": "tcp", "port": 80, "pools": [{"name": "only", "backends": {"b3": {}}}]}
    return sample_yaml(
        {n: {"address": "127.0.0.%d" % (i + 2), "healthcheck": "hc-" + n} for i, n in enumerate(NAMES)},
        [("primary", {"b1": {}, "b2": {}})],
        healthchecks={"hc-" + n: {**probe, "port": port, **timing} for n, port in zip(NAMES, ports)},
        name="web",
        address="192.0.2.80",
        more_frontends={"solo": solo},
    )


class Rulebook:
    """ansible-rulebook running maglevd_watch.yml; its output lines collected as they come."""

    def __init__(self, tmp_path: Path, inventory: Path, variables: Path) -> None:
        argv = [str(BIN / "ansible-rulebook"), "--rulebook", RULEBOOK, "-i", str(inventory), "--vars", str(variables)]
        env = {
            **os.environ,
            "PATH": "%s:%s" % (BIN, os.environ.get("PATH", "")),
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
            "ANSIBLE_NOCOLOR": "1",  # the playbooks' output is matched as text
        }
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path
        )
        self.lines: List[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait_line(self, text: str, after: int = 0) -> int:
        """The index of the first output line from `after` on that contains text."""
        with self.changed:
            found = self.changed.wait_for(
                lambda: any(text in line for line in self.lines[after:]) or self.proc.poll() is not None, DEADLINE
            )
            index = next((i for i in range(after, len(self.lines)) if text in self.lines[i]), None)
        assert found and index is not None, "no %r from ansible-rulebook:\n%s" % (text, self.output())
        return index

    def output(self) -> str:
        with self.changed:
            return "\n".join(self.lines[-200:])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Rig:
    """Three HTTP backends, maglevd probing them, a vppsim, and the rulebook watching maglevd."""

    def __init__(self, tmp_path: Path, vppsim) -> None:
        self.tmp_path = tmp_path
        self.servers = [start_backend("127.0.0.%d" % (i + 2)) for i in range(len(NAMES))]
        self.config_text = maglev_config([s.server_address[1] for s in self.servers])
        self.maglevd = MaglevdProcess(tmp_path, self.config_text)
        self.rulebook: Optional[Rulebook] = None
        self.artifacts = tmp_path / "artifacts"
        self.host = "lb1"  # the rulebook's maglev_lb: meta.hostname, the inventory name
        try:
            self.maglevd.wait_ready()
            for name in NAMES:
                self.maglevd.wait_state(name, "up")
            self.rulebook = Rulebook(tmp_path, self._inventory(vppsim), self._variables())
            self.rulebook.wait_line("stream connected")
        except BaseException:
            self.close()
            raise

    def _inventory(self, vppsim) -> Path:
        host = {
            "ansible_connection": "local",
            "ansible_python_interpreter": str(PYTHON),
            "maglevd_socket": self.maglevd.socket,
            "maglevc_command": str(ROOT / "bin" / "maglevc"),
            "vpp_api_socket": vppsim.socket,
            "vpp_api_dir": vppsim.api_dir,
        }
        path = self.tmp_path / "inventory.yml"
        path.write_text(yaml.safe_dump({"vpp_lbs": {"hosts": {self.host: host}}}))
        return path

    def _variables(self) -> Path:
        source = self.tmp_path / "desired.yaml"  # the source of truth the drift check compares with
        source.write_text(self.config_text)
        variables = {
            "maglevd_socket": self.maglevd.socket,
            "maglev_lb": self.host,
            "maglev_config_src": str(source),
            "eda_artifact_dir": str(self.artifacts),
        }
        path = self.tmp_path / "eda_vars.yml"
        path.write_text(yaml.safe_dump(variables))
        return path

    def set_healthy(self, name: str, healthy: bool) -> None:
        """The backend's server answers 200 or 503; wait for maglevd to see it."""
        self.servers[NAMES.index(name)].healthy = healthy
        self.maglevd.wait_state(name, "up" if healthy else "down")

    def stop_server(self, name: str) -> None:
        """The backend's server goes away (its port refuses); wait for maglevd to see it down."""
        stop_backend(self.servers[NAMES.index(name)])
        self.maglevd.wait_state(name, "down")

    def restart_maglevd(self) -> None:
        self.maglevd.stop()
        self.maglevd = MaglevdProcess(self.tmp_path, None)
        self.maglevd.wait_ready()

    def artifact(self, pattern: str) -> dict:
        found = wait_until(lambda: sorted(self.artifacts.glob(pattern)), DEADLINE, "artifact " + pattern)
        return json.loads(found[0].read_text())

    @property
    def watch(self) -> Rulebook:
        assert self.rulebook is not None
        return self.rulebook

    def close(self) -> None:
        if self.rulebook is not None:
            self.rulebook.stop()
        self.maglevd.stop()
        for server in self.servers:
            stop_backend(server)


@pytest.fixture
def rig(tmp_path, vppsim) -> Iterator[Rig]:
    rig = Rig(tmp_path, vppsim)
    try:
        yield rig
    finally:
        rig.close()


def flap(rig: Rig, name: str, times: int) -> None:
    for _flap in range(times):
        rig.set_healthy(name, False)
        rig.set_healthy(name, True)


@needs_java
def test_a_frontend_down_runs_the_diagnostics_and_the_watch_reports_a_restart(rig):
    rig.stop_server("b3")  # solo's only backend: solo goes down
    report = rig.artifact("diagnostics-%s-solo-*.json" % rig.host)
    assert (report["lb"], report["frontend"]) == (rig.host, "solo")
    assert report["event"]["maglevd"] == {**report["event"]["maglevd"], "type": "frontend-transition", "to": "down"}
    assert report["frontend_state"]["state"] == "down"
    assert any("solo" in line for line in report["maglevc_show_frontend"]), report["maglevc_show_frontend"]
    assert report["backends"]["b3"]["history"][0]["to"] == "down"
    assert report["backends"]["b3"]["code"] == "L4CON"  # the port refuses: the server is gone
    assert report["vpp_lb"]["vips"] == []  # VPP read through vpp_lb_info (vppsim, nothing programmed)
    assert not list(rig.artifacts.glob("diagnostics-*-web-*.json"))  # web still serves

    seen = len(rig.watch.lines)
    rig.restart_maglevd()
    blind = rig.watch.wait_line("stream disconnected", seen)
    rig.watch.wait_line("stream connected", blind)


@needs_java
def test_a_failed_reload_runs_the_drift_check(rig):
    seen = len(rig.watch.lines)
    rig.maglevd.config.write_text("maglev: [not, a, mapping\n")
    assert rig.maglevd.client.config_reload()["ok"] is False  # refused: the running config is kept
    start = rig.watch.wait_line("Detect drift between maglev.yaml and VPP", seen)
    rig.watch.wait_line("Compare VPP with the desired state", start)
    rig.watch.wait_line("drift on %s" % rig.host, start)  # vppsim holds none of the config's VIPs
    recap = rig.watch.wait_line("PLAY RECAP", start)
    host_line = rig.watch.lines[rig.watch.wait_line(rig.host, recap)]
    # A read-only check: drift is reported, not a failure.
    assert "failed=0" in host_line and "unreachable=0" in host_line, host_line


@needs_java
def test_a_flapping_backend_is_disabled_and_the_guard_keeps_the_last_serving_one(rig):
    with ThreadPoolExecutor(2) as pool:  # both flap at once; .result() re-raises a flap's failure
        for done in [pool.submit(flap, rig, name, 3) for name in ("b1", "b3")]:
            done.result()

    disabled = rig.artifact("backend-%s-b1-*.json" % rig.host)
    assert disabled["outcome"] == "disabled" and disabled["event"]["maglevd"]["backend"] == "b1"
    assert rig.maglevd.client.backend("b1")["state"] == "disabled"
    rig.watch.wait_line("maglev flap: backend b1 on %s disabled after flapping" % rig.host)

    refused = rig.artifact("backend-%s-b3-*.json" % rig.host)
    assert refused["outcome"] == "refused" and "frontend solo" in refused["reason"], refused
    assert rig.maglevd.client.backend("b3")["state"] == "up"
    rig.watch.wait_line("maglev flap: backend b3 on %s not disabled: refusing" % rig.host)
    assert rig.maglevd.client.backend("b2")["state"] == "up"  # never flapped, never touched


def test_the_awx_rulebook_has_the_same_rules_with_job_templates():
    """maglevd_watch_awx.yml is maglevd_watch.yml with each playbook run as a job template on
    the event's LB: same source, conditions and throttles, so the two cannot drift apart."""
    local = yaml.safe_load((RULEBOOKS / "maglevd_watch.yml").read_text())[0]
    awx = yaml.safe_load((RULEBOOKS / "maglevd_watch_awx.yml").read_text())[0]
    assert awx["sources"] == local["sources"]
    assert [(r["name"], r["condition"], r.get("throttle")) for r in awx["rules"]] == [
        (r["name"], r["condition"], r.get("throttle")) for r in local["rules"]
    ]
    for mine, theirs in zip(local["rules"], awx["rules"]):
        if "run_playbook" not in mine["action"]:
            assert theirs["action"] == mine["action"]
            continue
        job = theirs["action"]["run_job_template"]
        assert job["job_args"]["limit"] == "{{ event.meta.hostname }}", mine["name"]
        playbook = mine["action"]["run_playbook"]
        wanted = {k: v for k, v in playbook.get("extra_vars", {}).items() if k != "eda_artifact_dir"}
        assert job["job_args"].get("extra_vars", {}) == wanted, mine["name"]
        assert (ROOT / "playbooks" / (playbook["name"].split(".")[-1] + ".yml")).is_file()


def test_the_diagnostics_record_what_they_cannot_read_and_still_report(tmp_path):
    """The outage may be maglevd or VPP itself: each unreadable part is an error in the report."""
    gone = str(tmp_path / "gone.sock")
    inventory = "[vpp_lbs]\nlb1 ansible_connection=local ansible_python_interpreter=%s %s\n" % (
        PYTHON,
        " ".join("%s=%s" % (k, gone) for k in ("maglevd_socket", "vpp_api_socket")),
    )
    variables = {"maglev_lb": "lb1", "maglev_frontend": "web", "eda_artifact_dir": str(tmp_path / "artifacts")}
    variables["maglevc_command"] = str(ROOT / "bin" / "maglevc")
    run = run_with_inventory(tmp_path, ROOT / "playbooks" / "eda_diagnostics.yml", inventory, extra_vars=variables)
    assert run.ok, run.text()
    (path,) = (tmp_path / "artifacts").glob("diagnostics-lb1-web-*.json")
    report = json.loads(path.read_text())
    assert "not running" in report["maglevc_show_frontend"]["error"], report
    assert "not running" in report["frontend_state"]["error"]
    assert report["backends"] == {}
    assert gone in report["vpp_lb"]["error"], report["vpp_lb"]
