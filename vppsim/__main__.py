"""python -m ansible_collections.vpp.maglev.vppsim --socket PATH [options]

Prints exactly one line, ``vppsim: ready on PATH``, once both sockets accept; exits 0 on
SIGTERM/SIGINT after removing them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import stat
import sys
from typing import List, Optional

from . import personality
from .control import Control
from .faults import FaultError, Faults, parse_fail
from .server import Simulator


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
    args = parser.parse_args(argv)
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


def _unlink_socket(path: str) -> None:
    try:
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass


async def serve(args: argparse.Namespace) -> None:
    faults = Faults(delay_ms=args.delay_ms, drop_after=args.drop_after, fail=args.fail)
    sim = Simulator(
        personality.load(args.vpp_version), linger=not args.no_linger, interfaces=args.interfaces, faults=faults
    )
    control = Control(sim)
    for rule in faults.fail:
        control.validate_fail_message(rule.message)
    ctl_path = args.socket + ".ctl"
    for path in (args.socket, ctl_path):
        _unlink_socket(path)
    api_server = await asyncio.start_unix_server(sim.handle_client, path=args.socket, limit=1 << 24)
    ctl_server = await asyncio.start_unix_server(control.handle, path=ctl_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print("vppsim: ready on %s" % args.socket, flush=True)
    try:
        await stop.wait()
    finally:
        for server in (api_server, ctl_server):
            server.close()
        sim.restart("shutdown")
        for path in (args.socket, ctl_path):
            _unlink_socket(path)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except FaultError as err:
        print("vppsim: %s" % err, file=sys.stderr)
        return 2
    except OSError as err:
        print("vppsim: cannot listen on %s: %s" % (args.socket, err), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
