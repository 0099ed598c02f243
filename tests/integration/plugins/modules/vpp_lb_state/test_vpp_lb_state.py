"""vpp_lb_state end to end: ansible-playbook -> action plugin -> module -> vpp_papi -> vppsim."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import VipKey
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook
from ansible_collections.vpp.maglev.tests.helpers.sample_config import DELETE
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATE_CONFIG as BASE_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.sample_config import state_config as config
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import behind_the_back, sim_state, write_counts, writes

pytestmark = pytest.mark.integration


# Default for lb_state's cfg; a sentinel because None already means "no config option".
USE_BASE_CONFIG = object()


def lb_state(state="replaced", cfg=USE_BASE_CONFIG, **options):
    if cfg is USE_BASE_CONFIG:
        cfg = BASE_CONFIG
    args = {"state": state}
    if cfg is not None:
        args["config"] = cfg
    args.update(options)
    return {"vpp.maglev.vpp_lb_state": args}


def vip_of(result_state, prefix, port):
    for vip in result_state["vips"]:
        if vip["vip"] == prefix and vip["port"] == port:
            return vip
    return None


def weights(vip):
    return {backend["address"]: backend["weight"] for backend in vip["backends"]}


def test_check_mode_predicts_apply_exactly_and_second_run_sends_nothing(tmp_path, vppsim):
    checked = run_playbook(tmp_path, [lb_state()], vpp=vppsim, check=True, diff=True)
    assert checked.ok, checked.stdout + checked.stderr
    predicted = checked.last
    assert predicted["changed"] and writes(vppsim) == 0
    assert sim_state(vppsim)["vips"] == []  # check mode sent nothing

    vppsim.reset_stats()
    applied = run_playbook(tmp_path, [lb_state()], vpp=vppsim, diff=True)
    assert applied.ok, applied.stdout + applied.stderr
    result = applied.last
    # Exactly the calls check mode listed, in that order, and nothing else.
    assert result["api_calls"] == predicted["api_calls"]
    sent = [(call["message"], call["args"]) for call in vppsim.calls() if call["message"].startswith("lb_")]
    sent_writes = [name for name, _args in sent if not name.endswith(("_dump", "_get"))]
    assert sent_writes == [call["msg"] for call in predicted["api_calls"]]
    assert writes(vppsim) == len(predicted["api_calls"]) == predicted["summary"]["api_calls"]
    # The prediction is what VPP now holds (the simulator's own view, not vppclient's).
    assert predicted["after"] == result["after"] == sim_state(vppsim)
    web = vip_of(result["after"], "192.0.2.10/32", 80)
    assert weights(web) == {"10.0.0.1": 100, "10.0.0.2": 50, "10.0.0.3": 100, "10.0.0.9": 0}
    assert predicted["diff"] == result["diff"]
    assert [block["before_header"] for block in result["diff"]] == [
        "lb conf",
        "vip 192.0.2.10/32 tcp:80",
        "vip 192.0.2.20/32 all-ports",
        "vip 2001:db8::10/128 tcp:443",
    ]

    for check in (True, False):
        vppsim.reset_stats()
        again = run_playbook(tmp_path, [lb_state()], vpp=vppsim, check=check, diff=True)
        assert again.ok and not again.last["changed"]
        assert again.last["api_calls"] == [] and again.last.get("diff") == []
        assert writes(vppsim) == 0


def seed_extra(sim):
    """Behind Ansible's back: an extra AS on web and a VIP the config does not know."""
    with behind_the_back(sim) as vpp:
        vpp.api.lb_add_del_as_v2(
            pfx="192.0.2.10/32", protocol=6, port=80, as_address="10.0.0.77", weight=30, is_del=False, is_flush=False
        )
        for pfx in ("198.51.100.1/32", "198.51.100.2/32"):
            vpp.api.lb_add_del_vip_v2(
                pfx=pfx,
                protocol=17,
                port=53,
                encap=0,
                dscp=0,
                type=0,
                target_port=0,
                node_port=0,
                new_flows_table_length=1024,
                src_ip_sticky=False,
                is_del=False,
            )
            vpp.api.lb_add_del_as_v2(
                pfx=pfx, protocol=17, port=53, as_address="10.9.0.1", weight=100, is_del=False, is_flush=False
            )


def test_merged_replaced_overridden_deleted(tmp_path, vppsim):
    assert run_playbook(tmp_path, [lb_state("merged")], vpp=vppsim).ok
    seed_extra(vppsim)
    # The config lowers web2 and drops web3; merged changes web2 and keeps web3 and 10.0.0.77.
    cfg = config(**{"frontends.web.pools": [{"name": "primary", "backends": {"web1": {}, "web2": {"weight": 10}}}]})

    merged = run_playbook(tmp_path, [lb_state("merged", cfg)], vpp=vppsim).last
    web = vip_of(sim_state(vppsim), "192.0.2.10/32", 80)
    assert weights(web) == {"10.0.0.1": 100, "10.0.0.2": 10, "10.0.0.3": 100, "10.0.0.9": 0, "10.0.0.77": 30}
    assert merged["summary"]["ases_reweighted"] == 1 and merged["summary"]["ases_removed"] == 0

    replaced = run_playbook(tmp_path, [lb_state("replaced", cfg)], vpp=vppsim).last
    state = sim_state(vppsim)
    assert weights(vip_of(state, "192.0.2.10/32", 80)) == {"10.0.0.1": 100, "10.0.0.2": 10}
    assert vip_of(state, "198.51.100.1/32", 53) is not None  # not in the config: untouched
    assert replaced["summary"]["ases_removed"] == 3

    overridden = run_playbook(
        tmp_path, [lb_state("overridden", cfg, protected=["198.51.100.2/32 udp:53"], flush=True)], vpp=vppsim
    )
    assert overridden.ok, overridden.stdout
    state = sim_state(vppsim)
    assert vip_of(state, "198.51.100.1/32", 53) is None
    assert vip_of(state, "198.51.100.2/32", 53) is not None  # protected
    assert overridden.last["summary"]["vips_removed"] == 1 and overridden.last["summary"]["flushes"] == 1
    assert overridden.last["disruption"]["198.51.100.1/32 udp:53"]["change"] == "removed"

    only_web = config(**{"frontends": {"web": BASE_CONFIG["maglev"]["frontends"]["web"]}})
    deleted = run_playbook(tmp_path, [lb_state("deleted", only_web)], vpp=vppsim).last
    assert deleted["summary"]["vips_removed"] == 1
    state = sim_state(vppsim)
    assert vip_of(state, "192.0.2.10/32", 80) is None and vip_of(state, "192.0.2.20/32", 0) is not None

    everything = run_playbook(tmp_path, [lb_state("deleted", None, protected=[{"vip": "192.0.2.20"}])], vpp=vppsim)
    assert everything.ok, everything.stdout
    assert [(v["vip"], v["port"]) for v in sim_state(vppsim)["vips"]] == [("192.0.2.20/32", 0)]


def test_gathered_round_trips_into_replaced_and_overridden(tmp_path, vppsim):
    cfg = config(
        **{
            "frontends.web.src-ip-sticky": True,
            "frontends.web.pools.1.backends.spare": {"weight": 0},
            "frontends.nat": {
                "address": "192.0.2.30",
                "protocol": "udp",
                "port": 53,
                "encap": "nat4",
                "target-port": 5353,
                "pools": [{"name": "p", "backends": {"web1": {"weight": 3}}}],
            },
        }
    )
    assert run_playbook(tmp_path, [lb_state("merged", cfg)], vpp=vppsim).ok
    seed_extra(vppsim)  # state built outside the module too
    gathered = run_playbook(tmp_path, [lb_state("gathered", None)], vpp=vppsim)
    assert gathered.ok, gathered.stdout
    data = gathered.last["gathered"]
    assert not gathered.last["changed"] and set(data) == {"maglev"}

    vppsim.reset_stats()
    for state in ("replaced", "overridden"):
        for check in (True, False):
            run = run_playbook(tmp_path, [lb_state(state, data)], vpp=vppsim, check=check, diff=True)
            assert run.ok, run.stdout
            assert not run.last["changed"], (state, run.last["commands"])
            assert run.last["api_calls"] == []
    assert writes(vppsim) == 0


def test_drift_behind_ansibles_back_is_detected_in_check_mode(tmp_path, vppsim):
    assert run_playbook(tmp_path, [lb_state()], vpp=vppsim).ok
    with behind_the_back(vppsim) as vpp:
        vpp.api.lb_as_set_weight(pfx="192.0.2.10/32", protocol=6, port=80, as_address="10.0.0.1", weight=5)
    vppsim.reset_stats()
    run = run_playbook(tmp_path, [lb_state()], vpp=vppsim, check=True, diff=True)
    result = run.last
    assert result["changed"] and writes(vppsim) == 0
    assert [block["before_header"] for block in result["diff"]] == ["vip 192.0.2.10/32 tcp:80"]
    assert "10.0.0.1: weight 5" in result["diff"][0]["before"]
    assert "10.0.0.1: weight 100" in result["diff"][0]["after"]
    assert result["commands"] == ["lb as 192.0.2.10/32 protocol tcp port 80 10.0.0.1 weight 100"]
    assert "--- before: vip 192.0.2.10/32 tcp:80" in run.stdout  # one block per VIP, named


def test_disruption_matches_the_buckets_vpp_then_reports(tmp_path, vppsim):
    assert run_playbook(tmp_path, [lb_state()], vpp=vppsim).ok
    cfg = config(**{"frontends.web.pools.0.backends.web1": {"weight": 50}})
    checked = run_playbook(tmp_path, [lb_state("replaced", cfg)], vpp=vppsim, check=True).last
    figures = checked["disruption"]["192.0.2.10/32 tcp:80"]
    assert list(checked["disruption"]) == ["192.0.2.10/32 tcp:80"]
    assert figures["change"] == "modified" and figures["table_length"] == 1024
    assert 0 < figures["minimum_share"] <= figures["moved_share"] < 1
    assert run_playbook(tmp_path, [lb_state("replaced", cfg)], vpp=vppsim).ok
    # The simulator computes num_buckets with VPP's algorithm on its own; they must agree.
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir) as vpp:
        _state, buckets = vpp.read_state_with_buckets()
    real = {str(addr): n for addr, n in buckets[VipKey.make("192.0.2.10/32", "tcp", 80)].items()}
    assert figures["buckets_after"] == real
    assert sum(real.values()) == 1024


def test_empty_guard_fails_cleanly_unless_allowed(tmp_path, vppsim):
    assert run_playbook(tmp_path, [lb_state()], vpp=vppsim).ok
    vppsim.reset_stats()
    cfg = config(**{"frontends.dsr.pools.0.backends": {"dsr1": {"weight": 0}, "dsr2": {"weight": 0}}})
    refused = run_playbook(tmp_path, [lb_state("replaced", cfg)], vpp=vppsim)
    assert not refused.ok
    failure = refused.failed()[0]
    assert "vip 192.0.2.20/32 all-ports would be left with no backend of weight > 0" in failure["msg"]
    assert "allow_empty" in failure["msg"] and "Traceback" not in refused.stdout
    assert writes(vppsim) == 0
    allowed = run_playbook(tmp_path, [lb_state("replaced", cfg, allow_empty=True)], vpp=vppsim)
    assert allowed.ok and weights(vip_of(sim_state(vppsim), "192.0.2.20/32", 0)) == {"10.1.0.1": 0, "10.1.0.2": 0}


def test_states_map_fails_over_to_the_backup_pool(tmp_path, vppsim):
    states = {"web1": "down", "web2": "down", "web3": "paused"}
    run = run_playbook(tmp_path, [lb_state("replaced", states=states)], vpp=vppsim)
    assert run.ok, run.stdout
    assert weights(vip_of(sim_state(vppsim), "192.0.2.10/32", 80)) == {
        "10.0.0.1": 0,
        "10.0.0.2": 0,
        "10.0.0.3": 0,
        "10.0.0.9": 100,
    }
    bad = run_playbook(tmp_path, [lb_state("replaced", states={"nope": "up", "web1": "sideways"})], vpp=vppsim)
    message = bad.failed()[0]["msg"]
    assert "states.nope: no backend nope" in message and "states.web1: 'sideways' is not a backend state" in message


def test_failure_midway_reports_applied_and_next_run_converges(tmp_path, vppsim):
    vppsim.set_fault(fail={"message": "lb_add_del_as_v2", "nth": 3, "retval": -1})
    failed = run_playbook(tmp_path, [lb_state()], vpp=vppsim)
    assert not failed.ok
    result = failed.failed()[0]
    assert result["applied"] and result["failed_op"].startswith("lb as "), result
    assert result["changed"] is True
    vppsim.clear_faults()
    assert run_playbook(tmp_path, [lb_state()], vpp=vppsim).ok
    assert not run_playbook(tmp_path, [lb_state()], vpp=vppsim, check=True).last["changed"]


def test_missing_section_defaults_do_not_resend(tmp_path, vppsim):
    """A config without vpp.lb still converges once and then plans nothing (no default noise)."""
    cfg = config(**{"vpp": DELETE, "frontends.web6": DELETE, "frontends.web.encap": "l3dsr"})
    assert run_playbook(tmp_path, [lb_state("merged", cfg)], vpp=vppsim).ok
    vppsim.reset_stats()
    again = run_playbook(tmp_path, [lb_state("merged", cfg)], vpp=vppsim, check=True)
    assert again.ok and not again.last["changed"] and write_counts(vppsim) == {}


def test_health_maglevd_without_a_daemon_fails_cleanly_before_planning(tmp_path, vppsim):
    vppsim.reset_stats()
    run = run_playbook(
        tmp_path, [lb_state(health="maglevd", maglevd_socket=str(tmp_path / "no-maglevd.sock"))], vpp=vppsim
    )
    assert not run.ok
    message = run.failed()[0]["msg"]
    assert message.startswith("health: maglevd") and "Traceback" not in run.stdout
    assert writes(vppsim) == 0
