"""Event bus back-pressure (a stalled subscriber never blocks publishing) and metrics content."""

from __future__ import annotations

import asyncio

from ansible_collections.vpp.maglev.maglevd.checker import Checker
from ansible_collections.vpp.maglev.maglevd.events import EventBus
from ansible_collections.vpp.maglev.maglevd.metrics import Metrics
from ansible_collections.vpp.maglev.tests.helpers.checker_fakes import (
    FAIL,
    PASS,
    FakeClock,
    QueueProbe,
    make_config,
    until,
)


def test_stalled_subscriber_drops_and_is_told_where():
    async def go():
        bus = EventBus()
        stalled = bus.subscribe(maxsize=5)
        live = bus.subscribe(maxsize=1000)
        seen = []
        bus.add_listener(seen.append)
        for i in range(100):
            bus.publish("backend-transition", backend="b", n=i)  # never waits
        got = [live.get_nowait() for _index in range(100)]
        stalled_events = []
        while (event := stalled.get_nowait()) is not None:
            stalled_events.append(event)
        return bus, stalled, got, seen, stalled_events

    bus, stalled, got, seen, stalled_events = asyncio.run(go())
    assert [e.data["n"] for e in got] == list(range(100))  # exactly once, in order
    assert len(seen) == 100
    assert [e.data.get("n") for e in stalled_events[:5]] == [0, 1, 2, 3, 4]
    assert stalled_events[5].type == "dropped" and stalled_events[5].data["count"] == 95
    assert stalled.dropped == 95 and bus.dropped_total == 95


def test_probe_and_log_events_only_for_those_who_asked():
    async def go():
        bus = EventBus()
        plain = bus.subscribe()
        probes = bus.subscribe(probes=True)
        assert bus.wants("probe")
        bus.publish("probe", backends=["a"])
        return plain.get_nowait(), probes.get_nowait()

    plain, probe = asyncio.run(go())
    assert plain is None and probe.type == "probe"


def test_metrics_content():
    async def go():
        config = make_config({"a": "10.0.0.1", "b": "10.0.0.2"}, frontends={"web": [["a"], ["b"]]})
        probes = {}

        def factory(check, address):
            probes[str(address)] = QueueProbe(address)
            return probes[str(address)]

        checker = Checker(config, EventBus(), clock=FakeClock(), probe_factory=factory)
        metrics = Metrics(checker)
        await checker.start()
        await until(lambda: len(probes) == 2 and all(p.calls == 1 for p in probes.values()))
        probes["10.0.0.1"].results.put_nowait(PASS)
        probes["10.0.0.2"].results.put_nowait(FAIL)
        await until(lambda: checker.states()["b"].value == "down" and checker.states()["a"].value == "up")
        metrics.observe_lag(0.003)
        text = metrics.render().decode()
        await checker.stop()
        return text

    text = asyncio.run(go())
    assert 'maglev_probe_total{backend="a",code="L7OK",result="success",type="http"} 1.0' in text
    assert 'maglev_probe_total{backend="b",code="L4CON",result="failure",type="http"} 1.0' in text
    assert 'maglev_probe_duration_seconds_count{backend="a",type="http"} 1.0' in text
    assert 'maglev_backend_transitions_total{backend="a",from="unknown",to="up"} 1.0' in text
    assert 'maglev_backend_state{backend="b",state="down"} 1.0' in text
    assert 'maglev_backend_state{backend="b",state="up"} 0.0' in text
    assert 'maglev_backend_health{backend="a"} 2.0' in text
    assert 'maglev_backend_enabled{backend="a"} 1.0' in text
    assert 'maglev_frontend_pool_backend_weight{backend="a",frontend="web",pool="pool0"} 100.0' in text
    assert 'maglev_frontend_pool_backend_weight{backend="b",frontend="web",pool="pool1"} 0.0' in text
    assert 'maglev_frontend_state{frontend="web",state="up"} 1.0' in text
    assert "maglev_event_loop_lag_seconds 0.003" in text
    assert "maglev_event_loop_lag_histogram_seconds_count 1.0" in text
    assert "maglev_events_dropped_total 0.0" in text
