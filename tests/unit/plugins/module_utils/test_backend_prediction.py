"""backend_prediction: maglev_backend's check-mode prediction, from the operator actions table."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.backend_prediction import (
    check_names,
    predict,
    reached,
    report,
    wait_target,
)
from ansible_collections.vpp.maglev.plugins.module_utils.common import ModuleFailure
from ansible_collections.vpp.maglev.plugins.module_utils.operator_actions import BY_MODULE_STATE, ActionRefused
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState


def member(backend, state="up", weight=100):
    return {"backend": backend, "state": state, "configured_weight": weight}


def frontends(*pools):
    return {"web": {"name": "web", "pools": [{"name": name, "backends": list(ms)} for name, ms in pools]}}


def params(**extra):
    base = {"name": ["b1"], "state": None, "frontend": None, "pool": None, "weight": None, "allow_empty": False}
    base.update(extra)
    return base


def backends(**states):
    return {name: {"name": name, "state": state} for name, state in states.items()}


@pytest.mark.parametrize("module_state", sorted(BY_MODULE_STATE))
@pytest.mark.parametrize("current", [state.value for state in BackendState])
def test_the_prediction_is_the_tables_outcome(module_state, current):
    action = BY_MODULE_STATE[module_state]
    try:
        outcome = action.outcome("b1", BackendState(current))
    except ActionRefused:
        with pytest.raises(ModuleFailure, match="cannot %s backend b1: it is %s" % (action.name, current)):
            predict(params(state=module_state), backends(b1=current), {})
        return
    prediction = predict(params(state=module_state), backends(b1=current), {})
    assert prediction.after["b1"] == (current if outcome is None else outcome.value)
    assert prediction.acted == ([] if outcome is None else ["b1"])
    assert prediction.actions == ([] if outcome is None else ["backend b1 %s" % action.name])


def test_a_disabled_backend_is_not_paused_and_the_message_says_what_to_do():
    with pytest.raises(ModuleFailure) as caught:
        predict(params(name=["b1", "b2"], state="paused"), backends(b1="up", b2="disabled"), {})
    assert caught.value.fields == {"msg": "cannot pause backend b2: it is disabled (enable it first)"}


def test_unknown_names_are_listed_with_what_maglevd_has():
    with pytest.raises(ModuleFailure, match=r"^maglevd has no backend named nope; it has: b1, b2$"):
        check_names(["b1", "nope"], backends(b1="up", b2="up"))
    with pytest.raises(ModuleFailure, match=r"it has: none$"):
        check_names(["nope"], {})


def test_a_weight_is_predicted_only_where_it_changes():
    fes = frontends(("fra", [member("b1"), member("b2", weight=50)]))
    task = params(name=["b1", "b2"], frontend="web", pool="fra", weight=50)
    prediction = predict(task, backends(b1="up", b2="up"), fes)
    assert prediction.overrides == {("fra", "b1"): 50}
    assert prediction.actions == ["frontend web pool fra backend b1 weight 50"]
    result = report(task, fes, prediction)
    assert result["before"]["frontends"] == {"web": {"fra/b1": 100, "fra/b2": 50}}
    assert result["after"]["frontends"] == {"web": {"fra/b1": 50, "fra/b2": 50}}
    assert result["changed"]


@pytest.mark.parametrize(
    "task, message",
    [
        (params(frontend="api", pool="fra", weight=1), "maglevd has no frontend named api; it has: web"),
        (params(frontend="web", pool="ams", weight=1), "frontend web has no pool ams; it has: fra"),
        (params(name=["b9"], frontend="web", pool="fra", weight=1), "backend b9 is not in pool fra of frontend web"),
    ],
)
def test_a_weight_of_an_unknown_frontend_pool_or_member_fails(task, message):
    with pytest.raises(ModuleFailure) as caught:
        predict(task, backends(b1="up", b9="up"), frontends(("fra", [member("b1")])))
    assert caught.value.fields["msg"] == message


def test_leaving_a_serving_frontend_dark_is_refused_unless_allow_empty():
    fes = frontends(("fra", [member("b1")]))
    task = params(state="paused")
    prediction = predict(task, backends(b1="up"), fes)
    with pytest.raises(ModuleFailure) as caught:
        report(task, fes, prediction)
    assert caught.value.fields["msg"].startswith("refusing: frontend web would be left with no backend")
    assert caught.value.fields["before"] == {"web": {"fra/b1": 100}}
    assert caught.value.fields["after"] == {"web": {"fra/b1": 0}}
    allowed = report(params(state="paused", allow_empty=True), fes, prediction)
    assert allowed["after"]["backends"] == {"b1": "paused"} and allowed["actions"] == ["backend b1 pause"]


@pytest.mark.parametrize(
    "module_state, target", [("paused", "paused"), ("disabled", "disabled"), ("resumed", "up"), ("enabled", "up")]
)
def test_wait_targets_follow_the_table(module_state, target):
    assert wait_target(module_state) == target
    assert reached(target, target) and not reached(target, "unknown")


def test_without_an_action_wait_wants_any_verdict():
    assert wait_target(None) is None
    assert reached(None, "down") and not reached(None, "unknown")
