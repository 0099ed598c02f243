"""maglevc's text rendering: what an operator reads must match the data, line for line.

The payloads are the shapes maglevd's API sends (captured from a real daemon on vppsim);
times are rendered in UTC here (the `utc` fixture), so each line is exact."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.vpp.maglev.maglevd.maglevc.command_parser import UsageError, parse
from ansible_collections.vpp.maglev.maglevd.maglevc.human import duration
from ansible_collections.vpp.maglev.maglevd.maglevc.render import (
    render_backend,
    render_backends,
    render_event,
    render_frontend,
    render_healthchecks,
    render_kv,
)
from ansible_collections.vpp.maglev.maglevd.maglevc.render_status import (
    render_status,
    render_sync_now,
    render_vpp_info,
)

NOW = 1795716400.0  # 2026-11-26 18:06:40 UTC
STATUS = {
    "version": "1.0.0",
    "pid": 27258,
    "config": "/etc/vpp-maglev/maglev.yaml",
    "uptime": 192.5,
    "started": NOW - 192.5,
    "backends": {"up": 2, "disabled": 1},
    "frontends": {"web": "up", "solo": "up"},
    "probe_workers": 2,
    "event_loop_lag": {"last": 0.0032671989993104944, "max": 0.0132671989993104944},
    "events": {"published": 6, "dropped": 0, "subscribers": 0},
    "reloads": {"ok": 0, "failed": 0},
    "vpp_api_addr": "/run/vpp/api.sock",
    "vpp": {
        "enabled": True,
        "connected": True,
        "api_socket": "/run/vpp/api.sock",
        "version": "26.10-rc0~vppsim",
        "state": "ok",
        "degraded_reason": None,
        "last_ok_age": 0.303,
        "errors": {},
        "warmup": "done",
        "syncs": {"vip": 4, "full": 1, "errors": 0, "suppressed": 0},
    },
    "state": "ok",
    "degraded": {},
    "api": {
        "listeners": {
            "unix": {
                "connections": 1,
                "max_connections": 128,
                "saturated": False,
                "accepted": 15,
                "refused": 0,
                "write_stalls": 0,
            }
        },
        "nofile": {"limit": 20000, "needed": 389, "ok": True},
    },
}
LAST_SYNC = {
    "scope": "vip",
    "result": "ok",
    "frontends": 1,
    "seconds": 0.016267,
    "time": NOW - 2.6,
    "mono": 12761.2367698,
    "vips_added": 0,
    "vips_removed": 0,
    "vips_recreated": 0,
    "ases_added": 0,
    "ases_removed": 0,
    "ases_reweighted": 1,
    "flushes": 1,
    "conf_changed": False,
    "api_calls": 1,
    "frontend_names": ["web"],
}
VPP_INFO = {
    "enabled": True,
    "api_socket": "/run/vpp/api.sock",
    "connected": True,
    "connected_since": NOW - 3723,
    "uptime": 3723.0,
    "connects": 1,
    "version": "26.10-rc0~vppsim",
    "build_date": "vppsim",
    "last_error": None,
    "last_ok": NOW - 0.6,
    "last_ok_age": 0.6,
    "state": "ok",
    "degraded_reason": None,
    "errors": {},
    "ping_interval": 10.0,
    "vpp_pid": 27233,
    "maglevd_pid": 27258,
    "reconciler": {
        "connected": True,
        "cache_valid": True,
        "sync_interval": 30.0,
        "warmup": {
            "phase": "done",
            "elapsed": 1.418,
            "min_delay": 0.0,
            "max_delay": 0.0,
            "released": [],
            "waiting": [],
        },
        "counts": {"vip": 4, "full": 1, "errors": 0, "suppressed": 0},
        "pending": [],
        "retired_vips": [],
        "last_sync": LAST_SYNC,
        "last_full_sync": {
            **LAST_SYNC,
            "scope": "full",
            "frontends": 2,
            "seconds": 0.004595,
            "time": NOW - 3722.5,
            "vips_added": 2,
            "ases_added": 4,
            "ases_reweighted": 0,
            "flushes": 0,
            "conf_changed": True,
            "api_calls": 7,
            "reason": "connect",
            "frontend_names": None,
        },
    },
}


def test_show_status_is_aligned_key_values_in_human_units(utc):
    assert render_status(STATUS, now=NOW).splitlines() == [
        "maglevd         1.0.0, pid 27258",
        "state           ok",
        "config          /etc/vpp-maglev/maglev.yaml",
        "started         2026-11-26 18:03:27 (up 3m12s)",
        "backends        2 up, 1 disabled",
        "frontends       web up, solo up",
        "probe workers   2",
        "event loop lag  3.3ms (max 13ms)",
        "events          6 published, 0 dropped, 0 subscribers",
        "reloads         0 ok, 0 failed",
        "vpp             connected to /run/vpp/api.sock, version 26.10-rc0~vppsim",
        "vpp state       ok",
        "vpp last ok     303ms ago",
        "vpp warmup      done",
        "vpp syncs       4 vip, 1 full, 0 errors, 0 suppressed",
        "api unix        1/128 connections, 15 accepted, 0 refused, 0 write stalls",
        "open files      limit 20000, 389 needed",
    ]


def test_show_status_degraded_says_why_and_shows_new_fields():
    status = copy.deepcopy(STATUS)
    status.update(state="degraded", degraded={"vpp": "not connected to VPP"}, new_counter=3, extra={"a": True})
    status["vpp"].update(connected=False, state="degraded", degraded_reason="not connected to VPP", last_ok_age=None)
    status["vpp"]["errors"] = {"connect/refused": 4}
    lines = render_status(status, now=NOW).splitlines()
    assert lines[1:3] == ["state           degraded", "  vpp           not connected to VPP"]
    assert "vpp             not connected to /run/vpp/api.sock, version 26.10-rc0~vppsim" in lines
    assert "vpp state       degraded: not connected to VPP" in lines
    assert "vpp last ok     never" in lines and "vpp errors      4 connect/refused" in lines
    assert lines[-2:] == ["new counter     3", "extra a         yes"]  # a field the view does not know
    status["future"] = [{"x": None, "on": True}]
    assert (
        render_status(status, now=NOW).splitlines()[-1] == 'future          [{"x": null, "on": true}]'
    )  # JSON, not repr


def test_show_vpp_info_has_no_epoch_floats_nor_python_literals(utc):
    assert render_vpp_info(VPP_INFO, now=NOW).splitlines() == [
        "vpp              connected, pid 27233, version 26.10-rc0~vppsim (built vppsim)",
        "api socket       /run/vpp/api.sock",
        "state            ok",
        "connected since  2026-11-26 17:04:37 (1h2m ago)",
        "connects         1",
        "last ok          2026-11-26 18:06:39 (600ms ago)",
        "ping interval    10s",
        "last error       -",
        "errors           -",
        "maglevd pid      27258",
        "sync interval    30s",
        "warmup           done (min 0s, max 0s)",
        "syncs            4 vip, 1 full, 0 errors, 0 suppressed",
        "pending          -",
        "retired vips     -",
        "last sync        vip ok (web) 2026-11-26 18:06:37 (2.6s ago) in 16ms: 1 AS reweighted, 1 flush (1 API call)",
        "last full sync   full ok (connect) 2026-11-26 17:04:37 (1h2m ago) in 4.6ms:"
        " 2 VIPs added, 4 ASes added, lb conf changed (7 API calls)",
    ]


def test_show_vpp_info_disabled_and_failed_sync(utc):
    disabled = {"enabled": False, "api_socket": "", "connected": False, "state": "ok", "maglevd_pid": 9}
    assert render_vpp_info(disabled, now=NOW).splitlines() == [
        "vpp          disabled (maglevd only probes: --vpp-api-addr is empty)",
        "maglevd pid  9",
    ]
    failed = {"scope": "full", "result": "error", "error": "lb_as_set_weight: retval -1", "connection_lost": True}
    failed.update(seconds=0.2, time=NOW - 1, mono=5.0, reason="timer")
    assert render_sync_now(failed).startswith("sync full error (timer) ")
    assert render_sync_now(failed).endswith(
        " in 200ms: lb_as_set_weight: retval -1 (connection lost, the reconnect retries)"
    )
    nothing = {**LAST_SYNC, "ases_reweighted": 0, "flushes": 0, "api_calls": 0, "frontend_names": None}
    assert render_sync_now(nothing).endswith(": nothing to change")


@pytest.mark.parametrize(
    "seconds, text",
    [(None, "-"), (0, "0s"), (0.0004, "400us"), (0.0032, "3.2ms"), (0.4, "400ms"), (0.97, "970ms"), (1.5, "1.5s")]
    + [(10.0, "10s"), (59.4, "59s"), (192.5, "3m12s"), (3723, "1h2m"), (90061, "1d1h"), (-1, "0s")],
)
def test_durations_read_like_an_operator_writes_them(seconds, text):
    assert duration(seconds) == text


BACKEND = {
    "name": "web1",
    "address": "127.0.0.1",
    "healthcheck": "http",
    "type": "http",
    "probing": True,
    "frontends": ["web", "solo"],
    "state": "up",
    "enabled": True,
    "counter": 1,
    "rise": 1,
    "fall": 1,
    "code": "L7OK",
    "detail": "HTTP 200",
    "history": [{"backend": "web1", "from": "unknown", "to": "up", "time": NOW - 0.4, "code": "L7OK"}],
}


def test_an_age_under_a_second_is_said_not_now():
    assert render_backend(BACKEND, now=NOW).splitlines()[-1] == "  400ms ago   unknown -> up        L7OK"
    assert render_backends([BACKEND], now=NOW).splitlines()[1].split()[-1] == "400ms"


def test_a_disabled_member_says_disabled_once():
    member = {"backend": "spare", "address": "127.0.0.3", "state": "disabled", "enabled": False}
    frontend = {
        "name": "web",
        "address": "192.0.2.1/32",
        "protocol": "tcp",
        "port": 80,
        "state": "up",
        "src_ip_sticky": False,
        "flush_on_down": True,
        "pools": [{"name": "backup", "active": False, "backends": [{**member, "configured_weight": 100, "weight": 0}]}],
    }
    text = render_frontend(frontend)
    assert text.splitlines()[-1].split() == ["spare", "127.0.0.3", "disabled", "100", "0"]
    assert "[disabled]" not in text
    assert "state        disabled" in render_backend({**BACKEND, "state": "disabled", "enabled": False}).splitlines()


def test_healthcheck_intervals_and_values_in_human_units():
    check = {"name": "http", "type": "http", "port": 80, "interval": 0.5, "fast_interval": 0.125}
    check.update(down_interval=1.5, timeout=0.4, rise=1, fall=1, backends=["a"], error=None)
    assert render_healthchecks([check]).splitlines()[1].split() == [
        "http", "http", "80", "500ms", "125ms", "1.5s", "400ms", "1", "1", "1"
    ]  # fmt: skip
    text = render_kv({**check, "http": {"host": None, "insecure": False, "response_codes": [[200, 399]]}})
    assert "interval: 500ms" in text and "error: -" in text and "backends: a" in text
    assert "  host: -" in text and "  insecure: no" in text and "  response_codes: 200-399" in text
    assert "None" not in text and "False" not in text


def test_list_of_mappings_renders_as_yaml_items_not_a_dash_per_key():
    state = {
        "vips": [
            {"vip": "192.0.2.1/32", "port": 80, "backends": [{"address": "10.0.0.1", "weight": 100}]},
            {"vip": "192.0.2.2/32", "port": 53, "backends": []},
        ],
        "names": ["a", "b"],
    }
    assert render_kv(state).splitlines() == [
        "vips:",
        "  - vip: 192.0.2.1/32",
        "    port: 80",
        "    backends:",
        "      - address: 10.0.0.1",
        "        weight: 100",
        "  - vip: 192.0.2.2/32",
        "    port: 53",
        "    backends: -",
        "names: a, b",
    ]


def test_replayed_current_state_is_not_shown_as_a_transition():
    base = {"type": "backend-transition", "time": 0, "backend": "web1", "from": "up", "to": "up", "code": "L7OK"}
    replay = render_event({**base, "replay": True})
    assert replay.endswith("backend web1 is up (current state, L7OK)") and "->" not in replay
    frontend = render_event(
        {"type": "frontend-transition", "replay": True, "frontend": "web", "from": "up", "to": "up"}
    )
    assert frontend.endswith("frontend web is up (current state)")
    live = render_event({**base, "from": "down"})
    assert live.endswith("backend web1 down -> up (L7OK)")


def test_incomplete_command_lists_what_a_slot_takes():
    with pytest.raises(UsageError) as caught:
        parse(["set", "backend", "web1"])
    assert "expected <action> (pause|resume|enable|disable|drain)" in str(caught.value)
