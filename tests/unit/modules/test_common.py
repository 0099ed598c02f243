"""common: the session guard (stdout capture, error mapping) and module-level input errors."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.vpp.maglev.plugins.module_utils import common, vppclient


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
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit), common.vpp_session(module):
        print("REPLY MISMATCH lb_vip_details control_ping_reply")
        raise common.ModuleFailure("boom", applied=["x"])
    assert out.getvalue() == ""
    assert module.failed == {"msg": "boom", "applied": ["x"]}
    assert module.warnings == ["vpp_papi printed: REPLY MISMATCH lb_vip_details control_ping_reply"]


@pytest.mark.parametrize(
    "error, expected",
    [
        (
            vppclient.VppConnectionError("VPP API socket /x.sock does not exist"),
            "VPP API socket /x.sock does not exist",
        ),
        (
            vppclient.MissingLibrary("vpp_papi", ImportError("no")),
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
    with pytest.raises(SystemExit), common.vpp_session(module):
        pass
    assert expected in module.failed["msg"]


def test_module_rejects_bad_input_before_connecting(capsys):
    from ansible_collections.vpp.maglev.plugins.modules import vpp_lb_frontend

    args = {"vip": "192.0.2.1/24", "api_socket": "/nonexistent.sock", "_ansible_check_mode": True}
    with patch_module_args(args), pytest.raises(SystemExit):
        vpp_lb_frontend.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] and result["msg"] == "vip: 192.0.2.1/24 has host bits set; did you mean 192.0.2.0/24?"
