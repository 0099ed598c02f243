"""maglevd entry point. For now: --check FILE and --version (the daemon comes later)."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .check import main_check
from .version import VERSION


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="maglevd", description="VPP Maglev health-check daemon")
    parser.add_argument("--check", metavar="FILE", help="validate FILE and exit (0 valid, 1 not YAML, 2 invalid)")
    parser.add_argument("--version", action="version", version="maglevd %s" % VERSION)
    args = parser.parse_args(argv)
    if args.check:
        return main_check(args.check)
    parser.error("the daemon is not implemented yet; use --check FILE or --version")
    return 2


if __name__ == "__main__":
    sys.exit(main())
