"""The drift report (module_utils/drift_report.py): a table a person reads, and the advice that
fits the host's mode, from a vpp_lb_state check-mode result of the module's real shape."""

from __future__ import annotations

import shlex

from ansible_collections.vpp.maglev.plugins.module_utils.drift_report import (
    converge_command,
    drift_report,
    drift_rows,
    vip_differences,
)


def vip(prefix, protocol="tcp", port=80, backends=(), **attrs):
    base = {"vip": prefix, "protocol": protocol, "port": port, "encap": "gre4", "dscp": 0, "type": "clusterip"}
    base.update(target_port=0, new_flows_table_length=1024, src_ip_sticky=False, **attrs)
    base["backends"] = [{"address": address, "weight": weight} for address, weight in backends]
    return base


CONF = {"ip4_src_address": "192.0.2.254", "ip6_src_address": "2001:db8::fe", "flow_timeout": 40}
RESULT = {
    "changed": True,
    "diff": [
        {"before_header": "lb conf", "after_header": "lb conf"},
        {"before_header": "vip 192.0.2.10/32 tcp:80", "after_header": "vip 192.0.2.10/32 tcp:80"},
        {"before_header": "vip 192.0.2.20/32 all-ports", "after_header": "vip 192.0.2.20/32 all-ports"},
        {"before_header": "vip 192.0.2.30/32 udp:53", "after_header": "vip 192.0.2.30/32 udp:53"},
        {"before_header": "vip 198.51.100.7/32 all-ports", "after_header": "vip 198.51.100.7/32 all-ports"},
    ],
    "before": {
        "conf": {**CONF, "flow_timeout": 20},
        "vips": [
            vip("192.0.2.10/32", backends=[("10.0.0.1", 100), ("10.0.0.2", 100), ("10.0.0.8", 100)]),
            vip("192.0.2.20/32", "any", 0, [("10.1.0.1", 100)], encap="gre4"),
            vip("198.51.100.7/32", "any", 0, [("10.9.0.1", 100)]),
        ],
    },
    "after": {
        "conf": CONF,
        "vips": [
            vip("192.0.2.10/32", backends=[("10.0.0.1", 100), ("10.0.0.2", 50)]),
            vip("192.0.2.20/32", "any", 0, [("10.1.0.1", 100)], encap="l3dsr"),
            vip("192.0.2.30/32", "udp", 53, [("10.3.0.1", 100)]),
        ],
    },
    "disruption": {
        "192.0.2.10/32 tcp:80": {
            "change": "modified",
            "table_length": 1024,
            "moved_buckets": 229,
            "moved_share": 0.2236,
        },
        "192.0.2.20/32 all-ports": {
            "change": "recreated",
            "table_length": 1024,
            "moved_buckets": 0,
            "moved_share": 0.0,
        },
        "192.0.2.30/32 udp:53": {"change": "added", "table_length": 1024, "moved_buckets": 0, "moved_share": 0.0},
        "198.51.100.7/32 all-ports": {
            "change": "removed",
            "table_length": 1024,
            "moved_buckets": 1024,
            "moved_share": 1.0,
        },
    },
    "commands": ["a", "b", "c", "d", "e", "f"],
}


def test_one_row_per_diff_block_saying_what_differs_and_the_buckets_moved():
    assert drift_rows(RESULT) == [
        ("lb conf", "flow_timeout 20, want 40", "-"),
        ("192.0.2.10/32 tcp:80", "10.0.0.2 weight 100, want 50; 10.0.0.8 extra", "229/1024 (22.4%)"),
        ("192.0.2.20/32 all-ports", "encap gre4, want l3dsr", "0/1024 (0.0%)"),
        ("192.0.2.30/32 udp:53", "VIP missing in VPP", "-"),
        ("198.51.100.7/32 all-ports", "VIP not in the config", "1024/1024 (100.0%)"),
    ]


def test_a_vip_whose_only_change_is_a_flush_says_so():
    same = vip("192.0.2.10/32", backends=[("10.0.0.1", 0)])
    assert vip_differences(same, same) == ["flush pending"]
    assert vip_differences(same, vip("192.0.2.10/32", backends=[("10.0.0.1", 0), ("10.0.0.2", 100)])) == [
        "10.0.0.2 missing"
    ]


def test_without_maglevd_the_advice_is_the_converge_command_for_this_host():
    args = {"src": "files/maglev.yaml", "state": "overridden", "protected": ["198.51.100.7/32"], "api_dir": None}
    text = drift_report(RESULT, "lb1", False, args, "inventories/prod.ini")
    lines = text.splitlines()
    assert lines[0] == "drift on lb1: 4 VIPs differ (6 commands to converge)"
    assert lines[1] == "VIP                        WHAT DIFFERS (VPP has, the config wants)      BUCKETS MOVED"
    assert lines[-2:] == [
        "To converge it (no maglevd on this host, Ansible programs VPP):",
        "  ansible lb1 -i inventories/prod.ini -m vpp.maglev.vpp_lb_state"
        " -a 'src=files/maglev.yaml state=overridden protected=198.51.100.7/32'",
    ]
    assert "maglevc" not in text and "{" not in text


def test_with_maglevd_the_advice_is_to_let_the_daemon_repair_or_ask_it_why():
    text = drift_report({**RESULT, "diff": RESULT["diff"][1:2], "commands": ["a"]}, "lb2", True, {"src": "x"})
    lines = text.splitlines()
    assert lines[0] == "drift on lb2: 1 VIP differs (1 command to converge)"
    assert "maglevd on lb2 owns these weights and repairs VPP at its next full sync" in text
    assert "maglevc show vpp info" in text and "maglevc sync vpp lb state" in text
    assert "vpp_lb_state" not in text and "ansible " not in text


def test_the_converge_command_survives_the_shell():
    command = converge_command("lb 1", None, {"src": "/srv/my config/maglev.yaml", "state": "replaced"})
    argv = shlex.split(command)
    assert argv[:4] == ["ansible", "lb 1", "-i", "INVENTORY"]
    assert shlex.split(argv[-1]) == ["src=/srv/my config/maglev.yaml", "state=replaced"]
