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
    description: Seconds to wait with O(wait), 0 to 86400.
    type: float
    default: 60
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
"""

import time
from typing import Any, Dict, List, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vpp.maglev.plugins.module_utils import maglevd_client, weights
from ansible_collections.vpp.maglev.plugins.module_utils.common import (
    CONNECTION_SPEC,
    MAX_TIMEOUT,
    WAIT_RULE,
    WEIGHT_RULE,
    new_module,
)
from ansible_collections.vpp.maglev.plugins.module_utils.module_input import Rule

# state -> (maglevd action, states maglevd refuses the action in)
ACTIONS: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    "paused": ("pause", ("disabled",)),
    "resumed": ("resume", ("disabled",)),
    "disabled": ("disable", ()),
    "enabled": ("enable", ()),
}
MAX_NAMES = 256  # backends acted on in one task
MAX_NAME_LENGTH = 256  # a backend, frontend or pool name of maglev.yaml
RULES = {
    "name": Rule(non_empty=True, unique=True, max_length=MAX_NAMES),
    "name[]": Rule(max_length=MAX_NAME_LENGTH),
    "frontend": Rule(max_length=MAX_NAME_LENGTH),
    "pool": Rule(max_length=MAX_NAME_LENGTH),
    "weight": WEIGHT_RULE,
    "wait_timeout": WAIT_RULE,
    "timeout": Rule(0, MAX_TIMEOUT, low_open=True, hint="seconds to wait for maglevd"),
}


def predict(state: str, current: str) -> Optional[str]:
    """The state after the action, or None when the action changes nothing."""
    if state == "paused":
        return None if current == "paused" else "paused"
    if state == "resumed":
        return "unknown" if current == "paused" else None
    if state == "disabled":
        return None if current == "disabled" else "disabled"
    return "unknown" if current == "disabled" else None  # enabled


def effective(
    frontend: Dict[str, Any], states: Dict[str, str], overrides: Dict[Tuple[str, str], int]
) -> Dict[str, int]:
    """{"pool/backend": effective weight} of one frontend, from the core's truth table."""
    pools = frontend["pools"]
    members = [
        [
            (states.get(m["backend"], m["state"]), overrides.get((pool["name"], m["backend"]), m["configured_weight"]))
            for m in pool["backends"]
        ]
        for pool in pools
    ]
    decided = weights.pool_weights(members, frontend.get("flush_on_down", True))
    return {
        "%s/%s" % (pool["name"], member["backend"]): weight
        for pool, rows in zip(pools, decided)
        for member, (weight, _flush) in zip(pool["backends"], rows)
    }


def _some(names: List[str], limit: int = 10) -> str:
    """At most ``limit`` names, so a message stays one readable line."""
    more = len(names) - limit
    return ", ".join(names[:limit]) + (" and %d more" % more if more > 0 else "")


def reached(wanted: Optional[str], state: str) -> bool:
    if wanted in ("resumed", "enabled"):
        return state == "up"
    if wanted in ("paused", "disabled"):
        return state == wanted
    return state != "unknown"


def run(module: AnsibleModule, client: Any) -> Dict[str, Any]:
    params = module.params
    names: List[str] = list(params["name"])
    state = params["state"]
    backends = {b["name"]: b for b in client.backends()}
    unknown = [n for n in names if n not in backends]
    if unknown:
        module.fail_json(
            msg="maglevd has no backend named %s; it has: %s" % (_some(unknown), _some(sorted(backends)) or "none")
        )
    frontends = {f["name"]: f for f in client.frontends()}
    before_states = {n: backends[n]["state"] for n in backends}
    after_states = dict(before_states)
    actions: List[str] = []
    if state:
        action, refused_in = ACTIONS[state]
        for name in names:
            if before_states[name] in refused_in:
                module.fail_json(
                    msg="cannot %s backend %s: it is %s (enable it first)" % (action, name, before_states[name])
                )
            new = predict(state, before_states[name])
            if new is not None:
                after_states[name] = new
                actions.append("backend %s %s" % (name, action))

    overrides: Dict[Tuple[str, str], int] = {}
    if params["weight"] is not None:
        frontend = frontends.get(params["frontend"])
        if frontend is None:
            module.fail_json(
                msg="maglevd has no frontend named %s; it has: %s" % (params["frontend"], ", ".join(sorted(frontends)))
            )
        pool = next((p for p in frontend["pools"] if p["name"] == params["pool"]), None)
        if pool is None:
            module.fail_json(
                msg="frontend %s has no pool %s; it has: %s"
                % (params["frontend"], params["pool"], ", ".join(p["name"] for p in frontend["pools"]))
            )
        members = {m["backend"]: m for m in pool["backends"]}
        for name in names:
            if name not in members:
                module.fail_json(
                    msg="backend %s is not in pool %s of frontend %s" % (name, params["pool"], params["frontend"])
                )
            if members[name]["configured_weight"] != params["weight"]:
                overrides[(params["pool"], name)] = params["weight"]
                actions.append(
                    "frontend %s pool %s backend %s weight %d"
                    % (params["frontend"], params["pool"], name, params["weight"])
                )

    touched = {
        f: fe for f, fe in frontends.items() if set(names) & {m["backend"] for p in fe["pools"] for m in p["backends"]}
    }
    before_fe = {f: effective(fe, before_states, {}) for f, fe in touched.items()}
    after_fe = {
        f: effective(fe, after_states, overrides if f == params["frontend"] else {}) for f, fe in touched.items()
    }
    if not params["allow_empty"]:
        dark = [f for f in touched if any(before_fe[f].values()) and not any(after_fe[f].values())]
        if dark:
            module.fail_json(
                msg="refusing: frontend %s would be left with no backend of weight above 0 (VPP would drop its new "
                "flows); set allow_empty=true to force it" % ", ".join(sorted(dark)),
                before=before_fe,
                after=after_fe,
            )

    result: Dict[str, Any] = {
        "changed": bool(actions),
        "actions": actions,
        "before": {"backends": {n: before_states[n] for n in names}, "frontends": before_fe},
        "after": {"backends": {n: after_states[n] for n in names}, "frontends": after_fe},
    }
    if module._diff:
        result["diff"] = {"before": result["before"], "after": result["after"]}
    if module.check_mode:
        result["backends"] = result["after"]["backends"]
        return result

    # Send exactly what the prediction above listed, in the same order.
    if state:
        action = ACTIONS[state][0]
        for name in names:
            if predict(state, before_states[name]) is not None:
                # allow_empty already passed the guard above: maglevd must not refuse it again.
                client.backend_action(name, action, force=params["allow_empty"])
    for (pool, name), weight in overrides.items():
        client.set_weight(params["frontend"], pool, name, weight, force=params["allow_empty"])

    current = {n: before_states[n] for n in names}
    if params["wait"]:
        start = time.monotonic()
        deadline = start + params["wait_timeout"]
        while True:
            current = {b["name"]: b["state"] for b in client.backends() if b["name"] in names}
            if all(reached(state, current.get(n, "removed")) for n in names):
                break
            if time.monotonic() >= deadline:
                module.fail_json(
                    msg="timed out after %gs waiting for %s; maglevd reports: %s"
                    % (
                        params["wait_timeout"],
                        "up" if state in ("resumed", "enabled") else (state or "a verdict"),
                        ", ".join("%s %s" % (n, current.get(n)) for n in names),
                    ),
                    **result,
                )
            time.sleep(0.2)
        result["waited"] = round(time.monotonic() - start, 3)
    else:
        current = {b["name"]: b["state"] for b in client.backends() if b["name"] in names}
    result["backends"] = current
    return result


def main() -> None:
    module = new_module(
        RULES,
        argument_spec={
            "name": {"type": "list", "elements": "str", "required": True},
            "state": {"type": "str", "choices": list(ACTIONS)},
            "frontend": {"type": "str"},
            "pool": {"type": "str"},
            "weight": {"type": "int"},
            "wait": {"type": "bool", "default": False},
            "wait_timeout": {"type": "float", "default": 60},
            "allow_empty": {"type": "bool", "default": False},
            "maglevd_socket": {"type": "path", "default": "/run/maglevd/maglevd.sock", "aliases": ["socket"]},
            "server": {"type": "str"},
            "token": {"type": "str", "no_log": True},
            # Accepted for module_defaults of group/vpp.maglev.vpp (see notes); only timeout is used.
            **CONNECTION_SPEC,
        },
        required_together=[("frontend", "pool", "weight")],
        supports_check_mode=True,
    )
    params = module.params  # new_module checked every value before maglevd is contacted
    try:
        client = maglevd_client.MaglevdClient(
            params["maglevd_socket"], server=params["server"], token=params["token"], timeout=params["timeout"]
        )
        module.exit_json(**run(module, client))
    except maglevd_client.MaglevdError as exc:
        where = params["server"] or params["maglevd_socket"]
        module.fail_json(msg="maglevd on %s: %s" % (where, exc))


if __name__ == "__main__":
    main()
