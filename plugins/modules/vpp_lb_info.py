#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_lb_info
short_description: Read the whole state of VPP's load balancer
version_added: 0.1.0
author:
  - vpp.maglev engineers (@vpp-maglev)
description:
  - Reads VPP's lb conf, every VIP and every backend with its weight and its share of the
    VIP's new-flow table, plus the VPP version and the lb API version, in one pass.
  - RV(config) is the state as a maglev.yaml structure, the schema M(vpp.maglev.vpp_lb_state)
    accepts, so feeding it back with C(state=replaced) or C(state=overridden) changes nothing.
  - Read-only; never changes VPP.
extends_documentation_fragment:
  - vpp.maglev.vpp
  - vpp.maglev.vpp.attributes
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
seealso:
  - module: vpp.maglev.vpp_lb_state
"""

EXAMPLES = r"""
- name: Read the load balancer
  vpp.maglev.vpp_lb_info:
  register: lb

- name: Show each backend's share of new flows for one VIP
  ansible.builtin.debug:
    msg: "{{ item.address }}: weight {{ item.weight }}, {{ item.num_buckets }} buckets"
  loop: "{{ (lb.lb.vips | selectattr('vip', 'equalto', '192.0.2.1/32') | first).backends }}"

- name: Save the state as a maglev.yaml for vpp_lb_state
  ansible.builtin.copy:
    content: "{{ lb.config | to_nice_yaml }}"
    dest: /tmp/maglev-gathered.yaml
    mode: "0644"
  delegate_to: localhost
"""

RETURN = r"""
lb:
  description:
    - The state in the shape of the modules' C(before)/C(after) - the conf and a list of VIPs
      with their backends. Each backend also has C(num_buckets), its share of the VIP's
      new-flow table (0 for weight 0).
  returned: always
  type: dict
  sample: {"conf": {"ip4_src_address": "192.0.2.254", "ip6_src_address": "2001:db8::fe",
                    "sticky_buckets_per_core": 1024, "flow_timeout": 40},
           "vips": [{"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80, "encap": "gre4", "dscp": 0,
                     "type": "clusterip", "target_port": 0, "new_flows_table_length": 1024, "src_ip_sticky": false,
                     "backends": [{"address": "10.0.0.1", "weight": 100, "num_buckets": 1024}]}]}
config:
  description: The same state as a maglev.yaml structure (C(maglev) key), as accepted by M(vpp.maglev.vpp_lb_state).
  returned: always
  type: dict
  sample: {"maglev": {"vpp": {"lb": {"ipv4-src-address": "192.0.2.254"}}, "backends": {}, "frontends": {}}}
vpp:
  description: VPP's C(show_version).
  returned: always
  type: dict
  sample: {"program": "vpe", "version": "26.10-rc0~123", "build_date": "2026-08-22T10:00:00", "build_directory": "/w"}
lb_api_version:
  description: The version of the lb plugin's binary API.
  returned: always
  type: str
  sample: "1.2.0"
src_ip_sticky_readable:
  description:
    - Whether C(src_ip_sticky) could be read (no API dump reports it; it is read from
      C(show lb vips verbose) through C(cli_inband)). When false, it reads as false.
  returned: always
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vpp.maglev.plugins.module_utils.common import connection_spec, run_module, vpp_session
from ansible_collections.vpp.maglev.plugins.module_utils.views import state_to_config, state_to_dict


def info_result(info: dict) -> dict:
    """The module result from VppClient.read_info()."""
    state, buckets = info["state"], info["buckets"]
    flat = state_to_dict(state)
    for key, vip in zip(state.sorted_keys(), flat["vips"]):
        shares = {str(address): count for address, count in buckets.get(key, {}).items()}
        for backend in vip["backends"]:
            backend["num_buckets"] = shares.get(backend["address"], 0)
    return {
        "changed": False,
        "lb": flat,
        "config": state_to_config(state),
        "vpp": info["vpp"],
        "lb_api_version": info["lb_api_version"],
        "src_ip_sticky_readable": info["src_ip_sticky_readable"],
    }


def gather(module: AnsibleModule) -> dict:
    with vpp_session(module, writes=False) as vpp:
        return info_result(vpp.read_info())


def main() -> None:
    run_module({}, gather, argument_spec=connection_spec(), supports_check_mode=True)


if __name__ == "__main__":
    main()
