"""maglevc's process: flags, one command or the shell, and a quiet exit on a closed pipe."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import List, Optional

from ...plugins.module_utils.maglevd_client import DEFAULT_SOCKET, MaglevdClient
from ..environment import control_socket
from ..version import VERSION
from .command_tree import FORCE
from .runner import EXIT_OK, Runner, run_line
from .shell import Shell


def main(argv: Optional[List[str]] = None) -> int:
    """_main, with a reader that went away (`| head -1`, `| true`) as a quiet exit 0."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # buffered output meets the closed pipe here, not at interpreter exit
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:  # Ctrl-C during a one-shot command
        return 130
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (embedded, tests): nothing to flush
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="maglevc", description="maglevd command-line client", add_help=True)
    parser.add_argument(
        "--socket", default=None, help="maglevd control socket ($MAGLEV_SOCKET, default " + DEFAULT_SOCKET + ")"
    )
    parser.add_argument("--server", default=os.environ.get("MAGLEV_SERVER"), help="host:port of a TCP control listener")
    parser.add_argument("--token", default=os.environ.get("MAGLEV_CONTROL_TOKEN"), help="bearer token for --server")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument(
        FORCE, action="store_true", help="let set backend / set weight leave a frontend with no backend (VPP drops it)"
    )
    parser.add_argument("words", nargs=argparse.REMAINDER, help="a command; none starts the shell")
    return parser


def _main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.socket is None:
        args.socket, warning = control_socket(os.environ, DEFAULT_SOCKET)
        if warning and not args.server:
            print(f"maglevc: warning: {warning}", file=sys.stderr)
    client = MaglevdClient(args.socket, args.server, args.token, args.timeout)
    runner = Runner(client, args.json)
    if args.words:
        try:
            return run_line(runner, shlex.join(args.words + ([FORCE] if args.force else [])))
        except SystemExit as exc:
            return int(exc.code or 0)
    try:
        print(f"maglevc {VERSION} — {client.where}; `?` for help, Ctrl-D to leave")
        Shell(runner).cmdloop()
    except KeyboardInterrupt:
        print()
    return EXIT_OK
