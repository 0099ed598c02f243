"""The bad-input catalogue: each case changes a valid config in one way and asserts the
exact path of the issue and a fragment of its message (what is wrong / what is allowed)."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import config, config_reader
from ansible_collections.vpp.maglev.tests.helpers.config_issues import BASE, find_issue, issues_of, with_changes
from ansible_collections.vpp.maglev.tests.helpers.sample_config import DELETE

FE = "maglev.frontends.web"
HC = "maglev.healthchecks.hc"
LB = "maglev.vpp.lb"
V6_POOLS = [{"name": "p", "backends": {"v6a": {}, "v6b": {}}}]

# A table reads best as a table.
# fmt: off
CASES = [
    # --- unknown keys, anywhere
    ("top-level key", [("extra", 1)], "extra", "unknown key; allowed keys: maglev"),
    ("section typo", [("maglev.frontend", {})], "maglev.frontend", "did you mean 'frontends'?"),
    ("lb key typo", [(LB + ".flow-timout", "40s")], LB + ".flow-timout", "did you mean 'flow-timeout'?"),
    ("backend weight (moved to pools)", [("maglev.backends.b1.weight", 5)], "maglev.backends.b1.weight",
     "unknown key; allowed keys: address, healthcheck, enabled"),
    ("healthcheck key", [(HC + ".retries", 3)], HC + ".retries", "unknown key"),
    ("http param typo", [(HC + ".params", {"pathh": "/"})], HC + ".params.pathh", "did you mean 'path'?"),
    ("frontend key", [(FE + ".vip", "1.2.3.4")], FE + ".vip", "allowed keys: description, address, protocol"),
    ("pool key", [(FE + ".pools[0].weight", 1)], FE + ".pools[0].weight", "allowed keys: name, backends"),
    ("member key", [(FE + ".pools[0].backends.b1", {"wieght": 5})], FE + ".pools[0].backends.b1.wieght",
     "did you mean 'weight'?"),
    ("healthchecker key", [("maglev.healthchecker.history", 5)], "maglev.healthchecker.history", "unknown key"),
    ("vpp key", [("maglev.vpp.l3", {})], "maglev.vpp.l3", "allowed keys: lb"),
    ("non-string key", [("maglev.healthchecker", {1: 2})], "maglev.healthchecker.1", "unknown key an integer"),
    # --- wrong types
    ("quoted port", [(FE + ".port", "80")], FE + ".port",
     "expected an integer from 0 to 65535, got a string ('80'); write it without quotes"),
    ("boolean port", [(FE + ".port", True)], FE + ".port", "got a boolean (true)"),
    ("float weight", [(FE + ".pools[0].backends.b2.weight", 50.5)], FE + ".pools[0].backends.b2.weight",
     "expected an integer from 0 to 100, got a number (50.5)"),
    ("string boolean", [("maglev.backends.b1.enabled", "yes")], "maglev.backends.b1.enabled",
     "expected true or false, got a string ('yes')"),
    ("integer boolean", [(FE + ".src-ip-sticky", 1)], FE + ".src-ip-sticky", "expected true or false, got an integer"),
    ("flush-on-down string", [(FE + ".flush-on-down", "false")], FE + ".flush-on-down", "expected true or false"),
    ("description number", [(FE + ".description", 5)], FE + ".description", "expected a string, got an integer"),
    ("pools mapping", [(FE + ".pools", {"main": {}})], FE + ".pools", "expected a list of pools"),
    ("backends list", [("maglev.backends", ["b1"])], "maglev.backends", "expected a mapping of backends by name"),
    ("frontend not mapping", [(FE, "192.0.2.1")], FE, "expected a mapping, got a string"),
    ("maglev list", [("maglev", [])], "maglev", "expected a mapping, got a list"),
    ("integer address", [("maglev.backends.b1.address", 167772161)], "maglev.backends.b1.address",
     "expected an IPv4 or IPv6 address, got an integer"),
    ("members list", [(FE + ".pools[0].backends", ["b1"])], FE + ".pools[0].backends",
     "expected a mapping of backend name to {weight: 0-100}"),
    ("member weight scalar", [(FE + ".pools[0].backends.b1", 50)], FE + ".pools[0].backends.b1",
     "expected {weight: 0-100} or {} for the default 100, got an integer (50)"),
    ("interval word", [(HC + ".interval", "fast")], HC + ".interval",
     "expected a duration such as 2s, 500ms, 1m, 1h or a number of seconds"),
    ("params not mapping", [(HC + ".params", "/healthz")], HC + ".params", "expected a mapping of http params"),
    # --- missing required keys
    ("no maglev", [("maglev", DELETE)], "maglev", "required key is missing"),
    ("backend without address", [("maglev.backends.b1.address", DELETE)], "maglev.backends.b1.address",
     "required key is missing"),
    ("healthcheck without type", [(HC + ".type", DELETE)], HC + ".type", "required key is missing"),
    ("frontend without address", [(FE + ".address", DELETE)], FE + ".address", "required key is missing"),
    ("frontend without pools", [(FE + ".pools", DELETE)], FE + ".pools", "required key is missing"),
    ("pool without name", [(FE + ".pools[1].name", DELETE)], FE + ".pools[1].name", "required key is missing"),
    ("pool without backends", [(FE + ".pools[1].backends", DELETE)], FE + ".pools[1].backends",
     "required key is missing"),
    # --- names
    ("name with space", [("maglev.backends.b 4", {"address": "10.0.0.4"})], "maglev.backends.b 4",
     "a name must not contain spaces"),
    ("empty pool name", [(FE + ".pools[1].name", "")], FE + ".pools[1].name", "a pool name must not be empty"),
    ("duplicate pool name", [(FE + ".pools[1].name", "main")], FE + ".pools[1].name",
     "duplicate pool name 'main' (also pools[0])"),
    # --- references
    ("undefined healthcheck", [("maglev.backends.b1.healthcheck", "hcc")], "maglev.backends.b1.healthcheck",
     "healthcheck 'hcc' is not defined under maglev.healthchecks (did you mean 'hc'?)"),
    ("undefined backend", [(FE + ".pools[0].backends.b9", {})], FE + ".pools[0].backends.b9",
     "backend 'b9' is not defined under maglev.backends"),
    # --- pools
    ("no pools", [(FE + ".pools", [])], FE + ".pools", "at least one pool is needed"),
    ("empty pool", [(FE + ".pools[1].backends", {})], FE + ".pools[1].backends", "a pool needs at least one backend"),
    ("null pool backends", [(FE + ".pools[1].backends", None)], FE + ".pools[1].backends", "got null"),
    ("backend in two pools", [(FE + ".pools[1].backends.b1", {})], FE + ".pools[1].backends.b1",
     "backend 'b1' is already in pools[0]; a backend may be in one pool of a frontend"),
    ("same address twice", [("maglev.backends.b3.address", "10.0.0.1")], FE + ".pools[1].backends.b3",
     "backend 'b3' has the same address (10.0.0.1) as backend 'b1' in this frontend"),
    # --- weights
    ("weight 101", [(FE + ".pools[0].backends.b2.weight", 101)], FE + ".pools[0].backends.b2.weight",
     "101 is out of range; expected an integer from 0 to 100"),
    ("weight -1", [(FE + ".pools[0].backends.b2.weight", -1)], FE + ".pools[0].backends.b2.weight",
     "-1 is out of range"),
    # --- address families and encaps
    ("family mix", [(FE + ".pools[1].backends", {"v6a": {}})], FE + ".pools[1].backends.v6a",
     "address family mix: backend 'v6a' is IPv6 but 'b1' is IPv4"),
    ("gre4 with IPv6 backends", [(FE + ".encap", "gre4"), (FE + ".pools", V6_POOLS)], FE + ".pools[0].backends.v6a",
     "backend 'v6a' is IPv6 (2001:db8::a) but encap gre4 needs IPv4 backends"),
    ("gre6 with IPv4 backends", [(FE + ".encap", "gre6")], FE + ".pools[0].backends.b1",
     "encap gre6 needs IPv6 backends"),
    ("l3dsr with IPv6 backends", [(FE + ".encap", "l3dsr"), (FE + ".pools", V6_POOLS)],
     FE + ".pools[0].backends.v6b", "encap l3dsr needs IPv4 backends"),
    ("nat6 on an IPv4 VIP", [(FE + ".encap", "nat6"), (FE + ".pools", V6_POOLS)], FE + ".encap",
     "encap nat6 (set) is not possible for an IPv4 VIP; allowed: gre4, gre6, l3dsr, nat4"),
    ("l3dsr on an IPv6 VIP", [(FE + ".encap", "l3dsr"), (FE + ".address", "2001:db8:1::10")], FE + ".encap",
     "is not possible for an IPv6 VIP; allowed: gre4, gre6, nat6"),
    ("nat4 on an IPv6 VIP", [(FE + ".encap", "nat4"), (FE + ".address", "2001:db8:1::10")], FE + ".encap",
     "encap nat4 (set) is not possible for an IPv6 VIP"),
    ("unknown encap", [(FE + ".encap", "vxlan")], FE + ".encap", "expected one of gre4, gre6, l3dsr, nat4, nat6"),
    # --- encap-specific attributes
    ("dscp without l3dsr", [(FE + ".dscp", 10)], FE + ".dscp", "only used with encap l3dsr; this frontend's encap is gre4"),
    ("dscp 64", [(FE + ".encap", "l3dsr"), (FE + ".dscp", 64)], FE + ".dscp", "expected an integer from 0 to 63"),
    ("target-port without nat", [(FE + ".target-port", 8080)], FE + ".target-port", "only used with encap nat4 or nat6"),
    ("type without nat", [(FE + ".type", "clusterip")], FE + ".type", "only used with encap nat4 or nat6"),
    ("bad type", [(FE + ".encap", "nat4"), (FE + ".type", "loadbalancer")], FE + ".type",
     "expected one of clusterip, nodeport"),
    ("target-port 0", [(FE + ".encap", "nat4"), (FE + ".target-port", 0)], FE + ".target-port",
     "expected an integer from 1 to 65535"),
    ("nat all-port without target-port", [(FE + ".encap", "nat4"), (FE + ".port", DELETE), (FE + ".protocol", DELETE)],
     FE + ".target-port", "required for encap nat4 on an all-port VIP"),
    # --- table length and buckets
    ("table length not pow2", [(FE + ".new-flows-table-length", 1000)], FE + ".new-flows-table-length",
     "1000 is not a power of two"),
    ("table length 0", [(FE + ".new-flows-table-length", 0)], FE + ".new-flows-table-length",
     "0 is out of range; expected an integer from 1 to 65536"),
    ("table length too big", [(FE + ".new-flows-table-length", 131072)], FE + ".new-flows-table-length",
     "131072 is out of range"),
    ("buckets not pow2", [(LB + ".sticky-buckets-per-core", 1000)], LB + ".sticky-buckets-per-core",
     "1000 is not a power of two"),
    ("buckets 0", [(LB + ".sticky-buckets-per-core", 0)], LB + ".sticky-buckets-per-core", "0 is out of range"),
    # --- vpp.lb timing
    ("flow-timeout 0", [(LB + ".flow-timeout", 0)], LB + ".flow-timeout",
     "0s is out of range; expected a whole number of seconds from 1s to 120s"),
    ("flow-timeout 121s", [(LB + ".flow-timeout", "121s")], LB + ".flow-timeout", "121s is out of range"),
    ("flow-timeout 1.5s", [(LB + ".flow-timeout", "1500ms")], LB + ".flow-timeout", "a whole number of seconds"),
    ("sync-interval 0", [(LB + ".sync-interval", "0s")], LB + ".sync-interval", "must be greater than 0"),
    ("startup delays reversed", [(LB + ".startup-min-delay", "40s")], LB + ".startup-min-delay",
     "must not exceed startup-max-delay (30s)"),
    ("negative delay", [(LB + ".startup-max-delay", -1)], LB + ".startup-max-delay", "not negative"),
    # --- source addresses
    ("ipv4 src missing for gre4", [(LB + ".ipv4-src-address", DELETE)], LB + ".ipv4-src-address",
     "required: frontend 'web' uses encap gre4"),
    ("ipv6 src missing for gre6", [(LB + ".ipv6-src-address", DELETE), (FE + ".pools", V6_POOLS)],
     LB + ".ipv6-src-address", "required: frontend 'web' uses encap gre6"),
    ("ipv4 src of the wrong family", [(LB + ".ipv4-src-address", "2001:db8::1")], LB + ".ipv4-src-address",
     "2001:db8::1 is an IPv6 address; expected an IPv4 address"),
    ("ipv6 src of the wrong family", [(LB + ".ipv6-src-address", "192.0.2.1")], LB + ".ipv6-src-address",
     "expected an IPv6 address"),
    ("src address not an address", [(LB + ".ipv4-src-address", "192.0.2.0/24")], LB + ".ipv4-src-address",
     "is not an IPv4 address (a single address, not a prefix)"),
    # --- VIP address, protocol, port
    ("host bits", [(FE + ".address", "10.0.0.7/24")], FE + ".address",
     "10.0.0.7/24 has host bits set; write 10.0.0.0/24"),
    ("host bits v6", [(FE + ".address", "2001:db8::7/64")], FE + ".address", "write 2001:db8::/64"),
    ("bad VIP address", [(FE + ".address", "10.0.0.300")], FE + ".address", "is not an IPv4/IPv6 address or prefix"),
    ("bad backend address", [("maglev.backends.b1.address", "10.0.0.1/32")], "maglev.backends.b1.address",
     "a single address, not a prefix"),
    ("port 65536", [(FE + ".port", 65536)], FE + ".port", "expected an integer from 0 to 65535"),
    ("port 0 with tcp", [(FE + ".port", 0)], FE + ".protocol",
     "tcp needs a port (1-65535); an all-port VIP (port 0 or no port) is protocol any"),
    ("no port with udp", [(FE + ".port", DELETE), (FE + ".protocol", "udp")], FE + ".protocol",
     "VPP would silently turn udp port 0 into any"),
    ("any with a port", [(FE + ".protocol", "any")], FE + ".protocol",
     "any is only for all-port VIPs (port 0 or no port); use tcp or udp with port 80"),
    ("unknown protocol", [(FE + ".protocol", "sctp")], FE + ".protocol", "expected one of tcp, udp, any"),
    # --- VIPs that VPP would refuse together
    ("same VIP key", [("maglev.frontends.web2", {"address": "192.0.2.10/32", "port": 80, "pools": V6_POOLS})],
     "maglev.frontends.web2", "same VIP as frontend 'web' (192.0.2.10/32 tcp:80)"),
    ("all-port next to per-port", [("maglev.frontends.all", {"address": "192.0.2.10", "pools": V6_POOLS})],
     "maglev.frontends.all.port", "VPP does not allow an all-port VIP next to per-port VIPs on one prefix"),
    ("per-port encaps differ",
     [("maglev.frontends.dsr", {"address": "192.0.2.10", "port": 53, "protocol": "udp", "encap": "l3dsr",
                                "pools": [{"name": "p", "backends": {"b1": {}}}]})],
     "maglev.frontends.dsr.encap", "encap l3dsr differs from frontend 'web' (encap gre4) on the same prefix"),
    # --- healthchecks
    ("unknown check type", [(HC + ".type", "udp")], HC + ".type", "expected one of icmp, tcp, http, https, static"),
    ("tcp without port", [("maglev.healthchecks.tcp.port", DELETE)], "maglev.healthchecks.tcp.port",
     "required for type tcp"),
    ("http without port", [(HC + ".port", DELETE)], HC + ".port", "required for type http"),
    ("static with port", [(HC + ".type", "static")], HC + ".port", "not used by type static"),
    ("icmp with port", [(HC + ".type", "icmp")], HC + ".port", "not used by type icmp"),
    ("port 0 check", [(HC + ".port", 0)], HC + ".port", "expected an integer from 1 to 65535"),
    ("icmp params", [("maglev.healthchecks.ping", {"type": "icmp", "params": {}})], "maglev.healthchecks.ping.params",
     "type icmp takes no params"),
    ("static params", [("maglev.healthchecks.s", {"type": "static", "params": {"path": "/"}})],
     "maglev.healthchecks.s.params", "type static takes no params"),
    ("http params on tcp", [("maglev.healthchecks.tcp.params", {"path": "/"})], "maglev.healthchecks.tcp.params.path",
     "unknown key; allowed keys: send, expect, read-limit"),
    ("tcp params on http", [(HC + ".params", {"send": "PING"})], HC + ".params.send",
     "unknown key; allowed keys: method, path"),
    ("https-only on http", [(HC + ".params", {"server-name": "x.example"})], HC + ".params.server-name",
     "only for type https"),
    ("insecure with ca-file", [(HC + ".type", "https"), (HC + ".params", {"insecure": True, "ca-file": "/ca.pem"})],
     HC + ".params.ca-file", "not used with insecure: true"),
    ("timeout equals interval", [(HC + ".interval", "2s"), (HC + ".timeout", "2s")], HC + ".timeout",
     "2s must be shorter than interval (2s)"),
    ("timeout above interval", [(HC + ".interval", "500ms"), (HC + ".timeout", 1)], HC + ".timeout",
     "1s must be shorter than interval (0.5s)"),
    ("zero interval", [(HC + ".interval", 0)], HC + ".interval", "must be greater than 0"),
    ("zero fast-interval", [(HC + ".fast-interval", "0s")], HC + ".fast-interval", "must be greater than 0"),
    ("zero down-interval", [(HC + ".down-interval", 0)], HC + ".down-interval", "must be greater than 0"),
    ("zero timeout", [(HC + ".timeout", "0ms")], HC + ".timeout", "must be greater than 0"),
    ("rise 0", [(HC + ".rise", 0)], HC + ".rise", "0 is out of range; expected an integer from 1 to 1000"),
    ("fall 0", [(HC + ".fall", 0)], HC + ".fall", "expected an integer from 1 to 1000"),
    ("response code 600", [(HC + ".params", {"response-codes": [200, 600]})], HC + ".params.response-codes[1]",
     "600 is outside 100-599"),
    ("response range below 100", [(HC + ".params", {"response-codes": "099-200"})], HC + ".params.response-codes",
     "is outside 100-599"),
    ("response range reversed", [(HC + ".params", {"response-codes": ["299-200"]})], HC + ".params.response-codes[0]",
     "range 299-200 is reversed; write 200-299"),
    ("response code word", [(HC + ".params", {"response-codes": ["ok"]})], HC + ".params.response-codes[0]",
     "expected a status code (100-599) or a range such as '200-299'"),
    ("response codes empty", [(HC + ".params", {"response-codes": []})], HC + ".params.response-codes",
     "must list at least one status code"),
    ("bad body regex", [(HC + ".params", {"body": "ok("})], HC + ".params.body", "invalid regular expression"),
    ("bad expect regex", [("maglev.healthchecks.tcp.params", {"expect": "[a-"})], "maglev.healthchecks.tcp.params.expect",
     "invalid regular expression"),
    ("lowercase method", [(HC + ".params", {"method": "get"})], HC + ".params.method", "an HTTP method in capitals"),
    ("relative path", [(HC + ".params", {"path": "healthz"})], HC + ".params.path", "a path starting with '/'"),
    ("body-limit 0", [(HC + ".params", {"body-limit": 0})], HC + ".params.body-limit", "expected an integer from 1"),
    ("probe src family", [(HC + ".probe-ipv4-src", "2001:db8::5")], HC + ".probe-ipv4-src", "expected an IPv4 address"),
    ("probe6 src family", [(HC + ".probe-ipv6-src", "10.0.0.5")], HC + ".probe-ipv6-src", "expected an IPv6 address"),
    # --- healthchecker
    ("transition-history 0", [("maglev.healthchecker.transition-history", 0)],
     "maglev.healthchecker.transition-history", "0 is out of range; expected an integer from 1"),
    ("netns with slash", [("maglev.healthchecker.netns", "a/b")], "maglev.healthchecker.netns",
     "expected a network namespace name"),
    ("netns dotdot", [("maglev.healthchecker.netns", "..")], "maglev.healthchecker.netns",
     "'..' is not valid; expected a network namespace name"),
    ("netns too long", [("maglev.healthchecker.netns", "n" * 65)], "maglev.healthchecker.netns", "1-64"),
]
# fmt: on


@pytest.mark.parametrize(("changes", "path", "fragment"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_names_path_and_rule(changes, path, fragment):
    issue = find_issue(with_changes(*changes), path)
    assert fragment in issue.message, str(issue)


def test_base_config_is_valid():
    config.parse(BASE)


@pytest.mark.parametrize(
    "changes",
    [
        [(FE + ".protocol", "udp")],
        [(FE + ".port", DELETE), (FE + ".protocol", DELETE)],  # all-port VIP, protocol any
        [(FE + ".port", 0), (FE + ".protocol", "any")],
        [(FE + ".address", "2001:db8:1::10")],  # IPv6 VIP over IPv4 backends: gre4 is allowed
        [(FE + ".address", "2001:db8:1::10"), (FE + ".pools", V6_POOLS)],
        [(FE + ".address", "2001:db8:1::10"), (FE + ".pools", V6_POOLS), (FE + ".encap", "nat6")],
        [(LB + ".ipv6-src-address", DELETE)],  # no gre6 frontend: not needed
        [(LB + ".ipv4-src-address", DELETE), (FE + ".encap", "l3dsr")],  # l3dsr needs no source address
        [(LB + ".ipv4-src-address", DELETE), (FE + ".encap", "nat4"), (FE + ".target-port", 8080)],
        [
            (
                "maglev.frontends.udp",
                {
                    "address": "192.0.2.10",
                    "port": 80,
                    "protocol": "udp",
                    "pools": [{"name": "p", "backends": {"b1": {}}}],
                },
            )
        ],
        [
            (
                "maglev.frontends.net",
                {"address": "192.0.2.0/28", "port": 80, "pools": [{"name": "p", "backends": {"b1": {}}}]},
            )
        ],  # overlapping prefixes
        [(FE + ".pools[0].backends.b2.weight", 0)],
        [(FE + ".new-flows-table-length", 65536)],
        [(LB + ".startup-min-delay", 0), (LB + ".startup-max-delay", 0)],
        [(HC + ".type", "https"), (HC + ".params", {"insecure": True, "server-name": "x"})],
        [("maglev.backends.b1.healthcheck", DELETE)],  # no healthcheck = static
        [("maglev.backends.unused", {"address": "10.9.9.9"})],  # unreferenced backends are fine
    ],
)
def test_valid_variants(changes):
    config.parse(with_changes(*changes))


def test_nat_target_port_defaults_to_the_vip_port():
    cfg = config.parse(with_changes((FE + ".encap", "nat4"), (FE + ".type", "clusterip")))
    attrs = cfg.frontends["web"].attrs
    assert (attrs.encap, attrs.srv_type, attrs.target_port) == ("nat4", "clusterip", 80)


def test_nodeport_is_refused_because_vpp_cannot_store_it():
    with pytest.raises(config.ConfigError) as caught:
        config.parse(with_changes((FE + ".encap", "nat4"), (FE + ".type", "nodeport")))
    [issue] = caught.value.errors
    assert issue.path == FE + ".type"
    assert "nodeport cannot be set through VPP's binary API" in issue.message


def test_str_of_config_error_lists_every_issue_one_per_line():
    data = with_changes((FE + ".port", "80"), ("maglev.backends.b1.enabled", "no"))
    with pytest.raises(config.ConfigError) as caught:
        config.parse(data)
    lines = str(caught.value).splitlines()
    assert lines == [str(issue) for issue in caught.value.errors]
    assert "maglev.backends.b1.enabled: expected true or false, got a string ('no')" in lines
    assert any(line.startswith(FE + ".port: expected an integer") for line in lines)


def test_one_mistake_gives_one_issue():
    """Follow-on rules stay quiet about a value that was already reported."""
    assert len(issues_of(with_changes(("maglev.healthchecks.tcp.port", "22")))) == 1
    assert len(issues_of(with_changes(("maglev.backends.b1.address", "nope")))) == 1
    assert len(issues_of(with_changes(("maglev.healthchecks.hc.type", "bogus")))) == 1


def test_empty_and_non_string_names():
    data = with_changes()
    data["maglev"]["backends"][""] = {"address": "10.0.0.4"}
    data["maglev"]["healthchecks"][7] = {"type": "icmp"}
    issues = {issue.path: issue.message for issue in issues_of(data)}
    assert issues == {
        "maglev.backends.": "a name must be a non-empty string, got a string ('')",
        "maglev.healthchecks.7": "a name must be a non-empty string, got an integer (7)",
    }


def test_near_miss_suggestions_are_bounded():
    """Suggestions search every name; only the first few misses get one, so a config where
    every reference is wrong still validates quickly."""
    data = with_changes()
    data["maglev"]["backends"] = {"webserver%d" % i: {"address": "10.1.0.%d" % i} for i in range(1, 41)}
    data["maglev"]["frontends"]["web"]["pools"] = [
        {"name": "p", "backends": {"webservr%d" % i: {} for i in range(1, 41)}},
    ]
    messages = [issue.message for issue in issues_of(data) if "is not defined" in issue.message]
    assert len(messages) == 40
    suggested = [message for message in messages if "did you mean" in message]
    assert len(suggested) == config_reader.Reader.SUGGESTION_BUDGET
    assert messages[0] == "backend 'webservr1' is not defined under maglev.backends (did you mean 'webserver1'?)"
