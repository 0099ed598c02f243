"""Every way a vppclient session ends, ends politely: sockclnt_delete, then close, as vppsim
records it (docs/vpp-lb-reference.md, "Ending a session"). Real vpp_papi, real vppsim, and a
real module process for the termination signals."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import vpp_errors, vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbState, Vip, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import plan
from ansible_collections.vpp.maglev.tests.helpers.paths import COLLECTIONS, PYTHON, ROOT
from ansible_collections.vpp.maglev.vppsim.calllog import SESSION_END

pytestmark = pytest.mark.integration

WEB = VipKey.make("192.0.2.1/32", "tcp", 80)


def desired(ases: int) -> LbState:
    backends = {ipaddress.ip_address("10.0.%d.%d" % (i // 250, i % 250 + 1)): 100 for i in range(ases)}
    return LbState(vips={WEB: Vip(WEB, ases=backends)})


def session_of(sim, since: int) -> int:
    """The handle of the first registration made after ``since``."""
    return sim.wait_for("sockclnt_create", since=since)["client_index"]


def how_it_ended(sim, handle: int, since: int) -> str:
    return sim.wait_for(SESSION_END, since=since, client=handle, timeout=30)["args"]["how"]


def test_a_session_that_ends_well_is_deleted(vppsim):
    seq = vppsim.stats()["seq"]
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        vpp.apply(plan(vpp.read_state(), desired(3)))
    assert how_it_ended(vppsim, session_of(vppsim, seq), seq) == "delete"


def test_an_error_in_the_caller_still_deletes_the_session(vppsim):
    seq = vppsim.stats()["seq"]
    with pytest.raises(ZeroDivisionError), vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        vpp.read_state()
        print(1 / 0)
    assert how_it_ended(vppsim, session_of(vppsim, seq), seq) == "delete"


@pytest.mark.parametrize("ases", [40, 4], ids=["direct-path", "vpp_papi-pipeline"])
def test_a_refused_op_mid_pipeline_still_deletes_the_session(vppsim, ases):
    seq = vppsim.stats()["seq"]
    vppsim.set_fault(fail={"message": "lb_add_del_as_v2", "nth": ases // 2, "retval": -1})
    with (
        pytest.raises(vpp_errors.VppApplyError),
        vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp,
    ):
        vpp.apply(plan(vpp.read_state(), desired(ases)))
    assert how_it_ended(vppsim, session_of(vppsim, seq), seq) == "delete"


@pytest.mark.parametrize("ases", [40, 0], ids=["direct-path", "one-call"])
def test_a_timeout_still_deletes_the_session_within_the_timeout(vppsim, ases):
    """VPP answers too slowly: the call gives up, the connection is broken, and the close sends
    the delete itself. It waits for VPP's close at most the connection's timeout: when it
    returns, VPP (2 s behind) has not processed the delete yet; once VPP catches up, it does."""
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        the_plan = plan(vpp.read_state(), desired(ases))
    seq = vppsim.stats()["seq"]
    vppsim.set_fault(delay_ms=2000)
    with (
        pytest.raises((vpp_errors.VppConnectionError, vpp_errors.VppApplyError)),
        vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=0.5, check_features=False) as vpp,
    ):
        if ases:
            vpp.apply(the_plan)
        else:
            vpp.call("show_version")
    assert vppsim.calls("sockclnt_delete", since=seq) == []  # the close did not wait for it
    vppsim.clear_faults()
    assert how_it_ended(vppsim, session_of(vppsim, seq), seq) == "delete"


def test_a_session_vpp_dropped_closes_without_waiting(vppsim):
    seq = vppsim.stats()["seq"]
    with (
        pytest.raises(vpp_errors.VppConnectionError),
        vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp,
    ):
        vppsim.set_fault(drop_after=0)
        vpp.call("show_version")
    assert how_it_ended(vppsim, session_of(vppsim, seq), seq) == "fault"


def run_module(tmp_path, name: str, args: dict) -> subprocess.Popen:
    """A module of this collection run as Ansible runs it on the host: its own Python process
    reading its arguments from a file."""
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    source = ROOT / "plugins" / "modules" / ("%s.py" % name)
    return subprocess.Popen(
        [str(PYTHON), str(source), str(path)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_module_told_to_stop_deletes_its_session_first(vppsim, tmp_path, signum):
    """What Ansible sends a module it gives up on (AWX's cancel, ^C, a dropped SSH session)
    arrives while the module waits for VPP: it ends the session politely, then dies of it."""
    seq = vppsim.stats()["seq"]
    vppsim.set_fault(delay_ms=2000)
    module = run_module(tmp_path, "vpp_lb_info", {"api_socket": vppsim.socket, "api_dir": vppsim.api_dir})
    try:
        created = vppsim.wait_for("sockclnt_create", since=seq)
        handle = created["client_index"]
        vppsim.wait_for(None, since=created["seq"], timeout=30)  # connected: now it waits on VPP
        module.send_signal(signum)
        assert how_it_ended(vppsim, handle, seq) == "delete"
        code = module.wait(timeout=60)
    finally:
        module.kill()
        module.communicate()
    assert code == -signum  # then died of the signal, as it would have without a session
