"""Make the collection importable (ansible_collections.vpp.maglev)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[3]
if str(_ROOT / ".build" / "collections") not in sys.path:
    sys.path.insert(0, str(_ROOT / ".build" / "collections"))
