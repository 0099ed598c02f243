"""The role's unit has a LimitNOFILE that fits the configured backends and the API's connection caps.

Renders only the role's service files (tasks_from: service_files.yml) into a temporary prefix:
the same templates, defaults and vars as a full run, without the virtualenv.
"""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook_file

pytestmark = pytest.mark.integration

RENDER = """\
- name: Render the service files
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The role's service files only
      ansible.builtin.include_role:
        name: vpp.maglev.maglevd
        tasks_from: service_files.yml
"""

FULL = """\
- name: Apply the role
  hosts: localhost
  gather_facts: false
  roles:
    - role: vpp.maglev.maglevd
"""


def config(backends: int) -> dict:
    names = ["b%d" % i for i in range(backends)]
    return {
        "maglev": {
            "vpp": {"lb": {"ipv4-src-address": "192.0.2.254"}},
            "healthchecks": {"tcp": {"type": "tcp", "port": 80}},
            "backends": {
                n: {"address": "10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255), "healthcheck": "tcp"}
                for i, n in enumerate(names)
            },
            "frontends": {
                "web": {
                    "address": "192.0.2.1",
                    "protocol": "tcp",
                    "port": 80,
                    "pools": [{"name": "main", "backends": {n: {} for n in names}}],
                }
            },
        }
    }


def render(tmp_path: Path, name: str, **variables) -> tuple:
    prefix = tmp_path / name
    (prefix / "etc" / "vpp-maglev").mkdir(parents=True)
    (prefix / "etc" / "systemd" / "system").mkdir(parents=True)
    playbook = tmp_path / "render.yml"
    playbook.write_text(RENDER)
    base = {
        "maglevd_prefix": str(prefix),
        "maglevd_manage_service": False,
        "maglevd_group": grp.getgrgid(os.getgid()).gr_name,
    }
    run = run_playbook_file(tmp_path / ("run-" + name), playbook, {**base, **variables})
    assert run.ok, run.stdout + run.stderr
    unit = (prefix / "etc" / "systemd" / "system" / "maglevd.service").read_text().splitlines()
    env = (prefix / "etc" / "vpp-maglev" / "maglevd.env").read_text().splitlines()
    limits = [line for line in unit if line.startswith("LimitNOFILE=")]
    assert len(limits) == 1, unit
    return int(limits[0].split("=", 1)[1]), env


def test_limit_nofile_fits_backends_and_connection_caps(tmp_path):
    # 2 listeners (socket, default metrics) x (128 + 2) + 3 backends + 256 = 519 -> 1024.
    limit, env = render(tmp_path, "small", maglevd_config=config(3))
    assert limit == 1024
    assert "MAGLEV_API_MAX_CONNECTIONS=128" in env

    # 3 listeners x (1000 + 2) + 2000 backends + 256 = 5262 -> 6144.
    limit, env = render(
        tmp_path,
        "large",
        maglevd_config=config(2000),
        maglevd_max_connections=1000,
        maglevd_control_addr="127.0.0.1:9090",
        maglevd_control_token="t0ken",
    )
    assert limit == 6144 and limit >= 2000 + 3 * 1000
    assert "MAGLEV_API_MAX_CONNECTIONS=1000" in env

    # A few more backends stay within the rounding: the unit (and so the daemon) does not change.
    assert render(tmp_path, "few-more", maglevd_config=config(10))[0] == 1024

    limit, _env = render(tmp_path, "explicit", maglevd_config=config(3), maglevd_limit_nofile=65536)
    assert limit == 65536


def test_bad_limit_values_are_refused_before_any_change(tmp_path):
    playbook = tmp_path / "role.yml"
    playbook.write_text(FULL)
    prefix = tmp_path / "root"
    base = {
        "maglevd_prefix": str(prefix),
        "maglevd_manage_service": False,
        "maglevd_manage_user": False,
        "maglevd_user": pwd.getpwuid(os.getuid()).pw_name,
        "maglevd_group": grp.getgrgid(os.getgid()).gr_name,
        "maglevd_config": config(1),
    }
    for name, value in (
        ("maglevd_limit_nofile", "lots"),
        ("maglevd_limit_nofile", 100),
        ("maglevd_max_connections", 0),
    ):
        run = run_playbook_file(tmp_path / ("run-%s-%s" % (name, value)), playbook, {**base, name: value})
        assert not run.ok
        assert name in run.stdout, run.stdout
        assert not prefix.exists()


def test_the_unit_lets_the_daemon_take_the_vpp_writer_lock(tmp_path):
    # ProtectSystem=strict makes /run read-only; the writer lock lives beside VPP's API socket.
    render(tmp_path, "lock", maglevd_config=config(1), maglevd_vpp_api_socket="/run/vpp-a/api.sock")
    unit = (tmp_path / "lock" / "etc" / "systemd" / "system" / "maglevd.service").read_text().splitlines()
    assert "ReadWritePaths=-/run/vpp-a" in unit


@pytest.mark.parametrize("stats", ["/run/vpp-a/stats.sock", ""])
def test_the_unit_passes_the_stats_socket(tmp_path, stats):
    # maglevd reads VPP's packet counters there (docs/traffic.md); "" reads the flows only.
    render(tmp_path, "stats", maglevd_config=config(1), maglevd_vpp_stats_socket=stats)
    unit = (tmp_path / "stats" / "etc" / "systemd" / "system" / "maglevd.service").read_text().splitlines()
    assert f'    --vpp-stats-addr "{stats}" \\' in unit
