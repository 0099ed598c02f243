"""maglevd's event loop: uvloop where it is installed, the standard asyncio loop otherwise.

uvloop runs the probes' sockets, timers and callbacks in libuv instead of Python, which buys
maglevd more probes per CPU-second (docs/performance.md, "maglevd: probes"). Nothing in
maglevd depends on it: without it the standard loop runs the same code. ``MAGLEV_EVENT_LOOP``
overrides the choice: ``asyncio`` (rule uvloop out), ``uvloop`` (insist on it), unset or
``auto`` (uvloop if installed).
"""

from __future__ import annotations

import asyncio
import os
from typing import Callable, Mapping, Optional, Tuple

LOOP_VAR = "MAGLEV_EVENT_LOOP"
CHOICES = ("auto", "uvloop", "asyncio")
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


class LoopChoiceError(ValueError):
    """MAGLEV_EVENT_LOOP asks for something this host cannot give; ``str()`` says what."""


def choose(environ: Optional[Mapping[str, str]] = None) -> Tuple[str, Optional[LoopFactory]]:
    """(the loop's name, a loop factory for asyncio.run, or None for the standard loop);
    `environ` defaults to the process environment."""
    environ = os.environ if environ is None else environ
    wanted = environ.get(LOOP_VAR, "").strip().lower() or "auto"
    if wanted not in CHOICES:
        raise LoopChoiceError("%s must be one of %s, got %r" % (LOOP_VAR, ", ".join(CHOICES), wanted[:40]))
    if wanted == "asyncio":
        return "asyncio", None
    try:
        import uvloop  # type: ignore[import-not-found]
    except ImportError:
        if wanted == "uvloop":
            raise LoopChoiceError("%s=uvloop but uvloop is not installed (pip install uvloop)" % LOOP_VAR)
        return "asyncio", None
    return "uvloop", uvloop.new_event_loop
