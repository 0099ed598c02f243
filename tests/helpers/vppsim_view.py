"""vppsim's own state (read over its control socket, not through vppclient) in the shape of the
modules' before/after, so tests compare a module's view with the simulator's truth; its write
counters; and a session that changes it behind Ansible's back. Shared by the module,
state-module and daemon tests."""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, List, Optional

from ansible_collections.vpp.maglev.plugins.module_utils import vppclient

PROTOCOL_NAMES = {6: "tcp", 17: "udp", 255: "any"}


def _backend_key(backend: Dict[str, Any]) -> tuple:
    address = ipaddress.ip_address(backend["address"])
    return (address.version, int(address))


def sim_vips(sim: Any) -> List[Dict[str, Any]]:
    """Live VIPs with live ASes, as vpp_lb_* modules report them (in the modules' order:
    numeric, IPv4 first)."""
    result = []
    for vip in sim.state()["vips"]:
        if not vip["used"]:
            continue
        encap = vip["encap"]
        nat = encap in ("nat4", "nat6")
        result.append(
            {
                "vip": vip["prefix"],
                "protocol": PROTOCOL_NAMES[vip["protocol"]],
                "port": vip["port"],
                "encap": encap,
                "dscp": vip["dscp"] if encap == "l3dsr" else 0,
                "type": ("clusterip", "nodeport")[vip["srv_type"]] if nat else "clusterip",
                "target_port": vip["target_port"] if nat else 0,
                "new_flows_table_length": vip["new_flows_table_length"],
                "src_ip_sticky": vip["src_ip_sticky"],
                "backends": sorted(
                    ({"address": a["address"], "weight": a["weight"]} for a in vip["ases"] if a["used"]),
                    key=_backend_key,
                ),
            }
        )
    return sorted(result, key=_vip_key)


def _vip_key(vip: Dict[str, Any]) -> tuple:
    network = ipaddress.ip_network(vip["vip"])
    protocol = {name: number for number, name in PROTOCOL_NAMES.items()}[vip["protocol"]]
    return (network.version, int(network.network_address), network.prefixlen, vip["port"], protocol)


def sim_vip(sim: Any, prefix: str, port: int = 0) -> Optional[Dict[str, Any]]:
    for vip in sim_vips(sim):
        if vip["vip"] == prefix and vip["port"] == port:
            return vip
    return None


def sim_conf(sim: Any) -> Dict[str, Any]:
    return sim.state()["conf"]


def sim_state(sim: Any) -> Dict[str, Any]:
    """The whole LB as vpp_lb_state reports before/after: {"conf", "vips"}."""
    return {"conf": sim_conf(sim), "vips": sim_vips(sim)}


def writes(sim: Any) -> int:
    return sim.stats()["writes"]


def write_counts(sim: Any) -> Dict[str, int]:
    """Write messages received since the last reset, by name."""
    counts = sim.stats()["counts"]
    return {name: n for name, n in counts.items() if name.startswith("lb_") and not name.endswith(("_dump", "_get"))}


def behind_the_back(sim: Any) -> Any:
    """A vpp_papi session on the simulator, for changes Ansible does not know about."""
    return vppclient.connect(sim.socket, api_dir=sim.api_dir)
