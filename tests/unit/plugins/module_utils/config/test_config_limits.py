"""Loading maglev.yaml is bounded: size, nesting depth, values built (aliases and merges at
their expanded size). Each bomb is generated here and run through `maglevd --check` as a
real process with a timeout, so a crash (exit 139) or a stall fails the test instead of the
test run; the refusal is one line naming the file and the line, exit 1."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import config, config_yaml
from ansible_collections.vpp.maglev.plugins.module_utils.config_compose import Limits
from ansible_collections.vpp.maglev.tests.helpers.paths import ROOT
from ansible_collections.vpp.maglev.tests.helpers.sample_config import big_config

LIMITS = config_yaml.LIMITS


def check(path: pathlib.Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / ".build" / "collections"))
    return subprocess.run(
        [sys.executable, "-m", "ansible_collections.vpp.maglev.maglevd", "--check", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=20,
        check=False,
    )


def _merge_bomb(levels: int = 8, fanout: int = 8) -> str:
    text = "m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n"
    for level in range(1, levels + 1):
        text += "m%d: &m%d {<<: [%s]}\n" % (level, level, ", ".join(["*m%d" % (level - 1)] * fanout))
    return text + "maglev: *m%d\n" % levels


def _alias_bomb(levels: int = 9) -> str:
    text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, levels + 1):
        text += "l%d: &l%d [%s]\n" % (level, level, ", ".join(["*l%d" % (level - 1)] * 10))
    return text + "maglev: *l%d\n" % levels


BOMBS = {
    # 40,000 nested [ (80 KB): PyYAML's C composer recursed once per level and segfaulted.
    "flow-nesting": ("maglev: " + "[" * 40000 + "]" * 40000 + "\n", 1, 72, "nesting deeper than 64 levels"),
    "flow-mapping-nesting": ("maglev: " + "{a: " * 20000 + "}" * 20000 + "\n", 1, 261, "nesting deeper than 64"),
    "block-nesting": ("".join(" " * i + "k%d:\n" % i for i in range(2000)), 65, 65, "nesting deeper than 64"),
    "merge-bomb": (_merge_bomb(), 7, 50, "more than 5,000,000 values (each alias and merge counted"),
    "alias-bomb": (_alias_bomb(), 7, 25, "more than 5,000,000 values"),
    "deep-through-anchors": (
        "- &a " + "[" * 40 + "x" + "]" * 40 + "\n- " + "[" * 30 + "*a" + "]" * 30 + "\n",
        2,
        33,
        "alias *a would nest deeper than 64 levels once expanded",
    ),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bombs_are_refused_in_one_line_with_exit_1(tmp_path, name):
    text, line, column, fragment = BOMBS[name]
    path = tmp_path / "maglev.yaml"
    path.write_text(text)
    result = check(path)
    assert result.returncode == 1, (result.returncode, result.stderr[-500:])
    assert result.stdout == ""
    [error] = result.stderr.splitlines()
    assert error.startswith("%s:%d:%d: " % (path, line, column)), error
    assert fragment in error and len(error) < 300


def test_depth_limit_is_exact():
    at_limit = "[" * LIMITS.max_depth + "]" * LIMITS.max_depth
    data, _dups, _lines = config_yaml.load_yaml(at_limit, "x")
    for _level in range(LIMITS.max_depth - 1):
        data = data[0]
    assert data == []
    with pytest.raises(config.ConfigSyntaxError) as caught:
        config_yaml.load_yaml("[" + at_limit + "]", "x")
    assert (caught.value.line, caught.value.column) == (1, LIMITS.max_depth + 1)


def test_value_count_limit_is_exact_and_counts_aliases_and_merges():
    small = Limits(max_nodes=20)
    # 1 list + 19 items = 20 values: accepted; one more is refused at the 21st, with its column.
    assert len(config_yaml.load_yaml("[%s]" % ",".join(["1"] * 19), "x", small)[0]) == 19
    with pytest.raises(config.ConfigSyntaxError) as caught:
        config_yaml.load_yaml("[%s]" % ",".join(["1"] * 20), "x", small)
    assert (caught.value.line, caught.value.column) == (1, 40)
    # An alias costs what it names: a 4-value list named 5 times is 1 + 4 + 1 + 5 * 4 = 26.
    with pytest.raises(config.ConfigSyntaxError, match="more than 20 values"):
        config_yaml.load_yaml("a: &a [1, 2, 3]\nb: [*a, *a, *a, *a, *a]\n", "x", small)
    # So does a merge (through its alias): {<<: *m} of a 9-value mapping, three times.
    with pytest.raises(config.ConfigSyntaxError, match="more than 20 values"):
        config_yaml.load_yaml("m: &m {a: 1, b: 2, c: 3, d: 4}\nx: {<<: *m}\ny: {<<: *m}\n", "x", small)


def test_merges_keep_yaml_semantics():
    data = config_yaml.load_yaml(
        "a: &a {k: a, only_a: 1}\nb: &b {k: b, only_b: 2}\nc: {<<: [*a, *b], own: 3}\nd: {<<: *b, k: own}\n", "x"
    )[0]
    assert data["c"] == {"k": "a", "only_a": 1, "only_b": 2, "own": 3}  # the first listed wins
    assert data["d"] == {"k": "own", "only_b": 2}  # the mapping's own keys win


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        ("maglev: !!set {a, b}\n", "x.yaml:1:9: ", "tag tag:yaml.org,2002:set is not supported"),
        ("maglev: {[a, b]: c}\n", "x.yaml:1:10: ", "a mapping key must be a single value"),
        ("maglev: {<<: [1, 2]}\n", "x.yaml:1:", "a merge (<<) takes a mapping or a list of mappings"),
        ("maglev: {}\n--- {}\n", "x.yaml:2:1: ", "expected a single document"),
    ],
)
def test_structures_that_cannot_be_built_are_refused(text, where, fragment):
    with pytest.raises(config.ConfigSyntaxError) as caught:
        config.load_text(text, source="x.yaml")
    assert str(caught.value).startswith(where) and fragment in str(caught.value)


def test_file_size_limit(tmp_path):
    path = tmp_path / "maglev.yaml"
    with open(path, "wb") as handle:  # sparse: nothing is written, nothing large is read
        handle.truncate(LIMITS.max_bytes + 1)
    result = check(path)
    assert result.returncode == 1
    assert result.stderr == "%s: the file is larger than the limit of 64 MiB for a maglev.yaml\n" % path
    with pytest.raises(config.ConfigSyntaxError, match="more than the limit of 64 MiB"):
        config.load_text("#" * (LIMITS.max_bytes + 1), "x")


def test_a_200000_backend_config_is_far_inside_the_limits():
    """The limit math on a 2,000-backend file, scaled 100x (bench/bench_config_load.py loads
    the real 200,000-backend file): it must stay well inside every limit."""
    from ansible_collections.vpp.maglev.plugins.module_utils.config_compose import Composer

    text = big_config(2000)
    yaml, loader_class = config_yaml._loader_class()
    composer = Composer(yaml, loader_class(text), LIMITS)
    composer.compose()
    assert composer.nodes * 100 * 2 < LIMITS.max_nodes  # at least 2x headroom
    assert len(text) * 100 * 3 < LIMITS.max_bytes  # at least 3x headroom
    cfg = config.load_text(text)
    assert len(cfg.backends) == 2000 and len(cfg.frontends) == 10
