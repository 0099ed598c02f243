"""Shared helpers for the config tests (imported as `cfgtest`): a valid base config, a way
to change keys of it, and a way to collect the (path, message) issues parse() reports."""

from __future__ import annotations

import copy
import re
from typing import Any, Dict, List, Tuple

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import config

DELETE = object()

BASE: Dict[str, Any] = {
    "maglev": {
        "vpp": {"lb": {"ipv4-src-address": "192.0.2.1", "ipv6-src-address": "2001:db8::1"}},
        "healthchecks": {
            "hc": {"type": "http", "port": 80},
            "tcp": {"type": "tcp", "port": 22},
        },
        "backends": {
            "b1": {"address": "10.0.0.1", "healthcheck": "hc"},
            "b2": {"address": "10.0.0.2", "healthcheck": "hc"},
            "b3": {"address": "10.0.0.3"},
            "v6a": {"address": "2001:db8::a"},
            "v6b": {"address": "2001:db8::b"},
        },
        "frontends": {
            "web": {
                "address": "192.0.2.10",
                "protocol": "tcp",
                "port": 80,
                "pools": [
                    {"name": "main", "backends": {"b1": {}, "b2": {"weight": 50}}},
                    {"name": "backup", "backends": {"b3": None}},
                ],
            },
        },
    }
}

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _tokens(path: str) -> List[Any]:
    return [int(index) if index else name for name, index in _TOKEN.findall(path)]


def with_changes(*changes: Tuple[str, Any]) -> Dict[str, Any]:
    """A deep copy of BASE with each (dotted path, value) set; value DELETE removes the key.
    Missing intermediate mappings are created."""
    data = copy.deepcopy(BASE)
    for path, value in changes:
        *parents, last = _tokens(path)
        node: Any = data
        for token in parents:
            if isinstance(node, dict) and token not in node:
                node[token] = {}
            node = node[token]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return data


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
