"""playbooks/demo.yml runs end to end on this machine and leaves nothing behind."""

from __future__ import annotations

import os

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import ROOT, run_playbook_file

pytestmark = pytest.mark.integration


def test_demo_shows_failover_and_no_drift_then_cleans_up(tmp_path):
    run = run_playbook_file(tmp_path / "demo", ROOT / "playbooks" / "demo.yml", {}, timeout=300)
    assert run.ok, run.text()
    results = {entry["task"]: entry["result"] for entry in run.entries}
    after = results["After web2 failed"]["msg"]
    assert after["vpp_weights"] == {"127.0.0.2": 100, "127.0.0.3": 0, "127.0.0.4": 0}
    assert results["Drift"]["msg"] == "VPP matches maglev.yaml and live health: no drift"
    scratch = results["Make a scratch directory"]["path"]
    assert "maglev-demo." in scratch
    assert not os.path.exists(scratch)  # removed, with every pid file of what it started
