"""Shared helpers for the benchmarks: make the checkout importable and time things."""

from __future__ import annotations

import pathlib
import statistics
import sys
import time
from typing import Callable

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".build" / "collections"))


def best_of(function: Callable[[], object], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` runs, in seconds (the least disturbed measurement)."""
    times = []
    for _attempt in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def percentile(values: list, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def median(values: list) -> float:
    return statistics.median(values) if values else float("nan")
