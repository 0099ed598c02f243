"""The daemon's version: the collection version from galaxy.yml (read once, no YAML import)."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT_URL = "https://github.com/vpp-maglev/vpp.maglev"


def _read_version() -> str:
    try:
        text = (Path(__file__).resolve().parent.parent / "galaxy.yml").read_text(encoding="utf-8")
    except OSError:
        return "0.0.0"
    match = re.search(r"^version:\s*['\"]?([^'\"\s]+)", text, re.MULTILINE)
    return match.group(1) if match else "0.0.0"


VERSION = _read_version()
USER_AGENT = f"maglevd/{VERSION} (+{PROJECT_URL})"
