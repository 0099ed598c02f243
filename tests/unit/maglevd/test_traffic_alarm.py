"""The black-hole alarm (pure) and the traffic state that feeds the API and the metrics."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.maglevd.traffic_alarm import AlarmChange, Blackhole, blackhole_of, next_alarms
from ansible_collections.vpp.maglev.maglevd.traffic_metrics import TrafficCollector
from ansible_collections.vpp.maglev.maglevd.traffic_state import TrafficState
from ansible_collections.vpp.maglev.plugins.module_utils.config import parse
from ansible_collections.vpp.maglev.plugins.module_utils.traffic import TrafficSnapshot, VipTraffic
from ansible_collections.vpp.maglev.tests.helpers.sample_config import rig_config
from prometheus_client import CollectorRegistry, generate_latest

CONFIG = parse(rig_config())
WEB, DNS = CONFIG.frontends["web"].vip_key, CONFIG.frontends["dns"].vip_key


def packets(existing=0, first=0, untracked=0, no_server=0):
    return {"existing": existing, "first": first, "untracked": untracked, "no_server": no_server}


def snapshot(web=None, dns=None, *, index=1, flows=None, stats_error=None):
    vips = {}
    if web is not None:
        vips[WEB] = VipTraffic(WEB, index, web, flows or {"10.0.0.1": 3, "10.0.0.2": 1})
    if dns is not None:
        vips[DNS] = VipTraffic(DNS, 2, dns, {})
    return TrafficSnapshot(vips, stats_error)


@pytest.mark.parametrize(
    "rates, expected",
    [
        (None, None),
        ({}, None),
        (packets(existing=10, first=5), None),
        (packets(no_server=4), Blackhole("no_server", 4)),
        (packets(untracked=2), Blackhole("untracked", 2)),
        (packets(untracked=9, no_server=4), Blackhole("untracked", 9)),
        (packets(untracked=4, no_server=4), Blackhole("no_server", 4)),  # the tie names the fix
    ],
)
def test_blackhole_verdict_of_one_interval(rates, expected):
    assert blackhole_of(rates) == expected


HOLE = Blackhole("no_server", 5.0)


@pytest.mark.parametrize(
    "active, verdicts, names, alarms, changes",
    [
        ({}, {"web": HOLE}, ["web"], {"web": HOLE}, [AlarmChange("web", HOLE)]),  # raised
        ({"web": HOLE}, {"web": Blackhole("untracked", 1.0)}, ["web"], {"web": Blackhole("untracked", 1.0)}, []),
        ({"web": HOLE}, {"web": None}, ["web"], {}, [AlarmChange("web", None, "stopped")]),  # cleared
        ({"web": HOLE}, {}, ["web"], {"web": HOLE}, []),  # rates unknown: kept, no event
        ({"web": HOLE}, {}, [], {}, [AlarmChange("web", None, "frontend removed")]),
        ({}, {"web": None}, ["web"], {}, []),
    ],
)
def test_alarm_transitions(active, verdicts, names, alarms, changes):
    assert next_alarms(active, verdicts, names) == (alarms, changes)


def test_rates_between_reads_and_the_alarm_within_one_read():
    state = TrafficState()
    assert state.update(CONFIG, snapshot(packets(existing=100, first=10)), 10.0, 1000.0) == []
    assert state.frontend_view("web")["rates"] is None  # one read: no rate yet
    changes = state.update(CONFIG, snapshot(packets(existing=300, first=20, no_server=50)), 20.0, 1010.0)
    assert changes == [AlarmChange("web", Blackhole("no_server", 5.0))]
    view = state.frontend_view("web")
    assert view["rates"] == packets(existing=20.0, first=1.0, no_server=5.0)
    assert view["blackhole"] == {"kind": "no_server", "rate": 5.0}
    assert view["packets"] == packets(existing=300, first=20, no_server=50) and view["index"] == 1
    assert state.frontend_view("dns")["error"] == "VIP not in VPP"
    changes = state.update(CONFIG, snapshot(packets(existing=500, first=30, no_server=50)), 30.0, 1020.0)
    assert changes == [AlarmChange("web", None, "stopped")] and state.frontend_view("web")["blackhole"] is None


def test_a_failed_read_leaves_no_rate_or_flow_looking_live():
    state = TrafficState()
    state.update(CONFIG, snapshot(packets(no_server=0)), 10.0, 1000.0)
    state.update(CONFIG, snapshot(packets(no_server=10)), 11.0, 1001.0)
    assert "web" in state.alarms
    state.failed("not connected to VPP", 1002.0)
    view = state.frontend_view("web")
    assert view["rates"] is None and view["error"] == "not connected to VPP"
    assert view["blackhole"] == {"kind": "no_server", "rate": 10.0}  # nothing says it stopped
    assert state.member_flows("web", "10.0.0.1") is None
    assert state.backend_flows("10.0.0.1", ["web"]) == ({}, None)
    # the next good read has no base across the gap: still no rate, alarm unchanged
    assert state.update(CONFIG, snapshot(packets(no_server=99)), 20.0, 1010.0) == []
    assert state.frontend_view("web")["rates"] is None


def test_stats_off_still_gives_flows():
    state = TrafficState()
    state.update(CONFIG, snapshot({}, stats_error="stats segment not configured (socket path '')"), 1.0, 1.0)
    assert state.member_flows("web", "10.0.0.1") == 3 and state.member_flows("web", "10.0.1.1") == 0
    assert state.backend_flows("10.0.0.1", ["web"]) == ({"web": 3}, 1.0)
    assert state.status(enabled=True, stats_socket="", interval=5)["state"] == "flows-only"
    assert state.status(enabled=True, stats_socket="/x", interval=5)["state"] == "error"
    assert TrafficState().status(enabled=True, stats_socket="/x", interval=5)["state"] == "waiting"


def test_a_reset_counter_is_not_a_negative_rate():
    state = TrafficState()
    state.update(CONFIG, snapshot(packets(existing=1000)), 1.0, 1.0)
    state.update(CONFIG, snapshot(packets(existing=30), index=7), 2.0, 2.0)  # VIP re-added
    assert state.frontend_view("web")["rates"]["existing"] == 30.0


def test_metrics_follow_the_state_and_drop_unknown_series():
    state = TrafficState()
    registry = CollectorRegistry()
    registry.register(TrafficCollector(state, lambda: CONFIG))
    state.update(CONFIG, snapshot(packets(existing=5)), 1.0, 1.0)
    state.update(CONFIG, snapshot(packets(existing=9, untracked=2)), 2.0, 2.0)
    text = generate_latest(registry).decode()
    assert 'maglev_vip_packets_total{frontend="web",kind="existing",vip="192.0.2.10/32 tcp:80"} 9.0' in text
    assert 'maglev_backend_flows{backend="a1",frontend="web"} 3.0' in text
    assert 'maglev_backend_flows{backend="b1",frontend="web"} 0.0' in text
    assert 'maglev_frontend_blackhole{frontend="web"} 1.0' in text
    assert 'maglev_frontend_blackhole{frontend="dns"} 0.0' in text
    assert "maglev_traffic_read_ok 1.0" in text
    state.failed("VPP closed the API socket", 3.0)
    text = generate_latest(registry).decode()
    assert "maglev_vip_packets_total{" not in text and "maglev_backend_flows{" not in text
    assert "maglev_traffic_read_ok 0.0" in text and "maglev_traffic_read_failures_total 1.0" in text
