"""The memclnt, vlib and vpe messages: the handshake, pings, API discovery and the CLI.

What every VPP answers before and beside the lb plugin, as docs/vpp-lb-reference.md#socket-protocol
describes it: `sockclnt_create` (answered by the server itself, before any registration
exists), `sockclnt_delete`, `control_ping` (which ends every dump), `get_first_msg_id`,
`api_versions`, `get_api_json` (for `bootstrapapi=True`), `show_version` and `cli_inband`.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, Callable, Dict

from . import cli
from .connection import Connection

if TYPE_CHECKING:
    from .server import Simulator

Handler = Callable[[Connection, Dict[str, Any]], Any]


class MemclntMessages:
    """Handlers of the non-lb messages; each returns (retval, extra call-log fields)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.table_payload = self.build_table_payload()

    def handlers(self) -> Dict[str, Handler]:
        return {
            "sockclnt_delete": self.sockclnt_delete,
            "control_ping": self.control_ping,
            "get_first_msg_id": self.get_first_msg_id,
            "api_versions": self.api_versions,
            "memclnt_keepalive": self.simple_ok,
            "get_api_json": self.get_api_json,
            "show_version": self.show_version,
            "cli_inband": self.cli_inband,
        }

    def build_table_payload(self) -> bytes:
        return self.sim.msg["sockclnt_create_reply"].encode(
            {"count": len(self.sim.p.table_entries), "message_table": self.sim.p.table_entries}
        )

    def sockclnt_create(self, conn: Connection, args: Dict[str, Any]) -> None:
        head = struct.pack(">HIIiI", self.sim.p.ids["sockclnt_create_reply"], 0, args["context"], 0, conn.handle)
        conn.send(head + self.table_payload[len(head) :])

    def sockclnt_delete(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        victim = self.sim.connections.get(args["index"])
        if victim is None:
            self.sim.reply(conn, "sockclnt_delete_reply", args, response=-1)
            return -1, {}
        self.sim.reply(conn, "sockclnt_delete_reply", args, response=1)
        self.sim.free(victim, "delete")
        return 1, {}

    def control_ping(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        self.sim.reply(
            conn, "control_ping_reply", args, retval=0, client_index=args["client_index"], vpe_pid=self.sim.pid
        )
        return 0, {}

    def simple_ok(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        self.sim.reply(conn, "memclnt_keepalive_reply", args, retval=0)
        return 0, {}

    def get_first_msg_id(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        base = self.sim.p.module_bases.get(args["name"])
        if base is None:
            self.sim.reply(conn, "get_first_msg_id_reply", args, retval=-7, first_msg_id=0xFFFF)
            return -7, {}
        self.sim.reply(conn, "get_first_msg_id_reply", args, retval=0, first_msg_id=base)
        return 0, {}

    def api_versions(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        entries = [(ma, mi, pa, name.encode()) for ma, mi, pa, name in self.sim.p.module_versions]
        self.sim.reply(conn, "api_versions_reply", args, retval=0, count=len(entries), api_versions=entries)
        return 0, {}

    def get_api_json(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        msg = self.sim.msg["get_api_json_reply"].encode(
            {
                "_vl_msg_id": self.sim.p.ids["get_api_json_reply"],
                "context": args["context"],
                "json": self.sim.p.api_json,
            }
        )
        conn.send(msg + b"\x00")  # VPP's vector string carries a NUL beyond the counted length
        return 0, {}

    def show_version(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        self.sim.reply(
            conn,
            "show_version_reply",
            args,
            retval=0,
            program="vpe",
            version=self.sim.p.version,
            build_date="vppsim",
            build_directory="/vppsim",
        )
        return 0, {}

    def cli_inband(self, conn: Connection, args: Dict[str, Any]) -> tuple:
        text, retval = cli.run(self.sim.lb, args.get("cmd", ""), self.sim.p.version)
        self.sim.reply(conn, "cli_inband_reply", args, retval=retval, reply=text)
        return retval, {}
