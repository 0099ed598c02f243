"""Where things are in the checkout, for tests at any folder depth (no parents[N] counting)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout: tests/helpers/paths.py
COLLECTIONS = ROOT / ".build" / "collections"  # scripts/setup.sh links the checkout here
PYTHON = ROOT / ".venv" / "bin" / "python"
