"""Command-line flags as one table per program: argparse, `--help` and the man pages read it.

A `Flag` names its environment variable and its built-in default once. `add_flags` builds the
argparse options from the table (the environment, when set, replaces the built-in default;
the flag wins over both) and each help line says the default and the variable, so the text
cannot drift from the code. `Parser` exits 64 (EX_USAGE) on a usage error, with argparse's
usage line: exit codes are one table for both programs (exit_codes.py, docs/maglevd.md).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, NoReturn, Optional, Sequence, Tuple

from .exit_codes import EX_USAGE, exit_codes

WIDTH = 79  # epilog lines, as argparse wraps its own at a narrow terminal


@dataclass(frozen=True)
class Flag:
    """One option. `default` None: off. `env_later`: the variable is read after parsing (the
    control socket, whose deprecated alias needs a warning), so argparse's default stays None."""

    name: str
    help: str
    env: str = ""
    default: Optional[str] = None
    metavar: Optional[str] = None
    choices: Tuple[str, ...] = ()
    action: Optional[str] = None  # store_true: a switch, no value, no default shown
    type: Optional[Callable[[str], Any]] = None
    env_later: bool = False

    @property
    def takes_value(self) -> bool:
        return self.action is None

    def default_text(self) -> str:
        return "none" if not self.default else self.default

    def help_line(self) -> str:
        """The help text with the default and the variable: `... (default: X; env: MAGLEV_X)`."""
        notes = []
        if self.takes_value and (self.env or self.default):
            notes.append(f"default: {self.default_text()}")
        if self.env:
            notes.append(f"env: {self.env}")
        return self.help + (f" ({'; '.join(notes)})" if notes else "")


def add_flags(parser: argparse.ArgumentParser, flags: Sequence[Flag], environ: Mapping[str, str]) -> None:
    """The table as argparse options; a default set in `environ` replaces the built-in one."""
    for flag in flags:
        kwargs: Dict[str, Any] = {"help": flag.help_line().replace("%", "%%")}  # argparse %-formats help
        if not flag.takes_value:
            kwargs["action"] = flag.action
        else:
            default = flag.default
            if flag.env and not flag.env_later:
                default = environ.get(flag.env, default or "")
            kwargs.update(default=None if flag.env_later else default, metavar=flag.metavar)
            if flag.choices:
                kwargs["choices"] = flag.choices
            if flag.type is not None:
                kwargs["type"] = flag.type
        parser.add_argument(flag.name, **kwargs)


def environment_rows(flags: Sequence[Flag]) -> List[Tuple[str, str]]:
    """(variable, what it sets) for the flags that have one."""
    return [(flag.env, f"{flag.name} (default: {flag.default_text()})") for flag in flags if flag.env]


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help lines wrapped at spaces only: a path (/etc/vpp-maglev) stays whole."""

    def _split_lines(self, text: str, width: int) -> List[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


class Parser(argparse.ArgumentParser):
    """argparse with exit 64 on a usage error and an epilog built only when help is printed
    (it may import what a normal start does not need)."""

    def __init__(self, *, epilog_factory: Optional[Callable[[], str]] = None, **kwargs: Any) -> None:
        super().__init__(formatter_class=_Formatter, **kwargs)
        self.epilog_factory = epilog_factory

    def format_help(self) -> str:
        if self.epilog_factory is not None:
            self.epilog = self.epilog_factory()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EX_USAGE, f"{self.prog}: error: {message}\n")


def rows_block(title: str, rows: Sequence[Tuple[str, str]], widest: int = 32) -> str:
    """A titled two-column block for an epilog: `title:` then `  left  right`, aligned and
    wrapped; a left column wider than `widest` has its text on the lines below it."""
    width = max((len(left) for left, _text in rows if len(left) <= widest), default=0)
    indent = " " * (width + 4)
    lines = [f"{title}:"]
    for left, text in rows:
        wrapped = textwrap.wrap(text, WIDTH - len(indent), break_on_hyphens=False) or [""]
        if len(left) > width:
            lines.append(f"  {left}")
            lines += [indent + line for line in wrapped]
            continue
        lines.append(f"  {left:<{width}}  {wrapped[0]}")
        lines += [indent + more for more in wrapped[1:]]
    return "\n".join(lines)


def exit_codes_block(program: str) -> str:
    """The `exit codes:` block of a --help epilog (the table is exit_codes.py's)."""
    return rows_block("exit codes", [(str(code), meaning) for code, meaning in exit_codes(program)])
