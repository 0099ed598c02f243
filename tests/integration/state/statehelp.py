"""Helpers of the vpp_lb_state integration tests: configs, vppsim's truth in the module's
before/after shape, a behind-Ansible's-back vpp_papi session, and playbooks run against a
real inventory (for the drift playbook and the "host never contacted" proofs)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, Optional

from ansible_collections.vpp.maglev.plugins.module_utils import vppclient
from ansible_helpers import PYTHON, ROOT, PlaybookRun, run_ansible_playbook

DRIFT_PLAYBOOK = ROOT / "playbooks" / "drift.yml"

# Two frontends with failover pools, an IPv6 one, an l3dsr one, an all-port one.
BASE_CONFIG: Dict[str, Any] = {
    "maglev": {
        "vpp": {"lb": {"ipv4-src-address": "192.0.2.254", "ipv6-src-address": "2001:db8::fe"}},
        "backends": {
            "web1": {"address": "10.0.0.1"},
            "web2": {"address": "10.0.0.2"},
            "web3": {"address": "10.0.0.3"},
            "spare": {"address": "10.0.0.9"},
            "v6a": {"address": "2001:db8:1::a"},
            "v6b": {"address": "2001:db8:1::b"},
            "dsr1": {"address": "10.1.0.1"},
            "dsr2": {"address": "10.1.0.2"},
        },
        "frontends": {
            "web": {
                "address": "192.0.2.10",
                "protocol": "tcp",
                "port": 80,
                "pools": [
                    {"name": "primary", "backends": {"web1": {}, "web2": {"weight": 50}, "web3": {}}},
                    {"name": "backup", "backends": {"spare": {}}},
                ],
            },
            "web6": {
                "address": "2001:db8::10",
                "protocol": "tcp",
                "port": 443,
                "encap": "gre6",
                "pools": [{"name": "primary", "backends": {"v6a": {}, "v6b": {"weight": 20}}}],
            },
            "dsr": {
                "address": "192.0.2.20",
                "encap": "l3dsr",
                "dscp": 10,
                "new-flows-table-length": 2048,
                "pools": [{"name": "primary", "backends": {"dsr1": {}, "dsr2": {}}}],
            },
        },
    }
}


def config(**changes: Any) -> Dict[str, Any]:
    """A deep copy of BASE_CONFIG; ``changes`` maps 'frontends.web.pools' style paths to values."""
    result = copy.deepcopy(BASE_CONFIG)
    for dotted, value in changes.items():
        node = result["maglev"]
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is DELETE:
            del node[parts[-1]]
        else:
            node[parts[-1]] = value
    return result


DELETE = object()


def behind_the_back(sim: Any) -> Any:
    """A vpp_papi session on the simulator, for changes Ansible does not know about."""
    return vppclient.connect(sim.socket, api_dir=sim.api_dir)


def writes(sim: Any) -> int:
    return sim.stats()["writes"]


def write_counts(sim: Any) -> Dict[str, int]:
    """Write messages received since the last reset, by name."""
    counts = sim.stats()["counts"]
    return {name: n for name, n in counts.items() if name.startswith("lb_") and not name.endswith(("_dump", "_get"))}


def run_with_inventory(
    tmp_path: Path,
    playbook: Any,
    inventory: str,
    *,
    extra_vars: Optional[Dict[str, Any]] = None,
    check: bool = False,
    diff: bool = False,
    timeout: float = 120,
) -> PlaybookRun:
    """ansible-playbook with an inventory (not localhost): ``playbook`` is a path or a list of plays."""
    return run_ansible_playbook(
        tmp_path, playbook, inventory=inventory, extra_vars=extra_vars, check=check, diff=diff, timeout=timeout
    )


def local_inventory(sim: Any, group: str = "lbs", host: str = "lb1") -> str:
    """An inventory whose one host runs modules locally, pointed at ``sim``."""
    return "[%s]\n%s ansible_connection=local ansible_python_interpreter=%s vpp_api_socket=%s vpp_api_dir=%s\n" % (
        group,
        host,
        PYTHON,
        sim.socket,
        sim.api_dir,
    )


# A host that cannot be reached: ssh to a closed loopback port (traffic never leaves this machine). A task that
# contacted it would come back "unreachable", never with a config error.
UNREACHABLE_INVENTORY = (
    "[lbs]\nghost ansible_host=127.0.0.1 ansible_port=9 ansible_connection=ssh ansible_ssh_timeout=3 "
    "ansible_python_interpreter=/nonexistent/python\n"
)
