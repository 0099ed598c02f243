"""maglevc's process: flags, one command or the shell, and a quiet exit on a closed pipe.

The flags are one table (`maglevc_flags`, flags.py): argparse, `--help` and maglevc(1)
(`--man`) are built from it, with the commands of the command tree and the exit codes of
exit_codes.py (docs/maglevd.md, "Exit codes"). A usage error exits 64.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import List, Mapping, Optional

from ...plugins.module_utils.maglevd_client import DEFAULT_SOCKET, MaglevdClient
from ..environment import SOCKET_VAR, control_socket
from ..exit_codes import EXIT_INTERRUPTED, exit_codes
from ..flags import Flag, Parser, add_flags, environment_rows, exit_codes_block, rows_block
from ..version import VERSION
from . import completion
from .command_tree import FORCE, command_lines
from .runner import EXIT_OK, Runner, run_line
from .shell import Shell

DESCRIPTION = "maglevd's command-line client: one command, or an interactive shell with none."
COMPLETION_TIMEOUT = 2.0  # s: a shell waiting on Tab; a slower daemon just completes nothing


def main(argv: Optional[List[str]] = None) -> int:
    """_main, with a reader that went away (`| head -1`, `| true`) as a quiet exit 0."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # buffered output meets the closed pipe here, not at interpreter exit
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:  # Ctrl-C during a one-shot command
        return EXIT_INTERRUPTED
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (embedded, tests): nothing to flush
        pass


def maglevc_flags() -> List[Flag]:
    """maglevc's flags: the one table (docs/maglevd.md, "maglevc")."""
    return [
        Flag("--socket", "maglevd's control socket", SOCKET_VAR, DEFAULT_SOCKET, "PATH", env_later=True),
        Flag("--server", "host:port of a TCP control listener (instead of the socket)", "MAGLEV_SERVER", None, "ADDR"),
        Flag("--token", "bearer token for --server", "MAGLEV_CONTROL_TOKEN", None, "TOKEN"),
        Flag("--json", "print JSON instead of tables", action="store_true"),
        Flag("--timeout", "seconds to wait for maglevd", default="10", metavar="SECONDS", type=float),
        Flag(
            FORCE, "let set backend / set weight leave a frontend with no backend (VPP drops it)", action="store_true"
        ),
        Flag(
            "--completion",
            "print the bash or zsh completion script and exit",
            metavar="SHELL",
            choices=tuple(completion.SCRIPTS),
        ),
        Flag("--man", "print the maglevc(1) manual page (roff) and exit", action="store_true"),
    ]


def epilog() -> str:
    """--help's epilog: the commands (from the command tree), then the exit codes."""
    return rows_block("commands", command_lines()) + "\n\n" + exit_codes_block("maglevc")


def build_parser(environ: Optional[Mapping[str, str]] = None) -> argparse.ArgumentParser:
    parser = Parser(prog="maglevc", description=DESCRIPTION, epilog_factory=epilog)
    add_flags(parser, maglevc_flags(), os.environ if environ is None else environ)
    parser.add_argument("--version", action="version", version="maglevc %s" % VERSION)
    parser.add_argument("words", nargs=argparse.REMAINDER, help="a command (below); none starts the shell")
    return parser


def manpage(parser: argparse.ArgumentParser) -> str:
    """maglevc(1) as roff, from the parser, the command tree and the exit-code table."""
    from ..manpage import ManPage, Section, render

    description = Section(
        "description",
        DESCRIPTION + "\n\nKeywords and names may be abbreviated to any unique prefix; an exact match wins. "
        "The shell completes keywords and the daemon's names with Tab and lists what may follow with `?`.",
    )
    after = [
        Section("commands", rows=command_lines()),
        Section("environment", "A flag wins over its variable.", environment_rows(maglevc_flags())),
        Section("exit status", rows=[(str(code), text) for code, text in exit_codes("maglevc")]),
        Section("see also", "maglevd(8); docs/maglevd.md in the vpp.maglev collection."),
    ]
    return render(ManPage("maglevc", 1, "maglevd command-line client", parser, VERSION, [description], after))


def _client(args: argparse.Namespace, completing: bool = False) -> MaglevdClient:
    """The client the flags name. Completing: a short timeout and no warning (a shell is drawing the line)."""
    if args.socket is None:
        args.socket, warning = control_socket(os.environ, DEFAULT_SOCKET)
        if warning and not args.server and not completing:
            print(f"maglevc: warning: {warning}", file=sys.stderr)
    return MaglevdClient(args.socket, args.server, args.token, COMPLETION_TIMEOUT if completing else args.timeout)


def _complete(parser: argparse.ArgumentParser, argv: List[str]) -> int:
    """`maglevc __complete WORDS...`: one candidate per line (the completion scripts' source)."""
    found = completion.complete(parser, argv, lambda args: Runner(_client(args, completing=True), False))
    if found:
        print("\n".join(found))
    return EXIT_OK


def _main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if argv[:1] == [completion.COMMAND]:
        return _complete(parser, argv[1:])
    args = parser.parse_args(argv)
    if args.man or args.completion:
        sys.stdout.write(manpage(parser) if args.man else completion.script(args.completion))
        return EXIT_OK
    client = _client(args)
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
