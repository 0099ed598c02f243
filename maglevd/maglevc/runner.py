"""Running one parsed command against maglevd and printing its answer.

Each handler of the command tree is one call of the daemon's client and one renderer; the
exit code says how it went (0 ok, 1 refused, 3 maglevd not reachable, 64 usage error; exit_codes.py).
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from ...plugins.module_utils.maglevd_client import MaglevdClient, MaglevdError, MaglevdUnavailable
from ..exit_codes import EX_USAGE, EXIT_UNAVAILABLE
from ..version import VERSION
from .command_parser import UsageError, parse, parse_watch, resolve_name
from .command_tree import ACTION_WORDS, DRAIN, FORCE, FORCE_HANDLERS, command_lines
from .drain_wait import OPTIONS as WAIT_OPTIONS
from .drain_wait import FlowWait, WaitOptions, flows_text, take_options
from .render import (
    render_action,
    render_backend,
    render_backends,
    render_config_check,
    render_event,
    render_frontend,
    render_frontends,
    render_healthchecks,
    render_kv,
    render_reload,
)
from .render_status import render_status, render_sync_now, render_vpp_info

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, EX_USAGE

Render = Callable[[Any], str]
Fetch = Callable[[MaglevdClient, Dict[str, str]], Any]

# Handlers that fetch one resource and print it: (client call, renderer).
SHOWS: Dict[str, Tuple[Fetch, Render]] = {
    "show_status": (lambda client, values: client.status(), render_status),
    "show_frontends": (lambda client, values: client.frontends(), render_frontends),
    "show_frontend": (lambda client, values: client.frontend(values["frontend"]), render_frontend),
    "show_backends": (lambda client, values: client.backends(), render_backends),
    "show_backend": (lambda client, values: client.backend(values["backend"]), render_backend),
    "show_healthchecks": (lambda client, values: client.healthchecks(), render_healthchecks),
    "show_healthcheck": (lambda client, values: client.healthcheck(values["healthcheck"]), render_kv),
    "show_vpp_info": (lambda client, values: client.vpp_info(), render_vpp_info),
    "show_vpp_lb_state": (lambda client, values: client.vpp_lb_state(), render_kv),
    "sync_vpp": (lambda client, values: client.vpp_lb_sync(), render_sync_now),
}


@dataclass
class Command:
    """One parsed command line: the handler, its slot values, `--force`, and watch options."""

    handler: str
    values: Dict[str, str]
    force: bool = False
    rest: List[str] = field(default_factory=list)
    wait: WaitOptions = field(default_factory=lambda: WaitOptions(None))


def help_text() -> str:
    """The shell's `help`: every command of the tree with what it does (the same list as
    `maglevc --help` and the man page, so none of them can drift)."""
    lines = command_lines()
    width = max(len(syntax) for syntax, _what in lines)
    return "\n".join(f"{syntax.ljust(width)}  {what}" for syntax, what in lines)


class Runner:
    def __init__(self, client: MaglevdClient, as_json: bool, out: Callable[[str], None] = print) -> None:
        self.client = client
        self.as_json = as_json
        self.out = out
        self.commands: Dict[str, Callable[[Command], int]] = {
            "help": self.help,
            "show_version": self.show_version,
            "set_backend": self.set_backend,
            "set_weight": self.set_weight,
            "config_check": self.config_check,
            "config_reload": self.config_reload,
            "watch_events": self.watch_events,
        }

    def names(self, kind: Optional[str], values: Dict[str, str]) -> List[str]:
        """The daemon's names for a slot (the cheapest list that has them); [] if it cannot say."""
        client = self.client
        try:
            if kind == "backend":
                return list(client.states())
            if kind == "frontend":
                return [frontend["name"] for frontend in client.frontends()]
            if kind == "healthcheck":
                return [check["name"] for check in client.healthchecks()]
            if kind == "pool" and "frontend" in values:
                return [pool["name"] for pool in client.frontend(values["frontend"])["pools"]]
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

    def emit(self, data: Any, render: Optional[Render] = None) -> None:
        if self.as_json or render is None:
            self.out(json.dumps(data, indent=2, default=str) if not self.as_json else json.dumps(data, default=str))
        else:
            self.out(render(data))

    def execute(self, words: List[str]) -> int:
        force = FORCE in words
        words, wait = take_options(words) if words[:1] != ["watch"] else (words, WaitOptions(None))
        handler, values, rest = parse([w for w in words if w != FORCE])
        if force and handler not in FORCE_HANDLERS:
            raise UsageError(f"{FORCE} applies only to set backend and set frontend ... weight")
        if wait.flows is not None and handler != "set_backend":
            raise UsageError(f"{', '.join(WAIT_OPTIONS)} apply only to set backend NAME {DRAIN}")
        values = self.resolve(values)
        if handler == "quit":
            raise SystemExit(EXIT_OK)
        if handler in SHOWS:
            fetch, render = SHOWS[handler]
            self.emit(fetch(self.client, values), render)
            return EXIT_OK
        return self.commands[handler](Command(handler, values, force, rest, wait))

    # -- the commands that do more than fetch and print ------------------------------------------

    def help(self, command: Command) -> int:
        self.out(help_text())
        return EXIT_OK

    def show_version(self, command: Command) -> int:
        self.emit(
            {"maglevc": VERSION, **self.client.version()},
            lambda data: f"maglevd {data['version']} (pid {data['pid']}), maglevc {VERSION}",
        )
        return EXIT_OK

    def set_backend(self, command: Command) -> int:
        typed = command.values["action"]
        action = [word for word in ACTION_WORDS if word.startswith(typed)]
        if len(action) != 1:
            raise UsageError(f"set backend: expected one of {', '.join(ACTION_WORDS)}, got {typed!r}")
        if command.wait.flows is not None and action[0] != DRAIN:
            raise UsageError(f"--wait-flows applies only to {DRAIN}")
        # drain = pause (weight 0, established flows kept: docs/traffic.md), then maybe wait
        verb = "pause" if action[0] == DRAIN else action[0]
        result = self.client.backend_action(command.values["backend"], verb, force=command.force)
        self.emit(result, render_action)
        if command.wait.flows is None:
            return EXIT_OK
        return self.wait_flows(result, command.wait)

    def wait_flows(self, paused: Dict[str, Any], options: WaitOptions) -> int:
        """Wait for the paused backend's flows (drain_wait.py); exit 1 on a timeout."""
        name = paused["name"]
        progress = (lambda line: None) if self.as_json else self.out
        waiter = FlowWait(lambda: self.client.backend(name), progress)
        result = waiter.run(name, paused.get("flows_read_at"), options)
        flows = flows_text(result["flows"]) if result["flows_read_at"] is not None else "unknown"
        text = f"{name}: {result['result']} after {result['waited']:g}s, flows {flows}"
        self.emit(result, lambda data: text)
        return EXIT_OK if result["result"] == "idle" else EXIT_REFUSED

    def set_weight(self, command: Command) -> int:
        values = command.values
        try:
            weight = int(values["weight"])
        except ValueError:
            raise UsageError(f"weight: expected an integer 0-100, got {values['weight']!r}")
        result = self.client.set_weight(
            values["frontend"], values["pool"], values["backend"], weight, force=command.force
        )
        self.emit(result, render_frontend)
        return EXIT_OK

    def config_check(self, command: Command) -> int:
        result = self.client.config_check()
        self.emit(result, render_config_check)
        return EXIT_OK if result["ok"] else EXIT_REFUSED

    def config_reload(self, command: Command) -> int:
        result = self.client.config_reload()
        self.emit(result, render_reload)
        return EXIT_OK if result["ok"] else EXIT_REFUSED

    def watch_events(self, command: Command) -> int:
        return self.watch(parse_watch(command.rest))

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


def run_line(runner: Runner, line: str) -> int:
    """Run one command line; errors are one `error: ...` line on stderr and an exit code."""
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
