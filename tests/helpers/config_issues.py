"""Helpers of the config rule tests: a valid base config (sample_config.RULES_CONFIG), a way
to change keys of it, and a way to collect the (path, message) issues parse() reports."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import config
from ansible_collections.vpp.maglev.tests.helpers.sample_config import RULES_CONFIG, changed_copy

BASE: Dict[str, Any] = RULES_CONFIG


def with_changes(*changes: Tuple[str, Any]) -> Dict[str, Any]:
    """A deep copy of BASE with each (dotted path, value) set; value sample_config.DELETE
    removes the key.
    Missing intermediate mappings are created."""
    return changed_copy(BASE, changes)


def issues_of(data: Any) -> List[config.ConfigIssue]:
    """Every issue parse() reports for data (fails the test if data is valid)."""
    with pytest.raises(config.ConfigError) as caught:
        config.parse(data)
    return caught.value.errors


def find_issue(data: Any, path: str) -> config.ConfigIssue:
    """The single issue reported at path (fails listing all issues otherwise)."""
    issues = issues_of(data)
    at_path = [issue for issue in issues if issue.path == path]
    assert len(at_path) == 1, "expected one issue at %s, got:\n%s" % (path, "\n".join(map(str, issues)))
    return at_path[0]
