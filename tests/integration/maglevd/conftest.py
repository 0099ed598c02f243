"""No maglevd started by a test here outlives it (tests/conftest.py makes the collection importable)."""

from __future__ import annotations

from typing import Iterator

import pytest
from maglevd_process import LIVE


@pytest.fixture(autouse=True)
def reap() -> Iterator[None]:
    """Kill what a failed test left running: only the processes started during the test (a
    module-scoped daemon, started before it, is its fixture's to stop)."""
    started = len(LIVE)
    yield
    while len(LIVE) > started:
        LIVE.pop().kill()
