"""python -m ansible_collections.vpp.maglev.vppsim --socket PATH [options]

Prints exactly one line, ``vppsim: ready on PATH``, once its sockets accept; exits 0 on
SIGTERM/SIGINT after removing them. Refuses (one line on stderr, exit 1) when PATH or PATH.ctl
is a live socket or not a socket; a stale socket file (nobody listening) is replaced.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
from typing import Dict, List, Optional

from . import personality
from .control import Control
from .faults import FaultError, Faults, parse_fail
from .server import Simulator
from .sockets import Identity, SocketBusy, claim, identity, release
from .stats_server import StatsService


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vppsim", description="A VPP binary-API simulator (lb plugin).")
    parser.add_argument("--socket", required=True, help="API socket path (control socket: PATH.ctl)")
    parser.add_argument("--vpp-version", default="26.10", choices=sorted(personality.VERSIONS))
    parser.add_argument("--no-linger", action="store_true", help="free removed ASes/VIPs at once")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="delay every call by N ms")
    parser.add_argument("--drop-after", type=int, default=None, help="close a connection after N calls")
    parser.add_argument(
        "--fail", action="append", default=[], metavar="MSG:NTH:RETVAL", help="fail the NTH call of MSG with RETVAL"
    )
    parser.add_argument("--interfaces", default="0", help="valid sw_if_index values, e.g. 0,1,2")
    parser.add_argument(
        "--stats-socket",
        default=None,
        metavar="PATH",
        help="stats segment socket (default: stats.sock beside --socket; '' off)",
    )
    args = parser.parse_args(argv)
    if args.stats_socket is None:
        args.stats_socket = os.path.join(os.path.dirname(args.socket), "stats.sock")
    try:
        args.interfaces = tuple(int(x) for x in args.interfaces.split(",") if x.strip())
    except ValueError:
        parser.error("--interfaces must be comma-separated integers, got %r" % args.interfaces)
    if args.delay_ms < 0:
        parser.error("--delay-ms must be >= 0")
    if args.drop_after is not None and args.drop_after < 0:
        parser.error("--drop-after must be >= 0")
    try:
        args.fail = [parse_fail(spec) for spec in args.fail]
    except FaultError as err:
        parser.error(str(err))
    return args


async def serve(args: argparse.Namespace) -> None:
    faults = Faults(delay_ms=args.delay_ms, drop_after=args.drop_after, fail=args.fail)
    stats = StatsService(args.stats_socket) if args.stats_socket else None
    sim = Simulator(
        personality.load(args.vpp_version),
        linger=not args.no_linger,
        interfaces=args.interfaces,
        faults=faults,
        stats=stats,
    )
    control = Control(sim)
    for rule in faults.fail:
        control.validate_fail_message(rule.message)
    ctl_path = args.socket + ".ctl"
    for path in (args.socket, ctl_path):  # all checked before any is touched
        claim(path)
    if stats is not None:
        claim(stats.path, socket.SOCK_SEQPACKET)
    owned: Dict[str, Optional[Identity]] = {}
    servers: List[asyncio.AbstractServer] = []
    try:
        servers.append(await asyncio.start_unix_server(sim.handle_client, path=args.socket, limit=1 << 24))
        owned[args.socket] = identity(args.socket)
        servers.append(await asyncio.start_unix_server(control.handle, path=ctl_path))
        owned[ctl_path] = identity(ctl_path)
        if stats is not None:
            stats.listen()
            owned[stats.path] = identity(stats.path)
    except BaseException:
        _close(servers, owned, stats)
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print("vppsim: ready on %s" % args.socket, flush=True)
    try:
        await stop.wait()
    finally:
        sim.restart("shutdown")
        _close(servers, owned, stats)


def _close(
    servers: List[asyncio.AbstractServer], owned: Dict[str, Optional[Identity]], stats: Optional[StatsService]
) -> None:
    for server in servers:
        server.close()
    if stats is not None:
        stats.close()
    for path, ident in owned.items():
        release(path, ident)  # only the files we created: a successor's socket stays


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except FaultError as err:
        print("vppsim: %s" % err, file=sys.stderr)
        return 2
    except SocketBusy as err:
        print("vppsim: %s" % err, file=sys.stderr)
        return 1
    except OSError as err:
        print("vppsim: cannot listen on %s: %s" % (args.socket, err), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
