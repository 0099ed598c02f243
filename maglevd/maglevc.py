"""maglevc: the command-line client of maglevd (one-shot or interactive).

    maglevc show backends
    maglevc --json show frontend web
    maglevc set backend web1 pause
    maglevc                       # interactive shell: tab completion, `?` help, prefix matching

Commands (keywords and names may be abbreviated to any unique prefix; an exact match wins):

    show version | status
    show frontends | frontend NAME     (show frontends NAME works too)
    show backends | backend NAME       (show backends NAME too)
    show healthchecks | healthcheck NAME
    show vpp info | show vpp lb state
    set backend NAME pause|resume|enable|disable [--force]
    set frontend NAME pool POOL backend NAME weight 0-100 [--force]
    watch events [num N] [log [level LEVEL]] [probes] [backend NAME] [frontend NAME]
    config check | config reload
    sync vpp lb state
    quit | exit

maglevd refuses to pause, disable or zero-weight the last backend that serves a frontend;
`--force` does it anyway.

Exit codes: 0 ok, 1 maglevd refused the request, 2 usage error, 3 maglevd not reachable.
"""

from __future__ import annotations

import argparse
import cmd
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..plugins.module_utils.maglevd_client import DEFAULT_SOCKET, MaglevdClient, MaglevdError, MaglevdUnavailable
from .environment import control_socket
from .version import VERSION

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3


class UsageError(Exception):
    pass


# -- the command tree ------------------------------------------------------------------------------


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


def K(word: str, help: str = "", run: Optional[str] = None, *children: Node) -> Node:
    return Node(word, help, None, list(children), run)


def S(kind: str, help: str = "", run: Optional[str] = None, *children: Node) -> Node:
    return Node(f"<{kind}>", help, kind, list(children), run)


ACTION_WORDS = ("pause", "resume", "enable", "disable")
FORCE = "--force"  # allowed anywhere in `set backend` / `set frontend ... weight`

TREE = Node(
    "",
    children=[
        K(
            "show",
            "show state",
            None,
            K("version", "daemon version", "show_version"),
            K("status", "daemon status", "show_status"),
            # vpp-maglev's users type `show frontends NAME`: the plural takes an optional name too.
            K("frontends", "all frontends", "show_frontends", S("frontend", "frontend name", "show_frontend")),
            K("frontend", "one frontend", None, S("frontend", "frontend name", "show_frontend")),
            K("backends", "all backends", "show_backends", S("backend", "backend name", "show_backend")),
            K("backend", "one backend", None, S("backend", "backend name", "show_backend")),
            K(
                "healthchecks",
                "all healthchecks",
                "show_healthchecks",
                S("healthcheck", "healthcheck name", "show_healthcheck"),
            ),
            K("healthcheck", "one healthcheck", None, S("healthcheck", "healthcheck name", "show_healthcheck")),
            K(
                "vpp",
                "VPP dataplane",
                None,
                K("info", "VPP connection and version", "show_vpp_info"),
                K("lb", "load balancer", None, K("state", "what VPP holds now", "show_vpp_lb_state")),
            ),
        ),
        K(
            "set",
            "change state",
            None,
            K(
                "backend",
                "operator action",
                None,
                S("backend", "backend name", None, S("action", "pause|resume|enable|disable", "set_backend")),
            ),
            K(
                "frontend",
                "runtime weight",
                None,
                S(
                    "frontend",
                    "frontend name",
                    None,
                    K(
                        "pool",
                        "",
                        None,
                        S(
                            "pool",
                            "pool name",
                            None,
                            K(
                                "backend",
                                "",
                                None,
                                S(
                                    "backend",
                                    "backend name",
                                    None,
                                    K("weight", "", None, S("weight", "0-100", "set_weight")),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
        K("watch", "follow", None, K("events", "stream events until Ctrl-C", "watch_events")),
        K(
            "config",
            "configuration",
            None,
            K("check", "validate the file", "config_check"),
            K("reload", "reload the file", "config_reload"),
        ),
        K("sync", "", None, K("vpp", "", None, K("lb", "", None, K("state", "full VPP sync now", "sync_vpp")))),
        K("quit", "leave the shell", "quit"),
        K("exit", "leave the shell", "quit"),
        K("help", "list commands", "help"),
    ],
)

WATCH_OPTIONS = {
    "num": "number",
    "log": None,
    "level": "level",
    "probes": None,
    "backend": "backend",
    "frontend": "frontend",
}


def match_keyword(word: str, nodes: Sequence[Node]) -> Tuple[Optional[Node], List[Node]]:
    """Exact match wins, then a unique prefix; returns (node or None, candidates)."""
    keywords = [n for n in nodes if n.kind is None]
    for node in keywords:
        if node.word == word:
            return node, [node]
    candidates = [n for n in keywords if n.word.startswith(word)]
    if len(candidates) == 1:
        return candidates[0], candidates
    return None, candidates


def parse(words: List[str]) -> Tuple[str, Dict[str, str], List[str]]:
    """words -> (handler, slot values, trailing words for `watch events`). Raises UsageError."""
    node, values, consumed = TREE, {}, []
    index = 0
    while index < len(words):
        word = words[index]
        if node.run == "watch_events":
            return node.run, values, words[index:]
        keyword, candidates = match_keyword(word, node.children)
        if keyword is None and len(candidates) > 1:
            # "fr": frontend vs frontends. When one is a prefix of the others, more words pick
            # the one that takes them, no more words pick the one that ends the command.
            shortest = min(candidates, key=lambda n: len(n.word))
            if all(n.word.startswith(shortest.word) for n in candidates):
                more = index + 1 < len(words)
                fitting = [n for n in candidates if (n.children if more else n.run)]
                if shortest in fitting:  # both fit ("fr NAME"): the shorter word, as typed
                    fitting = [shortest]
                keyword = fitting[0] if len(fitting) == 1 else None
        if keyword is not None:
            node = keyword
            word = keyword.word
        else:
            slots = [n for n in node.children if n.kind is not None]
            if slots and not candidates:
                node = slots[0]
                values[node.kind] = word  # type: ignore[index]
            else:
                where = " ".join(consumed) or "the start"
                options = ", ".join(n.word for n in (candidates or node.children)) or "nothing more"
                if candidates:
                    raise UsageError(f"{word!r} is ambiguous after {where}: {options}")
                raise UsageError(f"unknown word {word!r} after {where}: expected {options}")
        consumed.append(word)
        index += 1
    if node.run is None:
        options = ", ".join(n.word if n.kind is None or not n.help else f"{n.word} ({n.help})" for n in node.children)
        raise UsageError(f"incomplete command {' '.join(consumed)!r}: expected {options}")
    return node.run, values, []


MAX_LISTED = 10  # candidates named in an "ambiguous" error


def resolve_name(kind: str, word: str, names: Sequence[str]) -> str:
    """A name as keywords are matched: exact wins, then a unique prefix. An unknown name is
    returned as typed (the daemon says it is not found); an ambiguous one is a UsageError."""
    if word in names:
        return word
    matches = [n for n in names if n.startswith(word)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(matches[:MAX_LISTED]) + (
            f" ... ({len(matches) - MAX_LISTED} more)" if len(matches) > MAX_LISTED else ""
        )
        raise UsageError(f"{kind} {word[:200]!r} is ambiguous: {listed}")
    return word


def parse_watch(words: List[str]) -> Dict[str, Any]:
    options: Dict[str, Any] = {}
    index = 0
    while index < len(words):
        matches = [k for k in WATCH_OPTIONS if k.startswith(words[index])]
        exact = [k for k in matches if k == words[index]]
        if len(exact) == 1:
            matches = exact
        if len(matches) != 1:
            raise UsageError(f"watch events: unknown option {words[index]!r}: expected {', '.join(WATCH_OPTIONS)}")
        key = matches[0]
        if WATCH_OPTIONS[key] is None:
            options[key] = True
            index += 1
            continue
        if index + 1 >= len(words):
            raise UsageError(f"watch events: {key} needs a value")
        options[key] = words[index + 1]
        index += 2
    if "num" in options:
        if not str(options["num"]).isdigit():
            raise UsageError("watch events: num must be a positive integer")
        options["num"] = int(options["num"])
    return options


# -- output --------------------------------------------------------------------------------------


def table(rows: List[List[Any]], header: List[str]) -> str:
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells)


def age(when: Optional[float]) -> str:
    if not when:
        return "-"
    seconds = max(0, int(time.time() - when))
    if seconds < 1:
        return "now"
    units = [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)]
    parts = []
    for name, size in units:
        if seconds >= size:
            parts.append(f"{seconds // size}{name}")
            seconds %= size
        if len(parts) == 2:
            break
    return "".join(parts)


def render_backends(data: List[Dict[str, Any]]) -> str:
    rows = []
    for b in data:
        last = b["history"][0]["time"] if b.get("history") else None
        rows.append(
            [
                b["name"],
                b["address"],
                b["state"],
                "yes" if b["enabled"] else "no",
                f"{b['counter']}/{b['rise'] + b['fall'] - 1}",
                b["type"],
                b["code"] or "-",
                age(last),
            ]
        )
    return table(rows, ["BACKEND", "ADDRESS", "STATE", "ENABLED", "HEALTH", "CHECK", "CODE", "SINCE"])


def render_backend(b: Dict[str, Any]) -> str:
    lines = [
        f"backend      {b['name']}",
        f"address      {b['address']}",
        f"state        {b['state']}" + ("" if b["enabled"] else "  [disabled]"),
        f"health       {b['counter']} (rise {b['rise']}, fall {b['fall']})",
        f"healthcheck  {b['healthcheck'] or '-'} ({b['type']})",
        f"last probe   {b['code'] or '-'} {b['detail'] or ''}".rstrip(),
        f"frontends    {', '.join(b['frontends']) or '-'}",
        "history",
    ]
    for t in b.get("history", []):
        lines.append(f"  {age(t['time']):>7} ago  {t['from']:>8} -> {t['to']:<8}  {t['code']}")
    return "\n".join(lines)


def render_frontends(data: List[Dict[str, Any]]) -> str:
    rows = []
    for f in data:
        members = [m for p in f["pools"] for m in p["backends"]]
        serving = sum(1 for m in members if m["weight"] > 0)
        rows.append(
            [
                f["name"],
                f["address"],
                f["protocol"],
                f["port"],
                f["state"],
                f["pools"][f["active_pool"]]["name"] if f["pools"] else "-",
                f"{serving}/{len(members)}",
            ]
        )
    return table(rows, ["FRONTEND", "ADDRESS", "PROTO", "PORT", "STATE", "ACTIVE POOL", "SERVING"])


def render_frontend(f: Dict[str, Any]) -> str:
    lines = [
        f"frontend       {f['name']}" + (f"  ({f['description']})" if f.get("description") else ""),
        f"vip            {f['address']} {f['protocol']} port {f['port']}",
        f"state          {f['state']}",
        f"src-ip-sticky  {'yes' if f['src_ip_sticky'] else 'no'}",
        f"flush-on-down  {'yes' if f['flush_on_down'] else 'no'}",
    ]
    for pool in f["pools"]:
        lines.append(f"pool {pool['name']}" + ("  (active)" if pool["active"] else ""))
        rows = [
            [
                "  " + m["backend"],
                m["address"],
                m["state"] + ("" if m["enabled"] is not False else " [disabled]"),
                m["configured_weight"],
                m["weight"],
            ]
            for m in pool["backends"]
        ]
        lines.append(table(rows, ["  BACKEND", "ADDRESS", "STATE", "WEIGHT", "EFFECTIVE"]))
    return "\n".join(lines)


def render_healthchecks(data: List[Dict[str, Any]]) -> str:
    rows = [
        [
            h["name"],
            h["type"],
            h["port"] or "-",
            f"{h['interval']:g}s",
            f"{h['fast_interval']:g}s",
            f"{h['down_interval']:g}s",
            f"{h['timeout']:g}s",
            h["rise"],
            h["fall"],
            len(h["backends"]),
        ]
        for h in data
    ]
    text = table(
        rows, ["HEALTHCHECK", "TYPE", "PORT", "INTERVAL", "FAST", "DOWN", "TIMEOUT", "RISE", "FALL", "BACKENDS"]
    )
    errors = [f"error: {h['name']}: {h['error']}" for h in data if h.get("error")]
    return "\n".join([text, *errors])


def render_kv(data: Any, indent: str = "") -> str:
    """YAML-like: a list item that is a mapping gets one "- " on its first key, the rest align."""
    if isinstance(data, dict):
        lines = []
        for key, value in data.items():
            if isinstance(value, (dict, list)) and value:
                lines.append(f"{indent}{key}:")
                lines.append(render_kv(value, indent + "  "))
            else:
                lines.append(f"{indent}{key}: {value}")
        return "\n".join(lines)
    if isinstance(data, list):
        items = []
        for value in data:
            if isinstance(value, (dict, list)) and value:
                # the indent string must not carry the dash: it would repeat on every line below
                body = render_kv(value, indent + "  ")
                items.append(f"{indent}- {body[len(indent) + 2 :]}")
            else:
                items.append(f"{indent}- {value}")
        return "\n".join(items)
    return f"{indent}{data}"


def render_vpp_info(data: Dict[str, Any]) -> str:
    """render_kv, with the Unix timestamps the API sends shown as UTC times and the age of
    the last successful VPP round trip as "N.Ns ago" ("never" before the first)."""
    shown = dict(data)
    for key, value in data.items():
        if (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and (key.endswith("_since") or key in ("time", "last_ok"))
        ):
            shown[key] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(value))
    if "last_ok_age" in data and data.get("enabled", True):
        age = data["last_ok_age"]
        shown["last_ok_age"] = "never" if age is None else "%.1fs ago" % age
    return render_kv(shown)


def render_event(e: Dict[str, Any]) -> str:
    when = time.strftime("%H:%M:%S", time.localtime(e.get("time") or time.time()))
    kind = e.get("type")
    if e.get("replay"):  # the state when the watch started, not a change: say so, no "up -> up"
        what = f"backend {e['backend']}" if kind == "backend-transition" else f"frontend {e.get('frontend')}"
        code = f", {e['code']}" if e.get("code") else ""
        return f"{when} {what} is {e['to']} (current state{code})"
    if kind == "backend-transition":
        return f"{when} backend {e['backend']} {e['from']} -> {e['to']} ({e.get('code', '')})"
    if kind == "frontend-transition":
        return f"{when} frontend {e['frontend']} {e['from']} -> {e['to']}"
    rest = {k: v for k, v in e.items() if k not in ("type", "seq", "time")}
    return f"{when} {kind} {json.dumps(rest, default=str, separators=(',', ':'))}"


# -- running commands ------------------------------------------------------------------------------


class Runner:
    def __init__(self, client: MaglevdClient, as_json: bool, out: Callable[[str], None] = print) -> None:
        self.client = client
        self.as_json = as_json
        self.out = out

    def names(self, kind: Optional[str], values: Dict[str, str]) -> List[str]:
        """The daemon's names for a slot (the cheapest list that has them); [] if it cannot say."""
        c = self.client
        try:
            if kind == "backend":
                return list(c.states())
            if kind == "frontend":
                return [f["name"] for f in c.frontends()]
            if kind == "healthcheck":
                return [h["name"] for h in c.healthchecks()]
            if kind == "pool" and "frontend" in values:
                return [p["name"] for p in c.frontend(values["frontend"])["pools"]]
            if kind == "action":
                return list(ACTION_WORDS)
        except MaglevdError:
            return []
        return []

    def resolve(self, values: Dict[str, str]) -> Dict[str, str]:
        """Complete abbreviated names from the daemon (the frontend before its pool)."""
        resolved = dict(values)
        for kind in ("frontend", "pool", "backend", "healthcheck"):
            if kind in resolved:
                resolved[kind] = resolve_name(kind, resolved[kind], self.names(kind, resolved))
        return resolved

    def emit(self, data: Any, render: Optional[Callable[[Any], str]] = None) -> None:
        if self.as_json or render is None:
            self.out(json.dumps(data, indent=2, default=str) if not self.as_json else json.dumps(data, default=str))
        else:
            self.out(render(data))

    def execute(self, words: List[str]) -> int:
        force = FORCE in words
        handler, values, rest = parse([w for w in words if w != FORCE])
        if force and handler not in ("set_backend", "set_weight"):
            raise UsageError(f"{FORCE} applies only to set backend and set frontend ... weight")
        values = self.resolve(values)
        if handler == "quit":
            raise SystemExit(EXIT_OK)
        if handler == "help":
            self.out(__doc__.split("Commands")[1].split("Exit codes")[0].strip().split("\n", 1)[1])
            return EXIT_OK
        c = self.client
        if handler == "show_version":
            self.emit(
                {"maglevc": VERSION, **c.version()},
                lambda d: f"maglevd {d['version']} (pid {d['pid']}), maglevc {VERSION}",
            )
        elif handler == "show_status":
            self.emit(c.status(), render_kv)
        elif handler == "show_frontends":
            self.emit(c.frontends(), render_frontends)
        elif handler == "show_frontend":
            self.emit(c.frontend(values["frontend"]), render_frontend)
        elif handler == "show_backends":
            self.emit(c.backends(), render_backends)
        elif handler == "show_backend":
            self.emit(c.backend(values["backend"]), render_backend)
        elif handler == "show_healthchecks":
            self.emit(c.healthchecks(), render_healthchecks)
        elif handler == "show_healthcheck":
            self.emit(c.healthcheck(values["healthcheck"]), render_kv)
        elif handler == "show_vpp_info":
            self.emit(c.vpp_info(), render_vpp_info)
        elif handler == "show_vpp_lb_state":
            self.emit(c.vpp_lb_state(), render_kv)
        elif handler == "sync_vpp":
            self.emit(c.vpp_lb_sync(), render_kv)
        elif handler == "set_backend":
            action = [a for a in ACTION_WORDS if a.startswith(values["action"])]
            if len(action) != 1:
                raise UsageError(f"set backend: expected one of {', '.join(ACTION_WORDS)}, got {values['action']!r}")
            result = c.backend_action(values["backend"], action[0], force=force)
            self.emit(result, lambda b: f"backend {b['name']}: {b['state']}" + ("" if b["changed"] else " (unchanged)"))
        elif handler == "set_weight":
            try:
                weight = int(values["weight"])
            except ValueError:
                raise UsageError(f"weight: expected an integer 0-100, got {values['weight']!r}")
            self.emit(
                c.set_weight(values["frontend"], values["pool"], values["backend"], weight, force=force),
                render_frontend,
            )
        elif handler == "config_check":
            result = c.config_check()
            self.emit(result, lambda r: f"{r['path']}: OK" if r["ok"] else "\n".join(r["errors"]))
            return EXIT_OK if result["ok"] else EXIT_REFUSED
        elif handler == "config_reload":
            result = c.config_reload()
            self.emit(result, render_reload)
            return EXIT_OK if result["ok"] else EXIT_REFUSED
        elif handler == "watch_events":
            return self.watch(parse_watch(rest))
        return EXIT_OK

    def watch(self, options: Dict[str, Any]) -> int:
        try:
            for event in self.client.events(
                backend=options.get("backend"),
                frontend=options.get("frontend"),
                log=bool(options.get("log") or options.get("level")),
                level=options.get("level", "info"),
                probes=bool(options.get("probes")),
                num=options.get("num"),
            ):
                self.out(json.dumps(event, default=str) if self.as_json else render_event(event))
                sys.stdout.flush()
        except KeyboardInterrupt:
            pass
        return EXIT_OK


def render_reload(r: Dict[str, Any]) -> str:
    if not r["ok"]:
        return "reload refused, running config kept:\n" + "\n".join(r["errors"])
    s = r.get("summary", {})
    parts = [f"{k} {len(v)}" for k, v in s.items() if v]
    return "reloaded" + (": " + ", ".join(parts) if parts else "")


def run_line(runner: Runner, line: str) -> int:
    try:
        return runner.execute(shlex.split(line))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except MaglevdUnavailable as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except MaglevdError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_REFUSED
    except ValueError as exc:  # shlex: unbalanced quotes
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


# -- interactive shell -----------------------------------------------------------------------------


class Shell(cmd.Cmd):
    prompt = "maglevc> "

    def __init__(self, runner: Runner) -> None:
        super().__init__()
        self.runner = runner
        self.identchars += "-."
        self._names: Dict[str, List[str]] = {}

    def preloop(self) -> None:
        # Names have hyphens (web-1) and dots: only whitespace separates words, or readline
        # would complete just the part after the last "-".
        try:
            import readline
        except ImportError:  # no readline: no completion to configure
            return
        readline.set_completer_delims(" \t\n")

    def candidates(self, words: List[str], partial: str) -> List[str]:
        """What may follow `words`, starting with `partial`: keywords, then the daemon's names."""
        node, values = TREE, {}
        for word in words:
            if node.run == "watch_events":
                break
            keyword, _candidates = match_keyword(word, node.children)
            if keyword is None:
                slots = [n for n in node.children if n.kind is not None]
                if not slots:
                    return []
                keyword = slots[0]
                values[keyword.kind] = word
            node = keyword
        if node.run == "watch_events":
            return [k for k in WATCH_OPTIONS if k.startswith(partial)]
        result = [n.word for n in node.children if n.kind is None and n.word.startswith(partial)]
        for slot in (n for n in node.children if n.kind is not None):
            if slot.kind == "pool":  # an abbreviated frontend names its pools too
                values["frontend"] = resolve_name("frontend", values["frontend"], self.runner.names("frontend", values))
            result += [name for name in self.runner.names(slot.kind, values) if name.startswith(partial)]
        return result

    def complete_line(self, line: str) -> List[str]:
        """Completions of the last word of `line` (the text before the cursor), each a whole word."""
        try:
            words = shlex.split(line)
        except ValueError:  # an open quote: nothing sensible to offer
            return []
        partial = "" if not line or line[-1].isspace() else words.pop()
        try:
            return [w + " " for w in self.candidates(words, partial)]
        except UsageError:
            return []

    def _complete(self, text: str, line: str, begidx: int, endidx: int) -> List[str]:
        # readline replaces only `text` (from begidx); our words start at the last whitespace.
        # They differ when readline's own delimiters split a name ("-"): cut the part it keeps.
        before = line[:endidx]
        start = len(before) - len(before.split()[-1]) if before and not before[-1].isspace() else endidx
        keep = max(0, begidx - start)
        return [c[keep:] for c in self.complete_line(before) if c.startswith(before[start:begidx])]

    def completenames(self, text, line="", begidx=0, endidx=None, *ignored):
        line = line or text
        return self._complete(text, line, begidx, len(line) if endidx is None else endidx)

    def completedefault(self, text, line, begidx, endidx):
        return self._complete(text, line, begidx, endidx)

    def default(self, line: str) -> bool:
        line = line.strip()
        if line.endswith("?"):
            self.help_line(line[:-1])
            return False
        try:
            run_line(self.runner, line)
        except SystemExit:
            return True
        return False

    def help_line(self, line: str) -> None:
        """birdc-style `?`: echo the line, then list what may follow."""
        print(f"{self.prompt}{line}?")
        words = shlex.split(line)
        partial = "" if not line or line.endswith(" ") else words.pop()
        node = TREE
        for word in words:
            keyword, _node = match_keyword(word, node.children)
            if keyword is None:
                slots = [n for n in node.children if n.kind is not None]
                if not slots:
                    print(f"  (unknown word {word!r})")
                    return
                keyword = slots[0]
            node = keyword
        if node.run == "watch_events":
            print("  [num N] [log [level LEVEL]] [probes] [backend NAME] [frontend NAME]")
            return
        for child in node.children:
            if child.word.startswith(partial) or child.kind is not None:
                print(f"  {child.word:<14} {child.help}")
        if node.run is not None:
            print("  <enter>        run it")

    def do_help(self, arg: str) -> None:  # cmd's own help lists do_* methods; ours lists the tree
        self.default("help")

    def emptyline(self) -> bool:
        return False

    def do_EOF(self, arg: str) -> bool:
        print()
        return True


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


def _main(argv: Optional[List[str]] = None) -> int:
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
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
