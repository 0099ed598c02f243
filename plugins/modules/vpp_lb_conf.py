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

import ipaddress

from ansible_collections.vpp.maglev.plugins.module_utils.common import (
    ModuleInputError,
    conf_view,
    connection_spec,
    fail_on_input_errors,
    new_module,
    run_plan,
    vpp_session,
)
from ansible_collections.vpp.maglev.plugins.module_utils.lbstate import LbConf, LbState, is_power_of_two
from ansible_collections.vpp.maglev.plugins.module_utils.module_input import Rule, quote
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan

OPTIONS = ("ip4_src_address", "ip6_src_address", "sticky_buckets_per_core", "flow_timeout")
RULES = {
    "sticky_buckets_per_core": Rule(1, 1 << 31, hint="a power of two"),
    "flow_timeout": Rule(1, 120, hint="seconds"),
}


def build_conf(params: dict) -> LbConf:
    """The desired conf; None = keep."""
    ip4 = ip6 = None
    if params["ip4_src_address"] is not None:
        try:
            ip4 = ipaddress.IPv4Address(params["ip4_src_address"])
        except ValueError:
            raise ModuleInputError("ip4_src_address: %s is not an IPv4 address" % quote(params["ip4_src_address"]))
    if params["ip6_src_address"] is not None:
        try:
            ip6 = ipaddress.IPv6Address(params["ip6_src_address"])
        except ValueError:
            raise ModuleInputError("ip6_src_address: %s is not an IPv6 address" % quote(params["ip6_src_address"]))
    buckets = params["sticky_buckets_per_core"]
    if buckets is not None and not (is_power_of_two(buckets) and buckets <= 1 << 31):
        raise ModuleInputError("sticky_buckets_per_core: %d is not a power of two from 1 to 2^31" % buckets)
    timeout = params["flow_timeout"]
    if timeout is not None and not 1 <= timeout <= 120:
        raise ModuleInputError("flow_timeout: %d is out of range 1..120 seconds" % timeout)
    return LbConf(ip4, ip6, buckets, timeout)


def main() -> None:
    module = new_module(
        RULES,
        argument_spec=connection_spec(
            ip4_src_address={"type": "str"},
            ip6_src_address={"type": "str"},
            sticky_buckets_per_core={"type": "int"},
            flow_timeout={"type": "int"},
        ),
        required_one_of=[OPTIONS],
        supports_check_mode=True,
    )
    want = fail_on_input_errors(module, build_conf, module.params)
    result: dict = {}
    with vpp_session(module) as vpp:
        the_plan = plan(vpp.read_conf(), LbState(want, {}), "merged")
        result = run_plan(module, vpp, the_plan, conf_view, vpp.read_conf)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
