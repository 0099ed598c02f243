"""maglevc's runner: every command of the tree has a handler, `help` prints the usage."""

from __future__ import annotations

from typing import Iterator

import pytest
from ansible_collections.vpp.maglev.maglevd.maglevc.command_tree import TREE, Node, command_lines
from ansible_collections.vpp.maglev.maglevd.maglevc.runner import EXIT_OK, SHOWS, Runner, help_text


def handlers(node: Node) -> Iterator[str]:
    if node.run is not None:
        yield node.run
    for child in node.children:
        yield from handlers(child)


class Client:
    def status(self):
        return {"state": "ok", "vpp": {"connected": True}}


def test_every_handler_of_the_tree_is_served():
    runner = Runner(Client(), as_json=False, out=lambda _text: None)  # type: ignore[arg-type]
    served = set(SHOWS) | set(runner.commands) | {"quit"}
    assert set(handlers(TREE)) == served


def test_help_lists_every_command_of_the_tree_with_what_it_does():
    out = []
    assert Runner(Client(), as_json=False, out=out.append).execute(["help"]) == EXIT_OK  # type: ignore[arg-type]
    assert out == [help_text()]
    listed = out[0].splitlines()
    assert len(listed) == len(command_lines())
    for (syntax, what), line in zip(command_lines(), listed):
        assert line.startswith(syntax) and line.endswith(what)
    assert any(line.startswith("set backend <backend> pause|resume|enable|disable") for line in listed)


@pytest.mark.parametrize("as_json, expected", [(False, "state  ok\nvpp    connected to -"), (True, None)])
def test_a_show_fetches_and_renders(as_json, expected):
    out = []
    Runner(Client(), as_json=as_json, out=out.append).execute(["sh", "stat"])  # type: ignore[arg-type]
    assert out == [expected or '{"state": "ok", "vpp": {"connected": true}}']
