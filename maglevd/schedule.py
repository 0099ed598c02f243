"""When to probe next: adaptive intervals with jitter (pure; the RNG is passed in).

- fully up (counter at its maximum): `interval`;
- fully down (counter at 0): `down-interval`;
- anything in question (unknown, or the last results disagree with the state): `fast-interval`.
  This is HAProxy's fastinter as Envoy reads it (docs/maglevd.md#health-checking): fast whenever the counter is
  between the extremes, not only for the first check after a change.

A worker probing one address for several backends (the same check shared by frontends, or
two backend names on one address) takes the shortest interval any of them needs.
Every delay gets ±10% jitter so that probes started together drift apart (vpp-maglev 1a1c48e).

The next probe is due `next_delay` after the moment this one was *due*, not after the loop got
round to it (`next_due`): when the loop stalls, the probes that fell due meanwhile run late
together once and then return to their own slots. Counting from the late start instead keeps
them bunched, and a bunch of a thousand probes is itself the next stall (measured: p99 lag
0.2-1.7 s at 5,000 backends/s, bench/bench_probes.py).

Overload guard (docs/maglevd.md#health-checking; envoy #28699, haproxy #1902): a probe that
timed out while the loop was stalled may have had its answer waiting in the socket; the timer
simply ran late. `late_timeout` tells such a result apart (it came back well after its timeout,
counted from when the probe started); the worker retries it instead of counting a failure, at
most MAX_LATE_RETRIES times in a row so that a dead backend under sustained overload still goes
down.
"""

from __future__ import annotations

import random
from typing import Iterable, Optional

from ..plugins.module_utils.config_model import HealthCheck
from ..plugins.module_utils.weights import BackendState
from .backend_health import BackendHealth
from .probes.result import ProbeResult

JITTER = 0.10
LATE_SLACK = 0.05  # seconds past the timeout that a timer may fire late on a healthy loop
LATE_SLACK_FRACTION = 0.10  # ... or this fraction of the timeout, whichever is larger
MAX_LATE_RETRIES = 3


def base_interval(health: BackendHealth, check: HealthCheck) -> float:
    if health.state is BackendState.UP and health.counter == health.max_counter:
        return check.interval
    if health.state is BackendState.DOWN and health.counter == 0:
        return check.effective_down_interval
    return check.effective_fast_interval


def jittered(delay: float, rng: random.Random) -> float:
    return delay * rng.uniform(1.0 - JITTER, 1.0 + JITTER)


def next_delay(healths: Iterable[BackendHealth], check: Optional[HealthCheck], rng: random.Random) -> Optional[float]:
    """Seconds from this probe's start to the next one; None = no further probe needed (static)."""
    if check is None or check.type == "static":
        return None
    bases = [base_interval(h, check) for h in healths if h.probing]
    if not bases:
        return None
    return jittered(min(bases), rng)


def initial_offset(check: Optional[HealthCheck], rng: random.Random, spread: float) -> float:
    """Delay before the first probe: random in [0, spread) so a start does not fire everything at once.

    Static checks resolve on the first iteration, without waiting.
    """
    if check is None or check.type == "static" or spread <= 0:
        return 0.0
    return rng.uniform(0.0, spread)


def next_due(planned: float, delay: float, now: float) -> float:
    """When the next probe is due: `delay` after this one was due (its slot), never in the past.

    A slot missed altogether (the loop or the probe took longer than an interval) is skipped,
    not fired at once, so a long stall does not leave every worker firing the moment it ends.
    """
    due = planned + delay
    if due <= now and delay > 0:
        due += delay * (int((now - due) / delay) + 1)
    return due


def late_timeout(result: ProbeResult, elapsed: float, timeout: float) -> bool:
    """A timeout that came back later than any healthy loop would deliver it: not the backend's fault."""
    return result.timed_out and elapsed > timeout + max(LATE_SLACK, LATE_SLACK_FRACTION * timeout)
