"""Garbage-collector settings for a latency-sensitive event loop.

With thousands of backends, a full (generation 2) collection walks every long-lived object
(config, workers, tasks, state machines) and stalls the loop for hundreds of milliseconds,
which would show as probe timeouts. After start-up and after each reload the daemon freezes
what exists (moved out of the collector's sight; it is freed normally by reference counting
when it goes) and collects young objects less often. Probe garbage is acyclic: reference
counting frees it without the collector.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 20000


def settle() -> None:
    """Call once the long-lived objects exist (after start, after a reload)."""
    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(GEN0_THRESHOLD, gen0), gen1, gen2)
