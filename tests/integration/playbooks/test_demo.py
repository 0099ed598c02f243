"""playbooks/demo.yml runs end to end on this machine, prints one headline per step, shows the
backup pool taking over in VPP with a time measured by maglevd's own clocks, and leaves
nothing behind (docs/first-hour.md)."""

from __future__ import annotations

import json
import os
import re

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import ROOT, run_playbook_file

pytestmark = pytest.mark.integration

HEADLINES = ["Plan", "Apply", "No-op", "Maglevd", "Failover", "Fail-back", "Drift"]


def test_demo_shows_plan_failover_failback_and_no_drift_then_cleans_up(tmp_path):
    run = run_playbook_file(tmp_path / "demo", ROOT / "playbooks" / "demo.yml", {}, timeout=300)
    assert run.ok, run.text()
    results = {entry["task"]: entry["result"] for entry in run.entries}
    headlines = {name: results[name]["msg"] for name in HEADLINES}
    assert all(isinstance(text, str) and "\n" not in text for text in headlines.values()), headlines
    for name, text in headlines.items():
        assert '"msg": "%s' % text[:40] in run.stdout, name  # on the console, one line each

    # Plan: check mode with diff puts the per-VIP block and its summary line on the console,
    # and the first predicted call carries a real IPv6 source address, not VPP's "unset".
    assert headlines["Plan"].startswith("Plan (check mode, nothing sent): 5 API calls, 1 new VIP with 3 ASes;")
    assert "ip6-src-address 2001:db8::254" in headlines["Plan"] and "ffff:" not in headlines["Plan"]
    assert "+++ after: vip 192.0.2.80/32 tcp:80" in run.stdout
    assert "192.0.2.80/32 tcp:80: new VIP with 3 ASes, no existing flow moves\n" in run.stdout
    assert headlines["Apply"] == "Apply: VPP got the 5 calls check mode listed and holds the state it predicted"
    assert headlines["No-op"] == "No-op: a second run sends 0 API calls"
    assert headlines["Maglevd"].endswith("VPP weights web1=100 web2=50 web3=0")

    # Failover: the whole primary pool went down by probe, and the time printed is the one
    # maglevd's clocks give (the last down transition to the end of the VPP sync after it).
    failover = json.loads(results["Stop the whole primary pool (web1, web2) and time the failover"]["stdout"])
    assert sorted(failover["backends"]) == ["web1", "web2"]
    assert all(entry["code"] not in ("", "L7OK") for entry in failover["backends"].values()), failover
    assert failover["sync"]["calls"] > 0 and failover["sync"]["end"] >= failover["last_transition"]
    assert failover["ms"] == round((failover["sync"]["end"] - failover["last_transition"]) * 1000)
    assert headlines["Failover"] == (
        "Failover: primary pool down -> backup pool serves; VPP weights web1=0 web2=0 web3=100; "
        "VPP had them %d ms after the last failed probe" % failover["ms"]
    )
    weights = {b["address"]: b["weight"] for b in results["Read VPP after the failover"]["lb"]["vips"][0]["backends"]}
    assert weights == {"127.0.0.2": 0, "127.0.0.3": 0, "127.0.0.4": 100}  # read from VPP, not from maglevd

    failback = json.loads(results["Start the primary pool again and time the fail-back"]["stdout"])
    assert sorted(failback["backends"]) == ["web1", "web2"]
    assert re.fullmatch(
        r"Fail-back: primary pool up -> it serves again; VPP weights web1=100 web2=50 web3=0; "
        r"VPP had them \d+ ms after the last good probe",
        headlines["Fail-back"],
    )
    assert headlines["Drift"] == "Drift check: VPP matches maglev.yaml and live health, no drift"

    scratch = results["Make a scratch directory"]["path"]
    assert "maglev-demo." in scratch
    assert not os.path.exists(scratch)  # removed, with every pid file of what it started
