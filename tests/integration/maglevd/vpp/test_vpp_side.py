"""maglevd's VPP side against vppsim (real vpp_papi): failover, flush, faults, warmup, reload.

Health is set by the test (see vppside_helpers); everything below it is the production path.
Synchronisation: vppsim's call log (wait_for) and the reconciler's vpp-sync events.
"""

from __future__ import annotations

import asyncio

from ansible_collections.vpp.maglev.plugins.module_utils import vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.config import parse
from ansible_collections.vpp.maglev.tests.helpers.sample_config import rig_config as config_dict
from ansible_collections.vpp.maglev.tests.helpers.vpp_side_rig import DISABLED, DOWN, UNKNOWN, UP, Rig, run


def weights(vips: list, prefix: str) -> dict:
    for vip in vips:
        if vip["vip"] == prefix:
            return {b["address"]: b["weight"] for b in vip["backends"]}
    raise AssertionError("no vip %s in %r" % (prefix, vips))


def test_backend_down_goes_to_weight_zero_with_the_frontends_flush(vppsim):
    async def main():
        rig = Rig(vppsim, config_dict())
        await rig.start()
        assert await rig.vpp_vips() == rig.desired()
        seq = vppsim.stats()["seq"]
        rig.set("a1", DOWN)
        web = await rig.sim_call(vppsim.wait_for, "lb_as_set_weight", since=seq, as_address="10.0.0.1")
        rig.set("s1", DOWN)  # dns has flush-on-down: false -> drain only
        dns = await rig.sim_call(vppsim.wait_for, "lb_as_set_weight", since=seq, as_address="10.0.2.1")
        await rig.stop()
        return web, dns

    web, dns = run(main())
    assert (web["args"]["weight"], web["args"]["is_flush"]) == (0, True)
    assert (dns["args"]["weight"], dns["args"]["is_flush"]) == (0, False)


def test_pool_failover_and_failback(vppsim):
    async def main():
        rig = Rig(vppsim, config_dict())
        await rig.start()
        before = weights(await rig.vpp_vips(), "192.0.2.10/32")
        seq = vppsim.stats()["seq"]
        rig.set("a1", DOWN)
        rig.set("a2", DOWN)
        await rig.sim_call(vppsim.wait_for, "lb_as_set_weight", since=seq, as_address="10.0.1.1", weight=100)
        await rig.sim_call(vppsim.wait_for, "lb_as_set_weight", since=seq, as_address="10.0.0.2", weight=0)
        failed_over = weights(await rig.vpp_vips(), "192.0.2.10/32")
        order = [c["args"]["as_address"] for c in vppsim.calls("lb_as_set_weight", since=seq)]
        seq = vppsim.stats()["seq"]
        rig.set("a2", UP)  # one primary back: pool[0] is active again
        await rig.sim_call(vppsim.wait_for, "lb_as_set_weight", since=seq, as_address="10.0.1.1", weight=0)
        failed_back = weights(await rig.vpp_vips(), "192.0.2.10/32")
        await rig.stop()
        return before, failed_over, failed_back, order

    before, failed_over, failed_back, order = run(main())
    assert before == {"10.0.0.1": 100, "10.0.0.2": 50, "10.0.1.1": 0}
    assert failed_over == {"10.0.0.1": 0, "10.0.0.2": 0, "10.0.1.1": 100}
    assert order[0] == "10.0.1.1"  # the backup is raised before the primaries are lowered
    assert failed_back == {"10.0.0.1": 0, "10.0.0.2": 50, "10.0.1.1": 0}


def test_disable_flushes_a_standby_backend_and_enable_does_not(vppsim):
    async def main():
        rig = Rig(vppsim, config_dict())
        await rig.start()
        seq = vppsim.stats()["seq"]
        rig.set("b1", DISABLED)  # standby at weight 0 already: must still be flushed
        disabled = await rig.sim_call(vppsim.wait_for, "lb_as_set_weight", since=seq, as_address="10.0.1.1")
        seq = vppsim.stats()["seq"]
        rig.set("b1", UNKNOWN)  # enable -> unknown: stays 0, nothing to send
        rig.set("a1", DOWN)  # a later change proves the worker ran past b1's
        await rig.sim_call(vppsim.wait_for, "lb_as_set_weight", since=seq, as_address="10.0.0.1")
        later = vppsim.calls("lb_as_set_weight", since=seq)
        await rig.stop()
        return disabled, later

    disabled, later = run(main())
    assert (disabled["args"]["weight"], disabled["args"]["is_flush"]) == (0, True)
    assert [c["args"]["as_address"] for c in later] == ["10.0.0.1"]


def test_vpp_restart_empty_is_fully_restored_right_after_reconnect(vppsim):
    async def main():
        rig = Rig(vppsim, config_dict())
        await rig.start()
        rig.set("a1", DOWN)
        await rig.event(lambda e: e["scope"] == "vip" and e["result"] == "ok")
        want = rig.desired()
        mark = len(rig.events)
        await rig.sim_call(vppsim.restart)
        event = await rig.event(lambda e: e["scope"] == "full" and e.get("reason") == "connect", since=mark)
        have = await rig.vpp_vips()
        await rig.stop()
        return event, want, have

    event, want, have = run(main())
    assert event["result"] == "ok" and event["vips_added"] == 2 and event["ases_added"] == 5
    assert event["conf_changed"]  # the lb conf (ipv4 source address) is pushed again
    assert have == want


def test_connection_dropped_mid_sync_converges(vppsim):
    async def main():
        rig = Rig(vppsim, config_dict())
        await rig.start()
        mark = len(rig.events)
        vppsim.set_fault(drop_after=1)  # the 2nd call on the connection is dropped unanswered
        for name in ("a1", "a2", "s1", "s2"):
            rig.set(name, DOWN)
        lost = await rig.event(lambda e: e["result"] == "error", since=mark)
        vppsim.clear_faults()
        mark = len(rig.events)
        await rig.event(lambda e: e["scope"] == "full" and e["result"] == "ok", since=mark)
        have, want = await rig.vpp_vips(), rig.desired()
        await rig.stop()
        return lost, have, want

    lost, have, want = run(main())
    assert lost["connection_lost"]
    assert have == want
    assert weights(have, "192.0.2.10/32")["10.0.1.1"] == 100


def test_an_as_deleted_behind_our_back_is_restored_within_sync_interval(vppsim):
    async def main():
        rig = Rig(vppsim, config_dict(**{"sync-interval": "300ms"}))
        await rig.start()
        seq = vppsim.stats()["seq"]

        def vandalise():
            with vppclient.connect(vppsim.socket, timeout=2) as other:
                reply = other.call(
                    "lb_add_del_as_v2",
                    pfx="192.0.2.10/32",
                    protocol=6,
                    port=80,
                    as_address="10.0.0.2",
                    weight=0,
                    is_del=True,
                    is_flush=True,
                )
                assert reply.retval == 0

        await rig.sim_call(vandalise)
        restored = await rig.sim_call(
            vppsim.wait_for, "lb_add_del_as_v2", since=seq, as_address="10.0.0.2", is_del=False
        )
        event = await rig.event(lambda e: e["scope"] == "full" and e.get("ases_added") == 1)
        have = await rig.vpp_vips()
        await rig.stop()
        return restored, event, have, rig.desired()

    restored, event, have, want = run(main())
    assert restored["args"]["weight"] == 50 and restored["retval"] == 0
    assert event["reason"] == "periodic"
    assert have == want


def test_slow_vpp_does_not_stall_the_event_loop(vppsim):
    """VPP calls run on the VPP thread: a 100 ms-per-call VPP leaves the loop free."""

    async def main():
        rig = Rig(vppsim, config_dict())
        await rig.start()
        vppsim.set_fault(delay_ms=100)
        ticks = 0
        done = asyncio.Event()

        async def probe_like():  # stands in for the probes sharing the loop
            nonlocal ticks
            while not done.is_set():
                await asyncio.sleep(0.005)
                ticks += 1

        ticker = asyncio.get_running_loop().create_task(probe_like())
        mark = len(rig.events)
        for name in ("a1", "a2", "s1"):
            rig.set(name, DOWN)
        event = await rig.event(lambda e: e["scope"] == "vip", since=mark)
        during = ticks
        done.set()
        await ticker
        vppsim.clear_faults()
        await rig.stop()
        return event, during

    event, during = run(main())
    assert event["result"] == "ok" and event["api_calls"] == 4  # 0.4 s of VPP time
    # Had a VPP call run on the loop, the ticker could not have run during the sync at all.
    assert during >= 10


def test_sigterm_semantics_stop_leaves_weights(vppsim):
    async def main():
        rig = Rig(vppsim, config_dict())
        await rig.start()
        rig.set("a1", DOWN)
        await rig.event(lambda e: e["scope"] == "vip")
        before = vppsim.state()["vips"]
        seq = vppsim.stats()["seq"]
        await rig.stop()
        return before, vppsim.state()["vips"], vppsim.calls(since=seq)

    before, after, calls = run(main())
    strip = [[(a["address"], a["weight"]) for a in vip["ases"]] for vip in before]
    assert strip == [[(a["address"], a["weight"]) for a in vip["ases"]] for vip in after]
    assert not [c for c in calls if c["message"].startswith("lb_") and c["message"] != "lb_conf_get"]


def test_restart_with_vpp_intact_pushes_no_weight_zero_for_unknown_backends(vppsim):
    async def main():
        first = Rig(vppsim, config_dict())
        await first.start()
        await first.stop()  # maglevd stops; VPP keeps the weights
        seq = vppsim.stats()["seq"]
        raw = config_dict(**{"startup-min-delay": "200ms", "startup-max-delay": "20s"})
        rig = Rig(vppsim, raw, states=dict.fromkeys(("a1", "a2", "b1", "s1", "s2"), UNKNOWN))
        hands_off = await rig.start()
        # Probes come back one by one; dns becomes fully known first, with s2 really down.
        rig.set("s1", UP)
        rig.set("s2", DOWN)
        dns = await rig.sim_call(vppsim.wait_for, "lb_as_set_weight", since=seq, as_address="10.0.2.2")
        rig.set("a1", UP)  # web still has a2 and b1 unknown: held back
        mark = len(rig.events)
        rig.set("a2", UP)
        rig.set("b1", UP)
        web = await rig.event(lambda e: e["scope"] == "vip" and "web" in e["frontend_names"], since=mark)
        weight_zero = [c for c in vppsim.calls("lb_as_set_weight", since=seq) if c["args"]["weight"] == 0]
        writes = [c for c in vppsim.calls(since=seq) if c["message"] in ("lb_add_del_as_v2", "lb_add_del_vip_v2")]
        status = rig.side.reconciler.status()
        await rig.stop()
        return hands_off, dns, web, weight_zero, writes, status

    hands_off, dns, web, weight_zero, writes, status = run(main())
    assert hands_off["result"] == "read-only"  # the connect during hands-off pushed nothing
    assert (dns["args"]["weight"], dns["args"]["is_flush"]) == (0, False)
    assert [c["args"]["as_address"] for c in weight_zero] == ["10.0.2.2"]  # the one really down
    assert web["result"] in ("ok", "noop") and web["api_calls"] == 0  # VPP already right
    assert writes == []
    assert sorted(status["warmup"]["released"]) == ["dns", "web"]


def test_reload_follows_config_changes_into_vpp(vppsim):
    async def main():
        rig = Rig(vppsim, config_dict())
        await rig.start()
        raw = config_dict()
        m = raw["maglev"]
        del m["frontends"]["dns"]  # VIP removed from the config
        m["backends"]["a2"]["address"] = "10.0.0.22"  # address change
        m["backends"]["c1"] = {"address": "10.0.0.3"}  # new backend: starts unknown
        m["frontends"]["web"]["pools"][0]["backends"]["c1"] = {}
        del m["frontends"]["web"]["pools"][1]  # b1 removed from the VIP
        del m["backends"]["b1"]
        seq = vppsim.stats()["seq"]
        rig.side.on_reload(parse(raw))
        rig.states["c1"] = UNKNOWN
        event = await rig.event(lambda e: e.get("reason") == "reload")
        calls = vppsim.calls(since=seq)
        have, want = await rig.vpp_vips(), rig.desired()
        await rig.stop()
        return event, calls, have, want

    event, calls, have, want = run(main())
    assert event["result"] == "ok"
    assert have == want and [vip["vip"] for vip in have] == ["192.0.2.10/32"]
    assert weights(have, "192.0.2.10/32") == {"10.0.0.1": 100, "10.0.0.3": 0, "10.0.0.22": 50}
    as_calls = {
        (c["args"]["as_address"], c["args"]["is_del"]): c["args"] for c in calls if c["message"] == "lb_add_del_as_v2"
    }
    assert as_calls[("10.0.0.3", False)]["weight"] == 0 and not as_calls[("10.0.0.3", False)]["is_flush"]
    assert as_calls[("10.0.1.1", True)]["is_flush"] and as_calls[("10.0.0.2", True)]["is_flush"]
    assert any(c["message"] == "lb_add_del_vip_v2" and c["args"]["is_del"] for c in calls)


def big_config(vips: int, per_vip: int) -> dict:
    raw = config_dict()
    m = raw["maglev"]
    for v in range(vips):
        members = {}
        for a in range(per_vip):
            name = "x%d_%d" % (v, a)
            m["backends"][name] = {"address": "10.%d.%d.%d" % (100 + v // 250, v % 250, a + 1)}
            members[name] = {}
        m["frontends"]["big%d" % v] = {
            "address": "198.18.%d.%d" % (v // 250, v % 250),
            "protocol": "tcp",
            "port": 80,
            "pools": [{"name": "main", "backends": members}],
        }
    return raw


def test_reload_to_10000_backends_while_transitions_keep_coming(vppsim):
    async def main():
        rig = Rig(vppsim, config_dict(), timeout=10.0)  # 10,000 calls on a busy CI host
        await rig.start()
        new = parse(big_config(500, 20))
        for name in new.backends:
            rig.states.setdefault(name, UP)
        mark = len(rig.events)
        rig.side.on_reload(new)
        # "probes" keep reporting during the reload: these merge into the syncs that follow
        for name in ("a1", "x7_3", "x499_19"):
            rig.set(name, DOWN)
        reload = await rig.event(lambda e: e.get("reason") == "reload", since=mark, timeout=120)
        final = await rig.sync_all()
        have, want = await rig.vpp_vips(), rig.desired()
        await rig.stop()
        return reload, final, have, want

    reload, final, have, want = run(main(), timeout=240)
    assert reload["result"] == "ok" and reload["vips_added"] == 500, reload
    assert final["result"] == "ok" and final["api_calls"] == 0  # nothing left to do
    assert len(have) == 502 and have == want
    assert weights(have, "198.18.1.249/32")["10.101.249.20"] == 0
