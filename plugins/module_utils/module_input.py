# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one validation layer every module's parameters pass through (common.run_module),
after AnsibleModule's type conversion and before anything is contacted.

Walking the argument spec, it applies to every option of its type:

- str / path: printable only (no control, format - e.g. the bidi override U+202E - or
  separator characters; ``Rule(text=True)`` allows newlines and tabs), length bounded;
- int: a real integer (``true`` is refused: Ansible would pass it on as 1), within the range
  the option's Rule declares;
- float: finite, within its Rule's range;
- list: bounded length, non-empty and duplicate-free where the Rule asks, each element
  checked by its type, dict elements by their suboptions (rules keyed ``option.suboption``).

Every int and float option must declare its range: ``missing_rules`` names those that do not,
and a unit test runs it over every module, so a new module cannot forget one. Pure: no I/O,
no Ansible imports. Errors name the option and what is allowed, quoting at most
QUOTE_LIMIT characters of the value (never a no_log value).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional

from ansible_collections.vpp.maglev.plugins.module_utils import quoting
from ansible_collections.vpp.maglev.plugins.module_utils.rules.issue import Issue


class ModuleInputError(ValueError):
    """Bad module input; the message names the option and what is allowed."""


def fail_on_issues(issues: Iterable[Issue], option: Optional[str] = None) -> None:
    """Raise ModuleInputError for the first issue a rule (rules/*.py) found, named by the
    option (default: the issue's field, which is the option name for the modules' options)."""
    for issue in issues:
        raise ModuleInputError("%s: %s" % (option or issue.field, issue.message))


MAX_STR_LENGTH = 1024  # an address, a name, a token: far above any real one
MAX_PATH_LENGTH = 4096  # PATH_MAX
MAX_LIST_LENGTH = 4096  # names or backends in one task
QUOTE_LIMIT = 200
# Unicode categories refused in a value: controls, format characters (bidi overrides and
# isolates, zero-width characters), surrogates, private use, line/paragraph separators.
REFUSED_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))
TEXT_WHITESPACE = frozenset("\n\r\t")


@dataclass(frozen=True)
class Rule:
    """What one option allows beyond its Ansible type."""

    low: Optional[float] = None
    high: Optional[float] = None
    low_open: bool = False  # the value must be above ``low``, not equal to it
    hint: str = ""  # what the number means, for the message ("seconds to wait for VPP")
    max_length: Optional[int] = None  # characters of a str, entries of a list
    text: bool = False  # multi-line text: newlines and tabs allowed
    non_empty: bool = False
    unique: bool = False


def quote(value: Any) -> str:
    """An option's value as text, quoted and cut to QUOTE_LIMIT characters."""
    return quoting.quote(value if isinstance(value, str) else str(value), QUOTE_LIMIT)


def missing_rules(spec: Mapping[str, dict], rules: Mapping[str, Rule], prefix: str = "") -> List[str]:
    """Numeric options (and suboptions) of ``spec`` without a declared range."""
    missing = []
    for name, option in spec.items():
        key = prefix + name
        kind = option.get("type", "str")
        numeric = [key] if kind in ("int", "float") else []
        if kind == "list" and option.get("elements") in ("int", "float"):
            numeric = [key + "[]"]
        for name_key in numeric:
            rule = rules.get(name_key)
            if rule is None or rule.low is None or rule.high is None:
                missing.append(name_key)
        if option.get("options"):
            missing += missing_rules(option["options"], rules, key + ".")
    return missing


def check_params(spec: Mapping[str, dict], params: Mapping[str, Any], rules: Mapping[str, Rule]) -> None:
    """Raise ModuleInputError for the first value ``rules`` and the types do not allow."""
    _check_options(spec, params, rules, "", "")


def _check_options(
    spec: Mapping[str, dict], params: Mapping[str, Any], rules: Mapping[str, Rule], key: str, where: str
) -> None:
    for name, option in spec.items():
        value = params.get(name)
        if value is not None:
            _check_value(option, option.get("type", "str"), value, rules, key + name, where + name)


def _check_value(option: dict, kind: str, value: Any, rules: Mapping[str, Rule], key: str, where: str) -> None:
    rule = rules.get(key)
    if kind in ("str", "path"):
        limit = MAX_PATH_LENGTH if kind == "path" else MAX_STR_LENGTH
        _check_text(str(value), rule, where, bool(option.get("no_log")), limit)
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ModuleInputError("%s: %s is not an integer%s" % (where, _json(value), _allowed(rule)))
        _check_range(value, rule, where)
    elif kind == "float":
        if isinstance(value, bool) or not math.isfinite(value):
            raise ModuleInputError("%s: %s is not a finite number%s" % (where, _json(value), _allowed(rule)))
        _check_range(value, rule, where)
    elif kind == "list":
        _check_list(option, value, rules, key, where)


def _check_text(value: str, rule: Optional[Rule], where: str, secret: bool, default_length: int) -> None:
    limit = rule.max_length if rule is not None and rule.max_length is not None else default_length
    shown = "the value" if secret else quote(value)
    if len(value) > limit:
        raise ModuleInputError("%s: %s is longer than the %d characters allowed" % (where, shown, limit))
    allowed = TEXT_WHITESPACE if rule is not None and rule.text else frozenset()
    for position, char in enumerate(value):
        if char not in allowed and unicodedata.category(char) in REFUSED_CATEGORIES:
            raise ModuleInputError(
                "%s: %s has the character U+%04X (%s) at position %d; only printable characters are allowed "
                "(no control, bidirectional or other formatting characters)"
                % (where, shown, ord(char), unicodedata.name(char, "a control character"), position)
            )


def _check_range(value: float, rule: Optional[Rule], where: str) -> None:
    if rule is None or rule.low is None or rule.high is None:
        return  # missing_rules reports it; every module's unit test runs it
    too_low = value <= rule.low if rule.low_open else value < rule.low
    if not (too_low or value > rule.high):
        return
    if rule.low_open:
        raise ModuleInputError(
            "%s: %s is not allowed; give the %s, above %s and at most %s"
            % (where, _json(value), rule.hint or "value", _number(rule.low), _number(rule.high))
        )
    raise ModuleInputError("%s: %s is out of range %s" % (where, _json(value), _span(rule)))


def _span(rule: Rule) -> str:
    if rule.low_open:
        span = "above %s and at most %s" % (_number(rule.low), _number(rule.high))
    else:
        span = "%s..%s" % (_number(rule.low), _number(rule.high))
    return span + (" (%s)" % rule.hint if rule.hint else "")


def _allowed(rule: Optional[Rule]) -> str:
    if rule is None or rule.low is None or rule.high is None:
        return ""
    return "; allowed: %s" % _span(rule)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _json(value: Any) -> str:
    """A value as the user wrote it in YAML/JSON (true, not True), bounded."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        try:
            text = str(value)
        except ValueError:  # an int past Python's digit limit for str()
            return "a number of more than 4300 digits"
        return text if len(text) <= QUOTE_LIMIT else "%s... (%d digits)" % (text[:QUOTE_LIMIT], len(text))
    return quote(value)


def _check_list(option: dict, value: list, rules: Mapping[str, Rule], key: str, where: str) -> None:
    rule = rules.get(key)
    limit = rule.max_length if rule is not None and rule.max_length is not None else MAX_LIST_LENGTH
    if len(value) > limit:
        raise ModuleInputError("%s: %d entries are more than the %d allowed" % (where, len(value), limit))
    if rule is not None and rule.non_empty and not value:
        raise ModuleInputError("%s: an empty list is not allowed; give at least one entry" % where)
    elements = option.get("elements", "raw")
    seen: Dict[Any, int] = {}
    for index, element in enumerate(value):
        at = "%s[%d]" % (where, index)
        if element is None:
            raise ModuleInputError("%s: an empty entry is not allowed" % at)
        if elements == "dict" and option.get("options"):
            _check_options(option["options"], element, rules, key + ".", at + ".")
        elif elements != "raw":
            _check_value({"no_log": option.get("no_log")}, elements, element, rules, key + "[]", at)
        if rule is not None and rule.unique and isinstance(element, (str, int)):
            if element in seen:
                raise ModuleInputError(
                    "%s: %s is listed twice (also at %s[%d]); give each once"
                    % (at, _json(element), where, seen[element])
                )
            seen[element] = index
