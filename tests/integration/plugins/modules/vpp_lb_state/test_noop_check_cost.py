"""What a no-op drift check carries between the controller and the host (docs/performance.md):
the config once, as one JSON text, and a result that holds nothing when nothing differs."""

from __future__ import annotations

import ast
import json
import re

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATE_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import writes

pytestmark = pytest.mark.integration

# Ansible's debug output names the arguments the action plugin handed to the module.
EXECUTED = re.compile(r"done with _execute_module \(vpp\.maglev\.vpp_lb_state, (\{.*\})\)$", re.MULTILINE)


def test_the_config_travels_to_the_host_as_one_json_text(tmp_path, vppsim, monkeypatch):
    task = {"vpp.maglev.vpp_lb_state": {"state": "replaced", "config": STATE_CONFIG}}
    assert run_playbook(tmp_path, [task], vpp=vppsim).ok
    vppsim.reset_stats()

    monkeypatch.setenv("ANSIBLE_DEBUG", "1")
    run = run_playbook(tmp_path, [task], vpp=vppsim, check=True)
    assert run.ok, run.stdout[-3000:] + run.stderr[-3000:]
    result = run.last
    assert not result["changed"] and writes(vppsim) == 0
    handed = [ast.literal_eval(found) for found in EXECUTED.findall(run.stdout)]
    assert len(handed) == 1
    # One string, not a structure that Ansible deep-copies and walks value by value.
    sent = handed[0]["config"]
    assert isinstance(sent, str) and json.loads(sent) == STATE_CONFIG
    assert result["before"] == result["after"] == {"conf": result["before"]["conf"], "vips": []}
