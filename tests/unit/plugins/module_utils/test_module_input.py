"""module_input: the one validation layer of every module's parameters, and its coverage."""

from __future__ import annotations

import importlib
import pathlib

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import common
from ansible_collections.vpp.maglev.plugins.module_utils.module_input import (
    QUOTE_LIMIT,
    ModuleInputError,
    Rule,
    check_params,
    missing_rules,
)

MODULES = sorted(
    path.stem
    for path in (pathlib.Path(common.__file__).resolve().parents[1] / "modules").glob("*.py")
    if not path.name.startswith("_")
)


class Built(Exception):
    """Raised by the recording run_module: main() stops before building its module."""

    def __init__(self, rules, kwargs):
        super().__init__()
        self.rules, self.kwargs = rules, kwargs


def built(name, monkeypatch):
    module = importlib.import_module("ansible_collections.vpp.maglev.plugins.modules.%s" % name)

    def recording(rules, task, **kwargs):
        assert callable(task)
        raise Built(rules, kwargs)

    monkeypatch.setattr(module, "run_module", recording, raising=False)
    with pytest.raises(Built) as caught:
        module.main()
    return caught.value


@pytest.mark.parametrize("name", MODULES)
def test_every_module_runs_through_run_module_with_every_range_declared(name, monkeypatch):
    source = (pathlib.Path(common.__file__).resolve().parents[1] / "modules" / ("%s.py" % name)).read_text()
    assert "AnsibleModule(" not in source, "%s must build its module with common.run_module" % name
    assert "fail_json" not in source, "%s must fail by raising common.ModuleFailure" % name
    made = built(name, monkeypatch)
    rules = dict(common.CONNECTION_RULES, **made.rules)
    assert missing_rules(made.kwargs["argument_spec"], rules) == []


def test_a_missing_range_is_reported():
    spec = {"port": {"type": "int"}, "items": {"type": "list", "elements": "dict", "options": {"w": {"type": "int"}}}}
    assert missing_rules(spec, {}) == ["port", "items.w"]
    assert missing_rules(spec, {"port": Rule(0, 1), "items.w": Rule(0, 1)}) == []


SPEC = {
    "weight": {"type": "int"},
    "timeout": {"type": "float"},
    "frontend": {"type": "str"},
    "token": {"type": "str", "no_log": True},
    "text": {"type": "str"},
    "name": {"type": "list", "elements": "str"},
    "backends": {"type": "list", "elements": "dict", "options": {"weight": {"type": "int"}}},
}
RULES = {
    "weight": Rule(0, 100),
    "timeout": Rule(0, 3600, low_open=True, hint="seconds to wait for VPP"),
    "text": Rule(text=True, max_length=50),
    "name": Rule(non_empty=True, unique=True, max_length=3),
    "backends.weight": Rule(0, 100),
}


def refused(**params):
    with pytest.raises(ModuleInputError) as caught:
        check_params(SPEC, params, RULES)
    message = str(caught.value)
    assert "\n" not in message and len(message) < QUOTE_LIMIT + 200, message
    return message


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"weight": True}, "weight: true is not an integer; allowed: 0..100"),
        ({"weight": 101}, "weight: 101 is out of range 0..100"),
        ({"weight": 10**5000}, "weight: a number of more than 4300 digits is out of range 0..100"),
        ({"timeout": 1e308}, "timeout: 1e+308 is not allowed; give the seconds to wait for VPP, above 0 and at most"),
        ({"timeout": float("inf")}, "timeout: inf is not a finite number"),
        ({"timeout": float("nan")}, "timeout: nan is not a finite number"),
        ({"timeout": 0.0}, "timeout: 0.0 is not allowed"),
        ({"frontend": "web\u202e"}, "frontend: 'web\\u202e' has the character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ({"frontend": "a\u2066b"}, "U+2066 (LEFT-TO-RIGHT ISOLATE) at position 1"),
        ({"frontend": "a\x00b"}, "U+0000 (a control character) at position 1"),
        ({"frontend": "a\nb"}, "U+000A"),
        ({"frontend": "a\u200bb"}, "U+200B (ZERO WIDTH SPACE)"),
        ({"frontend": "x" * 100000}, "... (100000 characters) is longer than the 1024 characters allowed"),
        ({"text": "line\u202e\n"}, "U+202E"),
        ({"text": "x" * 51}, "text: 'xxxxx"),
        ({"name": []}, "name: an empty list is not allowed; give at least one entry"),
        ({"name": ["b1", "b2", "b1"]}, "name[2]: 'b1' is listed twice (also at name[0]); give each once"),
        ({"name": ["a", "b", "c", "d"]}, "name: 4 entries are more than the 3 allowed"),
        ({"name": ["ok", "bad\u202e"]}, "name[1]: 'bad\\u202e' has the character U+202E"),
        ({"backends": [{"weight": 1}, {"weight": True}]}, "backends[1].weight: true is not an integer"),
        ({"backends": [{"weight": -1}]}, "backends[0].weight: -1 is out of range 0..100"),
    ],
)
def test_bad_values_are_refused_with_one_bounded_line(params, expected):
    assert expected in refused(**params)


def test_a_no_log_value_is_never_quoted():
    message = refused(token="secret\u202e")
    assert "secret" not in message and message.startswith("token: the value has the character U+202E")


def test_good_values_pass():
    check_params(
        SPEC,
        {
            "weight": 0,
            "timeout": 3600.0,
            "frontend": "web-fra_1.example",
            "text": "vip 1\n\tas 2\r\n",
            "name": ["b1", "b2"],
            "backends": [{"weight": 100}],
            "token": "t" * 1024,
        },
        RULES,
    )
    check_params(SPEC, {"frontend": "ünïcødé-名前"}, RULES)  # printable non-ASCII is fine
