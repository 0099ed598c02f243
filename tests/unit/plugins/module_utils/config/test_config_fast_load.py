"""maglev.yaml read on the fast path (docs/performance.md): no paths or lines are built unless
something is reported, plain scalars are resolved once per text, pool members are shared; the
data, the verdicts and the lines of every issue stay exactly those of the full path."""

from __future__ import annotations

import pytest
import yaml
from ansible_collections.vpp.maglev.plugins.module_utils import config, config_yaml
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATE_CONFIG

TEXT = yaml.safe_dump(STATE_CONFIG, sort_keys=False)
ANCHORS = """\
defaults: &d {weight: 50, name: no}
a: {<<: *d, port: 80}
b: [*d, *d]
"""


@pytest.mark.parametrize("text", [TEXT, ANCHORS])
def test_without_paths_the_data_is_the_same_and_no_line_is_built(text):
    fast, fast_duplicates, fast_lines = config_yaml.load_yaml(text, "x", paths=False)
    full, duplicates, lines = config_yaml.load_yaml(text, "x")
    assert fast == full and fast_duplicates == duplicates == []
    assert fast_lines is None and lines


def test_a_plain_scalar_is_resolved_once_per_text_and_a_quoted_one_stays_a_string():
    data, _duplicates, _lines = config_yaml.load_yaml("a: 100\nb: '100'\nc: 100\nd: no\ne: true\n", "x", paths=False)
    assert data == {"a": 100, "b": "100", "c": 100, "d": "no", "e": True}
    assert isinstance(data["b"], str) and isinstance(data["a"], int) and not isinstance(data["a"], bool)


def test_a_duplicate_key_is_still_reported_with_both_lines():
    data, duplicates, lines = config_yaml.load_yaml("a: 1\nb: 2\na: 3\n", "x", paths=False)
    assert data == {"a": 1, "b": 2} and lines == {"a": 1, "b": 2}
    assert [(issue.path, issue.line) for issue in duplicates] == [("a", 3)]
    assert "first at line 1, again at line 3" in duplicates[0].message


def test_an_issue_found_after_a_load_without_lines_still_gets_its_line():
    text = TEXT.replace("weight: 50", "weight: 500", 1)
    line = next(number for number, row in enumerate(text.splitlines(), 1) if "weight: 500" in row)
    assert config_yaml.load_yaml(text, "maglev.yaml", paths=False)[2] is None
    with pytest.raises(config.ConfigError) as caught:
        config.load_text(text, "maglev.yaml")
    [issue] = caught.value.errors
    assert issue.path.endswith(".weight") and issue.line == line


def test_pool_members_are_shared_between_the_pools_that_list_them_alike():
    frontends = {
        name: {
            "address": "192.0.2.%d" % number,
            "port": 80,
            "pools": [{"name": "p", "backends": {"b1": {"weight": 7}}}],
        }
        for number, name in ((1, "one"), (2, "two"))
    }
    lb = {"lb": {"ipv4-src-address": "192.0.2.254"}}
    parsed = config.parse({"maglev": {"vpp": lb, "backends": {"b1": {"address": "10.0.0.1"}}, "frontends": frontends}})
    one, two = (parsed.frontends[name].pools[0].members[0] for name in ("one", "two"))
    assert one is two and one.weight == 7
