"""Reading YAML text: duplicate keys, syntax errors with line/column, YAML 1.1 surprises,
line numbers on semantic issues, and every error reported at once."""

from __future__ import annotations

import pathlib
import textwrap

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import config, config_yaml

FILES = pathlib.Path(__file__).parent / "files"


def errors_of_text(text: str):
    with pytest.raises(config.ConfigError) as caught:
        config.load_text(textwrap.dedent(text))
    return caught.value.errors


def test_duplicate_keys_are_errors_with_path_and_both_lines():
    with pytest.raises(config.ConfigError) as caught:
        config.load_file(str(FILES / "duplicates.yaml.txt"))
    duplicates = [issue for issue in caught.value.errors if "duplicate key" in issue.message]
    assert [(issue.path, issue.line, issue.message) for issue in duplicates] == [
        ("maglev.backends.web1", 7, "duplicate key (first at line 5, again at line 7); each name may appear once"),
        (
            "maglev.frontends.web.port",
            12,
            "duplicate key (first at line 11, again at line 12); each name may appear once",
        ),
        (
            "maglev.frontends.web.pools[0].backends.web2",
            18,
            "duplicate key (first at line 17, again at line 18); each name may appear once",
        ),
    ]
    # The duplicates are the only problems: the rest of the file is still checked, and valid.
    assert len(caught.value.errors) == 3
    assert caught.value.source.endswith("duplicates.yaml.txt")


def test_duplicate_top_level_key():
    issues = errors_of_text("maglev: {vpp: {}}\nmaglev: {vpp: {}}\n")
    assert [(issue.path, issue.line) for issue in issues] == [("maglev", 2)]


def test_merge_keys_are_not_duplicates():
    cfg = config.load_text(
        textwrap.dedent(
            """\
            maglev:
              healthchecks:
                base: &base {type: http, port: 80, interval: 2s}
                fast:
                  <<: *base
                  interval: 1s
                  timeout: 500ms
            """
        )
    )
    assert (cfg.healthchecks["fast"].interval, cfg.healthchecks["fast"].port) == (1.0, 80)


def test_recursive_alias_is_refused_with_its_line():
    # Recursive data would hang or blow up whatever walks or serialises it (JSON for a module).
    with pytest.raises(config.ConfigSyntaxError) as caught:
        config.load_text("maglev: &a\n  healthchecker: *a\n", source="x.yaml")
    assert str(caught.value).startswith("x.yaml:2:18: alias *a refers to a value that contains it")


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("maglev:\n  backends:\n    web1: {address: 10.0.0.1\n  frontends: {}\n", 4, 12, "expected ',' or '}'"),
        ("maglev:\n\tbackends: {}\n", 2, 1, "that cannot start any token"),
        ("maglev: [\n", 2, 1, "node content"),
        ("maglev: {a: !!python/object:os.system x}\n", 1, 13, "could not determine a constructor"),
        ("maglev: *missing\n", 1, 9, "found undefined alias"),
        ("a: b: c\n", 1, 5, "mapping values are not allowed"),
    ],
)
def test_syntax_errors_carry_line_and_column(text, line, column, fragment):
    with pytest.raises(config.ConfigSyntaxError) as caught:
        config.load_text(text, source="x.yaml")
    error = caught.value
    assert (error.line, error.column) == (line, column), str(error)
    assert fragment in error.message
    assert str(error).startswith("x.yaml:%d:%d: not valid YAML: " % (line, column))


def test_unreadable_file_is_a_syntax_level_error(tmp_path):
    with pytest.raises(config.ConfigSyntaxError) as caught:
        config.load_file(str(tmp_path / "missing.yaml"))
    assert "cannot read the file: No such file or directory" in str(caught.value)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"maglev: \xff\xfe\n")
    with pytest.raises(config.ConfigSyntaxError):
        config.load_file(str(binary))


def test_empty_text_lacks_maglev():
    assert [str(issue) for issue in errors_of_text("")] == ["maglev: required key is missing"]
    assert [str(issue) for issue in errors_of_text("just text")] == [
        "(top level): expected a mapping with the key 'maglev', got a string ('just text')"
    ]


def test_yes_no_on_off_are_strings_not_booleans():
    issues = errors_of_text(
        """\
        maglev:
          backends:
            a: {address: 10.0.0.1, enabled: yes}
            b: {address: 10.0.0.2, enabled: off}
            c: {address: 10.0.0.3, enabled: False}
        """
    )
    assert [str(issue) for issue in issues] == [
        "maglev.backends.a.enabled: expected true or false, got a string ('yes')",
        "maglev.backends.b.enabled: expected true or false, got a string ('off')",
    ]


def test_unquoted_ipv6_that_looks_like_base60_stays_an_address():
    cfg = config.load_text("maglev:\n  backends:\n    a: {address: 2001:0:0:0:0:0:0:1}\n")
    assert str(cfg.backends["a"].address) == "2001::1"


def test_strings_that_look_like_numbers_are_reported():
    issues = errors_of_text(
        """\
        maglev:
          healthchecks:
            h: {type: tcp, port: "8080", rise: 2.0, interval: 1:30}
        """
    )
    assert {issue.path: issue.message for issue in issues} == {
        "maglev.healthchecks.h.port": "expected an integer from 1 to 65535, got a string ('8080'); write it without quotes",
        "maglev.healthchecks.h.rise": "expected an integer from 1 to 1000, got a number (2.0)",
        "maglev.healthchecks.h.interval": "expected a duration such as 2s, 500ms, 1m, 1h or a number of seconds, "
        "got a string ('1:30')",
    }


def test_semantic_issues_get_the_line_of_their_key_or_nearest_parent():
    issues = errors_of_text(
        """\
        maglev:
          backends:
            a: {address: 10.0.0.1}
          frontends:
            web:
              address: 192.0.2.1
              port: 80
              pools:
                - name: main
                  backends:
                    a: {weight: 500}
                    b: {}
        """
    )
    assert [(issue.path, issue.line) for issue in issues] == [
        ("maglev.frontends.web.pools[0].backends.a.weight", 11),
        ("maglev.frontends.web.pools[0].backends.b", 12),
        ("maglev.vpp.lb.ipv4-src-address", 1),  # no vpp section at all: the nearest parent is maglev:
    ]


def test_all_errors_are_reported_at_once():
    """One file with a mistake in every section: each one is reported, in file order."""
    issues = errors_of_text(
        """\
        maglev:
          healthchecker: {transition-history: 0, netns: "a b"}
          vpp:
            lb: {ipv4-src-address: "2001:db8::1", sticky-buckets-per-core: 3, flow-timeout: 0}
          healthchecks:
            h: {type: http, port: 80, interval: 1s, timeout: 1s, params: {send: x}}
            t: {type: tcp}
          backends:
            a: {address: 10.0.0.1, healthcheck: nope}
            b: {address: "2001:db8::b"}
            c: {address: 10.0.0.1, enabled: 1}
          frontends:
            web:
              address: 10.0.0.7/24
              port: 80
              encap: gre4
              pools:
                - name: p
                  backends: {a: {weight: 101}, b: {}, z: {}}
                - name: p
                  backends: {a: {}, c: {}}
            web2:
              address: 192.0.2.1
              pools: []
        """
    )
    assert [issue.path for issue in issues] == [
        "maglev.healthchecker.transition-history",
        "maglev.healthchecker.netns",
        "maglev.vpp.lb.sticky-buckets-per-core",
        "maglev.vpp.lb.flow-timeout",
        "maglev.vpp.lb.ipv4-src-address",
        "maglev.healthchecks.h.params.send",
        "maglev.healthchecks.h.timeout",
        "maglev.healthchecks.t.port",
        "maglev.backends.a.healthcheck",
        "maglev.backends.c.enabled",
        "maglev.frontends.web.address",
        "maglev.frontends.web.pools[0].backends.a.weight",
        "maglev.frontends.web.pools[0].backends.z",
        "maglev.frontends.web.pools[1].name",
        "maglev.frontends.web.pools[1].backends.a",
        "maglev.frontends.web.pools[1].backends.c",
        "maglev.frontends.web.pools[0].backends.b",
        "maglev.frontends.web2.pools",
    ]
    assert all(issue.line for issue in issues)


def test_missing_pyyaml_gives_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_yaml(name, *args, **kwargs):
        if name == "yaml":
            raise ImportError("No module named 'yaml'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(config_yaml, "_LOADER", None)
    monkeypatch.setattr(builtins, "__import__", no_yaml)
    with pytest.raises(config.MissingDependencyError) as caught:
        config.load_text("maglev: {vpp: {}}")
    assert "PyYAML is needed" in str(caught.value)
    # plain data still validates without YAML
    assert config.parse({"maglev": {"vpp": {}}}).frontends == {}
