"""The words maglevc understands, as a tree: keywords, and slots that take a name.

A command is a path from the root; the node where it ends names the handler (`run`). The
parser (command_parser.py), the shell's completion and its `?` help all walk this one tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple


@dataclass
class Node:
    """A keyword, or a slot (`kind` set) that takes any word: a name completed from the server."""

    word: str
    help: str = ""
    kind: Optional[str] = None  # frontend | backend | healthcheck | pool | action | weight | number | level
    children: List[Node] = field(default_factory=list)
    run: Optional[str] = None  # handler name when the command may end here

    def add(self, *nodes: Node) -> Node:
        self.children.extend(nodes)
        return self


def keyword(word: str, help: str = "", run: Optional[str] = None, *children: Node) -> Node:
    """A fixed word of the command."""
    return Node(word, help, None, list(children), run)


def slot(kind: str, help: str = "", run: Optional[str] = None, *children: Node) -> Node:
    """A place for any word of `kind` (a name, an action, a number)."""
    return Node(f"<{kind}>", help, kind, list(children), run)


DRAIN = "drain"  # maglevc's word for pause, which may then wait for the flows (drain_wait.py)
ACTION_WORDS = ("pause", "resume", "enable", "disable", DRAIN)
FORCE = "--force"  # allowed anywhere in `set backend` / `set frontend ... weight`
FORCE_HANDLERS = ("set_backend", "set_weight")

# `watch events` options: name -> the kind of value it takes (None: a flag).
WATCH_OPTIONS = {
    "num": "number",
    "log": None,
    "level": "level",
    "probes": None,
    "backend": "backend",
    "frontend": "frontend",
}
WATCH_HELP = "[num N] [log [level LEVEL]] [probes] [backend NAME] [frontend NAME]"


def _show() -> Node:
    return keyword(
        "show",
        "show state",
        None,
        keyword("version", "daemon version", "show_version"),
        keyword("status", "daemon status", "show_status"),
        # vpp-maglev's users type `show frontends NAME`: the plural takes an optional name too.
        keyword("frontends", "all frontends", "show_frontends", slot("frontend", "frontend name", "show_frontend")),
        keyword("frontend", "one frontend", None, slot("frontend", "frontend name", "show_frontend")),
        keyword("backends", "all backends", "show_backends", slot("backend", "backend name", "show_backend")),
        keyword("backend", "one backend", None, slot("backend", "backend name", "show_backend")),
        keyword(
            "healthchecks",
            "all healthchecks",
            "show_healthchecks",
            slot("healthcheck", "healthcheck name", "show_healthcheck"),
        ),
        keyword("healthcheck", "one healthcheck", None, slot("healthcheck", "healthcheck name", "show_healthcheck")),
        _show_vpp(),
    )


def _show_vpp() -> Node:
    info = keyword("info", "VPP connection and version", "show_vpp_info")
    lb_state = keyword("lb", "load balancer", None, keyword("state", "what VPP holds now", "show_vpp_lb_state"))
    return keyword("vpp", "VPP dataplane", None, info, lb_state)


def _set() -> Node:
    weight = keyword("weight", "", None, slot("weight", "0-100", "set_weight"))
    backend = keyword("backend", "", None, slot("backend", "backend name", None, weight))
    pool = keyword("pool", "", None, slot("pool", "pool name", None, backend))
    return keyword(
        "set",
        "change state",
        None,
        keyword(
            "backend",
            "operator action",
            None,
            slot("backend", "backend name", None, slot("action", "|".join(ACTION_WORDS), "set_backend")),
        ),
        keyword("frontend", "runtime weight", None, slot("frontend", "frontend name", None, pool)),
    )


def _config() -> Node:
    check = keyword("check", "validate the file", "config_check")
    return keyword("config", "configuration", None, check, keyword("reload", "reload the file", "config_reload"))


def _sync() -> Node:
    state = keyword("state", "full VPP sync now", "sync_vpp")
    return keyword("sync", "", None, keyword("vpp", "", None, keyword("lb", "", None, state)))


TREE = Node(
    "",
    children=[
        _show(),
        _set(),
        keyword("watch", "follow", None, keyword("events", "stream events until Ctrl-C", "watch_events")),
        _config(),
        _sync(),
        keyword("quit", "leave the shell", "quit"),
        keyword("exit", "leave the shell", "quit"),
        keyword("help", "list commands", "help"),
    ],
)

# What each handler does, one line: maglevc --help and maglevc(1)'s COMMANDS (command_lines).
HANDLER_HELP = {
    "show_version": "maglevd's and maglevc's versions",
    "show_status": "the daemon's status",
    "show_frontends": "all frontends",
    "show_frontend": "one frontend: its pools and weights",
    "show_backends": "all backends",
    "show_backend": "one backend: state and last probes",
    "show_healthchecks": "all healthchecks",
    "show_healthcheck": "one healthcheck",
    "show_vpp_info": "the VPP connection and version",
    "show_vpp_lb_state": "what VPP's lb plugin holds now",
    "set_backend": "an operator action on a backend; drain = pause, --wait-flows N then waits for VPP's flows",
    "set_weight": "a pool member's runtime weight",
    "watch_events": "follow state changes until Ctrl-C",
    "config_check": "validate the daemon's config file",
    "config_reload": "reload the daemon's config file",
    "sync_vpp": "a full VPP sync now",
    "quit": "leave the shell",
    "help": "list the commands",
}


def _syntax(node: Node) -> str:
    """A word of a command's syntax: a keyword, `<kind>`, or a slot's choices (`pause|resume|...`)."""
    if node.kind is not None and "|" in node.help:
        return node.help
    return node.word


def command_lines(node: Node = TREE, path: tuple = ()) -> List[Tuple[str, str]]:
    """(syntax, what it does) for every command of the tree, in the tree's order."""
    lines: List[Tuple[str, str]] = []
    for child in node.children:
        words = (*path, _syntax(child))
        if child.run is not None:
            syntax = " ".join(words)
            if child.run == "watch_events":
                syntax += " " + WATCH_HELP
            if child.run in FORCE_HANDLERS:
                syntax += " [" + FORCE + "]"
            if child.run == "set_backend":
                syntax += " [--wait-flows N [--timeout S]]"
            lines.append((syntax, HANDLER_HELP[child.run]))
        lines += command_lines(child, words)
    return lines
