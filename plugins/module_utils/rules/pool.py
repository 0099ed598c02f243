# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of a pool member: its weight (docs/config-reference.md, docs/state-machine.md).

The one definition of the weight range: maglev.yaml, the modules and maglevd's API call
check_weight, and the truth table (weights.py) clamps to MAX_WEIGHT.
"""

from __future__ import annotations

from typing import Any, List

from .issue import Issue
from .values import check_int

MIN_WEIGHT = 0
# VPP's lb plugin takes a u8 weight; maglev's scale is 0..100 (docs/state-machine.md).
MAX_WEIGHT = 100
DEFAULT_WEIGHT = MAX_WEIGHT  # a member without a weight, a backend task without one


def check_weight(value: Any, field: str = "weight") -> List[Issue]:
    """A member's weight: an integer 0..MAX_WEIGHT (a boolean is not an integer)."""
    return check_int(field, value, MIN_WEIGHT, MAX_WEIGHT)
