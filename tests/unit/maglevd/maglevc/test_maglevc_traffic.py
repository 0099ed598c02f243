"""maglevc and VPP's traffic: `show frontend` rates, flows and alarm, `show vpp info`'s new
rows, the black-hole events, and `set backend NAME drain --wait-flows N`."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from ansible_collections.vpp.maglev.maglevd.maglevc.command_parser import UsageError
from ansible_collections.vpp.maglev.maglevd.maglevc.drain_wait import FlowWait, WaitOptions, take_options
from ansible_collections.vpp.maglev.maglevd.maglevc.render import render_event, render_frontend
from ansible_collections.vpp.maglev.maglevd.maglevc.render_status import render_status, render_vpp_info
from ansible_collections.vpp.maglev.maglevd.maglevc.runner import EXIT_OK, Runner

NOW = 1795716400.0  # 2026-11-26 18:06:40 UTC


def frontend(traffic: Any) -> Dict[str, Any]:
    """A frontend object as the API sends it, one member with 1,234 flows."""
    member = dict(backend="web1", address="10.0.0.1", state="up", enabled=True, configured_weight=100, weight=100)
    pool = {"name": "main", "active": True, "backends": [{**member, "flows": 1234}]}
    vip = dict(name="web", address="192.0.2.1/32", protocol="tcp", port=80, state="up")
    return {**vip, "src_ip_sticky": False, "flush_on_down": True, "pools": [pool], "traffic": traffic}


def test_show_frontend_has_packets_per_second_flows_and_the_alarm(utc):
    traffic = {
        "packets": {"existing": 10, "first": 2, "untracked": 0, "no_server": 9},
        "rates": {"existing": 1503.2, "first": 12.5, "untracked": 0.0, "no_server": 40.0},
        "read_at": NOW - 2,
        "blackhole": {"kind": "no_server", "rate": 40.0},
        "error": None,
    }
    lines = render_frontend(frontend(traffic), now=NOW).splitlines()
    assert lines[5] == (
        "packets/s      existing 1,503, first 12.5, untracked 0, no_server 40  (read 2026-11-26 18:06:38 (2s ago))"
    )
    assert lines[6] == "BLACK HOLE     no_server rising at 40 packets/s"
    assert lines[-2].split()[-1] == "FLOWS" and lines[-1].split()[-1] == "1,234"


def test_show_frontend_says_why_rates_are_unknown_and_shows_no_flows_without_vpp(utc):
    traffic = {"packets": {}, "rates": None, "read_at": NOW, "blackhole": None, "error": "not connected to VPP"}
    assert (
        render_frontend(frontend(traffic), now=NOW)
        .splitlines()[5]
        .startswith("packets/s      unknown: not connected to VPP")
    )
    text = render_frontend(frontend(None), now=NOW)
    assert "packets/s" not in text and "FLOWS" not in text


def test_blackhole_events_read_as_sentences():
    raised = {"type": "frontend-blackhole", "time": NOW, "frontend": "web", "kind": "untracked", "rate": 2.5}
    cleared = {"type": "frontend-blackhole-cleared", "time": NOW, "frontend": "web", "reason": "stopped"}
    assert render_event(raised).endswith(" frontend web BLACK HOLE: untracked at 2.5 packets/s")
    assert render_event(cleared).endswith(" frontend web black hole cleared (stopped)")


def test_show_vpp_info_has_build_directory_boot_time_stats_socket_and_reads(utc):
    info = {
        "enabled": True,
        "connected": True,
        "build_directory": "/w/vpp/build-root",
        "boot_time": NOW - 3600,
        "stats_socket": "/run/vpp/stats.sock",
        "traffic": {"state": "error", "interval": 5, "last_read": NOW - 5, "reads": 7, "failures": 1,
                    "blackholes": ["web"], "error": "stats segment /run/vpp/stats.sock: refused"},
    }  # fmt: skip
    text = render_vpp_info(info, now=NOW)
    assert "build directory  /w/vpp/build-root" in text
    assert "booted           2026-11-26 17:06:40 (1h0m ago)" in text
    assert "stats socket     /run/vpp/stats.sock" in text
    assert (
        "traffic          error every 5s, last read 2026-11-26 18:06:35 (5s ago), 7 reads, 1 failed,"
        " BLACK HOLE: web: stats segment /run/vpp/stats.sock: refused"
    ) in text
    off = render_vpp_info({"enabled": True, "stats_socket": None}, now=NOW)
    assert "stats socket     off (--vpp-stats-addr '')" in off


@pytest.mark.parametrize(
    "words, message",
    [
        (["--wait-flows"], "--wait-flows needs a value"),
        (["--wait-flows", "-1"], "--wait-flows: expected an integer 0-4294967295, got '-1'"),
        (["--wait-flows", "4294967296"], "--wait-flows: expected an integer"),
        (["--wait-flows", "0", "--timeout", "0"], "--timeout: expected seconds above 0, up to 86400, got '0'"),
        (["--wait-flows", "0", "--timeout", "86401"], "--timeout: expected seconds above 0, up to 86400"),
        (["--timeout", "5"], "--timeout applies only with --wait-flows"),
    ],
)
def test_bad_wait_options_name_the_option(words, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace("+", r"\+")):
        take_options(["set", "backend", "b", "drain", *words])


def test_wait_options_are_taken_out_of_the_command():
    assert take_options(["set", "backend", "b", "drain", "--wait-flows", "3", "--timeout", "60"]) == (
        ["set", "backend", "b", "drain"],
        WaitOptions(3, 60.0),
    )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_wait_counts_only_reads_after_the_pause_and_prints_each_once():
    views = [
        {"flows": {"web": 0}, "flows_read_at": 100.0},  # the read the pause answered with: not counted
        {"flows": {"web": 9, "dns": 0}, "flows_read_at": 105.0},
        {"flows": {"web": 9, "dns": 0}, "flows_read_at": 105.0},  # no new read: no new line
        {"flows": {"web": 2, "dns": 0}, "flows_read_at": 110.0},
    ]
    out: List[str] = []
    clock = Clock()
    wait = FlowWait(lambda: views.pop(0), out.append, clock.sleep, clock)
    result = wait.run("b", 100.0, WaitOptions(2, 60))
    assert result == {"backend": "b", "result": "idle", "flows": {"web": 2, "dns": 0}, "flows_read_at": 110.0,
                      "waited": 1.5}  # fmt: skip
    assert out == ["b: flows dns 0, web 9 (waiting for <= 2)", "b: flows dns 0, web 2 (waiting for <= 2)"]


def test_the_wait_times_out_with_the_last_counts_never_idle():
    clock = Clock()
    wait = FlowWait(lambda: {"flows": {"web": 5}, "flows_read_at": 200.0 + clock.now}, lambda line: None,
                    clock.sleep, clock)  # fmt: skip
    result = wait.run("b", 100.0, WaitOptions(0, 2))
    assert result["result"] == "timeout" and result["flows"] == {"web": 5} and result["waited"] == 2.0


def test_a_count_maglevd_does_not_know_keeps_the_wait_going():
    """The rule of maglev_backend's wait_for_flows (module_utils/flow_wait.py): a None count is
    not a fresh read, so it is never idle, and the wait goes on to the next read."""
    views = [{"flows": {"web": None}, "flows_read_at": 105.0}, {"flows": {"web": 0}, "flows_read_at": 110.0}]
    clock = Clock()
    wait = FlowWait(lambda: views.pop(0), lambda line: None, clock.sleep, clock)
    result = wait.run("b", 100.0, WaitOptions(0, 60))
    assert result["result"] == "idle" and result["flows"] == {"web": 0} and result["flows_read_at"] == 110.0


class Client:
    def __init__(self, flows: Dict[str, int]) -> None:
        self.actions: List[tuple] = []
        self.flows = flows

    def backend_action(self, name: str, action: str, force: bool = False) -> Dict[str, Any]:
        self.actions.append((name, action, force))
        return {"name": name, "state": "paused", "changed": True, "flows": {"web": 3}, "flows_read_at": 1.0}

    def backend(self, name: str) -> Dict[str, Any]:
        return {"name": name, "flows": self.flows, "flows_read_at": 2.0}

    def states(self) -> Dict[str, str]:
        return {"web1": "up"}


def test_drain_is_a_pause_and_waits_for_the_flows():
    out: List[str] = []
    client = Client({"web": 0})
    assert (
        Runner(client, False, out.append).execute(["set", "backend", "web1", "drain", "--wait-flows", "0"]) == EXIT_OK
    )  # type: ignore[arg-type]
    assert client.actions == [("web1", "pause", False)]
    assert out[0] == "backend web1: paused" and out[-1] == "web1: idle after 0s, flows web 0"


def test_wait_flows_refused_with_another_action_or_command():
    runner = Runner(Client({}), False, lambda line: None)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="--wait-flows applies only to drain"):
        runner.execute(["set", "backend", "web1", "pause", "--wait-flows", "0"])
    with pytest.raises(UsageError, match="apply only to set backend NAME drain"):
        runner.execute(["show", "backends", "--wait-flows", "0"])
    with pytest.raises(UsageError, match="expected one of pause, resume, enable, disable, drain"):
        runner.execute(["set", "backend", "web1", "d"])  # disable or drain: never a guess


def test_show_status_has_one_traffic_line(utc):
    traffic = {"state": "ok", "error": None, "stats_socket": "/run/vpp/stats.sock", "interval": 5,
               "last_read": NOW - 2, "reads": 3, "failures": 0, "blackholes": []}  # fmt: skip
    status = {"state": "ok", "vpp": {"enabled": True, "connected": True, "api_socket": "/a", "traffic": traffic}}
    lines = render_status(status, now=NOW).splitlines()
    assert lines[-1] == "vpp traffic  ok every 5s, last read 2026-11-26 18:06:38 (2s ago), 3 reads, 0 failed"
