# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The value checks every object kind's rules are built from: integers in a range, choices,
names, addresses.

Each returns a list of issues, empty when the value is good; the messages say what is
allowed in one wording for every entry point (docs/design.md).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, List, Optional, Sequence, Tuple

from .issue import Issue, describe

_NAME_RE = re.compile(r"^[^\s/\x00-\x1f\x7f]+$")


def is_int(value: Any) -> bool:
    """A real integer: bool is an int subclass in Python but a different thing in YAML and JSON.
    (Subclasses are fine: Ansible hands modules tagged ints.)"""
    return isinstance(value, int) and not isinstance(value, bool)


def int_range(low: int, high: Optional[int]) -> str:
    """The allowed range as every message words it."""
    return "an integer from %d to %d" % (low, high) if high is not None else "an integer >= %d" % low


def check_int(field: str, value: Any, low: int, high: Optional[int] = None) -> List[Issue]:
    """An integer low..high (no upper bound when high is None); a quoted number gets a hint."""
    if not is_int(value):
        hint = "; write it without quotes" if isinstance(value, str) and value.strip().isdigit() else ""
        return [Issue(field, "expected %s, got %s%s" % (int_range(low, high), describe(value), hint))]
    if value < low or (high is not None and value > high):
        return [Issue(field, "%d is out of range; expected %s" % (value, int_range(low, high)))]
    return []


def check_choice(field: str, value: Any, choices: Sequence[str]) -> List[Issue]:
    """One of a fixed set of strings."""
    if not isinstance(value, str) or value not in choices:
        return [Issue(field, "expected one of %s, got %s" % (", ".join(choices), describe(value)))]
    return []


def is_power_of_two(value: int) -> bool:
    """What VPP wants for table sizes; unlike VPP's own is_pow2, 0 is not one (it would crash VPP)."""
    return value > 0 and value & (value - 1) == 0


def check_name(value: Any, field: str = "name") -> List[Issue]:
    """The name of a healthcheck, backend, frontend or pool member: it is a key in paths,
    URLs and metric labels, so no spaces, '/' or control characters."""
    if not isinstance(value, str) or not value:
        return [Issue(field, "a name must be a non-empty string, got %s" % describe(value))]
    if not _NAME_RE.match(value):
        return [Issue(field, "a name must not contain spaces, '/' or control characters")]
    return []


def read_address(field: str, value: Any, family: Optional[int] = None) -> Tuple[Any, List[Issue]]:
    """(the address, []) for a single IP address (no prefix), optionally of one family; else
    (None, the issue)."""
    kind = {None: "an IPv4 or IPv6 address", 4: "an IPv4 address", 6: "an IPv6 address"}[family]
    if not isinstance(value, str):
        return None, [Issue(field, "expected %s, got %s" % (kind, describe(value)))]
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        extra = " (a single address, not a prefix)" if "/" in value else ""
        return None, [Issue(field, "%r is not %s%s" % (value, kind, extra))]
    if family is not None and address.version != family:
        return None, [Issue(field, "%s is an IPv%d address; expected %s" % (address, address.version, kind))]
    return address, []
