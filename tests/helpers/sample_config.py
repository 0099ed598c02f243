"""The sample maglev.yaml of the tests, in one place (docs/maglevd.md describes the format).

Every sample is the same shape: frontend `web` (tcp:80) with a primary pool of two or three
backends and a backup pool of one, sometimes beside more frontends. `sample_config` builds it
with what the tests vary (names, addresses, weights, health checks, source addresses);
`sample_yaml` writes it as the maglev.yaml text a maglevd process reads. The named samples
below are the ones the test folders share; `changed_copy` derives a variant of one.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

DELETE = object()  # a value for changed_copy: remove the key

Members = Mapping[str, Optional[Dict[str, Any]]]  # backend name -> its pool-member settings


def sample_config(
    backends: Mapping[str, Any],
    pools: Sequence[Tuple[str, Members]],
    *,
    lb: Optional[Mapping[str, Any]] = None,
    healthchecks: Optional[Mapping[str, Any]] = None,
    name: str = "web",
    address: str = "192.0.2.10",
    more_frontends: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Any]:
    """A maglev.yaml structure: frontend ``name`` (``address``, tcp:80) with ``pools`` in order,
    then ``more_frontends``. A backend given as a string is its address; ``lb`` defaults to an
    IPv4 source address only. Every call returns a new structure."""
    maglev: Dict[str, Any] = {"vpp": {"lb": dict(lb or {"ipv4-src-address": "192.0.2.254"})}}
    if healthchecks is not None:
        maglev["healthchecks"] = copy.deepcopy(dict(healthchecks))
    maglev["backends"] = {
        backend: {"address": spec} if isinstance(spec, str) else dict(spec) for backend, spec in backends.items()
    }
    web = {"address": address, "protocol": "tcp", "port": 80, "pools": [_pool(*pool) for pool in pools]}
    maglev["frontends"] = {name: web, **copy.deepcopy(dict(more_frontends or {}))}
    return {"maglev": maglev}


def _pool(name: str, members: Members) -> Dict[str, Any]:
    return {"name": name, "backends": copy.deepcopy(dict(members))}


def sample_yaml(*args: Any, **kwargs: Any) -> str:
    """sample_config(...) as maglev.yaml text, laid out as an operator writes it: a backend on
    one line, a pool's members on one line, everything else a key per line. Tests edit these
    lines as text (drop a backend, point it at another check), so the layout is part of the
    sample."""
    lines = ["maglev:"]
    for section, body in sample_config(*args, **kwargs)["maglev"].items():
        lines.append("  %s:" % section)
        for name, value in body.items():
            if section == "backends":
                lines.append("    %s: %s" % (name, _flow(value)))
            else:
                lines.append("    %s:" % name)
                lines.extend(_block(value, " " * 6))
    return "\n".join(lines) + "\n"


def _block(mapping: Mapping[str, Any], indent: str) -> List[str]:
    lines = []
    for key, value in mapping.items():
        if key != "pools":
            lines.append("%s%s: %s" % (indent, key, _flow(value)))
            continue
        lines.append(indent + "pools:")
        for pool in value:
            for index, (field, setting) in enumerate(pool.items()):
                lines.append("%s%s%s: %s" % (indent, "  - " if index == 0 else "    ", field, _flow(setting)))
    return lines


def _flow(value: Any) -> str:
    """value in YAML's one-line (flow) style."""
    return yaml.safe_dump([value], default_flow_style=True, sort_keys=False, width=1 << 30).strip()[1:-1]


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def changed_copy(base: Mapping[str, Any], changes: Iterable[Tuple[str, Any]]) -> Dict[str, Any]:
    """A deep copy of base with each (path, value) set; value DELETE removes the key. A path is
    dotted from the top (``maglev.frontends.web.pools[0].name``; a list index may also be
    written ``pools.0``); missing intermediate mappings are created."""
    data = copy.deepcopy(dict(base))
    for path, value in changes:
        *parents, last = _tokens(path)
        node: Any = data
        for token in parents:
            if isinstance(node, dict) and token not in node:
                node[token] = {}
            node = node[_key(node, token)]
        if value is DELETE:
            del node[_key(node, last)]
        else:
            node[_key(node, last)] = value
    return data


def _tokens(path: str) -> List[Any]:
    return [int(index) if index else name for name, index in _TOKEN.findall(path)]


def _key(node: Any, token: Any) -> Any:
    return int(token) if isinstance(node, list) else token


# The config rule tests (tests/helpers/config_issues.py): both address families, two health
# checks, a pool member written as null.
RULES_CONFIG = sample_config(
    {
        "b1": {"address": "10.0.0.1", "healthcheck": "hc"},
        "b2": {"address": "10.0.0.2", "healthcheck": "hc"},
        "b3": "10.0.0.3",
        "v6a": "2001:db8::a",
        "v6b": "2001:db8::b",
    },
    [("main", {"b1": {}, "b2": {"weight": 50}}), ("backup", {"b3": None})],
    lb={"ipv4-src-address": "192.0.2.1", "ipv6-src-address": "2001:db8::1"},
    healthchecks={"hc": {"type": "http", "port": 80}, "tcp": {"type": "tcp", "port": 22}},
)

# The state unit tests (input and filters): a disabled backend, a backup at weight 40.
SMALL_CONFIG = sample_config(
    {"a": "10.0.0.1", "b": {"address": "10.0.0.2", "enabled": False}, "c": "10.0.0.3"},
    [("primary", {"a": {}, "b": {}}), ("backup", {"c": {"weight": 40}})],
)

# The vpp_lb_state integration tests: failover pools, an IPv6 frontend, an l3dsr one on all ports.
STATE_CONFIG = sample_config(
    {
        "web1": "10.0.0.1",
        "web2": "10.0.0.2",
        "web3": "10.0.0.3",
        "spare": "10.0.0.9",
        "v6a": "2001:db8:1::a",
        "v6b": "2001:db8:1::b",
        "dsr1": "10.1.0.1",
        "dsr2": "10.1.0.2",
    },
    [("primary", {"web1": {}, "web2": {"weight": 50}, "web3": {}}), ("backup", {"spare": {}})],
    lb={"ipv4-src-address": "192.0.2.254", "ipv6-src-address": "2001:db8::fe"},
    more_frontends={
        "web6": {
            "address": "2001:db8::10",
            "protocol": "tcp",
            "port": 443,
            "encap": "gre6",
            "pools": [_pool("primary", {"v6a": {}, "v6b": {"weight": 20}})],
        },
        "dsr": {
            "address": "192.0.2.20",
            "encap": "l3dsr",
            "dscp": 10,
            "new-flows-table-length": 2048,
            "pools": [_pool("primary", {"dsr1": {}, "dsr2": {}})],
        },
    },
)


def state_config(**changes: Any) -> Dict[str, Any]:
    """A copy of STATE_CONFIG; ``changes`` maps paths under ``maglev`` ('frontends.web.pools')
    to values (DELETE removes the key)."""
    return changed_copy(STATE_CONFIG, (("maglev." + path, value) for path, value in changes.items()))


def rig_config(**lb: Any) -> Dict[str, Any]:
    """web: pool main (a1, a2) + backup (b1); dns: s1, s2 with flush-on-down false; ``lb``
    adds to or overrides the VPP settings (no startup delay, hourly full sync)."""
    settings = {"ipv4-src-address": "192.0.2.1", "startup-min-delay": 0, "startup-max-delay": 0, "sync-interval": "1h"}
    settings.update(lb)
    return sample_config(
        {"a1": "10.0.0.1", "a2": "10.0.0.2", "b1": "10.0.1.1", "s1": "10.0.2.1", "s2": "10.0.2.2"},
        [("main", {"a1": {}, "a2": {"weight": 50}}), ("backup", {"b1": {}})],
        lb=settings,
        more_frontends={
            "dns": {
                "address": "192.0.2.53",
                "protocol": "udp",
                "port": 53,
                "flush-on-down": False,
                "pools": [_pool("main", {"s1": {}, "s2": {}})],
            }
        },
    )


# maglevd process tests: static backends (no health check), so they resolve `up` at once and a
# start that lets any probe run shows a transition straight away.
STATIC_CONFIG = sample_yaml(
    {"web-one": "127.0.0.1", "web-two": "127.0.0.2", "db-main": "127.0.0.3"},
    [("primary", {"web-one": {}, "web-two": {}}), ("backup-pool", {"db-main": {}})],
    name="web-fe",
    address="192.0.2.1",
    more_frontends={
        "web-admin": {
            "address": "192.0.2.2",
            "protocol": "tcp",
            "port": 8080,
            "pools": [_pool("primary", {"web-one": {}})],
        }
    },
)

# One frontend `web`, one pool `p`, two backends `a` and `b` with a static health check.
MINIMAL_CONFIG = sample_yaml(
    {"a": {"address": "10.0.0.1", "healthcheck": "st"}, "b": {"address": "10.0.0.2", "healthcheck": "st"}},
    [("p", {"a": {}, "b": {}})],
    healthchecks={"st": {"type": "static"}},
    address="192.0.2.1",
)

# MINIMAL_CONFIG for a maglevd on vppsim: VPP programmed at once (no warmup delay), and no timer
# sync for an hour, so a change made behind the daemon's back stays until a test asks for a sync.
MINIMAL_VPP_CONFIG = MINIMAL_CONFIG.replace(
    "ipv4-src-address: 192.0.2.254\n",
    "ipv4-src-address: 192.0.2.254\n      startup-min-delay: 0s\n      startup-max-delay: 0s\n      sync-interval: 1h\n",
)

# One frontend `web` (192.0.2.1/32 tcp:80) whose one pool holds one static backend, b1.
ONE_BACKEND_CONFIG = sample_yaml({"b1": "10.0.0.1"}, [("main", {"b1": {}})], address="192.0.2.1")


def probed_config(port: int) -> str:
    """web1 and web2 probed by HTTP on 127.0.0.1:port and 127.0.0.2:port (rise/fall 2), spare
    never up (tcp to port 1); frontend web: pool primary (web1, web2 at 50), backup (spare)."""
    probe = {"interval": "0.5s", "timeout": "0.4s"}
    return sample_yaml(
        {
            "web1": {"address": "127.0.0.1", "healthcheck": "http"},
            "web2": {"address": "127.0.0.2", "healthcheck": "http"},
            "spare": {"address": "127.0.0.3", "healthcheck": "dead"},
        },
        [("primary", {"web1": {}, "web2": {"weight": 50}}), ("backup", {"spare": {}})],
        healthchecks={
            "http": {"type": "http", "port": port, **probe, "rise": 2, "fall": 2, "params": {"path": "/healthz"}},
            "dead": {"type": "tcp", "port": 1, **probe},
        },
        address="192.0.2.1",
    )


def big_config(backends: int, per_frontend: int = 200) -> str:
    """A maglev.yaml of many backends, 200 per frontend (the limit-math test and bench/bench_config_load.py)."""
    out = ["maglev:", "  vpp:", "    lb: {ipv4-src-address: 192.0.2.1}", "  healthchecks:"]
    out.append("    hc: {type: http, port: 80}")
    out.append("  backends:")
    for b in range(backends):
        out.append("    b%d: {address: 10.%d.%d.%d, healthcheck: hc}" % (b, b >> 16, (b >> 8) & 255, b & 255))
    out.append("  frontends:")
    for f in range(backends // per_frontend):
        out += ["    f%d:" % f, "      address: 198.18.%d.%d" % (f >> 8, f & 255), "      port: 80"]
        out += ["      pools:", "        - name: main", "          backends:"]
        out += ["            b%d: {}" % b for b in range(f * per_frontend, (f + 1) * per_frontend)]
    return "\n".join(out) + "\n"
