"""maglevd's choice of event loop (event_loop.py)."""

from __future__ import annotations

import sys

import pytest
from ansible_collections.vpp.maglev.maglevd import event_loop
from ansible_collections.vpp.maglev.maglevd.event_loop import LOOP_VAR, LoopChoiceError, choose

uvloop = pytest.importorskip("uvloop")


def test_uvloop_where_installed_unless_the_operator_says_asyncio():
    assert choose({}) == ("uvloop", uvloop.new_event_loop)
    assert choose({LOOP_VAR: "auto"})[0] == "uvloop"
    assert choose({LOOP_VAR: "uvloop"})[0] == "uvloop"
    assert choose({LOOP_VAR: " AsyncIO "}) == ("asyncio", None)


def test_without_uvloop_the_standard_loop_runs_unless_uvloop_is_insisted_on(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    assert choose({}) == ("asyncio", None)
    with pytest.raises(LoopChoiceError, match="MAGLEV_EVENT_LOOP=uvloop but uvloop is not installed"):
        choose({LOOP_VAR: "uvloop"})


def test_a_bad_value_names_the_variable_and_the_choices():
    with pytest.raises(LoopChoiceError) as raised:
        choose({LOOP_VAR: "tokio"})
    assert str(raised.value) == "MAGLEV_EVENT_LOOP must be one of auto, uvloop, asyncio, got 'tokio'"
    assert event_loop.CHOICES == ("auto", "uvloop", "asyncio")
