"""Structured logs: one JSON object per line on stdout, with a stable `event` name.

    {"time": "2026-05-01T10:00:00.123Z", "level": "info", "event": "backend-transition",
     "backend": "web1", "from": "unknown", "to": "up", "code": "L7OK"}

Stable event names: starting, ready, stopping, stopped (last line, with exit_code), backend-transition, frontend-transition,
weight-change, operator-action, probe (debug), probe-late (debug: a late timeout retried, not
counted; schedule.py), config-reload, config-reload-failed,
icmp-unavailable, event-subscriber-dropped, listener-error ... (docs/maglevd.md lists them).

The same records are fanned out to event-stream subscribers that asked for logs; they may ask
for debug records whatever the daemon's own --log-level (as vpp-maglev's LogBroadcaster).

`install_process_hooks` makes the JSON lines the only output of the daemon process: other
libraries' loggers (aiohttp, vpp_papi) become `library-log`, Python warnings `warning`,
uncaught exceptions (threads, asyncio callbacks, "Future exception was never retrieved",
errors in __del__) `unhandled-exception`, and any other write to stderr `stderr`.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import threading
import time
import traceback
from typing import Any, Dict, Optional, TextIO

from .events import EventBus

LOGGER = logging.getLogger("maglevd")
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
NAMES = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warn",
    logging.ERROR: "error",
    logging.CRITICAL: "error",
}


def level_number(name: str) -> int:
    try:
        return LEVELS[name.lower()]
    except KeyError:
        raise ValueError(f"log level {name!r}: expected one of debug, info, warn, error")


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    if LOGGER.isEnabledFor(level):
        LOGGER.log(level, name, extra={"fields": fields})


def enabled(level: int) -> bool:
    return LOGGER.isEnabledFor(level)


def _iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)) + f".{int(when % 1 * 1000):03d}Z"


def record_dict(record: logging.LogRecord) -> dict:
    fields = getattr(record, "fields", None)
    level = NAMES.get(record.levelno, "info")
    if record.name == "maglevd" or record.name.startswith("maglevd."):
        data = {"time": _iso(record.created), "level": level, "event": record.getMessage()}
    else:  # someone else's logger: free text, so the event name is fixed and the text a field
        event_name = "warning" if record.name == "py.warnings" else "library-log"
        data = {"time": _iso(record.created), "level": level, "event": event_name, "logger": record.name}
        data["message"] = record.getMessage()
    if fields:
        data.update(fields)
    if record.exc_info:
        data["error"] = logging.Formatter().formatException(record.exc_info)
    return data


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_dict(record), default=str, separators=(",", ":"))


class BusHandler(logging.Handler):
    """Publishes log records as `log` events for subscribers that asked for them."""

    def __init__(self, bus: EventBus) -> None:
        super().__init__(logging.DEBUG)
        self.bus = bus

    def emit(self, record: logging.LogRecord) -> None:
        if self.bus.wants("log"):
            data = record_dict(record)
            data["log_event"] = data.pop("event")
            data["levelno"] = record.levelno
            self.bus.publish("log", **data)


class LogSetup:
    """Owns the stdout handler level and the (possibly lower) level broadcast to subscribers."""

    def __init__(self, level: str = "info", stream: Optional[TextIO] = None, bus: Optional[EventBus] = None) -> None:
        self.level = level_number(level)
        self.stdout = logging.StreamHandler(stream or sys.stdout)
        self.stdout.setFormatter(JsonFormatter())
        self.stdout.setLevel(self.level)
        for handler in list(LOGGER.handlers):
            LOGGER.removeHandler(handler)
        LOGGER.addHandler(self.stdout)
        LOGGER.propagate = False
        self.bus_handler: Optional[BusHandler] = None
        if bus is not None:
            self.bus_handler = BusHandler(bus)
            LOGGER.addHandler(self.bus_handler)
        self.broadcast_levels: list = []
        LOGGER.setLevel(self.level)

    def attach(self, bus: EventBus) -> None:
        """Fan records out to the event bus too (once the daemon, and so its bus, exists)."""
        if self.bus_handler is None:
            self.bus_handler = BusHandler(bus)
            LOGGER.addHandler(self.bus_handler)

    def want_broadcast(self, level: int) -> None:
        self.broadcast_levels.append(level)
        LOGGER.setLevel(min([self.level, *self.broadcast_levels]))

    def drop_broadcast(self, level: int) -> None:
        if level in self.broadcast_levels:
            self.broadcast_levels.remove(level)
        LOGGER.setLevel(min([self.level, *self.broadcast_levels]))

    def close(self) -> None:
        for handler in (self.stdout, self.bus_handler):
            if handler is not None:
                LOGGER.removeHandler(handler)


# -- the rest of the process's output --------------------------------------------------------------


class StderrLines(io.TextIOBase):
    """sys.stderr for the daemon: each line written becomes a `stderr` JSON line on `stream`.

    It formats and writes by itself, not through logging: logging reports its own failures on
    sys.stderr, and that must not loop back into logging."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self.partial = ""
        self.lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self.lock:
            lines = (self.partial + text).split("\n")
            self.partial = lines.pop()
            for line in lines:
                self._emit(line)
        return len(text)

    def flush(self) -> None:
        with self.lock:
            if self.partial:
                self._emit(self.partial)
                self.partial = ""

    def _emit(self, line: str) -> None:
        if not line.strip():
            return
        data = {"time": _iso(time.time()), "level": "error", "event": "stderr", "message": line}
        try:
            self.stream.write(json.dumps(data, separators=(",", ":")) + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # stdout gone too: nowhere left to say it
            pass


def _unhandled(where: str, exc: Optional[BaseException], **fields: Any) -> None:
    error = "".join(traceback.format_exception(exc)).rstrip() if exc is not None else None
    event("unhandled-exception", logging.ERROR, where=where, error=error, **fields)


def asyncio_exception_handler(loop: asyncio.AbstractEventLoop, context: Dict[str, Any]) -> None:
    """The loop's handler: a task or callback that failed unseen ("Future exception was never
    retrieved", "Task exception was never retrieved", an exception in a callback)."""
    _unhandled("asyncio", context.get("exception"), message=str(context.get("message", "")))


def install_process_hooks(stream: TextIO) -> None:
    """Route every other way the process writes to stderr through JSON lines on `stream`."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # other libraries' info/debug chatter stays out
    logging.captureWarnings(True)
    sys.excepthook = lambda kind, exc, tb: _unhandled("main", exc)
    threading.excepthook = lambda args: _unhandled(
        "thread", args.exc_value, thread=args.thread.name if args.thread else None
    )
    sys.unraisablehook = lambda unraisable: _unhandled(
        "unraisable", unraisable.exc_value, message=str(unraisable.err_msg or ""), object=repr(unraisable.object)[:200]
    )
    sys.stderr = StderrLines(stream)
