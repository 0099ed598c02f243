"""When to probe next: adaptive intervals with jitter (pure; the RNG is passed in).

- fully up (counter at its maximum): `interval`;
- fully down (counter at 0): `down-interval`;
- anything in question (unknown, or the last results disagree with the state): `fast-interval`.
  This is HAProxy's fastinter as Envoy reads it (anchors §2.2): fast whenever the counter is
  between the extremes, not only for the first check after a change.

A worker probing one address for several backends (the same check shared by frontends, or
two backend names on one address) takes the shortest interval any of them needs.
Every delay gets ±10% jitter so that probes started together drift apart (vpp-maglev 1a1c48e).
"""

from __future__ import annotations

import random
from typing import Iterable, Optional

from ..plugins.module_utils.config_model import HealthCheck
from ..plugins.module_utils.weights import BackendState
from .statemachine import BackendHealth

JITTER = 0.10


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
