"""flow_wait: when maglev_backend's wait_for_flows may call a backend idle."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.flow_wait import FlowsNotReported, FlowWait


def report(flows, read_at, name="b1"):
    return {"name": name, "state": "paused", "flows": flows, "flows_read_at": read_at}


def test_counts_read_before_the_wait_began_do_not_count():
    waiting = FlowWait(0, {"b1": report({"web": 0}, 100.0)})
    verdict = waiting.verdict({"b1": report({"web": 0}, 100.0)})
    assert not verdict.idle and verdict.stale == ["b1"]
    assert waiting.verdict({"b1": report({"web": 0}, 105.0)}).idle


def test_a_fresh_read_above_the_limit_is_busy_and_says_where():
    waiting = FlowWait(2, {"b1": report({"web": 9, "api": 1}, 100.0), "b2": report({"web": 0}, 100.0, "b2")})
    verdict = waiting.verdict({"b1": report({"web": 3, "api": 1}, 105.0), "b2": report({"web": 0}, 100.0, "b2")})
    assert not verdict.idle
    assert verdict.busy == {"b1": {"web": 3}}
    assert verdict.flows == {"b1": {"web": 3, "api": 1}, "b2": {"web": 0}}
    assert verdict.describe(2) == (
        "flows above 2: b1 has 3 flows in web; maglevd has not read VPP's flows since the wait began for b2"
    )


def test_every_backend_and_frontend_must_be_at_most_the_limit():
    waiting = FlowWait(0, {"b1": report({}, None), "b2": report({}, None, "b2")})
    fresh = {"b1": report({"web": 0, "api": 0}, 1.0), "b2": report({"web": 1}, 1.0, "b2")}
    assert waiting.verdict(fresh).busy == {"b2": {"web": 1}}
    fresh["b2"] = report({"web": 0}, 1.0, "b2")
    assert waiting.verdict(fresh).idle  # maglevd had not read at all at the start: any read is new


def test_no_read_since_the_start_is_never_idle():
    waiting = FlowWait(0, {"b1": report({}, None)})
    assert not waiting.verdict({"b1": report({}, None)}).idle


def test_check_mode_judges_the_counts_as_they_are():
    first = {"b1": report({"web": 0}, 100.0)}
    assert FlowWait(0, first).verdict(first, require_fresh=False).idle
    busy = {"b1": report({"web": 4}, 100.0)}
    assert not FlowWait(0, busy).verdict(busy, require_fresh=False).idle


def test_a_maglevd_that_does_not_report_flows_is_an_error_naming_the_backend():
    old = {"b1": {"name": "b1", "state": "paused"}}
    with pytest.raises(FlowsNotReported, match="no flows for backend b1"):
        FlowWait(0, old).verdict(old)


def test_a_backend_no_frontend_uses_has_nothing_to_wait_for():
    unused = {"b1": {"name": "b1", "frontends": [], "flows": {}, "flows_read_at": None}}
    assert FlowWait(0, unused).verdict(unused).idle


def test_a_count_maglevd_does_not_know_is_not_idle():
    first = {"b1": report({"web": None}, 100.0)}
    unknown = {"b1": report({"web": None}, 105.0)}
    assert not FlowWait(0, first).verdict(unknown).idle
