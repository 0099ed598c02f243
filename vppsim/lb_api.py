"""The lb plugin's binary API: decode a request, apply it to LbPlugin, reply; encode the dumps.

lb/api.c's handlers: the request's fields go to the plugin model (lb.py), whose retval the
reply carries. The dump encodings copy VPP's quirks (docs/vpp-lb-reference.md#dumps).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

from .connection import Connection
from .lb_types import IP4_L3DSR, IP4_NAT4, IP6_NAT6, TYPE_ENCAP, Vip, is_ip4_addr
from .memclnt import Handler

if TYPE_CHECKING:
    from .server import Simulator


class LbMessages:
    """Handlers of the lb messages; each returns (retval, extra call-log fields)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def handlers(self) -> Dict[str, Handler]:
        return {
            "lb_conf": self.lb_conf,
            "lb_conf_get": self.lb_conf_get,
            "lb_add_del_vip": self.lb_add_del_vip,
            "lb_add_del_vip_v2": self.lb_add_del_vip,
            "lb_add_del_as": self.lb_add_del_as,
            "lb_add_del_as_v2": self.lb_add_del_as,
            "lb_as_set_weight": self.lb_as_set_weight,
            "lb_flush_vip": self.lb_flush_vip,
            "lb_vip_dump": self.lb_vip_dump,
            "lb_as_dump": self.lb_as_dump,
            "lb_as_v2_dump": self.lb_as_dump,
            "lb_add_del_intf_nat4": self.lb_intf_nat,
            "lb_add_del_intf_nat6": self.lb_intf_nat,
        }

    def lb_conf(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        rv = self.sim.lb.conf(
            args["ip4_src_address"], args["ip6_src_address"], args["sticky_buckets_per_core"], args["flow_timeout"]
        )
        self.sim.reply(conn, "lb_conf_reply", args, retval=rv)
        return rv, {}

    def lb_conf_get(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        lb = self.sim.lb
        self.sim.reply(
            conn,
            "lb_conf_get_reply",
            args,
            retval=0,
            ip4_src_address=lb.ip4_src,
            ip6_src_address=lb.ip6_src,
            sticky_buckets_per_core=lb.sticky_buckets,
            flow_timeout=lb.flow_timeout,
        )
        return 0, {}

    def lb_add_del_vip(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        rv = self.sim.lb.add_del_vip(
            args["pfx"],
            args["protocol"],
            args["port"],
            args["encap"],
            args["dscp"],
            args["type"],
            args["target_port"],
            args["new_flows_table_length"],
            bool(args["is_del"]),
            bool(args.get("src_ip_sticky", 0)),
        )
        name = "lb_add_del_vip_v2_reply" if "src_ip_sticky" in args else "lb_add_del_vip_reply"
        self.sim.reply(conn, name, args, retval=rv)
        return rv, {}

    def lb_add_del_as(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        v2 = "weight" in args
        message = "lb_add_del_as_v2" if v2 else "lb_add_del_as"
        rv = self.sim.lb.add_del_as(
            message,
            args["pfx"],
            args["protocol"],
            args["port"],
            args["as_address"],
            args["weight"] if v2 else 100,
            bool(args["is_del"]),
            bool(args["is_flush"]),
            v2,
        )
        self.sim.reply(conn, message + "_reply", args, retval=rv)
        return rv, {}

    def lb_as_set_weight(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        rv = self.sim.lb.as_set_weight(
            args["pfx"], args["protocol"], args["port"], args["as_address"], args["weight"], bool(args["is_flush"])
        )
        self.sim.reply(conn, "lb_as_set_weight_reply", args, retval=rv)
        return rv, {}

    def lb_flush_vip(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        rv = self.sim.lb.flush_vip(args["pfx"], args["protocol"], args["port"])
        self.sim.reply(conn, "lb_flush_vip_reply", args, retval=rv)
        return rv, {}

    def lb_intf_nat(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        family = "nat4" if args.get("_vl_msg_id") == self.sim.p.ids["lb_add_del_intf_nat4"] else "nat6"
        rv = self.sim.lb.intf_nat(family, bool(args["is_add"]), args["sw_if_index"])
        self.sim.reply(conn, "lb_add_del_intf_%s_reply" % family, args, retval=rv)
        return rv, {}

    def vip_fields(self, vip: Vip, for_vip_dump: bool) -> tuple:
        """The encoded lb_vip_t of a VIP: (af, un, len, protocol, port), quirks included."""
        if self.sim.p.legacy:
            ip4 = is_ip4_addr(vip.prefix)
            plen = vip.plen  # raw internal plen
            protocol = 0 if for_vip_dump else vip.protocol
        else:
            ip4 = vip.is_ip4
            plen = vip.plen - 96 if ip4 else vip.plen
            protocol = vip.protocol
        un = vip.prefix[12:] + b"\x00" * 12 if ip4 else vip.prefix
        return (0 if ip4 else 1, un, plen & 0xFF, protocol, vip.port)

    def lb_vip_dump(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        st = self.sim.msg["lb_vip_details"].struct
        msg_id, context = self.sim.p.ids["lb_vip_details"], args["context"]
        out = []
        for _index, vip in self.sim.lb.vip_dump():
            if self.sim.p.legacy:
                encap, length = vip.type, 0  # leaks the internal type; length reads 0
            else:
                encap, length = TYPE_ENCAP[vip.type], vip.table_length & 0xFFFF
            byte = vip.encap_byte
            # Stored in network order and htons()ed again on output: the client reads it swapped.
            target = vip.target_port_raw if vip.type in (IP4_NAT4, IP6_NAT6) else 0
            dscp = byte if vip.type in (IP4_L3DSR, IP4_NAT4, IP6_NAT6) else 0
            out.append(st.pack(msg_id, context, *self.vip_fields(vip, True), encap, dscp, dscp << 24, target, length))
        conn.send_many(out)
        return None, {"details": len(out)}

    def lb_as_dump(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        name = "lb_as_v2_details" if args.get("_vl_msg_id") == self.sim.p.ids.get("lb_as_v2_dump") else "lb_as_details"
        st = self.sim.msg[name].struct
        msg_id, context = self.sim.p.ids[name], args["context"]
        v2 = name == "lb_as_v2_details"
        out = []
        current: Optional[Vip] = None
        vip_fields: tuple = ()
        counts: Dict[int, int] = {}
        for vip, slot, server in self.sim.lb.as_dump(args["pfx"], args["protocol"], args["port"]):
            if vip is not current:
                current, vip_fields, counts = vip, self.vip_fields(vip, False), self.sim.lb.bucket_counts(vip)
            addr = server.address
            app = (0, addr[12:] + b"\x00" * 12) if is_ip4_addr(addr) else (1, addr)
            flags = 1 if server.used else 0
            if v2:
                row = st.pack(
                    msg_id, context, *vip_fields, *app, flags, server.last_used, server.weight, counts.get(slot, 0)
                )
            else:
                row = st.pack(msg_id, context, *vip_fields, *app, flags, server.last_used)
            out.append(row)
        conn.send_many(out)
        return None, {"details": len(out)}
