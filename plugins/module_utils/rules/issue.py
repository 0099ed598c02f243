# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a rule returns: the issues of one value, each naming the field and what is allowed.

A rule never knows where its value came from. The field is relative to the object
("weight", "target_port"); each entry point says it in its own words: the YAML reader as a
path (maglev.frontends.web.target-port), the modules as an option name, maglevd's API as a
JSON field (docs/design.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One broken rule: the field (relative to the object) and a message saying what is allowed."""

    field: str
    message: str

    def __str__(self) -> str:
        return "%s: %s" % (self.field, self.message)


def describe(value: Any) -> str:
    """How a wrong value is named in a message: its YAML/JSON kind and a short rendering."""
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return "a boolean (%s)" % ("true" if value else "false")
    if isinstance(value, int):
        return "an integer (%d)" % value
    if isinstance(value, float):
        return "a number (%s)" % value
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return "a string (%r)" % shown
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a %s" % type(value).__name__
