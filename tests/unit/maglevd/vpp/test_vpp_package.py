"""The pieces of maglevd/vpp/: settings, the sync queue, the sync plans, the disabled component."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from ansible_collections.vpp.maglev.maglevd.vpp.component import VppComponent
from ansible_collections.vpp.maglev.maglevd.vpp.errors import VppDisabled
from ansible_collections.vpp.maglev.maglevd.vpp.settings import PING_ENV, VppSettings
from ansible_collections.vpp.maglev.maglevd.vpp.sync_plan import force_flush, full_plans, vip_plan
from ansible_collections.vpp.maglev.maglevd.vpp.sync_queue import SyncQueue
from ansible_collections.vpp.maglev.plugins.module_utils.desired import desired_state
from ansible_collections.vpp.maglev.plugins.module_utils.planner import message_names
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from test_reconciler import ALL_UP, _raw_frontends, make_config, vip

UP, DOWN, DISABLED = BackendState.UP, BackendState.DOWN, BackendState.DISABLED


def test_settings_from_flags_take_the_ping_interval_from_the_environment():
    settings = VppSettings.from_flags("/run/vpp/api.sock", {PING_ENV: "0.5"})
    assert settings.enabled and settings.api_socket == "/run/vpp/api.sock" and settings.ping_interval == 0.5
    assert VppSettings.from_flags("/x", {}).ping_interval == 10.0
    assert not VppSettings.from_flags("", {}).enabled
    with pytest.raises(ValueError):
        VppSettings.from_flags("/x", {PING_ENV: "often"})


def test_sync_queue_hands_out_work_in_config_order_and_takes_failed_work_back():
    config = make_config()
    queue = SyncQueue()
    assert not queue.has_work
    queue.add(["other", "web"], touched=["a1", "s1"])
    assert queue.has_work
    assert queue.take_pending(config) == ["web", "other"]  # config order
    assert queue.take_touched(config, ["web"]) == {"a1"}  # s1 waits for "other"'s own sync
    assert queue.touched == {"s1"}
    queue.give_back(["web"], {"a1"})
    assert queue.pending == {"web"} and queue.touched == {"a1", "s1"}


def test_sync_queue_full_requests_keep_the_first_reason_and_answer_every_waiter():
    async def main():
        queue = SyncQueue()
        loop = asyncio.get_running_loop()
        first, second = loop.create_future(), loop.create_future()
        queue.request_full("reload", first)
        queue.request_full("periodic", second)
        reason, waiters = queue.take_full()
        assert reason == "reload" and waiters == [first, second] and queue.full_reason is None
        queue.answer({"result": "ok"}, waiters)
        late = loop.create_future()
        queue.request_full("operator", late)
        queue.answer({"result": "cancelled"})  # every waiting one
        return first.result(), second.result(), late.result()

    assert asyncio.run(main()) == ({"result": "ok"}, {"result": "ok"}, {"result": "cancelled"})


def test_sync_queue_retires_the_vips_a_reload_dropped():
    old = make_config()
    new = make_config(frontends={name: f for name, f in _raw_frontends().items() if name != "other"})
    queue = SyncQueue()
    queue.add(["other", "web"])
    queue.retire(old, new)
    assert queue.retired == {vip(old, "other")} and queue.pending == {"web"}
    queue.retire(old=new, new=old)  # back again: no longer retired
    assert queue.retired == set()


def test_full_plans_delete_retired_vips_before_making_the_rest_exact():
    config = make_config()
    current = desired_state(config, ALL_UP)
    retired = {vip(config, "other")}
    names = ["web", "api"]
    plans = full_plans(config, current, ALL_UP, names, retired, set())
    assert len(plans) == 2
    assert {op.vip for op in plans[0].ops} == retired and plans[0].ops[-1].kind == "vip_del"
    assert message_names(plans[0].ops)[-1] == "lb_add_del_vip_v2"
    assert not plans[1]  # web and api already match
    assert set(plans[-1].after.vips) == {vip(config, "web"), vip(config, "api")}
    assert len(full_plans(config, current, ALL_UP, names, set(), set())) == 1


def test_force_flush_covers_only_transitioned_backends_in_a_flushing_state():
    config = make_config()
    states = dict(ALL_UP, b1=DISABLED)  # standby b1 (weight 0 already) is disabled
    b1 = ipaddress.ip_address("10.0.1.1")
    assert force_flush(config, ["web"], states, {"b1"}) == {(vip(config, "web"), b1)}
    assert force_flush(config, ["web"], states, set()) == set()
    current = desired_state(config, ALL_UP)
    the_plan = vip_plan(config, current, states, ["web"], {(vip(config, "web"), b1)})
    assert [(op.kind, str(op.address), op.weight, op.flush) for op in the_plan.ops] == [
        ("as_weight", "10.0.1.1", 0, True)
    ]


def test_a_disabled_component_starts_nothing_and_refuses_the_vpp_calls():
    async def main():
        component = VppComponent(make_config(), lambda: ALL_UP, VppSettings(api_socket=""))
        await component.start()
        assert component.health() == {"state": "ok", "reason": None}
        status = component.status()
        assert status["enabled"] is False and status["connected"] is False
        info = await component.info()
        assert "reconciler" not in info
        for call in (component.lb_state, component.sync):
            with pytest.raises(VppDisabled):
                await call()
        reloaded = make_config(**{"sync-interval": "5m"})
        component.on_reload(reloaded)
        assert component.reconciler.config is reloaded  # kept for `show vpp info`
        component.on_event(type("Event", (), {"type": "backend-transition", "data": {"backend": "a1"}})())
        assert component.reconciler.queue.pending == set()
        await component.stop()

    asyncio.run(asyncio.wait_for(main(), 10))


def test_message_names_build_one_call_per_kind_and_metrics_count_per_name(monkeypatch):
    """A full restore counts 11,000 messages: each op's call is not rebuilt to name it, and the
    counter is bumped once per message name (docs/performance.md, "maglevd: restore")."""
    from ansible_collections.vpp.maglev.maglevd.vpp.metrics import VppMetrics
    from ansible_collections.vpp.maglev.plugins.module_utils import planner
    from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbState

    config = make_config()
    ops = full_plans(config, LbState(), ALL_UP, ["web", "api", "other"], set(), set())[-1].ops
    expected = [op.api_call()[0] for op in ops]
    built = []
    real_call = planner.Op.api_call

    def counted(op):
        built.append(op.kind)
        return real_call(op)

    monkeypatch.setattr(planner.Op, "api_call", counted)
    names = message_names(ops)
    assert names == expected
    assert sorted(built) == sorted({op.kind for op in ops})  # one call built per kind
    metrics = VppMetrics()
    metrics.calls(names)
    sample = metrics.registry.get_sample_value
    assert sample("maglev_vpp_api_calls_total", {"message": "lb_add_del_as_v2"}) == names.count("lb_add_del_as_v2")
