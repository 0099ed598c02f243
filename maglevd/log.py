"""Structured logs: one JSON object per line on stdout, with a stable `event` name.

    {"time": "2026-05-01T10:00:00.123Z", "level": "info", "event": "backend-transition",
     "backend": "web1", "from": "unknown", "to": "up", "code": "L7OK"}

Stable event names: starting, ready, stopping, backend-transition, frontend-transition,
weight-change, operator-action, probe (debug), probe-late (debug: a late timeout retried, not
counted; schedule.py), config-reload, config-reload-failed,
icmp-unavailable, event-subscriber-dropped, listener-error ... (docs/maglevd.md lists them).

The same records are fanned out to event-stream subscribers that asked for logs; they may ask
for debug records whatever the daemon's own --log-level (as vpp-maglev's LogBroadcaster).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, Optional, TextIO

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
    data = {"time": _iso(record.created), "level": NAMES.get(record.levelno, "info"), "event": record.getMessage()}
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
