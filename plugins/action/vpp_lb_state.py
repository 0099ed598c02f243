# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of vpp.maglev.vpp_lb_state (documented in plugins/modules/vpp_lb_state.py).

Runs before any host is contacted:
- validates the options and the maglev.yaml (`config:` inline or `src:` read here) with the
  same parser maglevd uses; an invalid config fails the task listing every error, and the
  host is never contacted;
- answers `rendered` and `parsed` offline (no connection, no VPP);
- otherwise runs the module on the host with the validated structure as `config`, sent as
  one compact JSON text (docs/performance.md: Ansible deep-copies, walks and encodes a
  300,000-value structure several times over; a string it copies for nothing, and the
  module's `dict` option decodes it with the C JSON decoder).
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.vpp.maglev.plugins.module_utils import config as config_mod
from ansible_collections.vpp.maglev.plugins.module_utils import vpp_lb_state_input
from ansible_collections.vpp.maglev.plugins.module_utils.planner import PlanError
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_lb_state_runner import module_kwargs

MODULE = "vpp.maglev.vpp_lb_state"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: Optional[str] = None, task_vars: Optional[dict] = None) -> dict:
        result = super().run(tmp, task_vars)
        del tmp
        kwargs = module_kwargs()
        _validation, params = self.validate_argument_spec(
            argument_spec=kwargs["argument_spec"],
            mutually_exclusive=kwargs["mutually_exclusive"],
            required_if=kwargs["required_if"],
        )
        state = params["state"]

        data: Any = params.get("config")
        parsed_config = None
        try:
            if params.get("src"):
                data, parsed_config = vpp_lb_state_input.load_src(self._src_path(params["src"]))
            elif data is not None:
                data = vpp_lb_state_input.plain(data)
                parsed_config = vpp_lb_state_input.parse_config(data)
        except (config_mod.ConfigError, config_mod.ConfigSyntaxError) as exc:
            result.update(vpp_lb_state_input.config_failure(exc, params.get("src") or "config"))
            result["failed"] = True
            return result

        if state in vpp_lb_state_input.OFFLINE_STATES:
            return self._offline(result, state, parsed_config, params)

        module_args = {key: value for key, value in self._task.args.items() if key != "src"}
        if data is not None:
            module_args["config"] = json.dumps(data, separators=(",", ":"))
        result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        return result

    def _src_path(self, src: str) -> str:
        try:
            return self._find_needle("files", src)
        except AnsibleError as exc:
            # A path given with -e or in an AWX job template (drift.yml's maglev_config_src) is
            # meant relative to where ansible-playbook runs (an AWX project's root), but Ansible
            # searches next to the playbook, which for vpp.maglev.drift is in the collection.
            here = os.path.join(os.getcwd(), src)
            if not os.path.isabs(src) and os.path.isfile(here):
                return here
            raise AnsibleActionFail("src: %s Nor in the working directory: %s" % (exc.message.rstrip(), here))

    def _offline(self, result: dict, state: str, config: Any, params: dict) -> dict:
        """rendered / parsed: computed here; no connection is opened."""
        try:
            answer = (
                vpp_lb_state_input.parse(params) if state == "parsed" else vpp_lb_state_input.render(config, params)
            )
        except (vpp_lb_state_input.ModuleInputError, PlanError) as exc:
            result.update(failed=True, msg=str(exc))
            return result
        if not self._task.diff:
            answer.pop("diff", None)
        result.update(answer)
        return result
