"""One table of good and bad values, fed through every entry point that takes them: the
maglev.yaml reader (maglevd's start, reload and --check load through it too), each module's
input layer (its argspec Rule, then the wants/vpp_lb_state_input function it calls before any VPP
I/O), and maglevd's API. Every entry point must give the same verdict, and a refusal must
name the same allowed range, so that no entry point can drift from rules/*.py
(docs/design.md: where each rule lives)."""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import config as config_mod
from ansible_collections.vpp.maglev.plugins.module_utils import vpp_lb_state_input, wants
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbState
from ansible_collections.vpp.maglev.plugins.module_utils.module_input import ModuleInputError, Rule, check_params
from ansible_collections.vpp.maglev.plugins.modules import maglev_backend, vpp_lb_backend, vpp_lb_conf, vpp_lb_frontend
from ansible_collections.vpp.maglev.tests.helpers.sample_config import changed_copy, sample_config

# An entry point: value -> None (accepted) or the message of the refusal.
Entry = Callable[[Any], Optional[str]]

WEB = "maglev.frontends.web"
LB = "maglev.vpp.lb"


# ----------------------------------------------------------------------------- maglev.yaml


def base_yaml(backend: str = "10.0.0.1") -> Dict[str, Any]:
    lb = {"ipv4-src-address": "192.0.2.254", "ipv6-src-address": "2001:db8::fe"}
    return sample_config({"b1": backend}, [("main", {"b1": {}})], lb=lb, address="192.0.2.1")


def yaml_entry(where: str, *, backend: str = "10.0.0.1", **frontend: Any) -> Entry:
    """Set the value at ``where`` with the ``frontend`` keys of web beside it; a refusal must
    be reported under ``where``'s object."""
    parent = where.rsplit(".", 1)[0]

    def entry(value: Any) -> Optional[str]:
        changes = [(WEB + "." + key, item) for key, item in frontend.items()] + [(where, value)]
        try:
            config_mod.parse(changed_copy(base_yaml(backend), changes))
        except config_mod.ConfigError as exc:
            assert all(issue.path.startswith(parent) for issue in exc.errors), exc.errors
            return "; ".join(str(issue) for issue in exc.errors)
        return None

    return entry


# ----------------------------------------------------------------------------- modules


def refusal(call: Callable[[], Any]) -> Optional[str]:
    try:
        call()
    except ModuleInputError as exc:
        return str(exc)
    return None


def module_entry(rule: Rule, then: Optional[Callable[[Any], Any]] = None) -> Entry:
    """The module's argspec Rule for the option (common.run_module checks it first), then
    the input function it calls before any VPP I/O."""

    def entry(value: Any) -> Optional[str]:
        message = refusal(lambda: check_params({"option": {"type": "int"}}, {"option": value}, {"option": rule}))
        if message is None and then is not None:
            message = refusal(lambda: then(value))
        return message

    return entry


def input_entry(then: Callable[[Any], Any]) -> Entry:
    return lambda value: refusal(lambda: then(value))


def frontend(**params: Any) -> Any:
    base = {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80, "state": "present", "purge": False}
    base.update(params)
    return wants.frontend_want(wants.frontend_request(base), LbState())


def backend(**params: Any) -> Any:
    base = {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80, "address": "10.0.0.1", "state": "present"}
    base.update(params)
    return wants.backend_request(base)


def conf(**params: Any) -> Any:
    base = {"ip4_src_address": None, "ip6_src_address": None, "sticky_buckets_per_core": None, "flow_timeout": None}
    base.update(params)
    return wants.conf_request(base)


# ----------------------------------------------------------------------------- maglevd's API


def api_weight(value: Any) -> Optional[str]:
    """Checker.set_weight, what POST .../weight calls."""
    from ansible_collections.vpp.maglev.maglevd.checker import Checker
    from ansible_collections.vpp.maglev.maglevd.control_errors import InvalidRequest

    checker = Checker(config_mod.parse(base_yaml()))
    try:
        checker.set_weight("web", "main", "b1", value)
    except InvalidRequest as exc:
        return str(exc)
    return None


# ----------------------------------------------------------------------------- the table

# kind -> (allowed range named in every refusal, or None; {entry point name: entry})
ENTRIES: Dict[str, Tuple[Optional[Tuple[int, int]], Dict[str, Entry]]] = {
    "weight": (
        (0, 100),
        {
            "maglev.yaml": yaml_entry(WEB + ".pools[0].backends.b1.weight"),
            "vpp_lb_frontend": module_entry(
                vpp_lb_frontend.RULES["backends.weight"],
                lambda v: frontend(backends=[{"address": "10.0.0.1", "weight": v}]),
            ),
            "vpp_lb_backend": module_entry(vpp_lb_backend.RULES["weight"], lambda v: backend(weight=v)),
            "maglev_backend": module_entry(maglev_backend.RULES["weight"]),
            "wants.check_weight": input_entry(lambda v: wants.check_weight(v, "weight")),
            "maglevd API": api_weight,
        },
    ),
    "port": (
        (0, 65535),
        {
            "maglev.yaml": yaml_entry(WEB + ".port"),
            "vpp_lb_frontend": module_entry(vpp_lb_frontend.RULES["port"], lambda v: frontend(port=v)),
            "vpp_lb_backend": module_entry(vpp_lb_backend.RULES["port"], lambda v: backend(port=v)),
            "vpp_lb_state protected": input_entry(
                lambda v: vpp_lb_state_input.parse_protected([{"vip": "192.0.2.1", "port": v}])
            ),
        },
    ),
    "target_port": (
        (1, 65535),
        {
            "maglev.yaml": yaml_entry(WEB + ".target-port", encap="nat4"),
            "vpp_lb_frontend": module_entry(
                vpp_lb_frontend.RULES["target_port"], lambda v: frontend(encap="nat4", target_port=v)
            ),
        },
    ),
    "table length": (
        (1, 65536),
        {
            "maglev.yaml": yaml_entry(WEB + ".new-flows-table-length"),
            "vpp_lb_frontend": module_entry(
                vpp_lb_frontend.RULES["new_flows_table_length"], lambda v: frontend(new_flows_table_length=v)
            ),
        },
    ),
    "dscp": (
        (0, 63),
        {
            "maglev.yaml": yaml_entry(WEB + ".dscp", encap="l3dsr"),
            "vpp_lb_frontend": module_entry(vpp_lb_frontend.RULES["dscp"], lambda v: frontend(encap="l3dsr", dscp=v)),
        },
    ),
    "sticky buckets": (
        (1, 1 << 31),
        {
            "maglev.yaml": yaml_entry(LB + ".sticky-buckets-per-core"),
            "vpp_lb_conf": module_entry(
                vpp_lb_conf.RULES["sticky_buckets_per_core"], lambda v: conf(sticky_buckets_per_core=v)
            ),
        },
    ),
    "flow timeout": (
        (1, 120),
        {
            "maglev.yaml": yaml_entry(LB + ".flow-timeout"),
            "vpp_lb_conf": module_entry(vpp_lb_conf.RULES["flow_timeout"], lambda v: conf(flow_timeout=v)),
        },
    ),
}

# kind -> (good values, bad values)
VALUES: Dict[str, Tuple[List[Any], List[Any]]] = {
    "weight": ([0, 1, 100], [101, -1, True, 50.0]),
    "port": ([1, 80, 65535], [65536, -1, True]),
    "target_port": ([1, 8080, 65535], [0, 65536, False]),
    "table length": ([1, 1024, 65536], [0, 1000, 131072, 1 << 24]),
    "dscp": ([0, 63], [64, -1]),
    "sticky buckets": ([1, 1024, 1 << 31], [0, 1000, 1 << 32]),
    "flow timeout": ([1, 40, 120], [0, 121]),
}
TABLE = [
    (kind, value, ok)
    for kind, (good, bad) in VALUES.items()
    for ok, values in ((True, good), (False, bad))
    for value in values
]
# A float is no integer in YAML or JSON, but Ansible's int type never hands a module one.
NOT_FOR_MODULES = {("weight", 50.0)}


def names_range(message: str, low: int, high: int) -> bool:
    """'from 0 to 100', '0..100', '(1-65535)', 'from 1s to 120s' - each entry point's words
    for one range."""
    return re.search(r"(?<![\d-])%ds?\s*(?:to|\.\.|-)\s*%d(?!\d)" % (low, high), message) is not None


@pytest.mark.parametrize("kind, value, valid", TABLE, ids=["%s=%r" % (k, v) for k, v, _ok in TABLE])
def test_every_entry_point_gives_the_same_verdict(kind, value, valid):
    limits, entries = ENTRIES[kind]
    for name, entry in entries.items():
        if name != "maglev.yaml" and (kind, value) in NOT_FOR_MODULES:
            continue
        message = entry(value)
        assert (message is None) is valid, "%s: %s %r -> %s" % (name, kind, value, message or "accepted")
        in_range = limits is not None and not isinstance(value, bool) and limits[0] <= value <= limits[1]
        if message is not None and not in_range and limits is not None:
            # out of range or not an integer: the refusal says what is allowed
            assert names_range(message, *limits), "%s: %s" % (name, message)


# ----------------------------------------------------------------------------- combinations

PROTOCOL_PORT = [("tcp", 80, True), ("udp", 53, True), ("any", 0, True), ("tcp", 0, False), ("udp", 0, False)]
PROTOCOL_PORT += [("any", 80, False)]


@pytest.mark.parametrize("protocol, port, valid", PROTOCOL_PORT)
def test_protocol_and_port_go_together_the_same_way_everywhere(protocol, port, valid):
    verdicts = {
        "maglev.yaml": yaml_entry(WEB + ".protocol", port=port)(protocol),
        "vpp_lb_frontend": refusal(lambda: frontend(protocol=protocol, port=port)),
        "vpp_lb_backend": refusal(lambda: backend(protocol=protocol, port=port)),
    }
    for name, message in verdicts.items():
        assert (message is None) is valid, "%s: %s:%d -> %s" % (name, protocol, port, message or "accepted")


VIP_ENCAP = [
    ("192.0.2.1", "10.0.0.1", "gre4", True),
    ("192.0.2.1", "2001:db8::1", "gre6", True),
    ("192.0.2.1", "10.0.0.1", "l3dsr", True),
    ("192.0.2.1", "10.0.0.1", "nat4", True),
    ("192.0.2.1", "2001:db8::1", "nat6", False),  # an IPv4 VIP cannot be nat6
    ("2001:db8::1", "2001:db8::2", "nat6", True),
    ("2001:db8::1", "10.0.0.1", "l3dsr", False),  # nor an IPv6 VIP l3dsr
    ("2001:db8::1", "10.0.0.1", "nat4", False),
    ("192.0.2.1", "2001:db8::1", "gre4", False),  # the backend's family is the encap's
    ("192.0.2.1", "10.0.0.1", "gre6", False),
    ("192.0.2.1", "2001:db8::1", "l3dsr", False),
]


@pytest.mark.parametrize("vip, address, encap, valid", VIP_ENCAP)
def test_address_families_follow_the_encap_the_same_way_everywhere(vip, address, encap, valid):
    prefix = vip + ("/128" if ":" in vip else "/32")
    target = {"target_port": 80} if encap.startswith("nat") else {}
    yaml_target = {"target-port": 80} if encap.startswith("nat") else {}
    verdicts = {
        "maglev.yaml": yaml_entry(WEB + ".encap", backend=address, address=vip, **yaml_target)(encap),
        "vpp_lb_frontend": refusal(
            lambda: frontend(vip=prefix, encap=encap, backends=[{"address": address, "weight": 1}], **target)
        ),
    }
    for name, message in verdicts.items():
        assert (message is None) is valid, "%s: %s %s %s -> %s" % (name, vip, address, encap, message or "accepted")
