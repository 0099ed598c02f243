"""Regenerate docs/dashboard.png: the dashboard of a real maglevd in Debian's headless chromium.

    .venv/bin/python scripts/dashboard_screenshot.py [--out docs/dashboard.png]

The scene (a few frontends with traffic through a real vppsim, a backend down, one paused, a
frontend black-holed) is tests/helpers/dashboard_demo.py's, which a browser test takes too
(docs/dashboard.md).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".build" / "collections"))

from ansible_collections.vpp.maglev.tests.helpers.browser import browser_missing, start_chromium  # noqa: E402
from ansible_collections.vpp.maglev.tests.helpers.dashboard_demo import take_screenshot  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard.png")
    args = parser.parse_args()
    missing = browser_missing()
    if missing:
        print(f"dashboard_screenshot: {missing}", file=sys.stderr)
        return 1
    driver = start_chromium(1700, 720)
    try:
        with tempfile.TemporaryDirectory() as workdir:
            print(take_screenshot(driver, args.out, Path(workdir)))
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
