"""Input every module used to accept but must refuse, through ansible-playbook: each fails
with one bounded line naming the option, and nothing reaches VPP (or maglevd)."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook

pytestmark = pytest.mark.integration

WEB = {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80}
LONG = "f" * 100000

BAD = [
    ("vpp_lb_frontend", dict(WEB, encap="nat4", target_port=0), "target_port: 0 is out of range 1..65535"),
    (
        "vpp_lb_frontend",
        {"vip": "192.0.2.1/32", "encap": "nat4"},
        "target_port: required for encap nat4 on the all-port vip 192.0.2.1/32 all-ports",
    ),
    (
        "vpp_lb_frontend",
        dict(WEB, new_flows_table_length=131072),
        "new_flows_table_length: 131072 is out of range 1..65536",
    ),
    ("vpp_lb_frontend", dict(WEB, vip="192.0.2.1\u202e"), "vip: '192.0.2.1\\u202e' has the character U+202E"),
    ("vpp_lb_frontend", dict(WEB, backends=[{"address": "10.0.0.1", "weight": True}]), "backends[0].weight: true"),
    ("vpp_lb_backend", {"vip": "192.0.2.1/32", "address": "10.0.0.1", "weight": True}, "weight: true is not an"),
    ("vpp_lb_backend", {"vip": "192.0.2.1/32", "address": "10.0.0.1", "drain_time": 1e9}, "drain_time: 1000000000"),
    ("vpp_lb_info", {"timeout": 1e308}, "timeout: 1e+308 is not allowed; give the seconds to wait for VPP"),
    ("vpp_lb_info", {"lock_timeout": -1}, "lock_timeout: -1.0 is out of range 0..3600"),
    ("vpp_lb_conf", {"flow_timeout": True}, "flow_timeout: true is not an integer"),
    ("vpp_lb_state", {"state": "gathered", "timeout": 1e308}, "timeout: 1e+308 is not allowed"),
    ("maglev_backend", {"name": [], "state": "paused"}, "name: an empty list is not allowed"),
    ("maglev_backend", {"name": ["b1", "b2", "b1"], "state": "paused"}, "name[2]: 'b1' is listed twice"),
    ("maglev_backend", {"name": ["b1"], "wait": True, "wait_timeout": -1}, "wait_timeout: -1.0 is out of range"),
    (
        "maglev_backend",
        {"name": ["b1"], "frontend": "web\u202e", "pool": "main", "weight": 5},
        "frontend: 'web\\u202e' has the character U+202E (RIGHT-TO-LEFT OVERRIDE)",
    ),
    (
        "maglev_backend",
        {"name": ["b1"], "frontend": LONG, "pool": "main", "weight": 5},
        "(100000 characters) is longer than the 256 characters allowed",
    ),
    ("maglev_backend", {"name": ["b1"], "frontend": "web", "pool": "main", "weight": True}, "weight: true is not"),
]


def test_bad_input_is_refused_and_nothing_is_written(tmp_path, vppsim):
    # No maglevd listens on this socket: reaching it would fail with "maglevd on ...", not these.
    absent = str(tmp_path / "no-maglevd.sock")
    tasks = []
    for module, args, _expected in BAD:
        if module == "maglev_backend":
            args = dict(args, maglevd_socket=absent)
        tasks.append({"vpp.maglev.%s" % module: args, "ignore_errors": True})
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    assert [entry["status"] for entry in run.entries] == ["failed"] * len(BAD), run.stdout
    for (module, _args, expected), result in zip(BAD, run.results):
        message = result["msg"]
        assert expected in message, (module, message)
        assert "\n" not in message and len(message) < 500, (module, message)
    # Only the all-port NAT check needs VPP's state (does the VIP exist?): one read, no write.
    assert vppsim.stats()["writes"] == 0
