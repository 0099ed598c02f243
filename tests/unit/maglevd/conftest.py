"""Make the collection importable (ansible_collections.vpp.maglev) and this folder's helpers."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[3]
for path in (_ROOT / ".build" / "collections", Path(__file__).resolve().parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
