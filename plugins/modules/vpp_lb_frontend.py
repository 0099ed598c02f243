#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_lb_frontend
short_description: Manage one VIP of VPP's load balancer and, optionally, its backends
version_added: 0.1.0
author:
  - vpp.maglev engineers (@vpp-maglev)
description:
  - Creates, updates or deletes one VIP (virtual IP prefix, protocol and port) of VPP's
    Maglev load balancer (the C(lb) plugin), and optionally sets its application servers
    (backends) and their weights.
  - VIP attributes that are not given keep their current value (or VPP's default for a new
    VIP), so omitting an option never changes a VIP.
  - VPP cannot change O(encap), O(dscp), O(type), O(target_port), O(src_ip_sticky) or
    O(new_flows_table_length) of an existing VIP. Changing one deletes and re-creates the VIP
    with its backends (established flows are lost); the result says so in RV(recreated) and
    RV(recreate_reasons).
  - Backends are added before others are removed, and weights are raised before others are
    lowered, so the VIP keeps serving throughout.
options:
  vip:
    description:
      - The VIP prefix, for example C(192.0.2.1/32) or C(2001:db8::1/128). A bare address
        means a host prefix. Host bits must be zero.
    type: str
    required: true
  protocol:
    description:
      - The VIP's protocol. Required with a non-zero O(port); C(any) (or omitted) with O(port=0).
    type: str
    choices: [tcp, udp, any]
  port:
    description:
      - The VIP's port; C(0) means all ports of every protocol.
    type: int
    default: 0
  state:
    description:
      - C(present) creates or updates the VIP; C(absent) deletes it with all its backends.
    type: str
    choices: [present, absent]
    default: present
  encap:
    description:
      - How traffic is sent to the backends. C(gre4), C(l3dsr) and C(nat4) carry IPv4 backends,
        C(gre6) and C(nat6) IPv6 backends. IPv4 VIPs take C(gre4), C(gre6), C(l3dsr), C(nat4);
        IPv6 VIPs take C(gre4), C(gre6), C(nat6).
      - Default for a new VIP C(gre4).
    type: str
    choices: [gre4, gre6, l3dsr, nat4, nat6]
  dscp:
    description:
      - DSCP value (0-63) that carries the VIP to the backends with O(encap=l3dsr). Only with C(l3dsr).
    type: int
  type:
    description:
      - Service type of a C(nat4)/C(nat6) VIP. Only C(clusterip) can be set through VPP's API
        (VPP stores C(clusterip) whatever is sent), so C(nodeport) is refused.
    type: str
    choices: [clusterip, nodeport]
  target_port:
    description:
      - Backend port of a C(nat4)/C(nat6) VIP, 1 to 65535.
      - Default for a new NAT VIP its O(port). Required for an all-port NAT VIP (O(port=0)).
    type: int
  src_ip_sticky:
    description:
      - Hash new flows on the source address only, so one client always reaches the same backend.
      - Default for a new VIP V(false).
    type: bool
  new_flows_table_length:
    description:
      - Buckets of the VIP's Maglev new-flow table, a power of two from 1 to 65536. More buckets
        spread weights more precisely. Default for a new VIP C(1024).
      - 65536 is the most VPP can report back (its dump has 16 bits for it); the same limit
        applies to C(new-flows-table-length) in maglev.yaml.
    type: int
  backends:
    description:
      - The VIP's backends (application servers). Without O(purge), the listed backends are
        added or re-weighted and others are kept; with O(purge=true) the VIP ends with exactly
        this list.
      - Omit to leave the backends alone.
    type: list
    elements: dict
    suboptions:
      address:
        description:
          - The backend's IPv4 or IPv6 address (its family must suit O(encap)).
        type: str
        required: true
      weight:
        description:
          - Share of new flows, 0-100. C(0) drains the backend (no new flows; established flows stay).
        type: int
        default: 100
  purge:
    description:
      - Remove backends that are not listed in O(backends).
    type: bool
    default: false
  flush:
    description:
      - When backends are removed (O(purge)) or the VIP is deleted or re-created, also evict their
        established flows. Without it established flows stay until they time out.
    type: bool
    default: false
  allow_empty:
    description:
      - Allow the task to leave the VIP with backends but none of weight > 0 (VPP then drops
        its new flows). Refused otherwise.
    type: bool
    default: false
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
    description: One diff block for the VIP (its attributes and backends, one per line).
seealso:
  - module: vpp.maglev.vpp_lb_backend
  - module: vpp.maglev.vpp_lb_info
  - module: vpp.maglev.vpp_lb_state
"""

EXAMPLES = r"""
- name: A web VIP with exactly these backends
  vpp.maglev.vpp_lb_frontend:
    vip: 192.0.2.1/32
    protocol: tcp
    port: 80
    encap: gre4
    backends:
      - address: 10.0.0.1
      - address: 10.0.0.2
      - address: 10.0.0.3
        weight: 50
    purge: true

- name: An all-port IPv6 VIP with IPv6 backends (GRE6)
  vpp.maglev.vpp_lb_frontend:
    vip: 2001:db8::1
    encap: gre6
    backends:
      - address: 2001:db8:1::10

- name: Add one backend, keep the others
  vpp.maglev.vpp_lb_frontend:
    vip: 192.0.2.1/32
    protocol: tcp
    port: 80
    backends:
      - address: 10.0.0.4

- name: Delete a VIP
  vpp.maglev.vpp_lb_frontend:
    vip: 192.0.2.1/32
    protocol: tcp
    port: 80
    state: absent
"""

RETURN = r"""
before:
  description: The VIP before the task (empty when it did not exist).
  returned: always
  type: dict
  sample: {}
after:
  description:
    - The VIP after the task (empty when deleted). Predicted in check mode; read back from VPP otherwise.
  returned: always
  type: dict
  sample: {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80, "encap": "gre4", "dscp": 0, "type": "clusterip",
           "target_port": 0, "new_flows_table_length": 1024, "src_ip_sticky": false,
           "backends": [{"address": "10.0.0.1", "weight": 100}]}
commands:
  description: The change as vppctl lines, in the order applied.
  returned: always
  type: list
  elements: str
  sample: ["lb vip 192.0.2.1/32 protocol tcp port 80 encap gre4 new_len 1024",
           "lb as 192.0.2.1/32 protocol tcp port 80 10.0.0.1 weight 100"]
api_calls:
  description: The binary API calls sent (or, in check mode, that would be sent).
  returned: always
  type: list
  elements: dict
  sample: [{"msg": "lb_add_del_as_v2", "args": {"pfx": "192.0.2.1/32", "protocol": 6, "port": 80,
            "as_address": "10.0.0.1", "weight": 100, "is_del": false, "is_flush": false}}]
recreated:
  description: Whether the VIP is deleted and re-created because an attribute VPP cannot change in place changed.
  returned: always
  type: bool
  sample: false
recreate_reasons:
  description: The attributes that forced the re-creation.
  returned: always
  type: list
  elements: str
  sample: ["encap"]
summary:
  description: Counts of the planned changes.
  returned: always
  type: dict
  sample: {"vips_added": 1, "vips_removed": 0, "vips_recreated": 0, "ases_added": 1, "ases_removed": 0,
           "ases_reweighted": 0, "flushes": 0, "conf_changed": false, "api_calls": 2}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vpp.maglev.plugins.module_utils.common import (
    MAGLEVD_SPEC,
    PORT_RULE,
    VIP_SPEC,
    WEIGHT_RULE,
    connection_spec,
    input_errors,
    refuse_if_maglevd,
    run_module,
    run_plan,
    vip_view,
    vpp_session,
)
from ansible_collections.vpp.maglev.plugins.module_utils.module_input import Rule
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.plugins.module_utils.rules.frontend import MAX_DSCP, MAX_PORT, MAX_TABLE_LENGTH
from ansible_collections.vpp.maglev.plugins.module_utils.rules.pool import DEFAULT_WEIGHT
from ansible_collections.vpp.maglev.plugins.module_utils.wants import frontend_request, frontend_want

RULES = {
    "port": PORT_RULE,
    "dscp": Rule(0, MAX_DSCP),
    "target_port": Rule(1, MAX_PORT, hint="the backends' port"),
    "new_flows_table_length": Rule(1, MAX_TABLE_LENGTH, hint="a power of two"),
    "backends.weight": WEIGHT_RULE,
}


def converge(module: AnsibleModule) -> dict:
    with input_errors():
        request = frontend_request(module.params)
    flush, allow_empty = module.params["flush"], module.params["allow_empty"]
    with vpp_session(module) as vpp:
        current = vpp.read_state()
        desired, state = frontend_want(request, current)
        the_plan = plan(current, desired, state, flush_removed=flush, allow_empty=allow_empty)
        if the_plan:
            refuse_if_maglevd(module, [request.key])
        return run_plan(module, vpp, the_plan, vip_view(request.key))


def main() -> None:
    spec = connection_spec(
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        encap={"type": "str", "choices": ["gre4", "gre6", "l3dsr", "nat4", "nat6"]},
        dscp={"type": "int"},
        type={"type": "str", "choices": ["clusterip", "nodeport"]},
        target_port={"type": "int"},
        src_ip_sticky={"type": "bool"},
        new_flows_table_length={"type": "int"},
        backends={
            "type": "list",
            "elements": "dict",
            "options": {
                "address": {"type": "str", "required": True},
                "weight": {"type": "int", "default": DEFAULT_WEIGHT},
            },
        },
        purge={"type": "bool", "default": False},
        flush={"type": "bool", "default": False},
        allow_empty={"type": "bool", "default": False},
        **VIP_SPEC,
        **MAGLEVD_SPEC,
    )
    run_module(RULES, converge, argument_spec=spec, supports_check_mode=True)


if __name__ == "__main__":
    main()
