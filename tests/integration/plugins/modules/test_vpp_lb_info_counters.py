"""vpp.maglev.vpp_lb_info counters: true against vppsim: simulated traffic moves the packet
counters (read from vppsim's stats segment through vpp_papi's VPPStats) and the flows."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import behind_the_back

pytestmark = pytest.mark.integration

WEB, API = "192.0.2.1", "192.0.2.2"
KIND_OF = {
    "packet from existing sessions": "existing",
    "first session packet": "first",
    "untracked packet": "untracked",
    "no server configured": "no_server",
}


def program(sim, vips):
    """vips: {address: {as_address: weight}}, each tcp:80 (a session behind Ansible's back)."""
    with behind_the_back(sim) as vpp:
        for vip, ases in vips.items():
            pfx = vip + "/32"
            vpp.call("lb_add_del_vip_v2", pfx=pfx, protocol=6, port=80, encap=0, new_flows_table_length=1024)
            for address, weight in ases.items():
                vpp.call("lb_add_del_as_v2", pfx=pfx, protocol=6, port=80, as_address=address, weight=weight)


def info(tmp_path, sim, check=False, **args):
    args.setdefault("counters", True)
    args.setdefault("stats_socket", sim.stats_socket)
    run = run_playbook(tmp_path, [{"vpp.maglev.vpp_lb_info": args}], vpp=sim, check=check)
    assert run.ok, run.text()
    return run.results[0]


def vip_of(result, address):
    return next(vip for vip in result["lb"]["vips"] if vip["vip"] == address + "/32")


def packets(answer):
    return {KIND_OF[name]: count for name, count in answer["counters"].items()}


def test_traffic_moves_the_counters_of_its_vip_only_and_the_flows(tmp_path, vppsim):
    program(vppsim, {WEB: {"10.0.0.1": 100, "10.0.0.2": 50}, API: {"10.0.0.3": 100}})
    idle = info(tmp_path / "idle", vppsim)
    assert idle["stats_error"] is None
    assert vip_of(idle, API)["packets"] == {"existing": 0, "first": 0, "untracked": 0, "no_server": 0}

    sent = vppsim.traffic(API, "tcp", 80, flows=200, seed=1, packets_per_flow=5)
    after = info(tmp_path / "after", vppsim)
    api, web = vip_of(after, API), vip_of(after, WEB)
    assert api["index"] == sent["vip_index"] != web["index"]
    assert api["packets"] == packets(sent) and api["packets"]["first"] == 200
    assert web["packets"] == {"existing": 0, "first": 0, "untracked": 0, "no_server": 0}
    assert {b["address"]: b["flows"] for b in api["backends"]} == {"10.0.0.3": 200}
    assert {b["address"]: b["flows"] for b in web["backends"]} == {"10.0.0.1": 0, "10.0.0.2": 0}

    # The same flows again: every packet hits its sticky entry; no new flow, no new entry.
    vppsim.traffic(API, "tcp", 80, flows=200, seed=1, packets_per_flow=5)
    again = vip_of(info(tmp_path / "again", vppsim, check=True), API)
    assert again["packets"]["existing"] == api["packets"]["existing"] + 1000
    assert again["packets"]["first"] == 200
    assert again["backends"][0]["flows"] == 200


def test_a_vip_without_a_serving_backend_counts_no_server(tmp_path, vppsim):
    program(vppsim, {WEB: {"10.0.0.1": 0, "10.0.0.2": 0}})
    sent = vppsim.traffic(WEB, "tcp", 80, flows=50, seed=3, packets_per_flow=2)
    web = vip_of(info(tmp_path, vppsim), WEB)
    assert web["packets"] == packets(sent)
    assert web["packets"]["no_server"] > 0 and web["packets"]["first"] == 0


def test_a_removed_backend_keeps_its_pinned_flows(tmp_path, vppsim):
    program(vppsim, {WEB: {"10.0.0.1": 100, "10.0.0.2": 100}})
    sent = vppsim.traffic(WEB, "tcp", 80, flows=100, seed=5)
    with behind_the_back(vppsim) as vpp:  # deleted without flush: VPP keeps it while flows point at it
        vpp.call("lb_add_del_as_v2", pfx=WEB + "/32", protocol=6, port=80, as_address="10.0.0.2", is_del=True)
    web = vip_of(info(tmp_path, vppsim), WEB)
    assert [b["address"] for b in web["backends"]] == ["10.0.0.1"]
    assert web["removed_backends"] == [{"address": "10.0.0.2", "flows": sent["ases"]["10.0.0.2"]["flows"]}]


@pytest.mark.parametrize(
    "stats_socket, reason",
    [("", "stats segment not configured"), ("missing.sock", "missing.sock: [Errno 2] No such file")],
)
def test_without_the_stats_segment_the_flows_are_still_read(tmp_path, vppsim, stats_socket, reason):
    program(vppsim, {WEB: {"10.0.0.1": 100}})
    vppsim.traffic(WEB, "tcp", 80, flows=10, seed=1)
    path = str(tmp_path / stats_socket) if stats_socket else ""
    result = info(tmp_path / "run", vppsim, stats_socket=path)
    assert reason in result["stats_error"]
    # Turned off on purpose ('') is no warning; a socket that should be there is one.
    assert any(reason in warning for warning in result.get("warnings", [])) == bool(stats_socket)
    web = vip_of(result, WEB)
    assert "packets" not in web
    assert web["backends"][0]["flows"] == 10


def test_without_counters_the_result_keeps_its_shape(tmp_path, vppsim):
    program(vppsim, {WEB: {"10.0.0.1": 100}})
    result = info(tmp_path, vppsim, counters=False)
    assert "stats_error" not in result
    assert set(vip_of(result, WEB)["backends"][0]) == {"address", "weight", "num_buckets"}
