"""The dashboard's browser tests: one headless chromium for the whole session (starting it is
the slow part), a real maglevd per test. Marked `browser`: the quick mode may leave them out
with `-m "not browser"`; the full test command runs them (docs/dashboard.md, "Tests")."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from ansible_collections.vpp.maglev.tests.helpers.browser import browser_missing, start_chromium


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = browser_missing()
    if missing:
        pytest.skip(missing)
    driver = start_chromium()
    try:
        yield driver
    finally:
        driver.quit()
