"""The tables help is built from: exit codes, flags, the command list, roff, completion words."""

from __future__ import annotations

import argparse

import pytest
from ansible_collections.vpp.maglev.maglevd import check
from ansible_collections.vpp.maglev.maglevd.__main__ import maglevd_flags
from ansible_collections.vpp.maglev.maglevd.exit_codes import EX_USAGE, EXIT_CODES, exit_codes
from ansible_collections.vpp.maglev.maglevd.flags import Flag, Parser, add_flags, rows_block
from ansible_collections.vpp.maglev.maglevd.maglevc import completion
from ansible_collections.vpp.maglev.maglevd.maglevc.command_tree import HANDLER_HELP, TREE, Node, command_lines
from ansible_collections.vpp.maglev.maglevd.maglevc.main import build_parser
from ansible_collections.vpp.maglev.maglevd.maglevc.runner import EXIT_USAGE
from ansible_collections.vpp.maglev.maglevd.manpage import escape
from ansible_collections.vpp.maglev.tests.helpers.paths import ROOT


def handlers(node: Node) -> set:
    found = {node.run} if node.run else set()
    for child in node.children:
        found |= handlers(child)
    return found


def test_check_keeps_its_contract_and_usage_has_its_own_code():
    assert (check.EXIT_OK, check.EXIT_SYNTAX, check.EXIT_SEMANTIC) == (0, 1, 2)
    maglevd = dict(exit_codes("maglevd"))
    assert list(maglevd) == [0, 1, 2, EX_USAGE] and "--check" in maglevd[2]
    assert EXIT_USAGE == EX_USAGE == 64 and 2 not in dict(exit_codes("maglevc"))
    with pytest.raises(ValueError):
        exit_codes("maglevx")


def test_every_command_of_the_tree_is_described_once():
    assert handlers(TREE) == set(HANDLER_HELP)
    syntaxes = [syntax for syntax, _what in command_lines()]
    assert len(syntaxes) == len(set(syntaxes))
    assert "set frontend <frontend> pool <pool> backend <backend> weight <weight> [--force]" in syntaxes


def test_a_flag_says_its_default_and_variable_and_the_variable_sets_it():
    flags = [Flag("--where", "a path", "MAGLEV_WHERE", "/x", "PATH"), Flag("--loud", "switch", action="store_true")]
    parser = Parser(prog="t")
    add_flags(parser, flags, {"MAGLEV_WHERE": "/from/env"})
    assert flags[0].help_line() == "a path (default: /x; env: MAGLEV_WHERE)" and flags[1].help_line() == "switch"
    assert parser.parse_args([]).where == "/from/env" and parser.parse_args(["--where", "/y"]).where == "/y"
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--nope"])
    assert exited.value.code == EX_USAGE


def test_rows_block_aligns_and_puts_a_long_term_above_its_text():
    block = rows_block("things", [("a", "short"), ("x" * 40, "below")])
    assert block.splitlines() == ["things:", "  a  short", "  " + "x" * 40, "     below"]


def test_roff_escaping_keeps_text_text():
    assert escape(".TH not a request\n'neither\n--flag a\\b") == "\\&.TH not a request\n\\&'neither\n\\-\\-flag a\\eb"


class Names:
    """A runner stand-in: the daemon's names."""

    def names(self, kind, values):
        return {"backend": ["web-fra-1", "web-fra-2", "db"]}.get(kind, [])


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["set", "backend", "web-fra"], ["web-fra-1", "web-fra-2"]),
        (["--json", "show", "ver"], ["version"]),
        (["--socket", ""], []),  # a flag's value: the shell's own (file) completion
        (["--timeout", "soon", "show", ""], []),  # a bad flag: nothing, no error
        (["--tim"], ["--timeout"]),
        (["bogus", ""], []),
        ([], ["show", "set", "watch", "config", "sync", "quit", "exit", "help"]),
    ],
)
def test_complete_gives_the_shells_candidates(argv, expected):
    parser: argparse.ArgumentParser = build_parser({})
    assert completion.complete(parser, argv, lambda args: Names()) == expected  # type: ignore[arg-type,return-value]


def doc_table(heading: str) -> list:
    """The rows of the first table under `heading` in docs/maglevd.md, as lists of cells."""
    lines = (ROOT / "docs" / "maglevd.md").read_text().split(heading + "\n", 1)[1].splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("|"))
    end = next(
        index for index in range(start, len(lines) + 1) if index == len(lines) or not lines[index].startswith("|")
    )
    return [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in lines[start + 2 : end]]


def test_the_docs_tables_are_the_codes():
    flags = {flag.name: flag for flag in maglevd_flags()}
    documented = {}
    for name, env, default, *_rest in doc_table("## Flags and environment"):
        documented[name.split()[0]] = (env, None if default in ("", "off") else default)
    assert documented == {name: (flag.env, flag.default) for name, flag in flags.items()} | {"--version": ("", None)}
    rows = doc_table("## Exit codes")
    assert [int(row[0]) for row in rows] == [row.code for row in EXIT_CODES]
    assert [bool(row[1]) for row in rows] == [bool(row.maglevd) for row in EXIT_CODES]
    assert [bool(row[2]) for row in rows] == [bool(row.maglevc) for row in EXIT_CODES]
