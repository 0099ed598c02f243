# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The errors a maglev.yaml can raise, each naming where (YAML path, line) and what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional


@dataclass(frozen=True)
class ConfigIssue:
    """One problem: where (YAML path, and the line when known) and what is wrong."""

    path: str
    message: str
    line: Optional[int] = None

    def __str__(self) -> str:
        return "%s: %s" % (self.path, self.message)


class ConfigError(ValueError):
    """The configuration is YAML but not a valid maglev.yaml; lists every issue found."""

    def __init__(self, errors: List[ConfigIssue], source: str = "<string>") -> None:
        self.errors = list(errors)
        self.source = source
        super().__init__("\n".join(str(issue) for issue in self.errors))


class ConfigSyntaxError(ValueError):
    """The text could not be read as YAML (or the file could not be read at all)."""

    def __init__(
        self, message: str, source: str = "<string>", line: Optional[int] = None, column: Optional[int] = None
    ):
        self.message = message
        self.source = source
        self.line = line  # 1-based
        self.column = column  # 1-based
        where = source if line is None else "%s:%d:%d" % (source, line, column or 1)
        super().__init__("%s: %s" % (where, message))


class MissingDependencyError(ImportError):
    """PyYAML is needed to read YAML text; parse() on plain data works without it."""


def join_path(path: str, key: Any) -> str:
    """maglev.frontends + web -> maglev.frontends.web"""
    return "%s.%s" % (path, key) if path else str(key)
