"""vppclient pieces that need no VPP: the apply loop's error reporting, and dump decoding."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import vpp_errors, vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi import connection, reader


class FakeOp:
    def __init__(self, name: str):
        self.name = name

    def api_call(self):
        return "lb_as_set_weight", {"tag": self.name}

    def __str__(self) -> str:
        return self.name


class FakeApi:
    """Answers retval 0, except ``failures`` maps a tag to a retval or an exception."""

    def __init__(self, failures=None):
        self.failures = failures or {}
        self.sent = []

    def lb_as_set_weight(self, **kwargs):
        self.sent.append(kwargs["tag"])
        outcome = self.failures.get(kwargs["tag"], 0)
        if isinstance(outcome, BaseException):
            raise outcome
        return SimpleNamespace(retval=outcome)


def client(api):
    papi = SimpleNamespace(api=api, transport=SimpleNamespace(connected=False))
    return vppclient.VppClient(papi, "/test.sock")


def test_apply_checks_every_retval_and_names_applied_and_not_applied():
    api = FakeApi({"c": -81})
    ops = [FakeOp(n) for n in "abcde"]
    with pytest.raises(vpp_errors.VppApplyError) as caught:
        client(api).apply(ops)
    error = caught.value
    assert api.sent == ["a", "b", "c"]
    assert (error.retval, error.error) == (-81, "VALUE_EXIST")
    assert [str(op) for op in error.applied] == ["a", "b"] and [str(op) for op in error.not_applied] == ["d", "e"]
    assert str(error).startswith("operation 3 of 5 failed: c: VPP returned -81 (VALUE_EXIST); 2 applied")
    assert error.to_dict()["failed_op"] == "c"


def test_a_dropped_connection_is_an_apply_error_and_marks_the_client_broken():
    vpp = client(FakeApi({"b": OSError(2, "VPP API client: read failed")}))
    with pytest.raises(vpp_errors.VppApplyError, match="connection to VPP was lost") as caught:
        vpp.apply([FakeOp("a"), FakeOp("b"), FakeOp("c")])
    assert caught.value.dropped and caught.value.error == "CONNECTION_LOST" and vpp.broken


def test_apply_counts_calls_and_accepts_a_plan():
    vpp = client(FakeApi())
    result = vpp.apply(SimpleNamespace(ops=[FakeOp("a"), FakeOp("b")]))
    assert result.calls == 2 and vpp.calls == 2 and vpp.writes == 2


@pytest.mark.parametrize(
    "code, name",
    [
        (-6, "NO_SUCH_ENTRY"),
        (-97, "INVALID_ADDRESS_FAMILY"),
        (-70, "INVALID_MEMORY_SIZE"),
        (-73, "INVALID_ARGUMENT"),
        (-2, "INVALID_SW_IF_INDEX"),
        (-12345, "UNKNOWN_ERROR"),
    ],
)
def test_error_names(code, name):
    assert vpp_errors.error_name(code) == name


def test_dump_field_decoding():
    assert reader.swap16(60172) == 3307  # NAT target_port as master's dump sends it
    assert reader.dump_byte(10 << 24) == 10  # srv_type/dscp byte written unswapped into a u32
    assert reader.dump_byte(1) == 1


def test_missing_library_is_specific(monkeypatch):
    monkeypatch.setattr(connection, "VPPApiClient", None)
    with pytest.raises(vpp_errors.MissingLibrary, match="vpp_papi"):
        vppclient.connect("/x.sock")


def test_the_facade_shows_the_connections_state():
    vpp = client(FakeApi())
    assert vpp.api_socket == "/test.sock" and vpp.direct and not vpp.broken
    vpp.direct = False
    assert vpp.connection.direct_enabled is False
    vpp.broken = True  # what maglevd does to a client it gave up on
    assert vpp.connection.broken and not vpp.reader_alive()
