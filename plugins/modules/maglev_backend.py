#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: maglev_backend
short_description: Pause, resume, enable, disable or re-weight backends through a running maglevd
version_added: 1.0.0
author:
  - vpp.maglev engineers (@vpp-maglev)
description:
  - Operator actions on backends of a running maglevd, over its control API (the Unix socket
    on the VPP host, or its TCP listener with a token). maglevd owns the AS weights on a host
    where it runs; this module is how Ansible takes backends out of service and back.
  - V(paused) stops health checks and drains the backend gracefully - weight 0, established
    flows continue (no flush). V(resumed) restarts its health checks; it returns to C(unknown)
    and then to C(up) after its first passing probe.
  - V(disabled) takes the backend out and flushes it - weight 0 and its established flows are
    evicted. V(enabled) brings it back (to C(unknown), then C(up)).
  - With O(frontend), O(pool) and O(weight), sets the backend's configured weight in that pool
    at run time (not written to maglev.yaml; a reload restores the file's weight).
  - Check mode predicts the resulting states and weights from what the daemon reports, with
    the same failover logic the daemon uses, and changes nothing.
  - A guard refuses to pause, disable or zero-weight backends when a frontend that currently
    serves traffic would be left with no backend of effective weight above 0 (standby pools
    taking over count as serving), unless O(allow_empty=true).
options:
  name:
    description:
      - The backend name(s) in maglev.yaml (C(maglev.backends)). Several names are acted on
        together, and the guard considers them together.
      - At least one name, each given once.
    type: list
    elements: str
    required: true
  state:
    description:
      - The operator action's target state (see the description). Pausing or resuming a
        disabled backend is refused by maglevd. Enabling a backend that is not disabled and
        resuming one that is not paused change nothing.
      - Omit it to only set a weight, or to only O(wait) until maglevd has a verdict for the
        backends (every one has left C(unknown)).
    type: str
    choices: [paused, resumed, enabled, disabled]
  frontend:
    description: Frontend whose pool weight to set (with O(pool) and O(weight)).
    type: str
  pool:
    description: Pool name within O(frontend).
    type: str
  weight:
    description: New configured weight, 0-100, of the backend(s) in O(frontend)'s O(pool).
    type: int
  wait:
    description:
      - Wait until maglevd reports the wanted state - C(up) after V(resumed) or V(enabled),
        C(paused) or C(disabled) after those, and without O(state) any verdict other than
        C(unknown). Fails after O(wait_timeout) seconds with every backend's state.
      - Not done in check mode.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait), 0 to 86400; O(wait_for_flows) then has as long again.
    type: float
    default: 60
  wait_for_flows:
    description:
      - Drain until idle - after the action (and after O(wait)), wait until every named
        backend has at most this many live flows in every frontend (0 to 4294967295), or
        until O(wait_timeout). A timeout does not fail the task - RV(flows_idle) says which
        happened, with the last counts - so a rollout can decide.
      - The flows are those VPP has pinned to the backend's AS (its sticky-table entries), as
        maglevd last read them (every C(--vpp-stats-interval) seconds). Only a read made after
        the wait began counts, so the task waits for at least one such read.
      - VPP frees an expired entry lazily - it counts until a new flow reuses its slot - so
        on a quiet VIP the count overstates the open connections and may stay above 0 until
        the timeout (docs/traffic.md).
      - In check mode, reports the current counts and whether they are at most this, without
        waiting.
      - Fails when maglevd does not report flows (it does not read VPP's stats).
    type: int
    version_added: 1.0.0
  allow_empty:
    description:
      - Allow an action that leaves a serving frontend with no backend of effective weight
        above 0 (VPP then drops its new flows).
      - maglevd applies the same rule to every client (C(409 last-serving-backend)); with
        O(allow_empty=true) the module sends its requests with C(force).
    type: bool
    default: false
  maglevd_socket:
    description:
      - maglevd's control socket on the managed host. Ignored when O(server) is set.
    type: path
    default: /run/maglevd/maglevd.sock
    aliases: [socket]
  server:
    description:
      - C(host:port) of maglevd's TCP control listener (C(--control-addr)), instead of the socket.
    type: str
  token:
    description:
      - Bearer token for O(server).
    type: str
extends_documentation_fragment:
  - vpp.maglev.vpp
attributes:
  check_mode:
    support: full
    description: Predicts states and effective weights from the daemon's report; sends nothing.
  diff_mode:
    support: full
    description: Shows each backend's state and each touched frontend's effective weights before and after.
  platform:
    platforms: posix
    support: full
    description: Runs on the VPP host where maglevd runs (or anywhere that reaches its TCP listener).
  action_group:
    description: Use C(group/vpp.maglev.vpp) in C(module_defaults) to set O(timeout) for all modules.
    support: full
    membership:
      - vpp.maglev.vpp
notes:
  - O(api_socket), O(api_dir) and O(lock_timeout) are accepted so that C(module_defaults) for the
    C(group/vpp.maglev.vpp) action group apply, but this module never talks to VPP itself (maglevd
    writes to VPP, under the writer lock); O(timeout) applies to each request to maglevd.
  - Runtime actions survive a maglevd config reload while the backend's healthcheck is
    unchanged; a restart of maglevd starts again from maglev.yaml (C(enabled) there).
seealso:
  - module: vpp.maglev.vpp_lb_backend
    description: Drain or disable an AS directly in VPP where no maglevd runs.
  - module: vpp.maglev.vpp_lb_state
    description: Converge or check the whole load balancer; O(vpp.maglev.vpp_lb_state#module:health=maglevd) uses the daemon's view.
"""

EXAMPLES = r"""
- name: Drain web-fra-1 (no new flows; established flows continue)
  vpp.maglev.maglev_backend:
    name: web-fra-1
    state: paused
  become: true

- name: Put it back and wait until it passes its health check
  vpp.maglev.maglev_backend:
    name: web-fra-1
    state: resumed
    wait: true
    wait_timeout: 120
  become: true

- name: Drain web-fra-1 and wait until its last flow has left (at most 10 minutes)
  vpp.maglev.maglev_backend:
    name: web-fra-1
    state: paused
    wait_for_flows: 0
    wait_timeout: 600
  register: drained

- name: Say when flows were still there
  ansible.builtin.debug:
    msg: "{{ drained.flows_message }}"
  when: not drained.flows_idle

- name: Take two backends out at once, evicting their flows (refused if a VIP would go dark)
  vpp.maglev.maglev_backend:
    name: [web-fra-2, web-fra-3]
    state: disabled

- name: Halve web-fra-2's share in pool fra of frontend web
  vpp.maglev.maglev_backend:
    name: web-fra-2
    frontend: web
    pool: fra
    weight: 50

- name: Through the TCP listener, with the token from a vault
  vpp.maglev.maglev_backend:
    name: web-fra-1
    state: enabled
    server: lb1.example.com:9090
    token: "{{ vault_maglevd_token }}"
  delegate_to: localhost

- name: Wait until maglevd has a verdict for every backend (e.g. after a restart)
  vpp.maglev.maglev_backend:
    name: [web-fra-1, web-fra-2, web-fra-3]
    wait: true
"""

RETURN = r"""
changed:
  description: Whether an action changed (or, in check mode, would change) a state or weight.
  returned: always
  type: bool
  sample: true
backends:
  description: Each named backend's state after the task (predicted in check mode, as reported by maglevd otherwise).
  returned: always
  type: dict
  sample: {"web-fra-1": "paused"}
before:
  description: Each named backend's state and the effective weights of the frontends that use them, before.
  returned: always
  type: dict
  sample: {"backends": {"web-fra-1": "up"}, "frontends": {"web": {"fra/web-fra-1": 100, "fra/web-fra-2": 50}}}
after:
  description: The same after the task (predicted with the daemon's failover logic).
  returned: always
  type: dict
  sample: {"backends": {"web-fra-1": "paused"}, "frontends": {"web": {"fra/web-fra-1": 0, "fra/web-fra-2": 50}}}
actions:
  description: The requests sent to maglevd (in check mode, those it would send).
  returned: always
  type: list
  elements: str
  sample: ["backend web-fra-1 pause"]
waited:
  description: Seconds spent waiting with O(wait).
  returned: when O(wait=true) and not in check mode
  type: float
  sample: 1.2
flows_idle:
  description:
    - Whether every named backend had at most O(wait_for_flows) flows in every frontend, in a
      read made after the wait began (in check mode - the current counts). Never true after a
      timeout.
  returned: when O(wait_for_flows) is set
  type: bool
  sample: true
flows:
  description: The last flow counts maglevd reported, per backend and frontend.
  returned: when O(wait_for_flows) is set
  type: dict
  sample: {"web-fra-1": {"web": 0}}
flows_waited:
  description: Seconds spent waiting with O(wait_for_flows) (0 in check mode).
  returned: when O(wait_for_flows) is set
  type: float
  sample: 31.5
flows_message:
  description: Why the backends are not idle - the counts above O(wait_for_flows), and the backends without a new read.
  returned: when RV(flows_idle) is false
  type: str
  sample: "flows above 0: web-fra-1 has 12 flows in web"
"""

import time
from typing import Any, Dict, List

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vpp.maglev.plugins.module_utils import maglevd_client
from ansible_collections.vpp.maglev.plugins.module_utils.backend_prediction import (
    Prediction,
    check_names,
    predict,
    reached,
    report,
    wait_target,
)
from ansible_collections.vpp.maglev.plugins.module_utils.common import (
    CONNECTION_SPEC,
    MAX_TIMEOUT,
    WAIT_RULE,
    WEIGHT_RULE,
    ModuleFailure,
    run_module,
)
from ansible_collections.vpp.maglev.plugins.module_utils.flow_wait import MAX_FLOWS, FlowsNotReported, FlowWait
from ansible_collections.vpp.maglev.plugins.module_utils.module_input import Rule
from ansible_collections.vpp.maglev.plugins.module_utils.operator_actions import BY_MODULE_STATE
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState

MAX_NAMES = 256  # backends acted on in one task
MAX_NAME_LENGTH = 256  # a backend, frontend or pool name of maglev.yaml
RULES = {
    "name": Rule(non_empty=True, unique=True, max_length=MAX_NAMES),
    "name[]": Rule(max_length=MAX_NAME_LENGTH),
    "frontend": Rule(max_length=MAX_NAME_LENGTH),
    "pool": Rule(max_length=MAX_NAME_LENGTH),
    "weight": WEIGHT_RULE,
    "wait_timeout": WAIT_RULE,
    "wait_for_flows": Rule(0, MAX_FLOWS, hint="flows"),
    "timeout": Rule(0, MAX_TIMEOUT, low_open=True, hint="seconds to wait for maglevd"),
}
WAIT_INTERVAL = 0.2  # seconds between two reads of the backends' states with wait
FLOW_WAIT_INTERVAL = 0.5  # seconds between two looks at the flows (maglevd reads them every few seconds)


def read_backends(client: Any, names: List[str]) -> Dict[str, dict]:
    """maglevd's backends by name; ModuleFailure when one of ``names`` is not among them."""
    backends = {b["name"]: b for b in client.backends()}
    check_names(names, backends)
    return backends


def act(client: Any, params: Dict[str, Any], prediction: Prediction) -> None:
    """Send exactly what the prediction lists, in the same order. With allow_empty, report's
    guard has already let it pass: maglevd must not refuse it again (force)."""
    if prediction.acted:
        action = BY_MODULE_STATE[params["state"]].name
        for name in prediction.acted:
            client.backend_action(name, action, force=params["allow_empty"])
    for (pool, name), weight in prediction.overrides.items():
        client.set_weight(params["frontend"], pool, name, weight, force=params["allow_empty"])


def current_states(client: Any, names: List[str]) -> Dict[str, str]:
    return {b["name"]: b["state"] for b in client.backends() if b["name"] in names}


def wait(client: Any, params: Dict[str, Any], result: Dict[str, Any]) -> Dict[str, str]:
    """Poll maglevd until every named backend has reached the wait target; records the
    seconds waited in ``result``; ModuleFailure (with ``result``) after wait_timeout."""
    names: List[str] = list(params["name"])
    target = wait_target(params["state"])
    start = time.monotonic()
    deadline = start + params["wait_timeout"]
    while True:
        current = current_states(client, names)
        if all(reached(target, current.get(n, BackendState.REMOVED.value)) for n in names):
            break
        if time.monotonic() >= deadline:
            raise ModuleFailure(
                "timed out after %gs waiting for %s; maglevd reports: %s"
                % (
                    params["wait_timeout"],
                    target or "a verdict",
                    ", ".join("%s %s" % (n, current.get(n)) for n in names),
                ),
                **result,
            )
        time.sleep(WAIT_INTERVAL)
    result["waited"] = round(time.monotonic() - start, 3)
    return current


def flow_reports(client: Any, names: List[str]) -> Dict[str, dict]:
    return {name: client.backend(name) for name in names}


def wait_for_flows(client: Any, params: Dict[str, Any], result: Dict[str, Any], check_mode: bool) -> None:
    """Drain until idle (module_utils/flow_wait.py): look at maglevd's flow counts until every
    named backend is at most wait_for_flows in a read newer than the start, or wait_timeout.
    Records the verdict in ``result``; a timeout is a result, not a failure."""
    names: List[str] = list(params["name"])
    start = time.monotonic()
    deadline = start + params["wait_timeout"]
    try:
        reports = flow_reports(client, names)
        waiting = FlowWait(params["wait_for_flows"], reports)
        verdict = waiting.verdict(reports, require_fresh=not check_mode)
        while not check_mode and not verdict.idle and time.monotonic() < deadline:
            time.sleep(max(0.0, min(FLOW_WAIT_INTERVAL, deadline - time.monotonic())))
            verdict = waiting.verdict(flow_reports(client, names))
    except FlowsNotReported as exc:
        raise ModuleFailure(str(exc), **result) from None
    result.update(
        flows_idle=verdict.idle,
        flows=verdict.flows,
        flows_waited=0.0 if check_mode else round(time.monotonic() - start, 3),
    )
    if not verdict.idle:
        result["flows_message"] = verdict.describe(params["wait_for_flows"])


def run(module: AnsibleModule, client: Any) -> Dict[str, Any]:
    params = module.params
    backends = read_backends(client, list(params["name"]))
    frontends = {f["name"]: f for f in client.frontends()}
    prediction = predict(params, backends, frontends)
    result = report(params, frontends, prediction)
    if module._diff:
        result["diff"] = {"before": result["before"], "after": result["after"]}
    if module.check_mode:
        result["backends"] = result["after"]["backends"]
    else:
        act(client, params, prediction)
        if params["wait"]:
            result["backends"] = wait(client, params, result)
        else:
            result["backends"] = current_states(client, list(params["name"]))
    if params["wait_for_flows"] is not None:
        wait_for_flows(client, params, result, module.check_mode)
        if not result["flows_idle"] and not module.check_mode:
            module.warn("not idle after %gs: %s" % (params["wait_timeout"], result["flows_message"]))
    return result


def act_on_maglevd(module: AnsibleModule) -> Dict[str, Any]:
    params = module.params  # run_module checked every value before maglevd is contacted
    try:
        client = maglevd_client.MaglevdClient(
            params["maglevd_socket"], server=params["server"], token=params["token"], timeout=params["timeout"]
        )
        return run(module, client)
    except maglevd_client.MaglevdError as exc:
        raise ModuleFailure("maglevd on %s: %s" % (params["server"] or params["maglevd_socket"], exc)) from None


def main() -> None:
    run_module(
        RULES,
        act_on_maglevd,
        argument_spec={
            "name": {"type": "list", "elements": "str", "required": True},
            "state": {"type": "str", "choices": list(BY_MODULE_STATE)},
            "frontend": {"type": "str"},
            "pool": {"type": "str"},
            "weight": {"type": "int"},
            "wait": {"type": "bool", "default": False},
            "wait_timeout": {"type": "float", "default": 60},
            "wait_for_flows": {"type": "int"},
            "allow_empty": {"type": "bool", "default": False},
            "maglevd_socket": {"type": "path", "default": maglevd_client.DEFAULT_SOCKET, "aliases": ["socket"]},
            "server": {"type": "str"},
            "token": {"type": "str", "no_log": True},
            # Accepted for module_defaults of group/vpp.maglev.vpp (see notes); only timeout is used.
            **CONNECTION_SPEC,
        },
        required_together=[("frontend", "pool", "weight")],
        supports_check_mode=True,
    )


if __name__ == "__main__":
    main()
