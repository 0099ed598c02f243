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
  - With O(counters=true) it also reads what VPP counted and pinned - each VIP's packets by
    kind and each backend's live flows (see RV(lb)).
options:
  counters:
    description:
      - Also read each VIP's packet counters from VPP's stats segment (O(stats_socket)) and
        each backend's live flows (the sticky-table entries pinned to it, from
        C(show lb vips verbose)).
      - VPP frees a flow's entry lazily - an expired entry counts until a new flow reuses
        its slot - so on a quiet VIP the flows overstate the open connections.
      - When the stats segment cannot be read, the flows are still returned, the packets
        are left out and RV(stats_error) says why (with a warning, unless O(stats_socket)
        is empty).
    type: bool
    default: false
    version_added: 1.0.0
  stats_socket:
    description:
      - VPP's stats socket (C(statseg { socket-name ... }) in C(startup.conf)), used with
        O(counters=true). An empty string does not read the stats segment.
    type: path
    default: /run/vpp/stats.sock
    version_added: 1.0.0
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

- name: Read packets by kind and live flows per backend
  vpp.maglev.vpp_lb_info:
    counters: true
  register: traffic

- name: Fail when a VIP dropped new flows for want of a backend
  ansible.builtin.assert:
    that: traffic.lb.vips | map(attribute='packets.no_server', default=0) | max | default(0) == 0

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
    - With O(counters=true), each VIP also has C(index) (VPP's pool index of the VIP) and,
      when the stats segment was read, C(packets) - packets since the VIP was created, by kind
      (C(existing), C(first), C(untracked), C(no_server), docs/traffic.md) - and
      C(removed_backends), the removed backends that still hold flows, each with its
      C(address) and C(flows); each backend has C(flows), the flows VPP has pinned to it.
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
stats_error:
  description:
    - Why the packet counters are missing (the stats segment is not configured, missing,
      refused, or of another version), or null when they were read.
  returned: when O(counters=true)
  type: str
  sample: "stats segment /run/vpp/stats.sock: [Errno 2] No such file or directory"
src_ip_sticky_readable:
  description:
    - Whether C(src_ip_sticky) could be read (no API dump reports it; it is read from
      C(show lb vips verbose) through C(cli_inband)). When false, it reads as false.
  returned: always
  type: bool
  sample: true
"""

from typing import Any, Optional

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vpp.maglev.plugins.module_utils.common import connection_spec, run_module, vpp_session
from ansible_collections.vpp.maglev.plugins.module_utils.traffic import TrafficSnapshot
from ansible_collections.vpp.maglev.plugins.module_utils.views import state_to_config, state_to_dict
from ansible_collections.vpp.maglev.plugins.module_utils.vppclient import DEFAULT_STATS_SOCKET


def info_result(info: dict, traffic: Optional[TrafficSnapshot] = None) -> dict:
    """The module result from VppClient.read_info() (and read_traffic() with counters)."""
    state, buckets = info["state"], info["buckets"]
    flat = state_to_dict(state)
    for key, vip in zip(state.sorted_keys(), flat["vips"]):
        shares = {str(address): count for address, count in buckets.get(key, {}).items()}
        for backend in vip["backends"]:
            backend["num_buckets"] = shares.get(backend["address"], 0)
        if traffic is not None:
            add_traffic(vip, traffic.vips.get(key))
    result = {
        "changed": False,
        "lb": flat,
        "config": state_to_config(state),
        "vpp": info["vpp"],
        "lb_api_version": info["lb_api_version"],
        "src_ip_sticky_readable": info["src_ip_sticky_readable"],
    }
    if traffic is not None:
        result["stats_error"] = traffic.stats_error
    return result


def add_traffic(vip: dict, seen: Any) -> None:
    """Add a VipTraffic (None: the VIP appeared between the two reads) to a VIP of the result."""
    flows = dict(seen.flows) if seen is not None else {}
    vip["index"] = seen.index if seen is not None else None
    if seen is not None and seen.packets:
        vip["packets"] = dict(seen.packets)
    for backend in vip["backends"]:
        backend["flows"] = flows.pop(backend["address"], 0)
    vip["removed_backends"] = [{"address": address, "flows": count} for address, count in flows.items() if count]


def gather(module: AnsibleModule) -> dict:
    params = module.params
    with vpp_session(module, writes=False) as vpp:
        info = vpp.read_info()
        traffic = vpp.read_traffic(params["stats_socket"]) if params["counters"] else None
    result = info_result(info, traffic)
    if traffic is not None and traffic.stats_error and params["stats_socket"]:  # '' is off, not a problem
        module.warn("packet counters not read: %s" % traffic.stats_error)
    return result


def main() -> None:
    run_module(
        {},
        gather,
        argument_spec=connection_spec(
            counters={"type": "bool", "default": False},
            stats_socket={"type": "path", "default": DEFAULT_STATS_SOCKET},
        ),
        supports_check_mode=True,
    )


if __name__ == "__main__":
    main()
