#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_lb_state
short_description: Converge VPP's whole load balancer to one desired state (maglev.yaml)
version_added: 1.0.0
author:
  - vpp.maglev engineers (@vpp-maglev)
description:
  - Takes the whole desired state of VPP's C(lb) plugin as a C(maglev.yaml) structure (the file
    maglevd reads) and makes VPP match it, with the resource-module states C(merged),
    C(replaced), C(overridden), C(deleted), C(gathered), C(rendered) and C(parsed).
  - The configuration is validated on the controller by the action plugin of the same name
    before any host is contacted; an invalid configuration fails the task with every error
    (path and message) and changes nothing.
  - One plan drives check mode, C(--diff) and the real run, so check mode predicts exactly what
    the real run does. Additions come before deletions and a VIP is never left without an
    application server of weight above 0 unless O(allow_empty=true).
  - Effective AS weights follow the failover rules of maglevd (the first pool with a backend that
    is up carries the traffic); backend health is assumed, read from a running maglevd, or given.
  - C(rendered) and C(parsed) work offline, on the controller, without any VPP.
options:
  config:
    description:
      - The desired state as a C(maglev.yaml) structure (a dict with the key C(maglev)); see
        C(docs/config-reference.md). Only C(maglev.vpp.lb), C(maglev.backends) and
        C(maglev.frontends) shape VPP; health checks are validated but only maglevd runs them.
      - Mutually exclusive with O(src).
    type: dict
  src:
    description:
      - Path of a C(maglev.yaml) on the controller, read and validated by the action plugin
        (relative paths are searched like the C(template) module's C(src), then in the
        directory C(ansible-playbook) runs in, so a path given to a playbook of this collection
        with C(-e) or in an AWX job template is relative to that directory or project).
      - Mutually exclusive with O(config).
    type: path
  state:
    description:
      - V(merged) adds and updates the VIPs and application servers (ASes) of the config and
        never deletes anything.
      - V(replaced) makes each VIP of the config exactly as configured (its other ASes are
        deleted); VIPs that are not in the config are untouched.
      - V(overridden) makes VPP's whole load balancer equal to the config; VIPs not in the config
        are deleted, except those listed in O(protected).
      - V(deleted) deletes the VIPs of the config with their ASes; without a config, every VIP
        except those in O(protected).
      - V(gathered) reads VPP into the same C(maglev.yaml) schema (key RV(gathered)); fed back
        as O(config) with V(replaced) or V(overridden) it plans nothing.
      - V(rendered) returns the vppctl lines and API calls of the config (keys RV(rendered),
        RV(api_calls)) without contacting any host; planned against O(running_state) or
        O(running_config) when given, else against a VPP with no VIP.
      - V(parsed) turns O(running_config) (the text of C(show lb vips verbose)) into the
        C(maglev.yaml) schema (key RV(parsed)) without contacting any host.
    type: str
    default: merged
    choices: [merged, replaced, overridden, deleted, gathered, rendered, parsed]
  health:
    description:
      - Where backend health comes from, which decides each AS's effective weight.
      - V(assume_up) treats every enabled backend as up (so the first pool carries the traffic)
        and disabled ones as disabled. Use it when maglevd does not run; where maglevd answers
        on O(maglevd_socket) and manages a VIP the plan changes, the task is refused (assumed
        health would reset the weights the daemon sets) unless O(force=true).
      - V(maglevd) reads the live backend states from the running maglevd's control API on
        O(maglevd_socket), so the plan computes the same weights maglevd would. Drift against
        it is then real drift, not health noise.
    type: str
    default: assume_up
    choices: [assume_up, maglevd]
  states:
    description:
      - Explicit backend states (backend name to one of V(up), V(down), V(paused),
        V(disabled), V(unknown), V(removed)), applied on top of O(health). A backend that is
        not listed keeps the state O(health) gives it.
      - A name that is not a backend of the config is an error.
    type: dict
  maglevd_socket:
    description:
      - maglevd's control socket on the managed host, read when O(health=maglevd), and asked
        which VIPs maglevd manages when O(health=assume_up) would change VIPs.
      - Only a missing socket, or one nobody listens on, means that no maglevd runs; a socket
        that does not answer within O(timeout) fails the task unless O(force=true).
    type: path
    default: /run/maglevd/maglevd.sock
  force:
    description:
      - Write with O(health=assume_up) even when a running maglevd manages the VIPs the plan
        changes (maglevd will set its own weights again on its next sync).
    type: bool
    default: false
    version_added: 1.0.0
  protected:
    description:
      - VIPs that V(overridden) and V(deleted) (without a config) never delete.
      - Each entry is a VIP prefix (V(192.0.2.1/32) protects every VIP on that prefix), a
        prefix with protocol and port (V(192.0.2.1/32 tcp:80)), V(<prefix> all-ports), or a
        dict with the keys C(vip), C(protocol) and C(port).
    type: list
    elements: raw
    default: []
  flush:
    description:
      - Delete removed ASes and VIPs with flush, evicting their established flows at once
        instead of letting them finish (the sticky table keeps them otherwise).
    type: bool
    default: false
  allow_empty:
    description:
      - Allow a plan that leaves a VIP with ASes but none of weight above 0 (VPP then drops its
        new flows). Without it such a plan fails and nothing is changed.
      - Also allow V(overridden) or V(deleted) to delete every VIP and leave VPP's load balancer
        empty (for example a config whose frontends are all gone). Without it such a plan fails,
        naming the VIPs, and nothing is changed.
    type: bool
    default: false
  estimate_disruption:
    description:
      - Compute RV(disruption), the share of each changed VIP's new-flow buckets the change
        moves, by building VPP's Maglev table before and after. It costs a few milliseconds per
        changed VIP; turn it off for very large changes when the figures are not wanted.
    type: bool
    default: true
  running_config:
    description:
      - The text of VPP's C(show lb vips verbose), for V(parsed), or as the current state that
        V(rendered) plans against.
    type: str
  running_state:
    description:
      - A C(maglev.yaml) structure (for example the RV(gathered) output of an earlier run) that
        V(rendered) plans against instead of an empty VPP.
    type: dict
  render_state:
    description:
      - Which state's semantics V(rendered) plans with against the running state.
    type: str
    default: replaced
    choices: [merged, replaced, overridden, deleted]
  result_detail:
    description:
      - What RV(before) and RV(after) hold. V(changes) is the lb conf and only the VIPs the plan
        touches (those RV(diff) shows), so that the result grows with the change rather than with
        the load balancer; a check that finds nothing returns a few hundred bytes. V(full) is the
        whole load balancer; a drift check of 1,000 VIPs x 64 ASes then returns about 6 MB, which
        Ansible takes seconds to pass around. Use RV(gathered) (O(state=gathered)) to read the
        whole load balancer on purpose.
      - RV(diff), RV(commands), RV(api_calls), RV(summary) and RV(disruption) are the same either way.
    type: str
    default: changes
    choices: [full, changes]
extends_documentation_fragment:
  - vpp.maglev.vpp
attributes:
  check_mode:
    support: full
    description:
      - Check mode computes the same plan as the real run and sends nothing; RV(after) is the
        predicted state. A test proves that it equals what the real run then leaves in VPP.
  diff_mode:
    support: full
    description:
      - One diff block per changed VIP (header C(vip <prefix> <protocol>:<port>)) and one for the lb conf.
      - >-
        Under each VIP's block, one summary line (its C(prepared) text, which Ansible's default callback
        prints), for example "192.0.2.10/32 tcp:80: 1 AS changed (1 reweighted), 21.7% of new-flow buckets move".
        The share is left out when O(estimate_disruption=false).
  platform:
    support: full
    platforms: VPP host (Linux)
    description: The module runs on the VPP host; the action plugin validates, renders and parses on the controller.
  action_group:
    support: full
    membership:
      - vpp.maglev.vpp
    description: Use C(group/vpp.maglev.vpp) in C(module_defaults) to set the connection options once.
notes:
  - Drift detection is this module in check mode with C(--diff), scheduled (an AWX "Check" job
    template); see C(playbooks/drift.yml) and C(docs/drift.md).
  - With maglevd running, maglevd owns the AS weights; converge with O(health=maglevd) so the
    plan agrees with it, or change C(maglev.yaml) and let maglevd reload.
seealso:
  - module: vpp.maglev.vpp_lb_info
  - module: vpp.maglev.vpp_lb_frontend
  - module: vpp.maglev.maglev_backend
"""

EXAMPLES = r"""
- name: Converge VPP to the maglev.yaml kept in Git (the listed VIPs exactly)
  vpp.maglev.vpp_lb_state:
    src: files/maglev.yaml
    state: replaced

- name: Make the whole load balancer equal to the config, but never touch the DNS VIP
  vpp.maglev.vpp_lb_state:
    src: files/maglev.yaml
    state: overridden
    protected:
      - 192.0.2.53/32

- name: Inline config, with one backend considered down (its pool fails over)
  vpp.maglev.vpp_lb_state:
    config:
      maglev:
        backends:
          web1: {address: 10.0.0.1}
          web2: {address: 10.0.0.2}
          spare: {address: 10.0.0.9}
        frontends:
          web:
            address: 192.0.2.10
            protocol: tcp
            port: 80
            pools:
              - name: primary
                backends: {web1: {}, web2: {weight: 50}}
              - name: backup
                backends: {spare: {}}
    states:
      web1: down

- name: Drift check against what maglevd says the weights should be
  vpp.maglev.vpp_lb_state:
    src: files/maglev.yaml
    state: replaced
    health: maglevd
  check_mode: true
  diff: true
  register: drift

- name: Read VPP into maglev.yaml form
  vpp.maglev.vpp_lb_state:
    state: gathered
  register: lb

- name: Show the vppctl lines of a config, without any VPP
  vpp.maglev.vpp_lb_state:
    src: files/maglev.yaml
    state: rendered
  delegate_to: localhost

- name: Parse saved 'show lb vips verbose' output
  vpp.maglev.vpp_lb_state:
    state: parsed
    running_config: "{{ lookup('file', 'show-lb-vips.txt') }}"

- name: Delete every VIP (flushing established flows)
  vpp.maglev.vpp_lb_state:
    state: deleted
    flush: true
"""

RETURN = r"""
changed:
  description: Whether the plan had any operation (in check mode, whether it would).
  returned: always
  type: bool
  sample: true
before:
  description:
    - VPP's load balancer before the task, in the default O(result_detail=changes) only the lb
      conf and the VIPs the plan touches; the whole load balancer with O(result_detail=full).
  returned: when state is merged, replaced, overridden or deleted
  type: dict
  sample: {"conf": {"ip4_src_address": "192.0.2.254", "ip6_src_address": "2001:db8::fe",
           "sticky_buckets_per_core": 65536, "flow_timeout": 40},
           "vips": [{"vip": "192.0.2.10/32", "protocol": "tcp", "port": 80, "encap": "gre4", "dscp": 0,
                     "type": "clusterip", "target_port": 0, "new_flows_table_length": 1024,
                     "src_ip_sticky": false, "backends": [{"address": "10.0.0.1", "weight": 100}]}]}
after:
  description:
    - The load balancer after the task, in the shape of RV(before). In check mode, the predicted
      state (the plan applied in memory); otherwise read back from VPP after applying.
    - For V(rendered), the state the rendered commands lead to.
    - With O(result_detail=changes) (the default), only the lb conf and the VIPs the plan touches.
  returned: when state is merged, replaced, overridden, deleted or rendered
  type: dict
  sample: {"conf": {}, "vips": []}
diff:
  description:
    - One block per changed VIP and one for the lb conf (shown with C(--diff)).
    - A VIP's block also has C(prepared), its one-line summary (see the diff mode attribute), except for V(rendered).
  returned: in diff mode, when state is merged, replaced, overridden, deleted or rendered
  type: list
  elements: dict
  sample: [{"before_header": "vip 192.0.2.10/32 tcp:80", "after_header": "vip 192.0.2.10/32 tcp:80",
            "before": "backends:\n  10.0.0.1: weight 100\n  10.0.0.2: weight 100\n",
            "after": "backends:\n  10.0.0.1: weight 50\n  10.0.0.2: weight 100\n",
            "prepared": "192.0.2.10/32 tcp:80: 1 AS changed (1 reweighted), 21.7% of new-flow buckets move\n"}]
commands:
  description: The plan as vppctl lines, in the order they are (or would be) sent.
  returned: when state is merged, replaced, overridden, deleted or rendered
  type: list
  elements: str
  sample: ["lb as 192.0.2.10/32 protocol tcp port 80 10.0.0.1 weight 50"]
api_calls:
  description: The plan as binary API calls (message name and arguments).
  returned: when state is merged, replaced, overridden, deleted or rendered
  type: list
  elements: dict
  sample: [{"msg": "lb_as_set_weight", "args": {"pfx": "192.0.2.10/32", "protocol": 6, "port": 80,
            "as_address": "10.0.0.1", "weight": 50, "is_flush": false}}]
summary:
  description: Counts of the plan.
  returned: when state is merged, replaced, overridden, deleted or rendered
  type: dict
  sample: {"vips_added": 0, "vips_removed": 0, "vips_recreated": 0, "ases_added": 0, "ases_removed": 0,
           "ases_reweighted": 1, "flushes": 0, "conf_changed": false, "api_calls": 1}
recreated:
  description: Whether a VIP had to be deleted and re-added (create-time attribute changed).
  returned: when state is merged, replaced, overridden, deleted or rendered
  type: bool
  sample: false
recreate_reasons:
  description: The attributes that forced a VIP to be recreated.
  returned: when state is merged, replaced, overridden, deleted or rendered
  type: list
  elements: str
  sample: ["encap"]
disruption:
  description:
    - Per changed VIP (key C(<prefix> <protocol>:<port>) or C(<prefix> all-ports)), how many of
      its new-flow buckets the change moves to another AS, from VPP's Maglev table built before
      and after (table length = the VIP's C(new_flows_table_length)).
    - C(moved_share) is what VPP's table moves; C(minimum_share) the least any table could
      move for the same change of shares. C(change) is added, removed, modified or recreated.
      C(buckets_before)/C(buckets_after) give each AS's buckets (modified and recreated VIPs whose table changes;
        weights above the table's cutoff, e.g. 16 for 64 ASes in 1024 buckets, change nothing).
  returned: when estimate_disruption is true and state is merged, replaced, overridden, deleted or rendered
  type: dict
  sample: {"192.0.2.0/24 all-ports": {"vip": "192.0.2.0/24", "protocol": "any", "port": 0,
           "change": "modified", "table_length": 1024, "moved_buckets": 216, "moved_share": 0.2109,
           "minimum_share": 0.1035,
           "buckets_before": {"10.0.0.1": 256, "10.0.0.2": 256, "10.0.0.3": 256, "10.0.0.4": 256},
           "buckets_after": {"10.0.0.1": 150, "10.0.0.2": 292, "10.0.0.3": 291, "10.0.0.4": 291}}}
gathered:
  description: VPP's load balancer as a C(maglev.yaml) structure (backends named by address, one pool per VIP).
  returned: when state is gathered
  type: dict
  sample: {"maglev": {"vpp": {"lb": {"flow-timeout": "40s"}}, "backends": {"10.0.0.1": {"address": "10.0.0.1"}},
           "frontends": {"vip-192.0.2.10-32-tcp-80": {"address": "192.0.2.10/32", "protocol": "tcp", "port": 80,
                         "pools": [{"name": "primary", "backends": {"10.0.0.1": {"weight": 100}}}]}}}}
rendered:
  description: The vppctl lines of the config (the same list as RV(commands)).
  returned: when state is rendered
  type: list
  elements: str
  sample: ["lb vip 192.0.2.10/32 protocol tcp port 80 encap gre4 new_len 1024",
           "lb as 192.0.2.10/32 protocol tcp port 80 10.0.0.1 weight 100"]
parsed:
  description: O(running_config) as a C(maglev.yaml) structure, in the schema of RV(gathered).
  returned: when state is parsed
  type: dict
  sample: {"maglev": {"vpp": {"lb": {}}, "backends": {}, "frontends": {}}}
errors:
  description: Every configuration error, with its path in C(maglev.yaml) (and line, for O(src)).
  returned: when the configuration is invalid
  type: list
  elements: dict
  sample: [{"path": "maglev.frontends.web.pools[0].backends.b9", "message": "no backend b9", "line": 12}]
failed_op:
  description: The operation that failed while applying.
  returned: on failure while applying
  type: str
  sample: lb as 192.0.2.10/32 protocol tcp port 80 10.0.0.1 weight 50
error:
  description: VPP's error name for the failed operation (C(CONNECTION_LOST) when the connection dropped).
  returned: on failure while applying
  type: str
  sample: NO_SUCH_ENTRY
applied:
  description: The operations applied before the failing one (re-running the task converges the rest).
  returned: on failure while applying
  type: list
  elements: str
not_applied:
  description: The operations that were never sent because an earlier one failed.
  returned: on failure while applying
  type: list
  elements: str
"""

from ansible_collections.vpp.maglev.plugins.module_utils.common import run_module
from ansible_collections.vpp.maglev.plugins.module_utils.module_input import Rule
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_lb_state_runner import module_kwargs, run

# running_config is multi-line CLI text; 32 MiB is ~50 times 1,000 VIPs x 64 ASes.
RULES = {"running_config": Rule(text=True, max_length=32 << 20)}


def main() -> None:
    run_module(RULES, run, **module_kwargs())


if __name__ == "__main__":
    main()
