"""Test-wide setup: make the checkout importable as ansible_collections.vpp.maglev.

scripts/setup.sh links the checkout at .build/collections/ansible_collections/vpp/maglev;
putting that folder on sys.path lets tests import the collection exactly as Ansible and
maglevd do. Shared fixtures live in tests/fixtures/ and are registered here; helpers live in
tests/helpers/ and are imported as ansible_collections.vpp.maglev.tests.helpers.<name>
(no test folder needs to be on sys.path).
"""

from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".build" / "collections"
if not (COLLECTIONS / "ansible_collections" / "vpp" / "maglev").exists():
    raise RuntimeError("run scripts/setup.sh first: %s is missing" % COLLECTIONS)
sys.path.insert(0, str(COLLECTIONS))

pytest_plugins = [
    "ansible_collections.vpp.maglev.tests.fixtures.%s" % path.stem
    for path in sorted((ROOT / "tests" / "fixtures").glob("*.py"))
    if not path.name.startswith("_")
]
