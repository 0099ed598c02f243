"""Garbage-collector settings for a latency-sensitive event loop.

With thousands of backends, a full (generation 2) collection walks every long-lived object
(config, workers, tasks, state machines) and stalls the loop for hundreds of milliseconds,
which would show as probe timeouts. After start-up and after each reload the daemon freezes
what exists (moved out of the collector's sight; it is freed normally by reference counting
when it goes) and collects young objects less often. Probe garbage is acyclic: reference
counting frees it without the collector.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")

GEN0_THRESHOLD = 20000


def settle() -> None:
    """Call once the long-lived objects exist (after start, after a reload)."""
    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(GEN0_THRESHOLD, gen0), gen1, gen2)


def settle_reload() -> None:
    """settle() after a reload, without its full collection; call it while paused().

    With the largest config that collection would walk millions of new objects in one go
    (about a second with the GIL held: probes stall), and find nothing: the parse and the
    apply build no reference cycles (the new config, tables, workers; the rest is freed by
    reference counting). Freezing is a constant-time move."""
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(GEN0_THRESHOLD, gen0), gen1, gen2)


_paused = 0
_paused_lock = threading.Lock()
_was_enabled = True


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector paused meanwhile (counted: the last of nested or concurrent uses,
    threads included, restores it). For work that builds long-lived, acyclic objects: a
    config parse, a reload's apply (then settle_reload() freezes what it built)."""
    global _paused, _was_enabled
    with _paused_lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


def without_collector(function: Callable[..., T]) -> Callable[..., T]:
    """``function`` run with the cyclic collector paused (for a config parse in a thread).

    A parse builds a few million objects; each full collection while it runs walks all of
    them with the GIL held, which stalled the event loop for 50-100 ms at a time. The parse
    is bounded by the loader's limits and the loop's garbage is acyclic (freed by reference
    counting meanwhile), so pausing is safe; a reload freezes what it built (settle_reload).
    Nested and concurrent uses are counted: the last one to end restores the collector."""

    def run(*args: Any) -> T:
        with paused():
            return function(*args)

    return run
