"""Man pages as roff, built from a program's own argparse parser: no second copy to drift.

OPTIONS come from the parser (the flag tables of flags.py), the other sections from the
tables the caller passes: ENVIRONMENT from the same flag tables, EXIT STATUS from
exit_codes.py, maglevc's COMMANDS from its command tree. `maglevd --man` and `maglevc --man`
print the result; the role installs it (docs/maglevd.md, "Manual pages and completion").

Pure: no I/O.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import List, Sequence, Tuple

Rows = Sequence[Tuple[str, str]]


@dataclass(frozen=True)
class Section:
    """A section: a paragraph, then tagged rows (term, text)."""

    title: str
    text: str = ""
    rows: Rows = ()


@dataclass(frozen=True)
class ManPage:
    name: str
    section: int
    summary: str  # the NAME line after the dash
    parser: argparse.ArgumentParser
    version: str
    before_options: Sequence[Section] = ()  # DESCRIPTION and the like
    after_options: Sequence[Section] = field(default_factory=tuple)


def escape(text: str) -> str:
    """Plain text as roff: backslashes and hyphens escaped, no line read as a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line for line in text.splitlines())


def _paragraphs(text: str) -> List[str]:
    out: List[str] = []
    for number, paragraph in enumerate(p for p in text.split("\n\n") if p.strip()):
        out += ([".PP"] if number else []) + [escape(" ".join(paragraph.split()))]
    return out


def _tagged(term: str, text: str, bold: bool = True) -> List[str]:
    return [".TP", (r"\fB%s\fR" % escape(term)) if bold else escape(term), escape(text)]


def _option_term(action: argparse.Action) -> str:
    names = ", ".join(r"\fB%s\fR" % escape(option) for option in action.option_strings)
    if action.nargs == 0:
        return names
    metavar = action.metavar or action.dest.upper()
    if action.choices and not action.metavar:
        metavar = "{" + ",".join(str(c) for c in action.choices) + "}"
    return r"%s \fI%s\fR" % (names, escape(str(metavar)))


def options(parser: argparse.ArgumentParser) -> List[str]:
    """The OPTIONS section's body: one tagged paragraph per flag, help text as --help shows it."""
    formatter = parser._get_formatter()  # argparse's own expansion of %(default)s and the like
    lines: List[str] = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        help_text = formatter._expand_help(action) if action.help else ""
        lines += [".TP", _option_term(action), escape(help_text)]
    return lines


def _section(section: Section) -> List[str]:
    lines = [".SH " + section.title.upper()]
    lines += _paragraphs(section.text)
    for term, text in section.rows:
        lines += _tagged(term, text)
    return lines


def render(page: ManPage) -> str:
    """The whole page as roff text, ending in a newline."""
    usage = " ".join(page.parser.format_usage().split()[1:])  # without "usage:"
    program, _sep, arguments = usage.partition(" ")
    lines = [
        '.TH %s %d "" "vpp.maglev %s" "vpp.maglev"' % (page.name.upper(), page.section, escape(page.version)),
        ".nh",  # no hyphenation: variable names and paths are copied from the page
        ".ad l",
        ".SH NAME",
        r"%s \- %s" % (escape(page.name), escape(page.summary)),
        ".SH SYNOPSIS",
        r"\fB%s\fR %s" % (escape(program), escape(arguments)),
    ]
    for section in page.before_options:
        lines += _section(section)
    lines += [".SH OPTIONS", *options(page.parser)]
    for section in page.after_options:
        lines += _section(section)
    return "\n".join(lines) + "\n"
