"""maglevd refuses to empty a serving frontend (409 last-serving-backend) unless forced.

The real path: maglevd probes local HTTP servers and programs vppsim; maglevc and the API ask.
"""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.maglevd_client import MaglevdError
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess, wait_until
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


CONFIG = """
maglev:
  vpp:
    lb: {{ipv4-src-address: 192.0.2.254, startup-min-delay: 0s, startup-max-delay: 0s}}
  healthchecks:
    http: {{type: http, port: {port}, interval: 0.5s, timeout: 0.4s, rise: 1, fall: 1, params: {{path: /}}}}
  backends:
    web1: {{address: 127.0.0.1, healthcheck: http}}
    web2: {{address: 127.0.0.2, healthcheck: http}}
    spare: {{address: 127.0.0.3, healthcheck: http}}
  frontends:
    web:
      address: 192.0.2.1
      protocol: tcp
      port: 80
      pools:
        - name: primary
          backends: {{web1: {{}}, web2: {{weight: 50}}}}
        - name: backup
          backends: {{spare: {{}}}}
    solo:
      address: 192.0.2.2
      protocol: tcp
      port: 80
      pools:
        - name: only
          backends: {{web1: {{}}}}
"""


@pytest.fixture
def lab(tmp_path, vppsim, web):
    daemon = MaglevdProcess(tmp_path, CONFIG.format(port=web.server_address[1]), "--vpp-api-addr", vppsim.socket)
    try:
        assert daemon.wait_ready()["event"] == "ready", daemon.seen
        # Every backend up first (spare too: it is web's standby), then VPP programmed.
        wait_until(lambda: set(daemon.client.states().values()) == {"up"}, timeout=30, what="all backends up")
        wait_until(
            lambda: (
                vpp(vppsim)
                == {
                    "192.0.2.1/32": {"127.0.0.1": 100, "127.0.0.2": 50, "127.0.0.3": 0},
                    "192.0.2.2/32": {"127.0.0.1": 100},
                }
            ),
            timeout=30,
            what="maglevd to program both VIPs",
        )
        yield daemon
    finally:
        daemon.stop()


def vpp(vppsim) -> dict:
    return {v["prefix"]: {a["address"]: a["weight"] for a in v["ases"]} for v in vppsim.state()["vips"]}


def test_maglevc_refuses_the_last_serving_backend_unless_forced(lab, vppsim):
    before = vpp(vppsim)
    out = lab.maglevc("set", "backend", "web1", "pause")
    assert out.returncode == 1 and "solo" in out.stderr and "--force" in out.stderr, out.stderr
    assert len(out.stderr.splitlines()) == 1 and "Traceback" not in out.stderr
    out = lab.maglevc("set", "backend", "web1", "disable")
    assert out.returncode == 1 and "solo" in out.stderr
    assert lab.client.backend("web1")["state"] == "up" and vpp(vppsim) == before  # nothing changed

    # The API says which frontends, as data.
    with pytest.raises(MaglevdError) as info:
        lab.client.backend_action("web1", "pause")
    assert (info.value.status, info.value.code) == (409, "last-serving-backend")

    # web2 is not the last of anything (web1 serves web): allowed.
    assert lab.maglevc("set", "backend", "web2", "disable").returncode == 0
    # web1 up keeps the primary pool active (the backup waits), so its weight 0 would empty web.
    out = lab.maglevc("set", "frontend", "web", "pool", "primary", "backend", "web1", "weight", "0")
    assert out.returncode == 1 and "frontend web " in out.stderr, out.stderr
    assert lab.client.frontend("web")["pools"][0]["backends"][0]["configured_weight"] == 100

    # --force does it, wherever it is written, and VPP follows.
    out = lab.maglevc("--force", "set", "backend", "web1", "pause")
    assert out.returncode == 0 and "paused" in out.stdout, out.stderr
    wait_until(lambda: vpp(vppsim)["192.0.2.2/32"] == {"127.0.0.1": 0}, what="solo emptied in VPP")
    assert lab.maglevc("set", "backend", "web1", "resume").returncode == 0  # adding weight: never refused


def test_a_standby_pool_taking_over_counts_as_serving(lab, vppsim):
    assert lab.maglevc("set", "backend", "web2", "disable").returncode == 0
    # Pausing web1 empties the primary pool of web, but its backup pool (spare, up) takes over:
    # only solo is in the way.
    out = lab.maglevc("set", "backend", "web1", "pause")
    assert out.returncode == 1 and "frontend solo " in out.stderr and "web " not in out.stderr, out.stderr
    out = lab.maglevc("set", "backend", "web1", "pause", "--force")
    assert out.returncode == 0, out.stderr
    wait_until(
        lambda: (
            vpp(vppsim)
            == {"192.0.2.1/32": {"127.0.0.1": 0, "127.0.0.2": 0, "127.0.0.3": 100}, "192.0.2.2/32": {"127.0.0.1": 0}}
        ),
        what="the backup pool to take over web in VPP",
    )


def test_maglev_backend_allow_empty_is_not_refused_by_the_daemon(lab, vppsim, tmp_path):
    """The module's guard and the daemon's agree: allow_empty=true passes force on."""
    task = {"vpp.maglev.maglev_backend": {"name": "web1", "state": "paused", "maglevd_socket": lab.socket}}
    run = run_playbook(tmp_path / "refused", [task])
    assert not run.ok and "solo" in run.results[0]["msg"], run.text()
    assert lab.client.backend("web1")["state"] == "up"
    task["vpp.maglev.maglev_backend"]["allow_empty"] = True
    run = run_playbook(tmp_path / "allowed", [task])
    assert run.ok, run.text()
    assert lab.client.backend("web1")["state"] == "paused"
    wait_until(lambda: vpp(vppsim)["192.0.2.2/32"] == {"127.0.0.1": 0}, what="solo emptied in VPP")
