"""Structured log records of the VPP side (maglevd/log.py's JSON formatter prints the fields)."""

from __future__ import annotations

import logging
from typing import Any


def emit(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """A structured log record: the message is the stable event name, the rest are fields
    (plain handlers print the name only)."""
    if logger.isEnabledFor(level):
        logger.log(level, name, extra={"fields": fields})
