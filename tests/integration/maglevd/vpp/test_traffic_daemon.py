"""maglevd sees the traffic, with real processes: maglevd -> HTTP probes -> a real local server,
maglevd -> vpp_papi -> vppsim, and simulated flows through vppsim's lb node.

- traffic through vppsim moves the counters and flows maglevd exports (API, metrics, maglevc);
- every backend of a frontend down while traffic flows raises the black-hole alarm within one
  read, and recovery clears it (events, warning lines, gauge);
- `maglevc set backend X drain --wait-flows 0` waits until VPP's flows leave, with progress;
- a stats socket that is not there: flows still read, no rate, the failure said in status;
- VPP gone: no rate and no flow stays looking live.
"""

from __future__ import annotations

import re
import threading
import urllib.request
from typing import Any, Dict, List

import pytest
from ansible_collections.vpp.maglev.tests.helpers.flow_traffic import SMALL_STICKY_LB, drive_flows_away, pin_flows
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess, wait_until
from ansible_collections.vpp.maglev.tests.helpers.sample_config import sample_yaml

VIP = "192.0.2.1"
VIP_LABEL = "192.0.2.1/32 tcp:80"
INTERVAL = "0.1"  # seconds between maglevd's traffic reads: the tests wait on reads, not time


def config(port: int, **lb: Any) -> str:
    """web1, web2 (127.0.0.1 and .2, HTTP-probed on the `web` fixture's port, rise/fall 1) in
    one pool of VIP."""
    probe = {"type": "http", "port": port, "interval": "1s", "timeout": "0.9s", "rise": 1, "fall": 1}
    settings = {"ipv4-src-address": "192.0.2.254", "startup-min-delay": 0, "startup-max-delay": 0}
    return sample_yaml(
        {
            "web1": {"address": "127.0.0.1", "healthcheck": "http"},
            "web2": {"address": "127.0.0.2", "healthcheck": "http"},
        },
        [("main", {"web1": {}, "web2": {}})],
        healthchecks={"http": {**probe, "params": {"path": "/healthz"}}},
        lb={**settings, **lb},
        address=VIP,
    )


def start(tmp_path, vppsim, web, *extra: str, **lb: Any) -> MaglevdProcess:
    proc = MaglevdProcess(
        tmp_path,
        config(web.server_address[1], **lb),
        "--vpp-api-addr", vppsim.socket,
        "--vpp-stats-addr", vppsim.stats_socket,
        "--vpp-stats-interval", INTERVAL,
        "--metrics-addr", "127.0.0.1:0",
        *extra,
        env={"MAGLEV_VPP_PING_INTERVAL": "1"},
    )  # fmt: skip
    assert proc.wait_ready()["event"] == "ready"
    return proc


def serving(vppsim) -> Dict[str, int]:
    """AS -> weight of VIP in vppsim (its own state, not maglevd's)."""
    for vip in vppsim.state()["vips"]:
        if vip["used"] and vip["prefix"].startswith(VIP + "/"):
            return {a["address"]: a["weight"] for a in vip["ases"] if a["used"]}
    return {}


def frontend(proc: MaglevdProcess) -> Dict[str, Any]:
    return proc.client.frontend("web")


def reads(proc: MaglevdProcess) -> int:
    return proc.status()["vpp"]["traffic"]["reads"]


def after_two_reads(proc: MaglevdProcess) -> None:
    """Wait until two reads began after now: the second saw everything done before this call."""
    first = reads(proc)
    wait_until(lambda: reads(proc) >= first + 2, what="two traffic reads")


def metrics(proc: MaglevdProcess) -> str:
    host, port = proc.ready["metrics_addr"].rsplit(":", 1)
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    found = re.search(r"^%s\{%s\} (\S+)$" % (re.escape(name), re.escape(wanted)), text, re.M)
    assert found, f"{name}{{{wanted}}} not in /metrics"
    return float(found.group(1))


def test_traffic_through_vppsim_moves_what_maglevd_exports(tmp_path, vppsim, web):
    proc = start(tmp_path, vppsim, web)
    wait_until(lambda: serving(vppsim) == {"127.0.0.1": 100, "127.0.0.2": 100}, what="both ASes serving")
    sent = vppsim.traffic(VIP, "tcp", 80, flows=40, seed=7, packets_per_flow=3)
    pinned = {address: row["flows"] for address, row in sent["ases"].items()}
    after_two_reads(proc)
    view = frontend(proc)
    traffic = view["traffic"]
    assert traffic["packets"] == {"existing": 80, "first": 40, "untracked": 0, "no_server": 0}
    assert traffic["error"] is None and traffic["blackhole"] is None and traffic["read_at"] > 0
    flows = {member["address"]: member["flows"] for member in view["pools"][0]["backends"]}
    assert flows == pinned and sum(flows.values()) == 40
    assert proc.client.backend("web1")["flows"] == {"web": pinned["127.0.0.1"]}
    text = metrics(proc)
    for kind, count in traffic["packets"].items():
        assert sample(text, "maglev_vip_packets_total", frontend="web", vip=VIP_LABEL, kind=kind) == count
    assert sample(text, "maglev_backend_flows", frontend="web", backend="web2") == pinned["127.0.0.2"]
    assert sample(text, "maglev_frontend_blackhole", frontend="web") == 0
    shown = proc.maglevc("show", "frontend", "web")
    assert shown.returncode == 0 and "packets/s      existing" in shown.stdout
    assert re.search(r"web1\s+127\.0\.0\.1\s+up\s+100\s+100\s+%d$" % pinned["127.0.0.1"], shown.stdout, re.M)
    info = proc.client.vpp_info()
    assert info["stats_socket"] == vppsim.stats_socket and info["boot_time"] and info["build_directory"]
    found = proc.events("vpp-lb-state")
    assert found and {"vips", "ases", "buckets", "flow_timeout"} <= set(found[0])


class Flowing:
    """Traffic that keeps flowing: a few new flows to VIP every PACE seconds, from a thread,
    until stopped. (Its pace only keeps every read interval busy; no assertion waits on it.)"""

    PACE = 0.02

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        seed = 100
        while not self.stop.is_set():
            seed += 1
            self.sim.traffic(VIP, "tcp", 80, flows=5, seed=seed)
            self.stop.wait(self.PACE)

    def __enter__(self) -> Flowing:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join(30)


class Stream:
    """Every event of frontend web's stream, in publish order, from a thread."""

    def __init__(self, proc: MaglevdProcess) -> None:
        self.events: List[Dict[str, Any]] = []
        self.open = threading.Event()
        threading.Thread(target=self._run, args=(proc,), daemon=True).start()
        assert self.open.wait(30), "the event stream did not open"

    def _run(self, proc: MaglevdProcess) -> None:
        for event in proc.client.events(frontend="web"):
            self.open.set()
            self.events.append(event)

    def until_marker(self, proc: MaglevdProcess) -> List[Dict[str, Any]]:
        """The events published before now: a reload (nothing changed) is the marker, since
        the stream delivers in publish order."""
        count = sum(1 for event in self.events if event["type"] == "config-reload")
        assert proc.client.config_reload()["ok"]
        wait_until(
            lambda: sum(1 for event in self.events if event["type"] == "config-reload") > count, what="the marker"
        )
        return list(self.events)


def alarms(events: List[Dict[str, Any]]) -> List[str]:
    return [event["type"] for event in events if event["type"].startswith("frontend-blackhole")]


def test_every_backend_down_raises_the_blackhole_alarm_and_recovery_clears_it(tmp_path, vppsim, web):
    # reads every 0.3 s: each interval holds many of Flowing's bursts even on a loaded machine
    proc = start(tmp_path, vppsim, web, "--vpp-stats-interval", "0.3")
    wait_until(lambda: serving(vppsim) == {"127.0.0.1": 100, "127.0.0.2": 100}, what="both ASes serving")
    stream = Stream(proc)
    with Flowing(vppsim):
        after_two_reads(proc)
        assert frontend(proc)["traffic"]["blackhole"] is None  # served: no alarm
        web.healthy = False  # both backends fail their probes: every weight 0
        wait_until(lambda: serving(vppsim) == {"127.0.0.1": 0, "127.0.0.2": 0}, what="every AS at weight 0")
        after_two_reads(proc)  # the second read covers only time with every weight 0
        assert alarms(stream.until_marker(proc))[:1] == ["frontend-blackhole"]  # within one read
        view = frontend(proc)
        assert view["traffic"]["blackhole"]["kind"] == "no_server" and view["traffic"]["rates"]["no_server"] > 0
        assert sample(metrics(proc), "maglev_frontend_blackhole", frontend="web") == 1
        assert proc.status()["vpp"]["traffic"]["blackholes"] == ["web"]

        web.healthy = True
        wait_until(lambda: serving(vppsim) == {"127.0.0.1": 100, "127.0.0.2": 100}, what="recovered")
        after_two_reads(proc)
        events = stream.until_marker(proc)
        assert alarms(events)[-1] == "frontend-blackhole-cleared"
        assert frontend(proc)["traffic"]["blackhole"] is None
        assert sample(metrics(proc), "maglev_frontend_blackhole", frontend="web") == 0
    raised = next(event for event in events if event["type"] == "frontend-blackhole")
    assert raised["frontend"] == "web" and raised["kind"] == "no_server" and raised["rate"] > 0
    cleared = [event for event in events if event["type"] == "frontend-blackhole-cleared"][-1]
    assert cleared["frontend"] == "web" and cleared["reason"] == "stopped"
    warning = proc.wait_for("frontend-blackhole")
    assert warning["level"] == "warn" and warning["frontend"] == "web"
    assert proc.wait_for("frontend-blackhole-cleared")["level"] == "warn"


def test_drain_waits_for_the_flows_to_leave(tmp_path, vppsim, web):
    proc = start(tmp_path, vppsim, web, **SMALL_STICKY_LB)
    wait_until(lambda: serving(vppsim) == {"127.0.0.1": 100, "127.0.0.2": 100}, what="both ASes serving")
    pinned = pin_flows(vppsim, VIP, seed=5)["127.0.0.1"]
    assert pinned > 0
    after_two_reads(proc)
    waiting = proc.maglevc("set", "backend", "web1", "drain", "--wait-flows", "0", "--timeout", "2")
    assert waiting.returncode == 1, waiting.stderr  # the flows stay pinned: the wait times out (2 s)
    assert f"web1: flows web {pinned} (waiting for <= 0)" in waiting.stdout
    assert re.search(r"web1: timeout after [\d.]+s, flows web %d$" % pinned, waiting.stdout, re.M)
    wait_until(lambda: serving(vppsim).get("127.0.0.1") == 0, what="web1 drained in VPP")
    drive_flows_away(vppsim, VIP, int(SMALL_STICKY_LB["flow-timeout"].rstrip("s")))
    done = proc.maglevc("set", "backend", "web1", "drain", "--wait-flows", "0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "backend web1: paused (unchanged)"
    assert re.search(r"^web1: idle after [\d.]+s, flows web 0$", done.stdout, re.M)


@pytest.mark.parametrize("stats", ["missing", "off"])
def test_without_the_stats_segment_flows_are_still_read(tmp_path, vppsim, web, stats):
    socket = str(tmp_path / "no-such-stats.sock") if stats == "missing" else ""
    proc = start(tmp_path, vppsim, web, "--vpp-stats-addr", socket)
    wait_until(lambda: serving(vppsim) == {"127.0.0.1": 100, "127.0.0.2": 100}, what="both ASes serving")
    sent = vppsim.traffic(VIP, "tcp", 80, flows=10, seed=4)
    after_two_reads(proc)
    view = frontend(proc)
    assert view["traffic"]["rates"] is None and view["traffic"]["packets"] == {}
    assert (
        sum(member["flows"] for member in view["pools"][0]["backends"])
        == 10
        == sum(row["flows"] for row in sent["ases"].values())
    )
    status = proc.status()
    assert status["vpp"]["traffic"]["state"] == ("error" if stats == "missing" else "flows-only")
    assert status["state"] == "ok"  # probing and programming VPP are not affected
    assert "maglev_traffic_read_ok 0.0" in metrics(proc)
    assert "maglev_vip_packets_total{" not in metrics(proc)


def test_vpp_gone_leaves_no_rate_or_flow_looking_live(tmp_path, vppsim, web):
    proc = start(tmp_path, vppsim, web)
    wait_until(lambda: serving(vppsim) == {"127.0.0.1": 100, "127.0.0.2": 100}, what="both ASes serving")
    vppsim.traffic(VIP, "tcp", 80, flows=10, seed=9)
    after_two_reads(proc)
    assert frontend(proc)["traffic"]["rates"] is not None
    vppsim.stop()
    wait_until(lambda: proc.status()["vpp"]["traffic"]["state"] == "error", what="the reads failing")
    view = frontend(proc)
    assert view["traffic"]["rates"] is None and view["traffic"]["error"]
    assert view["traffic"]["packets"]["first"] == 10  # the last counters read, with their read_at
    assert [member["flows"] for member in view["pools"][0]["backends"]] == [None, None]
    assert proc.client.backend("web1")["flows"] == {} and proc.client.backend("web1")["flows_read_at"] is None
    text = metrics(proc)
    assert "maglev_traffic_read_ok 0.0" in text and "maglev_traffic_read_failures_total" in text
    assert "maglev_vip_packets_total{" not in text and "maglev_backend_flows{" not in text
