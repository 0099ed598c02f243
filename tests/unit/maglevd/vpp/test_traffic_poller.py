"""The traffic poller against a fake VPP client: reads feed the state, alarms become events
and warning lines, failures leave nothing stale; the vpp-lb-state line on connect."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, List

import pytest
from ansible_collections.vpp.maglev.maglevd.__main__ import UsageError, build_parser
from ansible_collections.vpp.maglev.maglevd.traffic_state import TrafficState
from ansible_collections.vpp.maglev.maglevd.vpp.lb_state_log import log_lb_state
from ansible_collections.vpp.maglev.maglevd.vpp.settings import VppSettings
from ansible_collections.vpp.maglev.maglevd.vpp.traffic_poller import TrafficPoller
from ansible_collections.vpp.maglev.plugins.module_utils.config import parse
from ansible_collections.vpp.maglev.plugins.module_utils.desired import desired_state
from ansible_collections.vpp.maglev.plugins.module_utils.traffic import TrafficSnapshot, VipTraffic
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import VppConnectionError
from ansible_collections.vpp.maglev.tests.helpers.fake_vpp_client import FakeClient, fake_connection
from ansible_collections.vpp.maglev.tests.helpers.sample_config import rig_config

CONFIG = parse(rig_config())
WEB = CONFIG.frontends["web"].vip_key


class TrafficClient(FakeClient):
    """A fake that answers read_traffic with the next of ``reads`` (an exception is raised)."""

    def __init__(self, reads: List[Any]) -> None:
        super().__init__(desired_state(CONFIG))
        self.reads_left = list(reads)
        self.stats_sockets: List[str] = []

    def read_traffic(self, stats_socket: str) -> TrafficSnapshot:
        self.stats_sockets.append(stats_socket)
        item = self.reads_left.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def read_state_with_buckets(self):
        state = self.read_state()
        return state, {key: {addr: 512 for addr in vip.ases} for key, vip in state.vips.items()}


def web(no_server: int) -> TrafficSnapshot:
    packets = {"existing": 100, "first": 10, "untracked": 0, "no_server": no_server}
    return TrafficSnapshot({WEB: VipTraffic(WEB, 1, packets, {"10.0.0.1": 4})})


def poller_for(client: TrafficClient, stats_socket: str = "/run/vpp/stats.sock"):
    connection = fake_connection(client)
    events: List[tuple] = []
    clock = iter(float(t) for t in range(100))
    settings = VppSettings(api_socket="fake", stats_socket=stats_socket)
    poller = TrafficPoller(
        connection, settings, lambda: CONFIG, TrafficState(), lambda *a, **kw: events.append((a[0], kw)),
        clock=lambda: next(clock),
    )  # fmt: skip
    return poller, events


def test_blackhole_raised_and_cleared_as_events_and_warnings(caplog):
    client = TrafficClient([web(0), web(40), web(40)])
    poller, events = poller_for(client)
    with caplog.at_level(logging.INFO, logger="maglevd.traffic"):
        for _poll in range(3):
            asyncio.run(poller.poll_once())
    assert events == [
        ("frontend-blackhole", {"frontend": "web", "kind": "no_server", "rate": 40.0}),
        ("frontend-blackhole-cleared", {"frontend": "web", "reason": "stopped"}),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["frontend-blackhole", "frontend-blackhole-cleared"]
    assert client.stats_sockets == ["/run/vpp/stats.sock"] * 3
    assert poller.state.member_flows("web", "10.0.0.1") == 4


def test_a_failed_read_is_counted_and_makes_the_flows_unknown(caplog):
    client = TrafficClient([web(0), VppConnectionError("VPP went away", "fake"), web(0)])
    poller, events = poller_for(client, stats_socket="")
    with caplog.at_level(logging.INFO, logger="maglevd.traffic"):
        asyncio.run(poller.poll_once())
        asyncio.run(poller.poll_once())
        assert poller.state.member_flows("web", "10.0.0.1") is None
        assert poller.state.failures == 1 and "VPP went away" in poller.state.error
        assert poller.connection.errors == {"traffic/connection": 1}
        asyncio.run(poller.poll_once())
    assert poller.state.member_flows("web", "10.0.0.1") == 4 and client.stats_sockets == ["", "", ""]
    names = [r.getMessage() for r in caplog.records]
    assert names == ["traffic-read-failed", "traffic-read-recovered"]
    assert events == []


def test_not_connected_is_a_failed_read_without_a_call():
    client = TrafficClient([])
    poller, _events = poller_for(client)
    poller.connection.client = None
    asyncio.run(poller.poll_once())
    assert poller.state.error == "not connected to VPP" and client.stats_sockets == []


def test_vpp_lb_state_line_on_connect(caplog):
    connection = fake_connection(TrafficClient([]))
    with caplog.at_level(logging.INFO, logger="maglevd.vpp"):
        facts = asyncio.run(log_lb_state(connection, ""))
    record = next(r for r in caplog.records if r.getMessage() == "vpp-lb-state")
    conf = CONFIG.vpp_lb.lb_conf()
    assert facts == {
        "vips": 2,
        "ases": 5,
        "buckets": 5 * 512,
        "sticky_buckets_per_core": conf.sticky_buckets_per_core,
        "flow_timeout": conf.flow_timeout,
        "boot_time": None,
    }
    assert record.fields == {"socket": "fake", **facts}


@pytest.mark.parametrize("value", ["0.05", "3601", "nan", "inf", "-1", "soon"])
def test_stats_interval_out_of_bounds_is_a_usage_error_naming_the_flag(value):
    with pytest.raises(UsageError, match=r"--vpp-stats-interval: expected seconds from 0\.1 to 3600"):
        build_parser({}).parse_args(["--vpp-stats-interval", value])


def test_stats_flags_reach_the_vpp_side():
    args = build_parser({"MAGLEV_VPP_STATS_INTERVAL": "0.1"}).parse_args(["--vpp-stats-addr", ""])
    assert (args.vpp_stats_addr, args.vpp_stats_interval) == ("", 0.1)
    assert build_parser({}).parse_args([]).vpp_stats_interval == 5.0
    settings = VppSettings.from_flags("/run/vpp/api.sock", {}, stats_socket="", stats_interval=0.1)
    assert (settings.stats_socket, settings.stats_interval) == ("", 0.1)
