# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The maglev.yaml walker: reads raw YAML values into typed ones and turns every issue -
its own, and those the rules (rules/*.py) return - into a ConfigIssue at its YAML path
(``maglev.frontends.web.target-port``), collecting them instead of raising.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from .config_errors import ConfigIssue
from .config_errors import join_path as _join
from .rules.issue import Issue, describe
from .rules.values import check_choice, check_int, check_name, read_address

ROOT = "(top level)"
_DURATION_RE = re.compile(r"^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$")
_DURATION_PART_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
DURATION_HELP = "a duration such as 2s, 500ms, 1m, 1h or a number of seconds"


def yaml_key(field: str) -> str:
    """A rule's field as maglev.yaml spells it: target_port -> target-port."""
    return field.replace("_", "-")


def suggest(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.8)
    return " (did you mean %r?)" % close[0] if close else ""


def parse_duration(value: Any) -> float:
    """Seconds from a number (seconds) or a Go-style duration string: 2s, 500ms, 1m30s, 1h.

    Raises ValueError (with DURATION_HELP) for anything else, negatives and non-finite values.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("expected %s, got %s" % (DURATION_HELP, describe(value)))
    if isinstance(value, str):
        text = value.strip()
        if not _DURATION_RE.match(text):
            hint = "; add a unit, e.g. %ss" % text if re.match(r"^\d+(\.\d*)?$", text) else ""
            raise ValueError("expected %s, got %s%s" % (DURATION_HELP, describe(value), hint))
        seconds = sum(float(number) * _DURATION_UNITS[unit] for number, unit in _DURATION_PART_RE.findall(text))
    else:
        seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("expected %s (not negative), got %s" % (DURATION_HELP, describe(value)))
    return seconds


class Reader:
    """Reads raw YAML values into typed ones, collecting every issue instead of raising.

    Each typed reader returns the value, the default when the key is absent, or None when
    the value was wrong (and records the issue). ``failed`` remembers the paths that had an
    issue so later rules do not pile a second error onto the same mistake.
    """

    # A near-miss search costs ~20 ms against 10,000 names: a config where every reference
    # is wrong would take minutes, so only the first few misses get a suggestion.
    SUGGESTION_BUDGET = 20

    def __init__(self) -> None:
        self.issues: List[ConfigIssue] = []
        self.failed: set = set()
        self.suggestions_left = self.SUGGESTION_BUDGET
        # What a section reader computed once for this parse and reuses (config_backends: one
        # pool member per backend and weight); it lives as long as the parse.
        self.memo: Dict[Any, Any] = {}

    def suggest(self, word: str, candidates: Iterable[str]) -> str:
        """' (did you mean ...?)' for a near miss, or ''."""
        if self.suggestions_left <= 0:
            return ""
        self.suggestions_left -= 1
        return suggest(word, candidates)

    def error(self, path: str, message: str) -> None:
        self.issues.append(ConfigIssue(path or ROOT, message))
        self.failed.add(path)

    def report(self, path: str, issues: List[Issue], key: Optional[str] = None) -> bool:
        """Record the rules' issues at ``path``.``key`` (``path`` itself for key "", the YAML key
        of each issue's field for None); True when there were none."""
        if not issues:
            return True
        for issue in issues:
            name = key if key is not None else yaml_key(issue.field)
            self.error(_join(path, name) if name else path, issue.message)
        return False

    def checked(self, m: Dict[str, Any], key: str, path: str, default: Any, rule: Callable[[Any], List[Issue]]) -> Any:
        """The value of ``key`` if ``rule`` finds no issue in it; the default when absent."""
        if key not in m:
            return default
        return m[key] if self.report(path, rule(m[key]), key) else None

    def mapping(
        self, value: Any, path: str, allowed: Sequence[str], required: Sequence[str] = (), what: str = "a mapping"
    ) -> Optional[Dict[str, Any]]:
        """The known keys of a mapping; unknown and missing keys are reported. null = {}."""
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.error(path, "expected %s, got %s" % (what, describe(value)))
            return None
        known: Dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                self.error(_join(path, key), "unknown key %s; allowed keys: %s" % (describe(key), ", ".join(allowed)))
            elif key not in allowed:
                self.error(
                    _join(path, key),
                    "unknown key%s; allowed keys: %s" % (suggest(key, allowed), ", ".join(allowed)),
                )
            else:
                known[key] = item
        for key in required:
            if key not in value:
                self.error(_join(path, key), "required key is missing")
        return known

    def named_mapping(self, value: Any, path: str, what: str) -> Dict[str, Any]:
        """A section keyed by name (healthchecks, backends, frontends): names are checked."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, "expected a mapping of %s by name, got %s" % (what, describe(value)))
            return {}
        named: Dict[str, Any] = {}
        for name, item in value.items():
            if self.name(name, _join(path, name)):
                named[name] = item
        return named

    def name(self, name: Any, path: str) -> bool:
        return self.report(path, check_name(name), "")

    def integer(
        self, m: Dict[str, Any], key: str, path: str, default: Any, low: int, high: Optional[int] = None
    ) -> Optional[int]:
        return self.checked(m, key, path, default, lambda value: check_int(key, value, low, high))

    def boolean(self, m: Dict[str, Any], key: str, path: str, default: Any) -> Optional[bool]:
        if key not in m:
            return default
        value = m[key]
        if not isinstance(value, bool):
            self.error(_join(path, key), "expected true or false, got %s" % describe(value))
            return None
        return value

    def string(
        self,
        m: Dict[str, Any],
        key: str,
        path: str,
        default: Any = None,
        pattern: Optional[re.Pattern] = None,
        allowed: str = "a string",
    ) -> Optional[str]:
        if key not in m:
            return default
        value, where = m[key], _join(path, key)
        if not isinstance(value, str):
            self.error(where, "expected %s, got %s" % (allowed, describe(value)))
            return None
        if pattern is not None and not pattern.match(value):
            self.error(where, "%r is not valid; expected %s" % (value, allowed))
            return None
        return value

    def choice(self, m: Dict[str, Any], key: str, path: str, default: Any, choices: Sequence[str]) -> Optional[str]:
        return self.checked(m, key, path, default, lambda value: check_choice(key, value, choices))

    def duration(self, m: Dict[str, Any], key: str, path: str, default: Any, positive: bool = False) -> Optional[float]:
        if key not in m:
            return default
        where = _join(path, key)
        try:
            seconds = parse_duration(m[key])
        except ValueError as exc:
            self.error(where, str(exc))
            return None
        if positive and seconds <= 0:
            self.error(where, "must be greater than 0; expected %s" % DURATION_HELP)
            return None
        return seconds

    def address(self, m: Dict[str, Any], key: str, path: str, family: Optional[int] = None) -> Any:
        """A single IP address (no prefix), optionally of one family."""
        if key not in m:
            return None
        address, issues = read_address(key, m[key], family)
        self.report(path, issues, key)
        return address

    def regex(self, m: Dict[str, Any], key: str, path: str) -> Optional[str]:
        pattern = self.string(m, key, path, allowed="a regular expression (Python re syntax)")
        if pattern is None:
            return None
        try:
            re.compile(pattern)
        except re.error as exc:
            self.error(_join(path, key), "invalid regular expression: %s" % exc)
            return None
        return pattern
