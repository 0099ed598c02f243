"""The errors maglevd's control operations raise; the control API maps each to one HTTP answer.

NotFound -> 404 `not-found`, InvalidRequest -> 400 `invalid-request`, LastServingBackend ->
409 `last-serving-backend` (guard.py), ConfigCheckBusy -> 429 `check-in-progress`; an operator
action the backend's state refuses is plugins/module_utils/operator_actions.ActionRefused (409,
its own code). docs/api.md lists the answers.
"""

from __future__ import annotations

from typing import Any, List, Sequence

from ..plugins.module_utils.quoting import quote
from ..plugins.module_utils.rules.issue import Issue


class NotFound(KeyError):
    def __init__(self, kind: str, name: str) -> None:
        super().__init__(name)
        self.kind = kind
        self.name = name
        self.message = f"{kind} {quote(name)} not found"

    def __str__(self) -> str:
        return self.message


class InvalidRequest(ValueError):
    @classmethod
    def from_issues(cls, issues: Sequence[Issue], value: Any) -> InvalidRequest:
        """A rule's issues (plugins/module_utils/rules/) in the API's words: the field is the
        JSON field's name, and what the client sent is quoted (a rule names only the kind of
        a list or a mapping; docs/api.md: every error quotes the bad value, clipped)."""
        text = "; ".join(str(issue) for issue in issues)
        if isinstance(value, (list, tuple, dict)):
            text += f": {quote(value)}"
        return cls(text)


class LastServingBackend(Exception):
    """The change would leave serving frontends with no weight; `force` overrides (guard.py)."""

    def __init__(self, message: str, frontends: List[str]) -> None:
        super().__init__(message)
        self.message = message
        self.frontends = frontends


class ConfigCheckBusy(Exception):
    """A config check is already running (the API answers 429)."""
