# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: append every task result, as JSON, to $RESULT_LOG (one line each).

ansible-core 2.21 ships no json stdout callback; tests/helpers/playbook.py enables
this one so tests can read exactly what each module returned (ok, failed or skipped).
"""

from __future__ import annotations

import json
import os

from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "result_log"
    CALLBACK_NEEDS_ENABLED = True

    def _log(self, result, status: str) -> None:
        entry = {"task": result.task_name, "status": status, "result": result._result}
        with open(os.environ["RESULT_LOG"], "a") as handle:
            handle.write(json.dumps(entry, cls=AnsibleJSONEncoder) + "\n")

    def v2_runner_on_ok(self, result) -> None:
        self._log(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._log(result, "failed")

    def v2_runner_on_skipped(self, result) -> None:
        self._log(result, "skipped")

    def v2_runner_on_unreachable(self, result) -> None:
        self._log(result, "unreachable")
