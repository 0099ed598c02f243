#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_lb_conf
short_description: Set the global settings of VPP's load balancer (lb_conf)
version_added: 0.1.0
author:
  - vpp.maglev engineers (@vpp-maglev)
description:
  - Sets the source addresses of encapsulated traffic, the size of the per-core sticky
    (established flow) table and the flow timeout of VPP's C(lb) plugin.
  - Only the options given are managed; the others keep their current value. VPP's C(lb_conf)
    always overwrites both source addresses, so the module sends the current value of the
    address that is not given.
options:
  ip4_src_address:
    description:
      - Source address of IPv4 encapsulated traffic (GRE4, NAT4).
    type: str
  ip6_src_address:
    description:
      - Source address of IPv6 encapsulated traffic (GRE6, NAT6).
    type: str
  sticky_buckets_per_core:
    description:
      - Buckets of the established-flow table per worker thread; a power of two.
    type: int
  flow_timeout:
    description:
      - Seconds after which an idle established flow is forgotten, 1 to 120.
    type: int
extends_documentation_fragment:
  - vpp.maglev.vpp
  - vpp.maglev.vpp.attributes
attributes:
  check_mode:
    support: full
    description: Check mode reports the exact change (C(after) is the predicted state).
  diff_mode:
    support: full
    description: One diff block for the lb conf.
seealso:
  - module: vpp.maglev.vpp_lb_info
  - module: vpp.maglev.vpp_lb_frontend
"""

EXAMPLES = r"""
- name: Set the GRE source addresses and the flow timeout
  vpp.maglev.vpp_lb_conf:
    ip4_src_address: 192.0.2.254
    ip6_src_address: 2001:db8::fe
    flow_timeout: 40

- name: Only grow the sticky table, keep everything else
  vpp.maglev.vpp_lb_conf:
    sticky_buckets_per_core: 4096
"""

RETURN = r"""
before:
  description: The lb conf before the task.
  returned: always
  type: dict
  sample: {"ip4_src_address": "255.255.255.255", "ip6_src_address": "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
           "sticky_buckets_per_core": 1024, "flow_timeout": 40}
after:
  description: The lb conf after the task (predicted in check mode, read back from VPP otherwise).
  returned: always
  type: dict
  sample: {"ip4_src_address": "192.0.2.254", "ip6_src_address": "2001:db8::fe",
           "sticky_buckets_per_core": 1024, "flow_timeout": 40}
commands:
  description: The change as vppctl lines.
  returned: always
  type: list
  elements: str
  sample: ["lb conf ip4-src-address 192.0.2.254 ip6-src-address 2001:db8::fe buckets 1024 timeout 40"]
api_calls:
  description: The binary API calls sent (or, in check mode, that would be sent).
  returned: always
  type: list
  elements: dict
  sample: [{"msg": "lb_conf", "args": {"ip4_src_address": "192.0.2.254", "ip6_src_address": "2001:db8::fe",
            "sticky_buckets_per_core": 1024, "flow_timeout": 40}}]
summary:
  description: Counts of the planned changes.
  returned: always
  type: dict
  sample: {"conf_changed": true, "api_calls": 1}
recreated:
  description: Always false for this module (present for a uniform result shape).
  returned: always
  type: bool
  sample: false
recreate_reasons:
  description: Always empty for this module.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vpp.maglev.plugins.module_utils.common import (
    conf_view,
    connection_spec,
    input_errors,
    run_module,
    run_plan,
    vpp_session,
)
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbState
from ansible_collections.vpp.maglev.plugins.module_utils.module_input import Rule
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.plugins.module_utils.rules.lb_conf import (
    MAX_FLOW_TIMEOUT,
    MAX_STICKY_BUCKETS,
    MIN_FLOW_TIMEOUT,
)
from ansible_collections.vpp.maglev.plugins.module_utils.wants import conf_request

OPTIONS = ("ip4_src_address", "ip6_src_address", "sticky_buckets_per_core", "flow_timeout")
RULES = {
    "sticky_buckets_per_core": Rule(1, MAX_STICKY_BUCKETS, hint="a power of two"),
    "flow_timeout": Rule(MIN_FLOW_TIMEOUT, MAX_FLOW_TIMEOUT, hint="seconds"),
}


def converge(module: AnsibleModule) -> dict:
    with input_errors():
        want = conf_request(module.params)
    with vpp_session(module) as vpp:
        the_plan = plan(vpp.read_conf(), LbState(want, {}), "merged")
        return run_plan(module, vpp, the_plan, conf_view, vpp.read_conf)


def main() -> None:
    run_module(
        RULES,
        converge,
        argument_spec=connection_spec(
            ip4_src_address={"type": "str"},
            ip6_src_address={"type": "str"},
            sticky_buckets_per_core={"type": "int"},
            flow_timeout={"type": "int"},
        ),
        required_one_of=[OPTIONS],
        supports_check_mode=True,
    )


if __name__ == "__main__":
    main()
