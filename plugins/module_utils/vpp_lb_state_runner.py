# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the vpp_lb_state module does on the VPP host, given an AnsibleModule.

    config (validated on the controller, sent as JSON text, re-parsed here) + backend states
      -> desired LbState -> vppclient.read_state -> planner.plan -> check mode / apply

Everything else is the core's: desired_state + weights for the failover logic, the planner
for the diff, vppclient for VPP, disruption for the bucket figures.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from . import maglevd_client, vpp_lb_state_input
from .common import (
    CONNECTION_SPEC,
    ModuleFailure,
    ModuleInputError,
    input_errors,
    refuse_assume_up_if_maglevd,
    run_plan,
    vpp_session,
)
from .config import parse as config_parse
from .config_errors import ConfigError
from .config_model import Config
from .disruption import plan_disruption
from .lb_model import LbState
from .planner import plan
from .views import with_vip_summaries


def argument_spec() -> dict:
    spec = dict(CONNECTION_SPEC)
    spec.update(vpp_lb_state_input.STATE_SPEC)
    spec["force"] = {"type": "bool", "default": False}  # write with health assume_up where maglevd runs
    return spec


def module_kwargs() -> dict:
    """Keyword arguments of AnsibleModule for vpp_lb_state (and the action plugin's check)."""
    return {
        "argument_spec": argument_spec(),
        "mutually_exclusive": vpp_lb_state_input.MUTUALLY_EXCLUSIVE,
        "required_if": vpp_lb_state_input.REQUIRED_IF,
        "supports_check_mode": True,
    }


def maglevd_states(params: Dict[str, Any]) -> Dict[str, str]:
    """Live backend states from the running maglevd (health: maglevd)."""
    socket_path = params["maglevd_socket"]
    try:
        return maglevd_client.MaglevdClient(socket_path, timeout=params["timeout"]).states()
    except maglevd_client.MaglevdError as exc:  # not running, socket missing, or an API refusal
        raise ModuleFailure("health: maglevd: cannot read backend states from maglevd on %s: %s" % (socket_path, exc))


def run(module: Any) -> dict:
    """The whole task; returns the result or raises ModuleFailure."""
    params = module.params
    state = params["state"]
    if params.get("src"):
        raise ModuleFailure(
            "src is read on the controller by the vpp.maglev.vpp_lb_state action plugin; "
            "the module itself takes config (a maglev.yaml structure)"
        )
    config = _config(params)
    with input_errors():
        if state in vpp_lb_state_input.OFFLINE_STATES:
            return vpp_lb_state_input.parse(params) if state == "parsed" else vpp_lb_state_input.render(config, params)
        patterns = vpp_lb_state_input.parse_protected(params.get("protected"))
        base = None
        if config is not None and params["health"] == "maglevd" and state != "gathered":
            base = maglevd_states(params)
        desired = vpp_lb_state_input.desired_for(config, params, base)

    with vpp_session(module, writes=state != "gathered") as vpp:
        current = vpp.read_state()
        if state == "gathered":
            return vpp_lb_state_input.gathered(current)
        return _converge(module, vpp, current, desired, patterns)


def _config(params: Dict[str, Any]) -> Optional[Config]:
    """The ``config`` option as a Config (None when not given)."""
    if params.get("config") is None:
        return None
    try:
        # Decoded from JSON by AnsibleModule: plain types already, so no plain() walk
        # (docs/performance.md).
        return config_parse(params["config"])
    except ConfigError as exc:
        raise ModuleFailure(**vpp_lb_state_input.config_failure(exc, "config")) from None


def _converge(module: Any, vpp: Any, current: LbState, desired: LbState, patterns: list) -> dict:
    params = module.params
    the_plan = plan(
        current,
        desired,
        params["state"],
        protected=vpp_lb_state_input.protected_keys(patterns, current.vips),
        flush_removed=params["flush"],
        allow_empty=params["allow_empty"],
    )
    vpp_lb_state_input.guard_emptying(the_plan, params["state"], params["allow_empty"])
    if the_plan:
        refuse_assume_up_if_maglevd(module, the_plan.changed_vips())
    disruption = plan_disruption(the_plan) if params["estimate_disruption"] else None
    try:
        result = run_plan(module, vpp, the_plan, vpp_lb_state_input.result_view(params, the_plan))
    except ModuleFailure as exc:
        if disruption is not None:
            exc.fields.setdefault("disruption", disruption)
        raise
    if disruption is not None:
        result["disruption"] = disruption
    if "diff" in result:  # one summary line per VIP on the console (docs/state-module.md)
        result["diff"] = with_vip_summaries(result["diff"], the_plan, disruption)
    return result


__all__ = ["ModuleInputError", "argument_spec", "module_kwargs", "run"]
