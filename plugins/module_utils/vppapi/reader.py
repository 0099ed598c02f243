# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the whole LB in one pass, as docs/vpp-lb-reference.md ("Dumps") describes VPP's dumps.

One ``lb_conf_get``, one ``lb_vip_dump``, ``show lb vips verbose`` through ``cli_inband``
(when there are VIPs and VPP offers it: ``src_ip_sticky``, which no dump reports, and the
exact table length) and one unfiltered ``lb_as_v2_dump`` (its prefix filter never matches
IPv4). AS rows with ``flags & 1 == 0`` (lingering) or of VIPs not in the VIP dump are
ignored; ``srv_type`` and ``target_port`` are decoded the way VPP master encodes them.

Rows are tuples of ``wire.LAYOUTS[...].fields``, read by name. They come from the direct wire
path, or from vpp_papi's decoded replies through ``papi_rows`` (same tuples; the tests check
both paths read the same state). No I/O here: the caller passes ``call`` and ``dump``.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import (
    ENCAPS,
    MAX_TABLE_LENGTH,
    SRV_TYPES,
    LbConf,
    LbState,
    Vip,
    VipAttrs,
    VipKey,
)
from ansible_collections.vpp.maglev.plugins.module_utils.showparse import parse_show_lb_vips
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import VppReadError, error_name
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.wire import (
    IP4_PAD,
    LAYOUTS,
    decode_address,
    raw_address,
    raw_prefix,
)

Call = Callable[..., Any]
Dump = Callable[[str, str], List[tuple]]
Buckets = Dict[VipKey, Dict[Any, int]]


def messages(sticky_readable: bool) -> Tuple[str, ...]:
    """Every message a read sends or receives (the direct path needs their ids)."""
    names = ("lb_conf_get", "lb_vip_dump", "lb_as_v2_dump", "control_ping", "control_ping_reply")
    return names + tuple(LAYOUTS) + (("cli_inband",) if sticky_readable else ())


def swap16(value: int) -> int:
    return ((value & 0xFF) << 8) | (value >> 8)


def dump_byte(value: int) -> int:
    """VPP master writes the one-byte dscp/srv_type field into a u32 without byte-swapping, so
    an x86 VPP sends ``byte << 24``; accept a correctly encoded small value too."""
    value = int(value)
    return value >> 24 if value > 0xFF else value


def read_conf(call: Call) -> LbConf:
    reply = call("lb_conf_get")
    if reply.retval != 0:
        raise VppReadError("lb_conf_get returned %d (%s)" % (reply.retval, error_name(reply.retval)))
    return LbConf(
        ip4_src_address=ipaddress.IPv4Address(reply.ip4_src_address),
        ip6_src_address=ipaddress.IPv6Address(reply.ip6_src_address),
        sticky_buckets_per_core=int(reply.sticky_buckets_per_core),
        flow_timeout=int(reply.flow_timeout),
    )


def papi_rows(call: Call, name: str, details: str) -> List[tuple]:
    """vpp_papi's rows of a dump as the direct path's tuples (see wire.LAYOUTS; the message id
    and context, which vpp_papi's replies do not keep, are 0)."""
    if details == "lb_vip_details":
        return [
            (0, 0, *raw_prefix(r.vip.pfx), int(r.vip.protocol), int(r.vip.port), int(r.encap), int(r.dscp))
            + (int(r.srv_type), int(r.target_port), int(r.flow_table_length))
            for r in call(name)
        ]
    return [
        (0, 0, *raw_prefix(r.vip.pfx), int(r.vip.protocol), int(r.vip.port), *raw_address(r.app_srv))
        + (int(r.flags), int(r.in_use_since), int(r.weight), int(r.num_buckets))
        for r in call(name)
    ]


class LbReader:
    """One read of the LB over ``call`` (one request, its reply) and ``dump`` (a dump's rows).
    ``sticky_readable`` turns False when VPP refuses the CLI text."""

    def __init__(self, call: Call, dump: Dump, sticky_readable: bool) -> None:
        self.call = call
        self.dump = dump
        self.sticky_readable = sticky_readable

    def read(self, with_buckets: bool = True) -> Tuple[LbState, Buckets]:
        """The state, and num_buckets per live AS per VIP (empty when not ``with_buckets``:
        read_state drops them, and filling them costs an address hash per AS)."""
        conf = read_conf(self.call)
        vip_rows = self.dump("lb_vip_dump", "lb_vip_details")
        cli_vips = self._cli_vips() if vip_rows and self.sticky_readable else {}
        vips: Dict[VipKey, Vip] = {}
        buckets: Buckets = {}
        by_raw: Dict[tuple, tuple] = {}  # the VIP's raw (af, un, plen, protocol, port) -> (ases, buckets)
        for _msg_id, _context, af, un, plen, protocol, port, encap, dscp, srv_type, target_port, length in vip_rows:
            key = VipKey.make(_network(af, un, plen), protocol, port)
            attrs = _vip_attrs(encap, dscp, srv_type, target_port, length, cli_vips.get(key))
            vip = vips[key] = Vip(key, attrs, {})
            counts: Optional[Dict[Any, int]] = None
            if with_buckets:
                counts = buckets[key] = {}
            by_raw[(af, un if af else un[:4] + IP4_PAD, plen, protocol, port)] = (vip.ases, counts)
        if vips:
            self._read_ases(by_raw)
        return LbState(conf, vips), buckets

    def _read_ases(self, by_raw: Dict[tuple, tuple]) -> None:
        """Fill each VIP's ases (and bucket counts) from one lb_as_v2_dump. The rows of one VIP
        come together, so its lookup is done once per run of rows (docs/performance.md)."""
        addresses: Dict[tuple, Any] = {}  # (af, 16 bytes) -> the interned address
        last: Optional[tuple] = None
        ases, counts = None, None
        for row in self.dump("lb_as_v2_dump", "lb_as_v2_details"):
            _msg_id, _context, af, un, plen, protocol, port, as_af, as_un, flags, _since, weight, num_buckets = row
            if not flags & 1:
                continue  # removed but lingering until garbage collection
            raw = (af, un, plen, protocol, port)
            if raw != last:
                last = raw
                ases, counts = by_raw.get((af, un if af else un[:4] + IP4_PAD, plen, protocol, port), (None, None))
            if ases is None:
                continue  # an AS row of a deleted (lingering) VIP
            address = addresses.get((as_af, as_un))
            if address is None:
                address = addresses[(as_af, as_un)] = decode_address(as_af, as_un)
            ases[address] = weight
            if counts is not None:
                counts[address] = num_buckets

    def _cli_vips(self) -> Dict[VipKey, dict]:
        reply = self.call("cli_inband", cmd="show lb vips verbose")
        if reply.retval != 0:
            self.sticky_readable = False
            return {}
        # Only the VIP lines matter here (src_ip_sticky, the exact table length): the AS lines
        # ("<address> <n> buckets ...", 64,000 of them on a big LB) are dropped before parsing.
        text = "\n".join(line for line in reply.reply.splitlines() if " buckets" not in line)
        result = {}
        for record in parse_show_lb_vips(text):
            if record.get("removed"):
                continue
            result[VipKey.make(record["prefix"], record["protocol"], record["port"])] = record
        return result


def _network(af: int, un: bytes, plen: int) -> Any:
    packed = un if af else un[:4]
    return (ipaddress.IPv6Network if af else ipaddress.IPv4Network)((packed, plen), strict=False)


def _vip_attrs(
    encap_number: int, dscp: int, srv_type: int, target_port: int, length: int, cli: Optional[dict]
) -> VipAttrs:
    """A VIP row's attributes, its dump quirks undone (and the CLI record's, when read)."""
    encap = ENCAPS[encap_number] if 0 <= encap_number < len(ENCAPS) else "gre4"
    nat = encap in ("nat4", "nat6")
    srv = dump_byte(srv_type)
    table_length = length
    if cli is not None and cli.get("new_flows_table_length"):
        table_length = cli["new_flows_table_length"]  # exact; the dump truncates to u16
    elif table_length == 0:
        table_length = MAX_TABLE_LENGTH  # the u16 reads the largest allowed length as 0
    return VipAttrs(
        encap=encap,
        dscp=dscp & 0x3F,
        srv_type=SRV_TYPES[srv] if nat and srv < len(SRV_TYPES) else "clusterip",
        target_port=swap16(target_port) if nat else 0,
        new_flows_table_length=table_length,
        src_ip_sticky=bool(cli and cli.get("src_ip_sticky")),
    ).normalised()
