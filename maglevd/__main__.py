"""maglevd entry point: `python -m ansible_collections.vpp.maglev.maglevd --config FILE`.

Every flag can also be set by a MAGLEV_* environment variable; the flag wins:

    --config              MAGLEV_CONFIG              /etc/vpp-maglev/maglev.yaml
    --control-socket      MAGLEV_CONTROL_SOCKET      /run/maglevd/maglevd.sock ("" = none)
    --control-addr        MAGLEV_CONTROL_ADDR        (none) host:port, needs a token
    --control-token-file  MAGLEV_CONTROL_TOKEN_FILE  (none); or the token itself in MAGLEV_CONTROL_TOKEN
    --metrics-addr        MAGLEV_METRICS_ADDR        (none) host:port for Prometheus /metrics
    --vpp-api-addr        MAGLEV_VPP_API_ADDR        /run/vpp/api.sock ("" = run without VPP)
    --log-level           MAGLEV_LOG_LEVEL           info (debug, info, warn, error)
    --check FILE          validate FILE and exit (0 valid, 1 not YAML, 2 invalid)
    --version

Exit codes: 0 clean stop (SIGTERM/SIGINT), 1 cannot start (listener, netns, token),
2 invalid configuration at start. SIGHUP reloads the configuration (kept on error).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import List, Optional, Tuple

from .check import main_check
from .version import VERSION

EXIT_OK, EXIT_START, EXIT_CONFIG = 0, 1, 2


def parse_addr(value: str, flag: str) -> Optional[Tuple[Optional[str], int]]:
    """'host:port', '[v6]:port' or ':port' (all addresses); '' = off."""
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{flag}: expected host:port, [ipv6]:port or :port, got {value!r}")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return (host or None, int(port))


def build_parser() -> argparse.ArgumentParser:
    from .daemon import DEFAULT_CONFIG, DEFAULT_SOCKET, DEFAULT_VPP_API

    env = os.environ.get
    parser = argparse.ArgumentParser(prog="maglevd", description="VPP Maglev health-check daemon")
    parser.add_argument("--config", default=env("MAGLEV_CONFIG", DEFAULT_CONFIG), help="maglev.yaml to run")
    parser.add_argument("--control-socket", default=env("MAGLEV_CONTROL_SOCKET", DEFAULT_SOCKET))
    parser.add_argument("--control-addr", default=env("MAGLEV_CONTROL_ADDR", ""), help="optional TCP host:port")
    parser.add_argument("--control-token-file", default=env("MAGLEV_CONTROL_TOKEN_FILE", ""))
    parser.add_argument("--metrics-addr", default=env("MAGLEV_METRICS_ADDR", ""), help="host:port for /metrics")
    parser.add_argument("--vpp-api-addr", default=env("MAGLEV_VPP_API_ADDR", DEFAULT_VPP_API))
    parser.add_argument(
        "--log-level", default=env("MAGLEV_LOG_LEVEL", "info"), choices=["debug", "info", "warn", "error"]
    )
    parser.add_argument("--check", metavar="FILE", help="validate FILE and exit (0 valid, 1 not YAML, 2 invalid)")
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

    loop = asyncio.get_running_loop()

    reloads: set = set()

    def on_hup() -> None:
        task = loop.create_task(daemon.reload(source="SIGHUP"))
        reloads.add(task)  # keep a reference until it is done
        task.add_done_callback(reloads.discard)

    # Handlers before the ready line: a SIGTERM right after it must still exit cleanly.
    loop.add_signal_handler(signal.SIGHUP, on_hup)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, daemon.request_stop)
    try:
        await daemon.start()
    except (ApiError, OSError) as exc:
        logs.event("startup-failed", logging.ERROR, error=getattr(exc, "message", None) or str(exc))
        await daemon.stop()
        return EXIT_START
    await daemon.wait()
    await daemon.stop()
    return EXIT_OK


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.check:
        return main_check(args.check)
    try:
        control_addr = parse_addr(args.control_addr, "--control-addr")
        metrics_addr = parse_addr(args.metrics_addr, "--metrics-addr")
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))

    from . import log as logs
    from .checker import Checker
    from .daemon import Daemon, DaemonOptions, load_config
    from .probes import NetnsError

    log_setup = logs.LogSetup(args.log_level)
    logs.event("starting", version=VERSION, config=args.config, pid=os.getpid())
    try:
        token = _token(args)
    except OSError as exc:
        logs.event("startup-failed", logging.ERROR, error=f"--control-token-file: {exc.strerror}: {exc.filename}")
        return EXIT_START
    if control_addr is not None and not token:
        logs.event(
            "startup-failed",
            logging.ERROR,
            error="--control-addr needs a token: set MAGLEV_CONTROL_TOKEN or --control-token-file",
        )
        return EXIT_START
    config, code, errors = load_config(args.config)
    if config is None:
        logs.event("config-invalid", logging.ERROR, path=args.config, exit_code=code, errors=errors)
        for line in errors:
            print(line, file=sys.stderr)
        return EXIT_CONFIG
    options = DaemonOptions(
        config_path=args.config,
        control_socket=args.control_socket,
        control_addr=control_addr,  # type: ignore[arg-type]
        control_token=token,
        metrics_addr=metrics_addr,  # type: ignore[arg-type]
        vpp_api_addr=args.vpp_api_addr,
        log_level=args.log_level,
    )

    async def run() -> int:
        try:
            checker = Checker(config)
        except NetnsError as exc:
            logs.event("startup-failed", logging.ERROR, error=str(exc))
            return EXIT_START
        daemon = Daemon(config, options, log_setup=log_setup, checker=checker)
        log_setup.attach(daemon.bus)
        try:
            from .vpp_component import vpp_component

            daemon.add_component(vpp_component(daemon))
        except Exception as exc:  # the checker must run even if the VPP side cannot be built
            logs.event("vpp-side-unavailable", logging.ERROR, error=f"{type(exc).__name__}: {exc}")
        return await _run(daemon)

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
