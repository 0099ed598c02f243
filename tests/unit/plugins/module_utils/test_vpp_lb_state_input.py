"""vpp_lb_state's input handling: backend states, protected VIPs, tagged data, offline states."""

from __future__ import annotations

import copy
import ipaddress

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import vpp_lb_state_input
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import PlanError
from ansible_collections.vpp.maglev.plugins.module_utils.views import state_to_config
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.tests.helpers.sample_config import SMALL_CONFIG as CONFIG

WEB = VipKey.make("192.0.2.10/32", "tcp", 80)
A = ipaddress.ip_address


def parsed():
    return vpp_lb_state_input.parse_config(CONFIG)


def test_assume_up_then_overrides():
    states = vpp_lb_state_input.backend_states(parsed())
    assert states == {"a": BackendState.UP, "b": BackendState.DISABLED, "c": BackendState.UP}
    states = vpp_lb_state_input.backend_states(parsed(), {"a": "DOWN"})
    assert states["a"] is BackendState.DOWN and states["c"] is BackendState.UP


def test_maglevd_states_are_the_base_and_unknown_names_are_ignored():
    base = {"a": "down", "c": "paused", "gone": "up", "b": "weird"}
    states = vpp_lb_state_input.backend_states(parsed(), {"c": "up"}, base)
    assert states == {"a": BackendState.DOWN, "b": BackendState.UNKNOWN, "c": BackendState.UP}


def test_bad_states_name_every_problem():
    with pytest.raises(vpp_lb_state_input.ModuleInputError) as info:
        vpp_lb_state_input.backend_states(parsed(), {"zz": "up", "a": "sideways"})
    message = str(info.value)
    assert "states.zz: no backend zz in the config (backends: a, b, c)" in message
    assert "states.a: 'sideways' is not a backend state (unknown, up, down, paused, disabled, removed)" in message


def test_desired_for_follows_the_truth_table():
    desired = vpp_lb_state_input.desired_for(parsed(), {"states": {"a": "down"}})
    assert desired.vips[WEB].ases == {A("10.0.0.1"): 0, A("10.0.0.2"): 0, A("10.0.0.3"): 40}
    assert vpp_lb_state_input.desired_for(None, {}).vips == {}


@pytest.mark.parametrize(
    "entry,matches",
    [
        ("192.0.2.10/32", {"tcp80", "udp53", "all"}),
        ("192.0.2.10", {"tcp80", "udp53", "all"}),
        ("192.0.2.10/32 tcp:80", {"tcp80"}),
        ("192.0.2.10/32 all-ports", {"all"}),
        ({"vip": "192.0.2.10", "protocol": "udp", "port": 53}, {"udp53"}),
        ({"vip": "192.0.2.10/32", "port": 0}, {"all"}),
        ("192.0.2.11/32", set()),
    ],
)
def test_protected_patterns(entry, matches):
    keys = {
        "tcp80": VipKey.make("192.0.2.10/32", "tcp", 80),
        "udp53": VipKey.make("192.0.2.10/32", "udp", 53),
        "all": VipKey.make("192.0.2.10/32", "any", 0),
    }
    chosen = vpp_lb_state_input.protected_keys(vpp_lb_state_input.parse_protected([entry]), keys.values())
    assert {name for name, key in keys.items() if key in chosen} == matches


@pytest.mark.parametrize(
    "entry,fragment",
    [
        ("192.0.2.10/32 sctp:9", "protected[0]: '192.0.2.10/32 sctp:9' is not a VIP prefix"),
        ("nope", "protected[0]: 'nope' is not an IPv4/IPv6 address"),
        ({"vip": "192.0.2.1", "proto": "tcp"}, "protected[0]: expected"),
        (
            {"vip": "192.0.2.1", "port": 70000},
            "protected[0].port: 70000 is out of range; expected an integer from 0 to 65535",
        ),
        ({"vip": "192.0.2.1", "port": True}, "protected[0].port: expected an integer from 0 to 65535, got a boolean"),
        (42, "protected[0]: 42 is not"),
    ],
)
def test_bad_protected_entries(entry, fragment):
    with pytest.raises(vpp_lb_state_input.ModuleInputError) as info:
        vpp_lb_state_input.parse_protected([entry])
    assert fragment in str(info.value)


def test_plain_turns_subclasses_into_builtins():
    class TaggedInt(int):
        pass

    class TaggedStr(str):
        pass

    data = {TaggedStr("k"): [TaggedInt(80), (TaggedStr("x"), True, None, 1.5)]}
    result = vpp_lb_state_input.plain(data)
    assert result == {"k": [80, ["x", True, None, 1.5]]}
    # exact types, not isinstance: the tagged subclasses must be gone
    assert (type(next(iter(result))), type(result["k"][0])) == (str, int)


def test_tagged_ints_validate_like_ints():
    class TaggedInt(int):
        pass

    data = copy.deepcopy(CONFIG)
    data["maglev"]["frontends"]["web"]["port"] = TaggedInt(80)
    assert vpp_lb_state_input.parse_config(data).frontends["web"].port == 80


def test_config_failure_lists_every_error():
    bad = copy.deepcopy(CONFIG)
    bad["maglev"]["backends"]["a"]["address"] = "10.0.0.256"
    bad["maglev"]["frontends"]["web"]["port"] = 70000
    with pytest.raises(vpp_lb_state_input.config_mod.ConfigError) as info:
        vpp_lb_state_input.parse_config(bad)
    failure = vpp_lb_state_input.config_failure(info.value, "config")
    assert {error["path"] for error in failure["errors"]} == {"maglev.backends.a.address", "maglev.frontends.web.port"}
    assert failure["msg"].startswith("config is not a valid maglev.yaml (2 errors): ")


def test_load_src_reports_lines(tmp_path):
    path = tmp_path / "maglev.yaml"
    path.write_text("maglev:\n  backends:\n    a:\n      address: nope\n")
    with pytest.raises(vpp_lb_state_input.config_mod.ConfigError) as info:
        vpp_lb_state_input.load_src(str(path))
    assert [(e.path, e.line) for e in info.value.errors] == [("maglev.backends.a.address", 4)]
    with pytest.raises(vpp_lb_state_input.config_mod.ConfigSyntaxError):
        vpp_lb_state_input.load_src(str(tmp_path / "missing.yaml"))


def test_load_src_keeps_yes_a_string(tmp_path):
    path = tmp_path / "maglev.yaml"
    path.write_text("maglev:\n  backends:\n    no: {address: 10.0.0.1}\n")
    data, cfg = vpp_lb_state_input.load_src(str(path))
    assert list(data["maglev"]["backends"]) == ["no"] and "no" in cfg.backends


def test_render_against_nothing_and_against_itself():
    result = vpp_lb_state_input.render(parsed(), {"estimate_disruption": True})
    assert result["rendered"] == result["commands"] and not result["changed"]
    assert result["rendered"][1] == "lb vip 192.0.2.10/32 protocol tcp port 80 encap gre4 new_len 1024"
    assert result["summary"]["vips_added"] == 1 and result["summary"]["ases_added"] == 3
    # The after of a render, fed back as the running state, renders nothing.
    after = vpp_lb_state_input.desired_for(parsed(), {})
    again = vpp_lb_state_input.render(parsed(), {"running_state": state_to_config(after)})
    assert again["rendered"] == [] and again["disruption"] == {}


def test_render_guard_and_parse():
    empty = copy.deepcopy(CONFIG)
    empty["maglev"]["frontends"]["web"]["pools"] = [{"name": "p", "backends": {"a": {"weight": 0}}}]
    running = state_to_config(vpp_lb_state_input.desired_for(parsed(), {}))
    with pytest.raises(PlanError):
        vpp_lb_state_input.render(vpp_lb_state_input.parse_config(empty), {"running_state": running})
    ok = vpp_lb_state_input.render(
        vpp_lb_state_input.parse_config(empty), {"running_state": running, "allow_empty": True}
    )
    assert ok["summary"]["ases_removed"] == 2
    with pytest.raises(vpp_lb_state_input.ModuleInputError):
        vpp_lb_state_input.parse({"running_config": ""})


# Plain `show lb vips` (no [index]: format_lb_vip, not format_lb_vip_detailed) and text from the
# wrong command hold no VIP section: an error, not an empty LB to commit as a baseline.
@pytest.mark.parametrize(
    "text",
    ["nothing here\n", " ip4-gre4 192.0.2.10/32 new_size:1024 #as:2\n   protocol:6 port:80\n"],
)
def test_running_config_without_a_vip_section_is_an_error(text):
    for call in (
        lambda: vpp_lb_state_input.parse({"running_config": text}),
        lambda: vpp_lb_state_input.render(parsed(), {"running_config": text}),
    ):
        with pytest.raises(
            vpp_lb_state_input.ModuleInputError, match=r"^running_config: no VIP found .*show lb vips verbose"
        ):
            call()


def test_running_config_with_a_bad_prefix_names_the_option():
    with pytest.raises(
        vpp_lb_state_input.ModuleInputError, match=r"^running_config: show lb vips: bad VIP prefix 'foo/32'"
    ):
        vpp_lb_state_input.parse({"running_config": " ip4-gre4 [0] foo/32\n"})


def test_running_config_of_a_vip_parses():
    text = " ip4-gre4 [0] 192.0.2.10/32\n   new_size:1024\n   protocol:6 port:80\n   #as:1\n     10.0.0.1 1024 buckets   0 flows  dpo:5 used\n"
    frontends = vpp_lb_state_input.parse({"running_config": text})["parsed"]["maglev"]["frontends"]
    assert [fe["address"] for fe in frontends.values()] == ["192.0.2.10/32"]
