# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading maglev.yaml text: a safe loader where only true/false are booleans, duplicate
keys reported (PyYAML silently keeps the last one), and the line of every YAML path.

PyYAML is imported on first use, so modules on target hosts can validate plain data
without it.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .config_compose import Composer, LimitError, Limits, PathsNeeded
from .config_errors import ConfigIssue, ConfigSyntaxError, MissingDependencyError

LIMITS = Limits()


def with_lines(issues: Sequence[ConfigIssue], lines: Optional[Dict[str, int]]) -> List[ConfigIssue]:
    """Attach the YAML line of each issue's path (or of its nearest parent that has one)."""
    if not lines:
        return list(issues)
    result = []
    for issue in issues:
        line, path = issue.line, issue.path
        while line is None and path:
            line = lines.get(path)
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        result.append(ConfigIssue(issue.path, issue.message, line))
    return result


_LOADER: Any = None
_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
# PyYAML's YAML 1.1 int and float patterns without the base-60 forms (1:30 = 90).
_INT_RE = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


def _loader_class() -> Any:
    """A safe loader (libyaml when present) where only true/false are booleans.

    YAML 1.1 reads yes/no/on/off as booleans, so `enabled: no` would work but `name: no` or
    `country: NO` would silently become false. Here they stay strings, and a boolean field
    given `yes` gets a clear error instead. Likewise YAML 1.1's base-60 numbers are dropped:
    an unquoted IPv6 address such as 2001:0:0:0:0:0:0:1 would otherwise become an integer.
    """
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    try:
        import yaml
    except ImportError as exc:
        raise MissingDependencyError(
            "PyYAML is needed to read maglev.yaml (pip install PyYAML, or the python3-yaml package)"
        ) from exc
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    for tag, regexp in ((_INT_TAG, _INT_RE), (_FLOAT_TAG, _FLOAT_RE)):
        for first, resolvers in Loader.yaml_implicit_resolvers.items():
            Loader.yaml_implicit_resolvers[first] = [
                (each_tag, regexp if each_tag == tag else each_regexp) for each_tag, each_regexp in resolvers
            ]
    _LOADER = (yaml, Loader)
    return _LOADER


def load_yaml(
    text: str, source: str, limits: Limits = LIMITS, paths: bool = True
) -> Tuple[Any, List[ConfigIssue], Optional[Dict[str, int]]]:
    """(data, duplicate-key issues, line of each path), read within ``limits``.

    With ``paths=False`` the lines are not built (None) unless there is a duplicate key to
    report; a caller that finds an issue in the data loads again with paths for its line.
    Raises ConfigSyntaxError naming the source and the line for text that is not YAML or
    that a limit refuses (size, depth, values counted with alias and merge expansion)."""
    if not paths:
        try:
            data, duplicates, _lines = _compose(text, source, limits, False)
            return data, duplicates, None
        except PathsNeeded:
            pass
    return _compose(text, source, limits, True)


def _compose(text: str, source: str, limits: Limits, paths: bool) -> Tuple[Any, List[ConfigIssue], Dict[str, int]]:
    if len(text) > limits.max_bytes:
        raise ConfigSyntaxError(
            "%d characters is more than the limit of %s for a maglev.yaml" % (len(text), _size(limits.max_bytes)),
            source,
        )
    yaml, loader_class = _loader_class()
    loader = loader_class(text)
    composer = Composer(yaml, loader, limits, paths)
    try:
        data = composer.compose()
    except LimitError as exc:
        raise ConfigSyntaxError(exc.message, source, exc.line, exc.column) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        message = " ".join(
            str(part) for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part
        ) or str(exc)
        if mark is None:
            raise ConfigSyntaxError("not valid YAML: %s" % message, source) from None
        raise ConfigSyntaxError("not valid YAML: %s" % message, source, mark.line + 1, mark.column + 1) from None
    finally:
        loader.dispose()
    return data, composer.duplicates, composer.lines


def _size(count: int) -> str:
    return "%d MiB" % (count >> 20) if count >= 1 << 20 and not count % (1 << 20) else "%d bytes" % count
