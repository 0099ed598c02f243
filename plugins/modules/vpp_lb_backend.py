#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_lb_backend
short_description: Add, re-weight, drain, disable or remove one backend of a VPP load-balancer VIP
version_added: 0.1.0
author:
  - vpp.maglev engineers (@vpp-maglev)
description:
  - Manages one application server (AS, backend) of an existing VIP of VPP's Maglev load
    balancer, named by the VIP and the backend's address alone; the VIP's other attributes
    need not be restated.
  - C(present) adds the backend (weight O(weight), default 100) or sets the given weight.
    C(enabled) sets the configured weight O(weight) (default 100).
    C(drained) sets weight 0 without flushing, so established flows stay on the backend
    and new flows go elsewhere.
    C(disabled) sets weight 0 and flushes, evicting its established flows too.
    C(absent) deletes the backend (with O(flush), also evicting its established flows).
  - A safety guard refuses to drain, disable or delete the last backend with weight > 0 of a
    VIP (VPP would drop the VIP's new flows) unless O(allow_empty=true).
options:
  vip:
    description:
      - The VIP prefix, for example C(192.0.2.1/32); a bare address means a host prefix.
    type: str
    required: true
  protocol:
    description:
      - The VIP's protocol. May be omitted (with O(port)) when VPP has only one VIP on O(vip).
    type: str
    choices: [tcp, udp, any]
  port:
    description:
      - The VIP's port (C(0) = all ports). May be omitted when VPP has only one VIP on O(vip).
    type: int
  address:
    description:
      - The backend's address. Its family must suit the VIP's encap (IPv4 for gre4/l3dsr/nat4,
        IPv6 for gre6/nat6).
    type: str
    required: true
  state:
    description:
      - What the backend should be (see the description).
    type: str
    choices: [present, absent, enabled, drained, disabled]
    default: present
  weight:
    description:
      - Share of new flows, 0-100, for C(present) (default 100 when the backend is added, else
        unchanged) and C(enabled) (default 100).
    type: int
  flush:
    description:
      - With C(absent), also evict the backend's established flows. (C(disabled) always flushes,
        C(drained) never does.)
    type: bool
    default: false
  allow_empty:
    description:
      - Allow draining, disabling or deleting the last backend with weight > 0 of the VIP.
    type: bool
    default: false
  wait:
    description:
      - After the change, poll VPP until it reports the backend as wanted, then wait O(drain_time).
      - VPP exposes no per-backend count of established flows. The wait confirms what VPP can
        show, from C(lb_as_v2_dump) - the backend's weight and its number of new-flow table
        buckets (0 for a drained or disabled backend, so no new flow can reach it), or that it
        is gone. It then waits O(drain_time) seconds for established flows to finish or age out
        (the lb flow timeout, 40 s by default, is the upper bound for idle flows).
      - Not done in check mode.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for VPP to report the backend as wanted before failing, 0 to 86400.
    type: float
    default: 30.0
  drain_time:
    description:
      - Seconds to wait after VPP confirmed the change (with O(wait)), e.g. the lb flow timeout; 0 to 86400.
      - The wait reads VPP on a connection of its own, after the writer lock is released.
    type: float
    default: 0.0
extends_documentation_fragment:
  - vpp.maglev.vpp
  - vpp.maglev.vpp.attributes
  - vpp.maglev.vpp.maglevd
attributes:
  check_mode:
    support: full
    description: Check mode reports the exact plan; RV(after) is the predicted VIP.
  diff_mode:
    support: full
    description: One diff block for the VIP.
notes:
  - Removing a backend that is already absent, or from a VIP that does not exist, reports no change.
    Every other state fails clearly when the VIP does not exist.
seealso:
  - module: vpp.maglev.vpp_lb_frontend
  - module: vpp.maglev.maglev_backend
"""

EXAMPLES = r"""
- name: Drain a backend before maintenance and give its flows 40 s
  vpp.maglev.vpp_lb_backend:
    vip: 192.0.2.1/32
    address: 10.0.0.2
    state: drained
    wait: true
    drain_time: 40

- name: Put it back with its usual weight
  vpp.maglev.vpp_lb_backend:
    vip: 192.0.2.1/32
    protocol: tcp
    port: 80
    address: 10.0.0.2
    state: enabled
    weight: 50

- name: Take a broken backend out now, cutting its flows
  vpp.maglev.vpp_lb_backend:
    vip: 192.0.2.1/32
    address: 10.0.0.3
    state: disabled

- name: Remove a backend
  vpp.maglev.vpp_lb_backend:
    vip: 192.0.2.1/32
    address: 10.0.0.3
    state: absent
    flush: true
"""

RETURN = r"""
vip:
  description: The VIP the backend belongs to (as found in VPP).
  returned: when the VIP exists
  type: dict
  sample: {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80}
before:
  description: The VIP before the task (empty when it does not exist).
  returned: always
  type: dict
  sample: {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80, "encap": "gre4", "dscp": 0, "type": "clusterip",
           "target_port": 0, "new_flows_table_length": 1024, "src_ip_sticky": false,
           "backends": [{"address": "10.0.0.1", "weight": 100}, {"address": "10.0.0.2", "weight": 100}]}
after:
  description: The VIP after the task; predicted in check mode, read back from VPP otherwise.
  returned: always
  type: dict
  sample: {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80, "encap": "gre4", "dscp": 0, "type": "clusterip",
           "target_port": 0, "new_flows_table_length": 1024, "src_ip_sticky": false,
           "backends": [{"address": "10.0.0.1", "weight": 100}, {"address": "10.0.0.2", "weight": 0}]}
commands:
  description: The change as vppctl lines.
  returned: always
  type: list
  elements: str
  sample: ["lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.2 weight 0"]
api_calls:
  description: The binary API calls sent (or, in check mode, that would be sent).
  returned: always
  type: list
  elements: dict
  sample: [{"msg": "lb_as_set_weight", "args": {"pfx": "192.0.2.1/32", "protocol": 6, "port": 80,
            "as_address": "10.0.0.2", "weight": 0, "is_flush": false}}]
recreated:
  description: Always false for this module.
  returned: always
  type: bool
  sample: false
recreate_reasons:
  description: Always empty for this module.
  returned: always
  type: list
  elements: str
  sample: []
summary:
  description: Counts of the planned changes.
  returned: always
  type: dict
  sample: {"ases_reweighted": 1, "api_calls": 1}
wait:
  description:
    - What the wait confirmed; C(num_buckets) is the backend's share of the VIP's new-flow table.
  returned: when O(wait=true) and not in check mode
  type: dict
  sample: {"confirmed": true, "weight": 0, "num_buckets": 0, "elapsed": 0.01, "drain_time": 40.0}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vpp.maglev.plugins.module_utils.common import (
    MAGLEVD_SPEC,
    PORT_RULE,
    WAIT_RULE,
    WEIGHT_RULE,
    connection_spec,
    input_errors,
    refuse_if_maglevd,
    run_module,
    run_plan,
    vip_view,
    vpp_session,
    wait_for_backend,
)
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbState
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.plugins.module_utils.wants import (
    LB_BACKEND_STATE_CHOICES,
    backend_request,
    backend_want,
)

RULES = {"port": PORT_RULE, "weight": WEIGHT_RULE, "wait_timeout": WAIT_RULE, "drain_time": WAIT_RULE}


def converge(module: AnsibleModule) -> dict:
    params = module.params
    with input_errors():
        request = backend_request(params)
    with vpp_session(module) as vpp:
        current = vpp.read_state()
        want = backend_want(request, current)
        if want is None:  # absent from a VIP that does not exist
            return run_plan(module, vpp, plan(current, LbState(), "merged"), lambda state: {})
        the_plan = plan(
            current, want.desired, want.state, flush_removed=want.flush_removed, allow_empty=request.allow_empty
        )
        if the_plan:
            refuse_if_maglevd(module, [want.key])
        result = run_plan(module, vpp, the_plan, vip_view(want.key))
        result["vip"] = {"vip": str(want.key.prefix), "protocol": want.key.protocol_name, "port": want.key.port}
    if params["wait"] and not module.check_mode:
        # Waiting only reads: on a connection of its own, without the writer lock, so a long
        # drain_time never holds up maglevd or another task.
        with vpp_session(module, writes=False) as vpp:
            result["wait"] = wait_for_backend(
                vpp, want.key, request.address, want.weight, params["wait_timeout"], params["drain_time"]
            )
    return result


def main() -> None:
    spec = connection_spec(
        vip={"type": "str", "required": True},
        protocol={"type": "str", "choices": ["tcp", "udp", "any"]},
        port={"type": "int"},
        address={"type": "str", "required": True},
        state={"type": "str", "choices": list(LB_BACKEND_STATE_CHOICES), "default": "present"},
        weight={"type": "int"},
        flush={"type": "bool", "default": False},
        allow_empty={"type": "bool", "default": False},
        wait={"type": "bool", "default": False},
        wait_timeout={"type": "float", "default": 30.0},
        drain_time={"type": "float", "default": 0.0},
        **MAGLEVD_SPEC,
    )
    run_module(RULES, converge, argument_spec=spec, supports_check_mode=True)


if __name__ == "__main__":
    main()
