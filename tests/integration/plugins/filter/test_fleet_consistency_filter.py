"""The filter vpp.maglev.fleet_consistency through real Ansible on what real vpp_lb_info tasks
return from a fleet of vppsim processes (docs/fleet.md): the report names the LB changed
behind Ansible's back with the share computed from each LB's own table; max_share arrives
as text from -e; bad input fails the task naming the host; ansible-doc renders the filter."""

from __future__ import annotations

import ipaddress
import os
import subprocess

import pytest
import yaml
from ansible_collections.vpp.maglev.plugins.module_utils.maglev_table import build_table
from ansible_collections.vpp.maglev.tests.helpers.fleet import Fleet, task_result
from ansible_collections.vpp.maglev.tests.helpers.paths import COLLECTIONS, ROOT
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_with_inventory
from ansible_collections.vpp.maglev.tests.helpers.sample_config import STATE_CONFIG
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import behind_the_back

pytestmark = pytest.mark.integration

DSR = "192.0.2.20/32"  # STATE_CONFIG's all-ports l3dsr VIP, 2048 buckets, 10.1.0.1 and 10.1.0.2


def play(group: str) -> list:
    lbs = "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, ['info', 'lb']))) }}"
    return [
        {
            "hosts": group,
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Gather",
                    "vpp.maglev.vpp_lb_info": {"api_socket": "{{ vpp_api_socket }}", "api_dir": "{{ vpp_api_dir }}"},
                    "register": "info",
                },
                {
                    "name": "Compare",
                    "ansible.builtin.set_fact": {
                        "report": "{{ lbs | vpp.maglev.fleet_consistency(max_share=share_limit) }}",
                        "whole": "{{ results | vpp.maglev.fleet_consistency }}",
                    },
                    "vars": {
                        "lbs": lbs,
                        "results": "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, 'info'))) }}",
                    },
                    "run_once": True,
                },
                {
                    "name": "Bad input",
                    "ansible.builtin.debug": {"msg": "{{ {'lb9': {'conf': {}}} | vpp.maglev.fleet_consistency }}"},
                    "run_once": True,
                    "ignore_errors": True,
                },
            ],
        }
    ]


def table(vip: dict) -> list:
    ases = {ipaddress.ip_address(b["address"]): b["weight"] for b in vip["backends"]}
    return build_table(ases, vip["new_flows_table_length"])


def test_the_filter_names_the_lb_changed_behind_the_back_with_the_share_of_its_table(tmp_path):
    src = tmp_path / "maglev.yaml"
    src.write_text(yaml.safe_dump(STATE_CONFIG))
    with Fleet(tmp_path / "fleet", 3) as fleet:
        assert fleet.converge(tmp_path / "converge", src).ok
        with behind_the_back(fleet.sims["lb2"]) as vpp:
            vpp.api.lb_as_set_weight(pfx=DSR, protocol=255, port=0, as_address="10.1.0.2", weight=0)

        # -e key=value makes the threshold a string, as an AWX survey or a CLI run gives it.
        run = run_with_inventory(
            tmp_path / "check", play(fleet.group), fleet.inventory, extra_args=["-e", "share_limit=0.1"]
        )
        assert run.ok, run.text()
        status, result = task_result(run, "Compare")
        assert status == "ok", result
        report, whole = result["ansible_facts"]["report"], result["ansible_facts"]["whole"]

        majority = next(v for v in fleet.state("lb1")["vips"] if v["vip"] == DSR)
        changed = next(v for v in fleet.state("lb2")["vips"] if v["vip"] == DSR)
        expected = sum(1 for a, b in zip(table(majority), table(changed)) if a != b) / 2048
        assert expected > 0.1  # above the threshold: the check fails

        assert report["consistent"] is False and report["max_share"] == 0.1
        (vip,) = report["vips"]
        assert vip["vip"] == "192.0.2.20/32 all-ports" and vip["majority"] == ["lb1", "lb3"]
        assert vip["differing"] == [
            {"host": "lb2", "differences": ["weight of 10.1.0.2 is 0, majority 100"], "share": round(expected, 6)}
        ]
        assert report["failures"] == [
            "lb2: 192.0.2.20/32 all-ports: weight of 10.1.0.2 is 0, majority 100; %.1f%% of new flows break on an "
            "ECMP rehash" % (expected * 100)
        ]
        # Whole registered vpp_lb_info results are read the same way.
        assert whole["vips"] == report["vips"] and whole["max_share"] == 0.0

        status, bad = task_result(run, "Bad input")
        assert status == "failed"
        assert "fleet_consistency: lb9: expected the lb value of vpp.maglev.vpp_lb_info" in bad["msg"], bad


def test_ansible_doc_renders_the_filter():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1")
    doc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ansible-doc"), "-t", "filter", "vpp.maglev.fleet_consistency"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert doc.returncode == 0, doc.stderr
    assert "max_share" in doc.stdout and "health" in doc.stdout and "ECMP" in doc.stdout
