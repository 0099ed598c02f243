"""bash and zsh completion for maglevc: the shells ask `maglevc __complete WORDS...`.

The candidates are the interactive shell's (shell.candidates): keywords from the command
tree, names from the running daemon, so a hyphenated backend name completes whole
(`set backend web-fra<TAB>` -> web-fra-1, web-fra-2). The two scripts beside the package
(maglevd/completion/maglevc.bash and _maglevc) only pass the words and read one candidate
per line; `maglevc --completion bash|zsh` prints them and the role installs them
(docs/maglevd.md, "Manual pages and completion").
"""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path
from typing import Callable, List

from .command_parser import UsageError
from .runner import Runner
from .shell import candidates

COMMAND = "__complete"  # hidden: argv[1] of the completion scripts' calls
SCRIPTS = {"bash": "maglevc.bash", "zsh": "_maglevc"}
SCRIPT_DIR = Path(__file__).resolve().parent.parent / "completion"


def script(shell: str) -> str:
    """The completion script for `shell` (bash or zsh), as the role installs it."""
    return (SCRIPT_DIR / SCRIPTS[shell]).read_text(encoding="utf-8")


def _takes_value(parser: argparse.ArgumentParser, word: str) -> bool:
    action = parser._option_string_actions.get(word)  # argparse's own index of the flags
    return action is not None and action.nargs != 0


def complete(
    parser: argparse.ArgumentParser, argv: List[str], runner_for: Callable[[argparse.Namespace], Runner]
) -> List[str]:
    """Candidates for the last word of `argv` (maglevc's arguments as typed so far, the last
    one being completed, "" after a space). Never raises for what a user may type."""
    *before, partial = argv or [""]
    if before and _takes_value(parser, before[-1]):  # `--socket <TAB>`: a path, the shell's job
        return []
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # a half-typed flag is not an error here
            args = parser.parse_args(before)
    except SystemExit:
        return []
    if partial.startswith("-") and not args.words:
        return sorted(o for o in parser._option_string_actions if o.startswith(partial) and o.startswith("--"))
    try:
        return candidates(runner_for(args), args.words, partial)
    except UsageError:
        return []
