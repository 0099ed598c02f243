"""maglevd entry point: `python -m ansible_collections.vpp.maglev.maglevd --config FILE`.

Every flag, its default and the MAGLEV_* variable that sets it are one table (`maglevd_flags`):
`--help`, the man page (`maglevd --man`, manpage.py) and argparse are built from it (a test
holds docs/maglevd.md's table to it). The flag wins over the variable. Exit codes are one table for
maglevd and maglevc (exit_codes.py; docs/maglevd.md, "Exit codes"). SIGHUP reloads the
configuration (kept on error).

Once the flags are parsed, every line the process writes is a JSON log line (log.py routes
warnings, other libraries' logs, uncaught exceptions and stray stderr writes through it), and
the last one is `stopped` with the exit code the process then returns; a bad flag too is a
`startup-failed` line (exit 64). Nothing runs after `stopping`: the probes, the reloads, the
API and the components are stopped and awaited before `stopped`. (`--check`, `--help`,
`--man` and `--version` are for people and print text.)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import Any, List, Mapping, NoReturn, Optional, Tuple

from ..plugins.module_utils.quoting import clip
from . import event_loop
from .check import main_check
from .environment import DEPRECATED_SOCKET_VAR, SOCKET_VAR, control_socket
from .exit_codes import EX_USAGE, EXIT_OK, EXIT_SEMANTIC, EXIT_SYNTAX
from .flags import Flag, Parser, add_flags, environment_rows, exit_codes_block, rows_block
from .version import VERSION

EXIT_START, EXIT_CONFIG = EXIT_SYNTAX, EXIT_SEMANTIC  # the process's meanings of 1 and 2
EXIT_CRASH = EXIT_START
DESCRIPTION = "VPP Maglev health-check daemon: probes backends and programs VPP's lb plugin."


class UsageError(Exception):
    """A bad flag: reported as a JSON line (exit 64), not argparse's usage text."""


class _Parser(Parser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _Terminated(Exception):
    """SIGTERM before the event loop took the signal over (while loading the config)."""


def parse_addr(value: str, flag: str) -> Optional[Tuple[Optional[str], int]]:
    """'host:port', '[v6]:port' or ':port' (all addresses); '' = off."""
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{flag}: expected host:port, [ipv6]:port or :port, got {value[:200]!r}")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return (host or None, int(port))


def maglevd_flags() -> List[Flag]:
    """maglevd's flags: the one table (docs/maglevd.md, "Flags and environment")."""
    from ..plugins.module_utils.maglevd_client import DEFAULT_SOCKET
    from .daemon import DEFAULT_CONFIG, DEFAULT_VPP_API
    from .vpp.settings import stats_flags

    return [
        Flag("--config", "maglev.yaml to run", "MAGLEV_CONFIG", DEFAULT_CONFIG, "FILE"),
        Flag(
            "--control-socket",
            f"control socket; '' = none ({DEPRECATED_SOCKET_VAR}: deprecated alias of {SOCKET_VAR})",
            SOCKET_VAR,
            DEFAULT_SOCKET,
            "PATH",
            env_later=True,
        ),
        Flag(
            "--control-addr",
            "TCP control listener host:port, [v6]:port or :port; needs a token",
            "MAGLEV_CONTROL_ADDR",
            None,
            "ADDR",
        ),
        Flag(
            "--control-token-file",
            "file holding the TCP listener's token (or the token in MAGLEV_CONTROL_TOKEN)",
            "MAGLEV_CONTROL_TOKEN_FILE",
            None,
            "FILE",
        ),
        Flag("--metrics-addr", "host:port of the Prometheus /metrics listener", "MAGLEV_METRICS_ADDR", None, "ADDR"),
        Flag(
            "--web-addr",
            "host:port of the web dashboard; off loopback it needs the token (docs/dashboard.md)",
            "MAGLEV_WEB_ADDR",
            None,
            "ADDR",
        ),
        Flag(
            "--vpp-api-addr",
            "VPP's binary API socket; '' = run the checker without VPP",
            "MAGLEV_VPP_API_ADDR",
            DEFAULT_VPP_API,
            "PATH",
        ),
        *stats_flags(),
        Flag("--log-level", "log level", "MAGLEV_LOG_LEVEL", "info", "LEVEL", ("debug", "info", "warn", "error")),
        Flag("--check", "validate FILE and exit (see exit codes)", metavar="FILE"),
        Flag("--man", "print the maglevd(8) manual page (roff) and exit", action="store_true"),
    ]


def environment_only() -> List[Tuple[str, str]]:
    """(variable, what it sets) for the variables that have no flag: the listeners' limits
    (listeners.ENV, docs/api.md), the VPP ping interval (vpp/settings.py) and the event loop
    (event_loop.py)."""
    from .listeners import ENV as API_LIMITS
    from .listeners import ListenerLimits
    from .vpp.settings import PING_ENV, VppSettings

    rows = [("MAGLEV_CONTROL_TOKEN", "the TCP listener's token, when --control-token-file is not given")]
    defaults = ListenerLimits()
    for name, (field, kind, low, high) in API_LIMITS.items():
        unit = "" if kind is int else " s"
        lowest, highest, default = (_number(kind(value)) for value in (low, high, getattr(defaults, field)))
        rows.append((name, f"API {field.replace('_', ' ')}, {lowest} to {highest}{unit} (default: {default})"))
    rows.append((PING_ENV, f"seconds between VPP control_pings (default: {VppSettings().ping_interval:g})"))
    rows.append(
        (event_loop.LOOP_VAR, "the event loop: %s (default: auto, uvloop if installed)" % ", ".join(event_loop.CHOICES))
    )
    return rows


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def epilog() -> str:
    """--help's epilog: the variables with no flag, then the exit codes."""
    return rows_block("environment (no flag)", environment_only()) + "\n\n" + exit_codes_block("maglevd")


def environment_rows_all() -> List[Tuple[str, str]]:
    """Every variable maglevd reads: the flags' and the ones with no flag (the man page's ENVIRONMENT)."""
    return environment_rows(maglevd_flags()) + environment_only()


def manpage(parser: argparse.ArgumentParser) -> str:
    """maglevd(8) as roff, from the parser and the tables its --help shows."""
    from .exit_codes import exit_codes
    from .manpage import ManPage, Section, render

    description = Section(
        "description",
        DESCRIPTION + "\n\nmaglevd logs JSON lines on stdout; the last one is `stopped` with the exit code. "
        "SIGHUP reloads the configuration (the running one is kept on error); SIGTERM and SIGINT stop it "
        "cleanly. maglevc(1) is its command-line client.",
    )
    after = [
        Section("environment", "A flag wins over its variable.", environment_rows_all()),
        Section("exit status", rows=[(str(code), text) for code, text in exit_codes("maglevd")]),
        Section("see also", "maglevc(1); docs/maglevd.md in the vpp.maglev collection."),
    ]
    page = ManPage("maglevd", 8, "VPP Maglev health-check daemon", parser, VERSION, [description], after)
    return render(page)


def build_parser(environ: Optional[Mapping[str, str]] = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="maglevd", description=DESCRIPTION, epilog_factory=epilog)
    add_flags(parser, maglevd_flags(), os.environ if environ is None else environ)
    parser.add_argument("--version", action="version", version="maglevd %s" % VERSION)
    return parser


def _token(args: argparse.Namespace) -> Optional[str]:
    if args.control_token_file:
        with open(args.control_token_file, encoding="utf-8") as handle:
            return handle.read().strip() or None
    return os.environ.get("MAGLEV_CONTROL_TOKEN") or None


async def _run(daemon) -> int:
    from . import log as logs
    from .api import ApiError
    from .tasks import cancel_and_wait

    loop = asyncio.get_running_loop()
    loop.set_exception_handler(logs.asyncio_exception_handler)
    reloads: set = set()
    stopping = False

    def on_hup() -> None:
        if stopping:  # no reload may start once the daemon is on its way out
            return
        task = loop.create_task(daemon.reload(source="SIGHUP"))
        reloads.add(task)  # keep a reference until it is done
        task.add_done_callback(reloads.discard)

    # Handlers before the ready line: a SIGTERM right after it must still exit cleanly.
    loop.add_signal_handler(signal.SIGHUP, on_hup)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, daemon.request_stop)
    code = EXIT_OK
    try:
        await daemon.start()
    except (ApiError, OSError) as exc:
        logs.event("startup-failed", logging.ERROR, error=getattr(exc, "message", None) or str(exc))
        code = EXIT_START
    else:
        await daemon.wait()
    finally:
        stopping = True
        await cancel_and_wait(reloads, log=logs.LOGGER)
        await daemon.stop()
        # Whatever else is left (an API handler, a timer callback's task) ends before `stopped`.
        await cancel_and_wait(asyncio.all_tasks() - {asyncio.current_task()}, log=logs.LOGGER)
    return code


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return _early_exit("startup-failed", EX_USAGE, error=clip(f"maglevd: {exc}", 300))
    if args.man:
        sys.stdout.write(manpage(parser))
        return EXIT_OK
    if args.check:
        return main_check(args.check)

    from . import log as logs

    log_setup = logs.LogSetup(args.log_level)
    logs.install_process_hooks(log_setup.stdout.stream)
    code = EXIT_CRASH
    signal.signal(signal.SIGTERM, _raise_terminated)  # until the loop handles it
    try:
        code = _main(args, log_setup)
    except (_Terminated, KeyboardInterrupt):
        logs.event("stopping", reason="signal before start")
        code = EXIT_OK
    except Exception:
        logs.LOGGER.exception("crashed")
        code = EXIT_CRASH
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)  # on the way out: the exit code stands
    logs.event("stopped", exit_code=code)
    sys.stdout.flush()
    return code


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated()


def _early_exit(event: str, code: int, **fields: Any) -> int:
    """A JSON line before the logger exists (bad flags), then `stopped` with the code."""
    from . import log as logs

    logs.LogSetup("info")
    logs.event(event, logging.ERROR, **fields)
    logs.event("stopped", exit_code=code)
    return code


class _StartupError(Exception):
    """A flag that cannot be used: the `startup-failed` line's error and the exit code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _main(args: argparse.Namespace, log_setup: Any) -> int:
    from . import log as logs
    from .daemon import load_config

    try:
        loop_name, loop_factory = event_loop.choose()
    except event_loop.LoopChoiceError as exc:  # reported once `starting` is out
        loop_name, loop_factory, loop_error = None, None, _StartupError(EXIT_START, str(exc))
    else:
        loop_error = None
    logs.event("starting", version=VERSION, config=args.config, pid=os.getpid(), loop=loop_name)
    _resolve_control_socket(args)
    try:
        if loop_error is not None:
            raise loop_error
        options = _daemon_options(args)
    except _StartupError as exc:
        logs.event("startup-failed", logging.ERROR, error=exc.message)
        return exc.code
    config, code, errors = load_config(args.config)
    if config is None:
        kind = "parse" if code == 1 else "semantic"  # check.py's codes; the process exits 2 for both
        logs.event("config-invalid", logging.ERROR, path=args.config, exit_code=EXIT_CONFIG, kind=kind, errors=errors)
        return EXIT_CONFIG
    return asyncio.run(_start(config, options, log_setup), loop_factory=loop_factory)


def _resolve_control_socket(args: argparse.Namespace) -> None:
    """--control-socket unset: the environment's, or the default (and say a variable is deprecated)."""
    from . import log as logs
    from .daemon import DEFAULT_SOCKET

    if args.control_socket is None:
        args.control_socket, warning = control_socket(os.environ, DEFAULT_SOCKET)
        if warning:
            logs.event(
                "deprecated-variable", logging.WARNING, variable=DEPRECATED_SOCKET_VAR, use=SOCKET_VAR, message=warning
            )


def _daemon_options(args: argparse.Namespace) -> Any:
    """The flags as DaemonOptions; _StartupError for an address, a token file or a missing token."""
    from .daemon import DaemonOptions

    try:
        control_addr = parse_addr(args.control_addr, "--control-addr")
        metrics_addr = parse_addr(args.metrics_addr, "--metrics-addr")
        web_addr = parse_addr(args.web_addr, "--web-addr")
    except argparse.ArgumentTypeError as exc:
        raise _StartupError(EX_USAGE, str(exc))
    try:
        token = _token(args)
    except OSError as exc:
        raise _StartupError(EXIT_START, f"--control-token-file: {exc.strerror}: {exc.filename}")
    if control_addr is not None and not token:
        raise _StartupError(
            EXIT_START, "--control-addr needs a token: set MAGLEV_CONTROL_TOKEN or --control-token-file"
        )
    return DaemonOptions(
        config_path=args.config,
        control_socket=args.control_socket,
        control_addr=control_addr,  # type: ignore[arg-type]
        control_token=token,
        metrics_addr=metrics_addr,  # type: ignore[arg-type]
        web_addr=web_addr,  # type: ignore[arg-type]
        vpp_api_addr=args.vpp_api_addr,
        vpp_stats_addr=args.vpp_stats_addr,
        vpp_stats_interval=args.vpp_stats_interval,
        log_level=args.log_level,
    )


async def _start(config: Any, options: Any, log_setup: Any) -> int:
    """Build the checker and the daemon, add the VPP side, and run until stopped."""
    from . import log as logs
    from .checker import Checker
    from .daemon import Daemon
    from .probes import NetnsError

    try:
        checker = Checker(config)
    except NetnsError as exc:
        logs.event("startup-failed", logging.ERROR, error=str(exc))
        return EXIT_START
    daemon = Daemon(config, options, log_setup=log_setup, checker=checker)
    log_setup.attach(daemon.bus)
    _add_vpp_side(daemon)
    return await _run(daemon)


def _add_vpp_side(daemon: Any) -> None:
    """The VPP wiring: one component. The checker must run even if the VPP side cannot be built."""
    from . import log as logs

    try:
        from .vpp.component import VppComponent

        daemon.add_component(VppComponent.for_daemon(daemon))
    except Exception as exc:
        logs.event("vpp-side-unavailable", logging.ERROR, error=f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    sys.exit(main())
