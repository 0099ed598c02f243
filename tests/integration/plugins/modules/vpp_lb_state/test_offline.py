"""Config errors, rendered and parsed: decided on the controller, no host contacted, no VPP.

The inventory's only host is 192.0.2.1 (TEST-NET-1) over ssh: had the task contacted it, it
would come back "unreachable", never with a config error or a rendered plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import UNREACHABLE_INVENTORY, run_with_inventory
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATE_CONFIG as BASE_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.sample_config import state_config as config

pytestmark = pytest.mark.integration

FILES = Path(__file__).resolve().parent / "files"
SHOW_TEXT = (FILES / "show-lb-vips-verbose.txt").read_text()


def task(name, **args):
    return {"name": name, "vpp.maglev.vpp_lb_state": args, "ignore_errors": True}


def play(*tasks):
    return [{"hosts": "lbs", "gather_facts": False, "tasks": list(tasks)}]


def by_name(run):
    return {entry["task"]: (entry["status"], entry["result"]) for entry in run.entries}


def test_config_errors_fail_on_the_controller_before_any_host_is_contacted(tmp_path):
    bad = config(**{"backends.web1.address": "10.0.0.300", "frontends.web.pools.0.backends.web2": {"weight": 500}})
    run = run_with_inventory(
        tmp_path,
        play(
            task("inline", config=bad, state="replaced"),
            task("src", src=str(FILES / "bad-maglev.yaml"), state="overridden", api_socket="/nonexistent/api.sock"),
            task("missing src", src=str(tmp_path / "nope.yaml")),
            task("no config", state="merged"),
        ),
        UNREACHABLE_INVENTORY,
    )
    results = by_name(run)
    assert set(results) == {"inline", "src", "missing src", "no config"}, run.stdout
    assert all(status == "failed" for status, _result in results.values()), results  # never "unreachable"

    inline = results["inline"][1]
    paths = {error["path"] for error in inline["errors"]}
    assert paths == {"maglev.backends.web1.address", "maglev.frontends.web.pools[0].backends.web2.weight"}
    assert "2 errors" in inline["msg"] and "maglev.backends.web1.address: " in inline["msg"]

    src = results["src"][1]
    by_path = {error["path"]: error for error in src["errors"]}
    assert "maglev.backends.b1.address" in by_path and by_path["maglev.backends.b1.address"]["line"] == 4
    assert any("b9" in path for path in by_path)
    assert "api.sock" not in src["msg"]  # the socket was never looked at

    assert "src" in results["missing src"][1]["msg"] and "nope.yaml" in results["missing src"][1]["msg"]
    assert "config" in results["no config"][1]["msg"]
    assert "UNREACHABLE" not in run.stdout


def test_rendered_and_parsed_need_no_vpp_and_no_host(tmp_path):
    gathered_like = {
        "maglev": {
            "vpp": {"lb": {"ipv4-src-address": "192.0.2.254", "ipv6-src-address": "2001:db8::fe"}},
            "backends": {"10.0.0.1": {"address": "10.0.0.1"}},
            "frontends": {
                "x": {
                    "address": "192.0.2.10",
                    "protocol": "tcp",
                    "port": 80,
                    "pools": [{"name": "p", "backends": {"10.0.0.1": {"weight": 100}}}],
                }
            },
        }
    }
    run = run_with_inventory(
        tmp_path,
        play(
            task("rendered", config=BASE_CONFIG, state="rendered"),
            task("rendered vs state", config=BASE_CONFIG, state="rendered", running_state=gathered_like),
            task(
                "rendered vs text",
                config=BASE_CONFIG,
                state="rendered",
                running_config=SHOW_TEXT,
                render_state="overridden",
            ),
            task("parsed", state="parsed", running_config=SHOW_TEXT),
            task("parsed without text", state="parsed"),
        ),
        UNREACHABLE_INVENTORY,
        diff=True,
    )
    results = by_name(run)
    assert [status for status, _result in results.values()] == ["ok", "ok", "ok", "ok", "failed"], run.stdout

    rendered = results["rendered"][1]
    assert not rendered["changed"]
    assert rendered["rendered"][:3] == [
        "lb conf ip4-src-address 192.0.2.254 ip6-src-address 2001:db8::fe buckets 65536 timeout 40",
        "lb vip 192.0.2.10/32 protocol tcp port 80 encap gre4 new_len 1024",
        "lb as 192.0.2.10/32 protocol tcp port 80 10.0.0.1 weight 100",
    ]
    assert "lb vip 192.0.2.20/32 encap l3dsr dscp 10 new_len 2048" in rendered["rendered"]
    assert len(rendered["api_calls"]) == len(rendered["rendered"]) == rendered["summary"]["api_calls"]
    assert {entry["change"] for entry in rendered["disruption"].values()} == {"added"}

    # Against a saved state, only the difference is rendered (web gains web2, web3, spare).
    against = results["rendered vs state"][1]["rendered"]
    assert "lb vip 192.0.2.10/32 protocol tcp port 80 encap gre4 new_len 1024" not in against
    assert "lb as 192.0.2.10/32 protocol tcp port 80 10.0.0.2 weight 50" in against
    assert not any(line.startswith("lb conf") for line in against)

    # Against 'show lb vips verbose' text, overridden: the l3dsr VIP is recreated (table 1024
    # -> 2048), web too (src_ip_sticky), and the all-port IPv6 VIP goes before the tcp:443 one.
    text_plan = results["rendered vs text"][1]
    assert text_plan["recreate_reasons"] == ["new_flows_table_length", "src_ip_sticky"]
    lines = text_plan["rendered"]
    assert "lb vip 192.0.2.20/32 del" in lines and "lb vip 192.0.2.10/32 protocol tcp port 80 del" in lines
    assert lines.index("lb vip 2001:db8::10/128 del") < lines.index(
        "lb vip 2001:db8::10/128 protocol tcp port 443 encap gre6 new_len 1024"
    )
    assert text_plan["disruption"]["2001:db8::10/128 all-ports"]["change"] == "removed"

    parsed = results["parsed"][1]["parsed"]["maglev"]
    fronts = {(f["address"], f["port"]): f for f in parsed["frontends"].values()}
    web = fronts[("192.0.2.10/32", 80)]
    assert web["src-ip-sticky"] is True and web["pools"][0]["backends"] == {
        "10.0.0.1": {"weight": 100},
        "10.0.0.2": {"weight": 50},
    }  # 10.0.0.3 is removed (lingering): not part of the state
    assert fronts[("192.0.2.20/32", 0)]["dscp"] == 10
    assert fronts[("2001:db8::10/128", 0)]["new-flows-table-length"] == 2048
    assert "running_config" in results["parsed without text"][1]["msg"]
    assert "UNREACHABLE" not in run.stdout


def test_filters_in_a_playbook(tmp_path):
    from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook

    run = run_playbook(
        tmp_path,
        [
            {"ansible.builtin.set_fact": {"maglev": BASE_CONFIG}},
            {
                "ansible.builtin.assert": {
                    "that": [
                        "(maglev | vpp.maglev.active_pool)['web'] == 'primary'",
                        "(maglev | vpp.maglev.active_pool({'web1': 'down', 'web2': 'down', 'web3': 'down'}))['web']"
                        " == 'backup'",
                        "(maglev | vpp.maglev.effective_weights(frontend='web')) | selectattr('backend', 'eq', 'web2')"
                        " | map(attribute='weight') | first == 50",
                        "(maglev | vpp.maglev.effective_weights({'web1': 'disabled'}, frontend='web'))"
                        " | selectattr('backend', 'eq', 'web1') | map(attribute='flush') | first",
                    ]
                }
            },
            {
                "name": "bad state",
                "ansible.builtin.debug": {"msg": "{{ maglev | vpp.maglev.active_pool({'nobody': 'up'}) }}"},
                "ignore_errors": True,
            },
        ],
    )
    assert [entry["status"] for entry in run.entries] == ["ok", "ok", "failed"], run.stdout
    assert "states.nobody: no backend nobody" in run.entries[2]["result"]["msg"]


# What vppsim (like VPP) answers to plain `show lb vips`: no [index], no AS lines.
PLAIN_SHOW_TEXT = (
    "ip4-gre4 192.0.2.10/32 new_size:1024 #as:2  protocol:6 port:80 \nip4-l3dsr 192.0.2.20/32 new_size:1024 #as:1\n"
)


def test_running_config_that_is_not_show_lb_vips_verbose_fails(tmp_path):
    run = run_with_inventory(
        tmp_path,
        play(
            task("parsed", state="parsed", running_config=PLAIN_SHOW_TEXT),
            task("rendered", state="rendered", config=BASE_CONFIG, running_config=PLAIN_SHOW_TEXT),
        ),
        UNREACHABLE_INVENTORY,
    )
    results = by_name(run)
    assert set(results) == {"parsed", "rendered"}, run.stdout
    for status, result in results.values():
        assert status == "failed"
        assert result["msg"].startswith(
            "running_config: no VIP found in the text; expected the output of 'show lb vips verbose'"
        )
    assert "UNREACHABLE" not in run.stdout
