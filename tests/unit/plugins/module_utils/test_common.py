"""common: the session guard (stdout capture, error mapping) and module-level input errors."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.vpp.maglev.plugins.module_utils import common, module_input, planner, vpp_errors, vppclient


class FakeModule:
    def __init__(self):
        self.params = {"api_socket": "/x.sock", "api_dir": None, "timeout": 1.0, "lock_timeout": 0.0}
        self.check_mode = True  # a reader: no writer lock
        self.warnings = []
        self.failed = None

    def warn(self, text):
        self.warnings.append(text)

    def fail_json(self, **fields):
        self.failed = fields
        raise SystemExit(1)


class FakeClient:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def test_stdout_printed_by_vpp_papi_is_captured_and_failures_print_after(monkeypatch):
    monkeypatch.setattr(vppclient, "connect", lambda *a, **k: FakeClient())
    module = FakeModule()
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(common.ModuleFailure) as caught, common.vpp_session(module):
        print("REPLY MISMATCH lb_vip_details control_ping_reply")
        raise common.ModuleFailure("boom", applied=["x"])
    assert out.getvalue() == ""
    assert caught.value.fields == {"msg": "boom", "applied": ["x"]}
    assert module.warnings == ["vpp_papi printed: REPLY MISMATCH lb_vip_details control_ping_reply"]


@pytest.mark.parametrize(
    "error, expected",
    [
        (
            vpp_errors.VppConnectionError("VPP API socket /x.sock does not exist"),
            "VPP API socket /x.sock does not exist",
        ),
        (
            vpp_errors.MissingLibrary("vpp_papi", ImportError("no")),
            "Failed to import the required Python library (vpp_papi)",
        ),
        (RuntimeError("odd"), "unexpected error talking to VPP: RuntimeError('odd')"),
    ],
)
def test_errors_become_fail_json(monkeypatch, error, expected):
    def connect(*args, **kwargs):
        raise error

    monkeypatch.setattr(vppclient, "connect", connect)
    module = FakeModule()
    with pytest.raises(common.ModuleFailure) as caught, common.vpp_session(module):
        pass
    assert expected in caught.value.fields["msg"]


def test_module_rejects_bad_input_before_connecting(capsys):
    from ansible_collections.vpp.maglev.plugins.modules import vpp_lb_frontend

    args = {"vip": "192.0.2.1/24", "api_socket": "/nonexistent.sock", "_ansible_check_mode": True}
    with patch_module_args(args), pytest.raises(SystemExit):
        vpp_lb_frontend.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] and result["msg"] == "vip: 192.0.2.1/24 has host bits set; did you mean 192.0.2.0/24?"


def run(capsys, task, rules=None, **params):
    spec = common.connection_spec(count={"type": "int", "default": 1})
    rules = {"count": module_input.Rule(0, 10)} if rules is None else rules
    with patch_module_args(params), pytest.raises(SystemExit):
        common.run_module(rules, task, argument_spec=spec, supports_check_mode=True)
    return json.loads(capsys.readouterr().out)


def test_run_module_exits_with_the_tasks_result(capsys):
    result = run(capsys, lambda module: {"changed": True, "count": module.params["count"]}, count=3)
    assert result["changed"] and result["count"] == 3 and "failed" not in result


def test_run_module_turns_a_module_failure_into_fail_json_with_its_fields(capsys):
    def task(module):
        raise common.ModuleFailure("it broke", applied=["a"], changed=True)

    result = run(capsys, task)
    assert result["failed"] and result["msg"] == "it broke"
    assert result["applied"] == ["a"] and result["changed"]


def test_run_module_checks_the_input_before_the_task(capsys):
    called = []
    result = run(capsys, called.append, count=11)
    assert result["failed"] and result["msg"] == "count: 11 is out of range 0..10" and called == []


def test_run_module_refuses_a_numeric_option_without_a_range(capsys):
    result = run(capsys, lambda module: {}, rules={})
    assert result["failed"] and result["msg"] == "internal error: no allowed range declared for count"


@pytest.mark.parametrize(
    "error, expected",
    [
        (module_input.ModuleInputError("port: bad"), {"msg": "port: bad"}),
        (planner.PlanError("vip would be left empty"), {"msg": "vip would be left empty"}),
        (common.ModuleFailure("as is", errors=[1]), {"msg": "as is", "errors": [1]}),
    ],
)
def test_input_errors_become_module_failures(error, expected):
    with pytest.raises(common.ModuleFailure) as caught, common.input_errors():
        raise error
    assert caught.value.fields == expected


def test_an_unexpected_error_while_reading_input_is_an_internal_error_with_its_traceback():
    with pytest.raises(common.ModuleFailure) as caught, common.input_errors():
        raise KeyError("oops")
    assert caught.value.fields["msg"] == "internal error while validating the input"
    assert "KeyError: 'oops'" in caught.value.fields["exception"]
