"""The control interface's ``traffic`` command: check the request, send its flows through the
lb node, answer what moved (docs/vppsim.md#traffic).

    {"cmd": "traffic", "vip": "192.0.2.1", "protocol": "tcp", "port": 80,
     "flows": 1000, "packets_per_flow": 10, "seed": 1, "new_flows_only": false, "detail": false}
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Dict, List

from .flow_hash import FlowSource
from .lb_tables import LbTables
from .lb_types import fmt_ip46
from .traffic import COUNTER_NAMES, PINNED, Sent, Target

# docs/security.md#limits: one command's work is bounded (about 3 s of CPU at the top).
MAX_FLOWS = 1_000_000
MAX_PACKETS_PER_FLOW = 1_000_000
MAX_DETAIL_FLOWS = 65_536  # per-flow rows in one answer (a few MB of JSON)
MAX_SEED = (1 << 64) - 1
PROTOCOLS = {"tcp": 6, "udp": 17}
FIELDS = ("cmd", "vip", "protocol", "port", "flows", "packets_per_flow", "seed", "clients", "new_flows_only", "detail")
PORTS_PER_CLIENT = 32768  # the source ports a simulated client uses


class TrafficError(ValueError):
    """A traffic request that cannot be sent (the message names the field)."""


@dataclass(frozen=True)
class TrafficRequest:
    address: bytes  # the packets' destination, 4 or 16 bytes
    protocol: int
    port: int
    flows: int
    packets_per_flow: int
    seed: int
    clients: int  # 0: one client per flow
    new_flows_only: bool
    detail: bool


def _integer(request: Dict[str, Any], name: str, low: int, high: int, default: Any = None) -> int:
    value = request.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise TrafficError("traffic.%s must be an integer from %d to %d, got %r" % (name, low, high, value))
    return value


def _flag(request: Dict[str, Any], name: str) -> bool:
    value = request.get(name, False)
    if not isinstance(value, bool):
        raise TrafficError("traffic.%s must be true or false, got %r" % (name, value))
    return value


def parse(request: Dict[str, Any]) -> TrafficRequest:
    """Every field checked; the first bad one is named."""
    unknown = sorted(set(request) - set(FIELDS))
    if unknown:
        raise TrafficError("traffic: unknown field(s) %s; allowed: %s" % (unknown, ", ".join(FIELDS[1:])))
    vip = request.get("vip")
    try:
        address = ipaddress.ip_address(vip.split("/")[0] if isinstance(vip, str) else vip)
    except ValueError:
        raise TrafficError("traffic.vip must be the packets' destination address, got %r" % (vip,)) from None
    protocol = request.get("protocol")
    if isinstance(protocol, str) and protocol.lower() in PROTOCOLS:
        protocol = PROTOCOLS[protocol.lower()]
    else:
        protocol = _integer(request, "protocol", 0, 255)
    detail = _flag(request, "detail")
    flows = _integer(request, "flows", 1, MAX_DETAIL_FLOWS if detail else MAX_FLOWS)
    clients = _integer(request, "clients", 0, MAX_FLOWS, 0)
    if clients and flows > clients * PORTS_PER_CLIENT:
        raise TrafficError(
            "traffic.flows %d is more than %d clients x %d source ports" % (flows, clients, PORTS_PER_CLIENT)
        )
    return TrafficRequest(
        address=address.packed,
        protocol=protocol,
        port=_integer(request, "port", 0, 65535),
        flows=flows,
        packets_per_flow=_integer(request, "packets_per_flow", 1, MAX_PACKETS_PER_FLOW, 1),
        seed=_integer(request, "seed", 0, MAX_SEED),
        clients=clients,
        new_flows_only=_flag(request, "new_flows_only"),
        detail=detail,
    )


def run(lb: LbTables, request: Dict[str, Any]) -> Dict[str, Any]:
    """Send the request's flows; the answer says where they went and what was counted."""
    wanted = parse(request)
    ip46 = wanted.address.rjust(16, b"\x00")
    found = lb.lb_node_vip(ip46, wanted.protocol, wanted.port)
    if found is None:
        raise TrafficError(
            "traffic.vip %s is in no VIP's prefix: VPP would not send these packets to the lb node" % fmt_ip46(ip46)
        )
    index, vip = found
    has_ports = wanted.protocol in (6, 17) and not vip.sticky
    source = FlowSource(wanted.address, wanted.port if has_ports else 0, has_ports, wanted.seed, wanted.clients)
    lb.tick()
    now = lb.now()
    table = lb.traffic.table(0, lb.sticky_buckets, lb.flow_timeout)
    sent = lb.traffic.send(
        Target(index, lb.new_flow_table(vip)),
        source.hashes(0, wanted.flows),
        wanted.packets_per_flow,
        table,
        now,
        new_flows_only=wanted.new_flows_only,
        detail=wanted.detail,
    )
    return _answer(lb, index, sent, source, wanted)


def _as_name(lb: LbTables, as_index: int) -> str:
    server = lb.ass[as_index]
    return "drop" if as_index == 0 or server is None else fmt_ip46(server.address)


def _answer(lb: LbTables, index: int, sent: Sent, source: FlowSource, wanted: TrafficRequest) -> Dict[str, Any]:
    ases = {
        _as_name(lb, as_index): {"sent_flows": row[0], "packets": row[1], "flows": lb.traffic.flows(as_index)}
        for as_index, row in sorted(sent.ases.items())
        if as_index
    }
    answer: Dict[str, Any] = {
        "vip_index": index,
        "uptime": lb.now(),
        "packets": sum(sent.counters),
        "counters": dict(zip(COUNTER_NAMES, sent.counters)),
        "ases": ases,
        "dropped": {"flows": sent.ases.get(0, [0, 0])[0], "packets": sent.ases.get(0, [0, 0])[1]},
        "skipped_flows": sent.skipped,
    }
    if sent.detail is not None:
        rows: List[Dict[str, Any]] = []
        for flow, (bucket, as_index, kind) in enumerate(sent.detail):
            client, sport = source.flow(flow)
            rows.append(
                {
                    "client": fmt_ip46(client.rjust(16, b"\x00")),
                    "sport": sport,
                    "bucket": bucket,
                    "as": _as_name(lb, as_index),
                    "first_packet": "skipped: pinned" if kind == PINNED else COUNTER_NAMES[kind],
                }
            )
        answer["detail"] = rows
    return answer
